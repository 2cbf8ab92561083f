"""The importer against PyTorch: every zoo model through FX and through ONNX, numerically.

The float reference executor must reproduce PyTorch's output within a relative 1e-4 of the
output's magnitude; the trained digits network must keep PyTorch's accuracy exactly; layers
the sdf dialect cannot express must be refused with a diagnostic at the model's source line.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
import torch
import torch.nn as nn

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network, weights
from fpga_sdf.diagnostics import UserError
from fpga_sdf.frontend import digits, zoo
from fpga_sdf.frontend.importer import export_onnx, import_model, import_onnx
from fpga_sdf.interp.executor import execute
from fpga_sdf.tools import fpga_import

HEAVY = {"alexnet", "vgg11", "vgg16", "resnet50", "c3d", "r2plus1d_18"}


def _params(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY else n for n in names]


def _reference(model, x) -> np.ndarray:
    with torch.no_grad():
        return model(x).numpy()


def _assert_close(module, model, x) -> None:
    expected = _reference(model, x)
    (got,) = execute(module, [x.numpy()], "float")
    got = got.reshape(expected.shape)
    error = float(np.max(np.abs(got - expected)))
    assert error <= 1e-4 * max(1.0, float(np.max(np.abs(expected)))), f"max abs error {error}"


def _only_sdf(module) -> None:
    names = {op.operation.name for op in sdf_ir.walk(module)}
    assert names <= {"func.func", "func.return"} | {n for n in names if n.startswith("sdf.")}, names
    assert not any(n.startswith("torch.") for n in names)
    sdf_ir.verify(module)


@pytest.mark.parametrize("name", _params(zoo.names()))
def test_fx_import_matches_pytorch(name):
    model, x = zoo.build(name)
    module = import_model(model, x, func_name=name)
    _only_sdf(module)
    _assert_close(module, model, x)
    # Layer names come from the module paths (NameLoc), so the passes can report them.
    names = [n for n, _ in network.named_layers(module)]
    assert any("." in n or n.isdigit() or n.isidentifier() for n in names)


@pytest.mark.parametrize("name", _params(zoo.names()))
def test_onnx_import_matches_pytorch(name, tmp_path):
    model, x = zoo.build(name)
    path = tmp_path / f"{name}.onnx"
    path.write_bytes(export_onnx(model, x))
    module = import_onnx(str(path))
    _only_sdf(module)
    _assert_close(module, model, x)


def test_batch_norm_is_folded():
    model, x = zoo.build("tiny_resnet")
    module = import_model(model, x)
    kinds = [op.operation.name for op in network.layers(module)]
    assert "sdf.scale_shift" not in kinds  # every BN follows a conv that has no other user
    model, x = zoo.build("tiny_concat")
    kinds = [op.operation.name for op in network.layers(import_model(model, x))]
    assert kinds.count("sdf.scale_shift") == 1  # the BN after the concat cannot fold


def test_layer_names_from_module_paths():
    model, x = zoo.build("resnet18")
    names = [n for n, _ in network.named_layers(import_model(model, x))]
    assert "layer1.0.conv1" in names and "fc" in names


def test_digits_accuracy_is_preserved():
    model, x = digits.build()
    module = import_model(model, x)
    xs, ys = digits.load_test_set()
    with torch.no_grad():
        torch_pred = model(xs).argmax(1).numpy()
    (out,) = execute(module, [xs.numpy()], "float")
    ours = out.argmax(1)
    assert (ours == ys.numpy()).mean() == (torch_pred == ys.numpy()).mean()
    assert (ours == torch_pred).all()


# ------------------------------------------------------------------------------ refusals


class _Tanh(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x):
        return torch.tanh(self.conv(x))  # the line the diagnostic must point at


class _Gelu(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.act = nn.GELU()

    def forward(self, x):
        return self.act(self.conv(x))


def _line_of(text: str) -> int:
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


def test_refuses_tanh_at_source_line():
    with pytest.raises(UserError) as info:
        import_model(_Tanh().eval(), torch.randn(1, 3, 8, 8))
    (d,) = info.value.diagnostics
    assert "'aten.tanh'" in d.message and "fpga-import --list-ops" in d.message and "conv2d" not in d.message
    assert d.file == __file__ and d.line == _line_of("the line the diagnostic must point at")


def test_refuses_gelu_naming_the_layer():
    with pytest.raises(UserError) as info:
        import_model(_Gelu().eval(), torch.randn(1, 3, 8, 8))
    (d,) = info.value.diagnostics
    assert "'aten.gelu'" in d.message and "layer 'act'" in d.message
    assert d.file == __file__ and d.line == _line_of("return self.act(self.conv(x))")


def test_refuses_onnx_op_with_node_name(tmp_path):
    path = tmp_path / "tanh.onnx"
    path.write_bytes(export_onnx(_Tanh().eval(), torch.randn(1, 3, 8, 8)))
    with pytest.raises(UserError) as info:
        import_onnx(str(path))
    (d,) = info.value.diagnostics
    assert "tanh" in d.message.lower() and d.where and "Tanh" in d.where


# ------------------------------------------------------------------------------ PyTorch forms


class _InPlace(nn.Module):
    """In-place ReLU and `+=`: export functionalises them."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU(inplace=True)
        self.pad = nn.ZeroPad2d((1, 0, 1, 0))
        self.pool = nn.AvgPool2d(2, ceil_mode=True)
        self.fc = nn.Linear(4 * 3 * 3, 5)

    def forward(self, x):
        y = self.relu(self.bn(self.conv(x)))
        y += x
        y = nn.functional.relu6(y) * 0.5 - 1.0
        y = self.pool(self.pad(y))
        return self.fc(y.flatten(1))


def test_inplace_ops_affine_constants_pad_and_ceil_pool():
    model = _InPlace().eval()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-1, 1)
        model.bn.running_var.uniform_(0.5, 2)
    x = torch.randn(1, 4, 5, 5)
    module = import_model(model, x)
    _only_sdf(module)
    _assert_close(module, model, x)


# ------------------------------------------------------------------------------ weights and the CLI


def test_sidecar_weights_round_trip(tmp_path):
    model, x = zoo.build("tiny_conv")
    out = tmp_path / "tiny.mlir"
    assert fpga_import.main(["--zoo", "tiny_conv", "--weights=sidecar", "-o", str(out)]) == 0
    sidecar = tmp_path / "tiny.weights.npz"
    assert sidecar.exists()
    text = out.read_text()
    assert 'file = "tiny.weights.npz"' in text and "dense<" not in text
    weights.add_search_dir(str(tmp_path))
    module = sdf_ir.parse(text, str(out))
    _assert_close(module, model, x)
    assert [n for n, _ in network.named_layers(module)][0] == "0"


def test_auto_weights_threshold(tmp_path):
    small = tmp_path / "small.mlir"
    assert fpga_import.main(["--zoo", "tiny_conv", "-o", str(small)]) == 0
    assert "dense<" in small.read_text() and not (tmp_path / "small.weights.npz").exists()
    big = tmp_path / "big.mlir"
    assert fpga_import.main(["--zoo", "lenet", "--weights=inline", "-o", str(big)]) == 0
    assert not (tmp_path / "big.weights.npz").exists()


def test_python_file_and_onnx_inputs(tmp_path, capsys):
    src = tmp_path / "net.py"
    src.write_text("import torch, torch.nn as nn\n"
                   "def make():\n"
                   "    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU()).eval(), torch.randn(1, 1, 6, 6)\n")
    out = tmp_path / "net.mlir"
    assert fpga_import.main([f"{src}:make", "-o", str(out)]) == 0
    assert "func.func @net" in out.read_text() and '"sdf.conv"' in out.read_text()
    model, x = zoo.build("tiny_c3d")
    onnx_path = tmp_path / "c3d.onnx"
    onnx_path.write_bytes(export_onnx(model, x))
    assert fpga_import.main([str(onnx_path), "-o", str(tmp_path / "c3d.mlir")]) == 0
    assert "func.func @c3d" in (tmp_path / "c3d.mlir").read_text()
    assert fpga_import.main([str(onnx_path), "--emit=torch"]) == 0
    assert "torch.aten.convolution" in capsys.readouterr().out


def test_failed_import_keeps_earlier_outputs(tmp_path, capsys):
    out = tmp_path / "m.mlir"
    assert fpga_import.main(["--zoo", "tiny_conv", "--weights=sidecar", "-o", str(out)]) == 0
    before = out.read_bytes(), (tmp_path / "m.weights.npz").read_bytes()
    bad = tmp_path / "bad.py"
    bad.write_text("import torch, torch.nn as nn\n"
                   "class M(nn.Module):\n"
                   "    def forward(self, x):\n"
                   "        return torch.tanh(x)\n"
                   "def build():\n"
                   "    return M(), torch.randn(1, 1, 4, 4)\n")
    assert fpga_import.main([str(bad), "--weights=sidecar", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:4:0: error: unsupported operation 'aten.tanh'" in err
    assert (out.read_bytes(), (tmp_path / "m.weights.npz").read_bytes()) == before
    assert sorted(os.listdir(tmp_path)) == ["bad.py", "m.mlir", "m.weights.npz"]


def test_cli_user_errors(capsys):
    assert fpga_import.main(["--zoo", "nope"]) == 1
    assert "unknown zoo model 'nope'" in capsys.readouterr().err
    assert fpga_import.main(["missing.onnx"]) == 1
    assert "cannot open input file 'missing.onnx'" in capsys.readouterr().err
    assert fpga_import.main([]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fpga_import.main(["x.txt"]) == 1
    assert "expected an .onnx file or a Python file" in capsys.readouterr().err


def test_onnx_refusals_name_the_users_node_once(tmp_path, capsys):
    """An ONNX operator with no sdf equivalent is named as the file has it (DepthToSpace),
    not after the torch ops torch-mlir lowers it to, and without the whole op list."""
    import torch
    import torch.nn as nn

    class Shuffle(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3)
            self.shuffle = nn.PixelShuffle(2)

        def forward(self, x):
            return self.shuffle(self.conv(x))

    from fpga_sdf.frontend.importer import export_onnx

    path = tmp_path / "shuffle.onnx"
    path.write_bytes(export_onnx(Shuffle().eval(), torch.rand(1, 3, 8, 8)))
    assert fpga_import.main([str(path), "-o", str(tmp_path / "s.mlir")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "ONNX node '/shuffle/DepthToSpace' (DepthToSpace) is not supported" in err[0]
    assert "--list-ops" in err[0] and "conv2d" not in err[0]


def test_list_ops_lists_the_supported_families(capsys):
    from fpga_sdf.passes.convert_torch_to_sdf import FAMILIES

    assert fpga_import.main(["--list-ops"]) == 0
    out = capsys.readouterr().out
    for family in FAMILIES:
        if family:
            assert f"  {family}:" in out
    assert "conv2d" in out and "max_pool2d" in out


class _ConvHead(nn.Module):
    """A classifier ending in a 1x1 conv, global average pooling and flatten (SqueezeNet's)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 10, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x):
        return torch.flatten(self.pool(torch.relu(self.conv(x))), 1)


def test_final_flatten_keeps_pytorchs_output_shape(tmp_path):
    """The flatten needs no hardware, but the output has PyTorch's shape (N, 10), in the
    executor and through the HLS project, and survives an fpga-opt round trip."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf.interp.executor import execute

    net = _ConvHead().eval()
    x = torch.rand(2, 3, 6, 6)
    module = import_model(net, x)
    text = sdf_ir.to_text(module)
    assert "sdf.view = array<i64: 10>" in text
    again = sdf_ir.parse(text)
    y = execute(again, [x.numpy()])[0]
    assert y.shape == (2, 10)
    np.testing.assert_allclose(y, net(x).detach().numpy(), rtol=1e-4, atol=1e-5)


def test_a_view_that_does_not_hold_the_result_is_refused():
    from fpga_sdf import ir as sdf_ir

    with pytest.raises(UserError, match="sdf.view"):
        sdf_ir.parse("""func.func @f(%x: tensor<1x4x1x1xf32>) -> (tensor<1x4x1x1xf32> {sdf.view = array<i64: 5>}) {
  %y = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  return %y : tensor<1x4x1x1xf32>
}""")
