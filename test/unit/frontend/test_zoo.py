"""Tests for the model zoo and the trained digits network.

Every zoo model must build, run on its example input with the documented
output shape, and be deterministic (the compiler's golden references depend
on that).  The 224x224 / video models are marked slow only because building
them allocates tens to hundreds of MB of weights.
"""

import json

import pytest
import torch

from fpga_sdf.frontend import digits, zoo

HEAVY = {"alexnet", "vgg11", "vgg16", "resnet50", "c3d", "r2plus1d_18"}


def _params(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in names]


@pytest.mark.parametrize("name", _params(zoo.names()))
def test_builds_runs_and_is_deterministic(name):
    model, x = zoo.build(name)
    assert not model.training
    with torch.no_grad():
        y = model(x)
    assert tuple(y.shape) == zoo.output_shape(name)
    assert torch.isfinite(y).all()

    model2, x2 = zoo.build(name)
    assert torch.equal(x, x2)
    for (k, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        assert torch.equal(a, b), k
    with torch.no_grad():
        assert torch.equal(y, model2(x2))


def test_registry():
    assert set(zoo.names()) == set(zoo.ZOO)
    for required in ["lenet", "alexnet", "vgg11", "vgg16", "resnet18", "resnet50", "mobilenetv1", "mobilenetv2",
                     "c3d", "r2plus1d_18", "tiny_conv", "tiny_resnet", "tiny_mobilenet",
                     "tiny_c3d", "tiny_concat", "digits"]:
        assert required in zoo.ZOO
    with pytest.raises(KeyError):
        zoo.build("no_such_model")


def test_build_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    zoo.build("tiny_conv")
    assert torch.equal(torch.rand(3), expected)


def test_batchnorm_stats_are_nontrivial():
    """BN folding is only really tested if running stats are not 0/1."""
    model, _ = zoo.build("tiny_resnet")
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns
    for bn in bns:
        assert bn.running_mean.abs().max() > 1e-3
        assert (bn.running_var - 1).abs().max() > 1e-3
        assert (bn.weight - 1).abs().max() > 1e-3


@pytest.mark.parametrize("name,count", [("resnet18", 11_689_512), ("resnet50", 25_557_032),
                                        ("mobilenetv1", 4_231_976), ("mobilenetv2", 3_504_872)])
def test_parameter_counts_match_torchvision(name, count):
    model, _ = zoo.build(name)
    assert sum(p.numel() for p in model.parameters()) == count


def test_digits_stored_accuracy_reproduces():
    stored = json.loads(digits.METRICS.read_text())["test_accuracy"]
    model, x = digits.build()
    assert x.shape == (1, 1, 8, 8)
    x_test, y_test = digits.load_test_set()
    assert x_test.dtype == torch.float32 and y_test.dtype == torch.int64
    assert x_test.shape[1:] == (1, 8, 8) and 0.0 <= x_test.min() and x_test.max() <= 1.0
    acc = digits.accuracy(model, x_test, y_test)
    assert acc == pytest.approx(stored, abs=1e-9)
    assert acc > 0.9


def test_digits_accuracy_accepts_numpy_callable():
    model, _ = digits.build()
    x, y = digits.load_test_set()

    def numpy_model(a):
        return model(torch.from_numpy(a)).numpy()

    assert digits.accuracy(numpy_model, x.numpy(), y.numpy(), batch_size=1) == digits.accuracy(model, x, y)


def test_digits_retrain_reproduces_stored_accuracy():
    """Training takes ~2 s, so this stays in the default suite."""
    stored = json.loads(digits.METRICS.read_text())
    _, acc = digits.train(stored["seed"])
    assert acc == pytest.approx(stored["test_accuracy"], abs=1e-9)
