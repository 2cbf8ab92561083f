"""Multi-pixel layers (pixels = (p, 1), issue 14) in the HLS backend: networks with their
first layers at p = 2 and 4, C-simulated with g++ (threaded, bounded streams), bit-exact
against the fixed-point executor; the loop iterations the C-simulation counts equal the trip
counts the emitter states (process.Timing, what cycles.py adds up); and the layers' formulas
against the model's intervals (docs/notes/rtl-backend.md "Multi-pixel layers").

The designs are the RTL tests' (test/unit/backend/rtl/test_rtl_multipixel.py), built here
the same way: `pixels` set in the IR after quantization and folding.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf.api import run_pass
from fpga_sdf.backend.hls import cycles, project
from fpga_sdf.backend.hls.emit import emit
from fpga_sdf.diagnostics import UserError
from fpga_sdf.dialects.sdf_attrs import set_ints

from hls_tb import run_project

pytestmark = [pytest.mark.csim]


@lru_cache(maxsize=None)
def _digits_inputs() -> np.ndarray:
    from fpga_sdf.frontend import digits

    x, _ = digits.load_test_set()
    return x.numpy()[:3]


def _with_pixels(module, p: int, layers) -> str:
    with module.context:
        for name, op in network.named_layers(module):
            if name in layers:
                set_ints(op, "pixels", (p, 1))
    return sdf_ir.to_text(module)


def _digits(p: int, layers, folds=(), cuts: str = "", tmp: str = "") -> str:
    """The trained digits network quantized on held-out digits, on the ZC706, with `folds`
    (sdf-fold options), partitioned at `cuts`, `layers` at p pixels a word."""
    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model

    model, x = digits.build()
    module = import_model(model, x)
    calib = Path(tmp) / "digits_calib.npy"
    np.save(calib, _digits_inputs())
    run_pass(module, "sdf-quantize", f"calibration={calib}")
    run_pass(module, "sdf-target", "platform=zc706")
    for fold in folds:
        run_pass(module, "sdf-fold", fold)
    if cuts:
        run_pass(module, "sdf-partition", f"cuts={cuts}")
    return _with_pixels(module, p, layers)


def _lenet(p: int, tmp: str, layers=("0", "1", "2")) -> tuple[str, np.ndarray]:
    """The zoo's LeNet-5 (32x32), quantized on its example input and seeded noise: conv 0 (a
    5x5 window a cycle: all 6 filters, fine 25), its ReLU and the 2x2 / 2 max pool (p / 2
    windows a word) at p pixels a word, in one partition with the rest (a squeeze re-packs
    the pool's words for conv 3)."""
    from multipixel_nets import zoo_quantized

    module, frames = zoo_quantized("lenet", tmp)
    run_pass(module, "sdf-fold", "coarse_out=6 fine=25 layers=0")
    run_pass(module, "sdf-fold", "coarse_out=4 fine=25 layers=3")
    run_pass(module, "sdf-fold", "fine=4 layers=2")
    return _with_pixels(module, p, layers), frames


def _run(text: str, x: np.ndarray, out: Path):
    """Emit, build and C-simulate `text` on x: (project, integer output, reference, stdout)."""
    return run_project(sdf_ir.parse(text, "net.mlir"), x, out, reference=sdf_ir.parse(text, "net.mlir"))


COUNT = re.compile(r"csim: loop (\w+)/(\w+) iterations (\d+)")


def _stated(proj, frames: int) -> dict:
    """Iterations of every loop the emitter states: frames x trip, a once-per-run loop once."""
    return {(proc.name, t.label): t.trip * (1 if t.scope == "once" else frames)
            for part in proj.partitions for proc in part.order for t in proc.timing}


def _counted(stdout: str) -> dict:
    return {(proc, label): int(n) for proc, label, n in COUNT.findall(stdout)}


def _check(proj, y, ref, stdout, frames: int) -> None:
    """Bit-exact, and every loop's counted iterations the stated ones (the units of a resize,
    counted as `<process>.<unit>`, each as its unit 0)."""
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    stated, counted = _stated(proj, frames), _counted(stdout)
    units = {k: n for k, n in counted.items() if "." in k[0]}
    assert all(n == counted.get((proc.split(".")[0], label)) for (proc, label), n in units.items()), units
    counted = {k: n for k, n in counted.items() if k not in units}
    assert counted == stated, {k: (counted.get(k), stated.get(k)) for k in set(stated) | set(counted)
                               if counted.get(k) != stated.get(k)}


def _figures(proj) -> list[tuple[str, int, int]]:
    """(layer, HLS formula, model interval) per layer."""
    return [(layer.name, cycles.layer_interval(layer), layer.model_interval)
            for part in proj.partitions for layer in part.layers]


# ------------------------------------------------------------------------------- digits


@pytest.mark.parametrize("p", [2, 4])
def test_digits_first_layers_at_p_pixels(p, tmp_path):
    """features.0 (a window a cycle: 16 output streams, fine 9) and its ReLU at p pixels, each
    in a partition of its own (p-pixel words cross the DMA between them): the window walks
    10 rows x (8 / p + 2) words (p = 2: 60 cycles, p = 4: 40, for 100 at one pixel), the ReLU
    16 x 64 / p words; bit-exact, every loop's counted iterations the stated ones, and every
    layer's formula the model's interval."""
    text = _digits(p, ("features.0", "features.2"), ("coarse_out=16 fine=9 layers=features.0",),
                   "features.0,features.2", str(tmp_path))
    proj, y, ref, stdout = _run(text, _digits_inputs(), tmp_path / "hls")
    _check(proj, y, ref, stdout, 3)
    figures = _figures(proj)
    print(f"digits p={p}: HLS formula, model cycles per frame: {figures}")
    assert dict((n, h) for n, h, _ in figures)["features.0"] == 10 * (8 // p + 2)
    assert dict((n, h) for n, h, _ in figures)["features.2"] == 16 * 64 // p
    assert all(h == m for _, h, m in figures), figures
    sched = project.load_schedule(str(tmp_path / "hls"))["partitions"]
    assert [(s["input"]["pixels"], s["output"]["pixels"]) for s in sched] == [(p, p), (p, p), (1, 1)]


def test_digits_restream_and_repack_in_one_partition(tmp_path):
    """One partition: features.0 (16 streams of 4 pixels) -> its ReLU (1 stream of 4 pixels:
    one squeeze re-streams and re-packs, min(64, 4) features a cycle, the model's edge
    converter) -> features.3 at one pixel (a narrowing re-pack); bit-exact and counted."""
    text = _digits(4, ("features.0", "features.2"), ("coarse_out=16 fine=9 layers=features.0",), "",
                   str(tmp_path))
    proj, y, ref, stdout = _run(text, _digits_inputs(), tmp_path / "hls")
    _check(proj, y, ref, stdout, 3)
    squeezes = [p for p in proj.partitions[0].top_processes if p.kind == "squeeze"]
    assert [p.interval() for p in squeezes] == [16 * 64 // 4, 16 * 64 // 1]
    assert all(h == m for _, h, m in _figures(proj)), _figures(proj)


def test_digits_conv_slower_than_its_window(tmp_path):
    """features.0 at p = 2 on 4 output streams takes 4 cycles a window (32 words x 4 = 128
    cycles), the window coupled to it: the 14-word run across the frame border is covered by
    the 5 windows buffered before the MAC units (the window stream's 2, the fork's 2 and the
    one a MAC holds), so the layer is the conv's 128 cycles, the model's (window_slack) and
    the RTL's measured figure."""
    text = _digits(2, ("features.0",), ("coarse_out=4 fine=9 layers=features.0",), "features.0",
                   str(tmp_path))
    proj, y, ref, stdout = _run(text, _digits_inputs(), tmp_path / "hls")
    _check(proj, y, ref, stdout, 3)
    layer = proj.partitions[0].layers[0]
    conv = next(p for p in layer.processes if p.kind == "conv")
    assert conv.interval() == 32 * 4
    assert cycles.layer_interval(layer) == layer.model_interval == 128


def test_digits_pool_at_two_pixels_behind_a_widening_squeeze(tmp_path):
    """features.6 (2x2 / 2 max pool, fine 1) at p = 2 behind the one-pixel ReLU: a squeeze
    widens 1-pixel words into 2-pixel ones, the window makes one window a word (q = 1),
    4 cycles a window; bit-exact, counted, the layer at the model's interval."""
    text = _digits(2, ("features.6",), (), "", str(tmp_path))
    proj, y, ref, stdout = _run(text, _digits_inputs(), tmp_path / "hls")
    _check(proj, y, ref, stdout, 3)
    figures = dict((n, (h, m)) for n, h, m in _figures(proj))
    print(f"digits pool p=2: {figures}")
    assert figures["features.6"][0] == figures["features.6"][1]


# -------------------------------------------------------------------------------- LeNet


@pytest.mark.parametrize("p", [2, 4])
def test_lenet_first_layers_at_p_pixels(p, tmp_path):
    """LeNet's conv 0 walks 32 rows x 32 / p words (valid 5x5: 4 windows a word at p = 4
    reaching 2 words back), the ReLU 6 x 28 x 28 / p words, the 2x2 / 2 pool 28 x 28 / p x 6
    (p / 2 windows a word); bit-exact, counted, each layer at the model's interval."""
    text, x = _lenet(p, str(tmp_path))
    proj, y, ref, stdout = _run(text, x, tmp_path / "hls")
    _check(proj, y, ref, stdout, x.shape[0])
    figures = dict((n, (h, m)) for n, h, m in _figures(proj))
    print(f"lenet p={p}: HLS formula, model cycles per frame: {figures}")
    assert figures["0"][0] == 32 * 32 // p
    assert figures["1"][0] == 6 * 28 * 28 // p
    assert figures["2"][0] == 28 * 28 // p * 6
    assert all(h == m for h, m in figures.values()), figures


# ----------------------------------------------------------------- every other kind


TINY = {
    # the stride-2 conv at 4 pixels: 2 windows a word; the rest at 2 (the pool's q = 1, a
    # widening re-pack before the global pool)
    "c1_p4_rest_p2": ({"c1": 4}, 2, ()),
    # 2 pixels and coarse 2 on the convs; the average pool at 4 pixels, 2 windows a word
    # reducing 2 taps a cycle (fine 2 < K); the global pool at 2
    "coarse2_pool_p4": ({"c1": 2, "pool": 4, "global_pool11": 2}, 2,
                        ("coarse_in=2 coarse_out=2 layers=c2,c3", "fine=2 layers=pool",
                         "coarse_in=2 layers=bn,bn_1,activation1,activation5,activation7,eltwise8,concat9")),
}


@pytest.mark.parametrize("case", sorted(TINY))
def test_every_kind_at_p_pixels_on_a_tiny_network(case, tmp_path):
    """Every kind but the inner product at p > 1 in one partition (squeezes re-pack where
    the pixels per word change): bit-exact, counted, each layer at the model's interval."""
    from fpga_sdf.frontend.importer import import_model

    from multipixel_nets import every_kind_net

    pixels, rest, folds = TINY[case]
    net, x = every_kind_net()
    module = import_model(net, x[:1])
    np.save(tmp_path / "calib.npy", x.numpy())
    run_pass(module, "sdf-quantize", f"calibration={tmp_path / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zc706")
    for fold in folds:
        run_pass(module, "sdf-fold", fold)
    with module.context:
        for name, op in network.named_layers(module):
            p = pixels.get(name, 1 if name == "fc" else rest)
            if p > 1:
                set_ints(op, "pixels", (p, 1))
    proj, y, ref, stdout = _run(sdf_ir.to_text(module), x.numpy(), tmp_path / "hls")
    _check(proj, y, ref, stdout, x.shape[0])
    figures = _figures(proj)
    print(f"tiny {case}: HLS formula, model cycles per frame: {figures}")
    assert all(h == m for _, h, m in figures), figures


@pytest.mark.parametrize("p", [2, 4])
def test_upsampling_at_p_pixels(p, tmp_path):
    """conv -> nearest x2 upsampling -> conv, every layer at p pixels a word (8 -> 16 wide): an
    input word of p pixels becomes 2 output words of its own pixels, on 2 streams; bit-exact,
    counted (both resize units), each layer at the model's interval (the resize: plus the
    pipeline depth its per-frame loop pays, as at one pixel)."""
    import torch
    import torch.nn as nn

    from fpga_sdf.frontend.importer import import_model

    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.Upsample(scale_factor=2, mode="nearest"),
                        nn.Conv2d(4, 2, 3, padding=1)).eval()
    x = torch.randn(2, 2, 8, 8)
    module = import_model(net, x[:1])
    np.save(tmp_path / "calib.npy", x.numpy())
    run_pass(module, "sdf-quantize", f"calibration={tmp_path / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zc706")
    names = [name for name, _ in network.named_layers(module)]
    resize = next(n for n, op in network.named_layers(module) if network.layer_spec(n, op).kind == "resize")
    run_pass(module, "sdf-fold", f"coarse_in=2 layers={resize}")
    proj, y, ref, stdout = _run(_with_pixels(module, p, names), x.numpy(), tmp_path / "hls")
    _check(proj, y, ref, stdout, x.shape[0])
    figures = dict((n, (h, m)) for n, h, m in _figures(proj))
    print(f"upsampling p={p}: {figures}")
    # the model: a word a cycle; the HLS unit restarts its pipelined loop every frame (as at
    # one pixel), paying its pipeline depth once a frame
    words = 4 * 16 * 16 // (2 * p)
    depth = next(t.depth for part in proj.partitions for layer in part.layers for q in layer.processes
                 for t in q.timing if q.kind == "resize")
    assert figures[resize] == (words + depth, words)
    assert all(h == m for n, (h, m) in figures.items() if n != resize), figures


# ------------------------------------------------------------------- a residual block


@pytest.mark.parametrize("folds", [
    # block.conv1 (stride 2) at 4 pixels a word, coarse 2: 2 streams of 2-pixel words out,
    # re-packed into the ReLU's one stream of one pixel (benchmarks/RESULTS.md: this deadlocked)
    ("coarse_in=2 coarse_out=2 layers=block.conv1",),
    ("coarse_out=2 layers=block.conv1",),
    # one stream of 2-pixel words into the ReLU's 2 streams of one pixel: a re-pack whose
    # block would wait for the next one (squeeze.fits), built as a re-stream and a re-pack
    ("coarse_in=2 layers=block.relu",),
])
def test_residual_block_at_four_pixels_coarse_two(folds, tmp_path):
    """The tiny ResNet with block.conv1 at 4 pixels a word: the skip FIFO (block.downsample.0
    -> block) holds what the model's need functions say, 258 words, so every re-pack on the
    conv branch must write a block out without waiting for the next one (whose words, at a
    row's end, conv1 makes only after two more input rows; the re-pack written a block
    behind filled the skip FIFO and deadlocked the C-simulation). Bit-exact over two frames,
    every loop's counted iterations the stated ones, each layer and the partition at the
    model's interval, and the skip FIFO at the model's depth."""
    from multipixel_nets import zoo_quantized

    module, frames = zoo_quantized("tiny_resnet", str(tmp_path))
    for fold in folds:
        run_pass(module, "sdf-fold", fold)
    proj, y, ref, stdout = _run(_with_pixels(module, 4, ("block.conv1",)), frames, tmp_path / "hls")
    _check(proj, y, ref, stdout, frames.shape[0])
    figures = _figures(proj)
    print(f"tiny_resnet {folds}: HLS formula, model cycles per frame: {figures}")
    assert all(h == m for _, h, m in figures), figures
    cyc = project.load_schedule(str(tmp_path / "hls"))["partitions"][0]["cycles"]
    assert cyc["cycles_per_frame"] == cyc["model_cycles_per_frame"], cyc
    (part,) = proj.partitions
    skip = [s for s in part.streams if s.why.startswith("join block.downsample.0 -> block")]
    assert [s.depth for s in skip] == [258], [(s.name, s.depth, s.why) for s in part.streams]
    squeezes = [p.name for p in part.top_processes if p.kind == "squeeze"]
    assert ("p0_squeeze1_restream" in squeezes) == ("block.relu" in folds[0]), squeezes


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("p, folds", [(2, ()), (4, ("coarse_in=2 coarse_out=2 layers=classifier.2",))])
def test_digits_classifier_fcus_at_p_pixels(p, folds, tmp_path):
    """classifier.2 (32 x 4 x 4 -> 10) at p pixels a word behind a widening re-pack: p FCUs a
    unit with their own weights (a bank word of p, 1/p as deep), a tree summing their
    products: 512 / p words x 10 filters (p = 2: 2,560 cycles; p = 4 on 2 x 2 units: 320);
    bit-exact, counted, at the model's interval."""
    text = _digits(p, ("classifier.2",), folds, "", str(tmp_path))
    proj, y, ref, stdout = _run(text, _digits_inputs(), tmp_path / "hls")
    _check(proj, y, ref, stdout, 3)
    figures = dict((n, (h, m)) for n, h, m in _figures(proj))
    print(f"digits classifier p={p}: {figures}")
    ci, co = (2, 2) if folds else (1, 1)
    assert figures["classifier.2"] == (512 // (p * ci) * 10 // co,) * 2


def test_kinds_not_built_at_p_pixels_are_refused_at_the_layer(tmp_path):
    """A multi-pixel conv on PASS's sparse engine (sparsity annotated, fine 3 < K) is a
    diagnostic at its layer, not wrong C++; the multi-pixel ReLU before it is built."""
    from torch_mlir import ir

    text = _digits(2, ("features.2", "features.3"), ("fine=3 layers=features.3",), "", str(tmp_path))
    module = sdf_ir.parse(text, "digits.mlir")
    with module.context:
        for name, op in network.named_layers(module):
            if name == "features.3":  # 16 input channels, 4 of 9 taps non-zero in every window
                hist = ", ".join(["0.0"] * 4 + ["1.0"] + ["0.0"] * 5)
                op.operation.attributes["sparsity"] = ir.Attribute.parse(f"array<f64: {', '.join(['0.5'] * 16)}>")
                op.operation.attributes["sparsity_hist"] = ir.Attribute.parse(f"array<f64: {', '.join([hist] * 16)}>")
    with pytest.raises(UserError) as err:
        emit(module, source="digits.mlir")
    message = str(err.value)
    assert "error: a multi-pixel layer on PASS's sparse engine (pixels) is modelled and explored, but the HLS " \
        "backend does not emit it yet" in message
    assert message.count("error:") == 1, message
