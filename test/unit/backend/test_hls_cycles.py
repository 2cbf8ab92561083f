"""The HLS templates' own cycle formulas (each generator states its loops as emitted: trip
count, II, depth) against the model, per layer, on the trained digits network at every
factor 1 and at a folding with coarse_in, coarse_out and fine > 1 (the RTL tests' foldings);
against hand-computed loop counts; and (rtlsim) against the cycles the RTL backend's
Verilator simulation measures for the same designs with one partition per layer, so that
every layer runs at its own interval. No C++ is compiled for the formulas: they come from
emission.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf.api import run_pass
from fpga_sdf.backend.hls import cycles
from fpga_sdf.backend.hls.emit import emit, write_project

FOLDINGS = {
    "folded": [],  # every factor 1
    "unrolled": [("sdf-fold", "coarse_out=4 fine=3 layers=features.0"),
                 ("sdf-fold", "coarse_in=2 coarse_out=4 fine=3 layers=features.3"),
                 ("sdf-fold", "coarse_in=2 layers=features.2,features.5,features.6"),
                 ("sdf-fold", "coarse_in=2 coarse_out=2 layers=classifier.2")],
}
PER_LAYER = ("sdf-partition", "cuts=features.0,features.2,features.3,features.5,features.6")
FOLDINGS["folded_per_layer"] = [PER_LAYER]
FOLDINGS["unrolled_per_layer"] = FOLDINGS["unrolled"] + [PER_LAYER]



FRAMES = 3


@lru_cache(maxsize=None)
def _test_digits() -> np.ndarray:
    from fpga_sdf.frontend import digits

    xs, _ = digits.load_test_set()
    return xs.numpy()[:FRAMES]


@lru_cache(maxsize=None)
def _design(folding: str) -> str:
    """The digits design (quantized on held-out digits, zc706, folded) as IR text, built as
    the RTL tests build theirs (test/unit/backend/rtl/test_rtl_e2e.py::_design)."""
    import tempfile

    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model

    model, x = digits.build()
    module = import_model(model, x)
    calib = Path(tempfile.mkdtemp(prefix="hls_cycles_calib_")) / "calib.npy"
    np.save(calib, _test_digits())
    run_pass(module, "sdf-quantize", f"calibration={calib}")
    run_pass(module, "sdf-target", "platform=zc706")
    for flag, options in FOLDINGS[folding]:
        run_pass(module, flag, options)
    return sdf_ir.to_text(module)


@lru_cache(maxsize=None)
def _project(folding: str):
    return emit(sdf_ir.parse(_design(folding), f"digits_{folding}.mlir"), source=f"digits_{folding}.mlir")


def _layers(folding: str) -> dict:
    return {entry["name"]: entry for part in _project(folding).schedule["partitions"]
            for entry in part["cycles"]["layers"]}


@pytest.mark.parametrize("folding", ["folded", "unrolled"])
def test_every_layer_formula_within_3_percent_of_model(folding):
    layers = _layers(folding)
    assert set(layers) == {"features.0", "features.2", "features.3", "features.5", "features.6", "classifier.2"}
    off = [(name, e["cycles_per_frame"], e["model_interval"]) for name, e in layers.items()
           if abs(e["cycles_per_frame"] - e["model_interval"]) > 0.03 * e["model_interval"]]
    assert not off, off
    (part,) = _project(folding).schedule["partitions"]
    c = part["cycles"]
    assert abs(c["cycles_per_frame"] - c["model_cycles_per_frame"]) <= 0.03 * c["model_cycles_per_frame"]


def test_formulas_are_the_emitted_loop_counts():
    """Hand-computed from the digits geometry (8x8 input, 3x3 convs with pad 1, 2x2 pool)."""
    folded, unrolled = _layers("folded"), _layers("unrolled")
    loops = {p["kind"]: p for p in folded["features.3"]["processes"]}
    # conv 16 -> 32: 64 positions x 16 channels windows, 32 filters, 9 taps one per cycle
    assert loops["conv"]["cycles_per_frame"] == 64 * 16 * 32 * 9
    assert loops["sliding_window"]["cycles_per_frame"] == 10 * 10 * 16  # padded map, one word a cycle
    # behind the window: the MAC takes 2304 cycles a window, so the words that make no window
    # (2 padding rows and 2 words of every row, 352 before the first window) pass while the
    # stream's 2 windows drain: the window costs nothing on top of the MACs
    assert folded["features.3"]["cycles_per_frame"] == 64 * 16 * 32 * 9
    # unrolled: coarse_in 2 (8 channels a stream), coarse_out 4 (8 filters a lane), fine 3
    loops = {p["kind"]: p for p in unrolled["features.3"]["processes"]}
    assert loops["conv"]["cycles_per_frame"] == 64 * 8 * 8 * 3
    # the glue adds the 2 units' dot products as they come (64 x 8 channels x 8 filters),
    # the accumulator behind it sums the 8 channels of a stream
    assert loops["glue"]["cycles_per_frame"] == 64 * 8 * 8
    assert loops["accum"]["cycles_per_frame"] == 64 * 8 * 8
    # 24 cycles a window drain the stream in 48: the 2 top padding rows and the first 2
    # words of the first row (10 x 8 x 2 + 16 = 176 words, across the frame boundary) idle
    # the MAC for 176 - 48 cycles
    assert unrolled["features.3"]["cycles_per_frame"] == 64 * 8 * 8 * 3 + (176 - 48)
    # the stride-2 pool at fine 1 (4 cycles a window, 32 channels): each of the 4 rows with
    # windows pays the row above (256 words) and its first position (32) less the drain of 2
    # windows (8), its 4 x 32 windows x 4 cycles, and 3 gaps of 32 words less 8
    assert folded["features.6"]["cycles_per_frame"] == 4 * ((256 + 32 - 8) + 4 * 32 * 4 + 3 * (32 - 8))
    pool = {p["kind"]: p for p in folded["features.6"]["processes"]}["pool"]
    assert pool["cycles_per_frame"] == 16 * 32 * 4
    assert folded["classifier.2"]["cycles_per_frame"] == 512 * 10  # one MAC a cycle


def test_project_reports_cycles_per_layer(tmp_path):
    """schedule.json and cycles.txt carry the formulas (what a user reads next to the model)."""
    project = _project("unrolled")
    out = tmp_path / "digits.hls"
    write_project(project, str(out))
    schedule = json.loads((out / "schedule.json").read_text())
    entry = schedule["partitions"][0]["cycles"]
    assert {"cycles_per_frame", "model_cycles_per_frame", "batch_cycles", "layers", "edges"} <= set(entry)
    text = (out / "cycles.txt").read_text()
    for name in ("features.0", "features.3", "classifier.2", "p0_squeeze0"):
        assert name in text
    squeeze = next(e for e in entry["edges"] if e["kind"] == "squeeze")
    assert squeeze["loops"] and squeeze["cycles_per_frame"] > 0
    # the squeeze from 4 to 2 streams of features.0's 1024 words: 2 words a cycle
    assert next(e for e in entry["edges"] if e["name"] == "p0_squeeze0")["cycles_per_frame"] == 1024 // 2


@lru_cache(maxsize=None)
def _rtl_layers(folding: str) -> dict:
    """Per layer, the cycles per frame the RTL simulation of the same design measures."""
    import tempfile

    from fpga_sdf.backend.rtl import sim
    from fpga_sdf.backend.rtl.emit import emit as emit_rtl, write_project as write_rtl
    from fpga_sdf.interp.executor import _arg_format, entry_function
    from fpga_sdf.interp.fixed import quantize

    text = _design(folding)
    out = Path(tempfile.mkdtemp(prefix="hls_cycles_rtl_")) / f"digits_{folding}.rtl"
    write_rtl(emit_rtl(sdf_ir.parse(text, f"{folding}.mlir"), source=f"{folding}.mlir"), str(out))
    module = sdf_ir.parse(text, f"{folding}.mlir")
    _, stats = sim.run_integers(str(out), quantize(_test_digits(), _arg_format(entry_function(module), 0)))
    return {layer["name"]: layer for layer in stats["layers"]}


@pytest.mark.rtlsim
@pytest.mark.parametrize("folding", ["folded_per_layer", "unrolled_per_layer"])
def test_formula_agrees_with_rtl_per_layer(folding):
    """One partition per layer: the HLS formula of each layer against the RTL's measured
    cycles per frame for that layer alone (and the model's interval, which the RTL tests check)."""
    hls, rtl = _layers(folding), _rtl_layers(folding)
    assert set(hls) == set(rtl)
    rows = [(name, hls[name]["cycles_per_frame"], rtl[name]["cycles_per_frame"], hls[name]["model_interval"])
            for name in hls]
    print(f"\n{folding}: | layer | HLS formula | RTL measured | model |",
          *(f"| {n} | {h:,} | {r:,.0f} | {m:,} |" for n, h, r, m in rows), sep="\n")
    off = [r for r in rows if abs(r[1] - r[2]) > 0.03 * r[2]]
    assert not off, off


@pytest.mark.rtlsim
def test_stride1_border_runs_on_a_small_map():
    """A 3x3 pad-1 conv on a 7x7 map at 8 cycles a window (16 -> 16, coarse_out 2, fine 9):
    the window's border runs (the top padding row and the first row, 2 words of every row)
    outlast the stream's 2 windows of slack, so the layer is slower than its MACs. The
    formula charges them (6,672, the MACs alone 6,272); the RTL, which has the same 2-deep
    stream, measures 6,550."""
    import tempfile

    import torch

    from fpga_sdf.backend.rtl import sim
    from fpga_sdf.backend.rtl.emit import emit as emit_rtl, write_project as write_rtl
    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.interp.executor import _arg_format, entry_function
    from fpga_sdf.interp.fixed import quantize

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.ReLU()).eval()
    module = import_model(net, torch.randn(1, 16, 7, 7))
    root = Path(tempfile.mkdtemp(prefix="hls_cycles_small_"))
    xs = np.random.default_rng(0).standard_normal((FRAMES, 16, 7, 7)).astype(np.float32)
    np.save(root / "calib.npy", xs)
    run_pass(module, "sdf-quantize", f"calibration={root / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zc706")
    run_pass(module, "sdf-fold", "coarse_out=2 fine=9 layers=0")
    run_pass(module, "sdf-partition", "cuts=0")
    text = sdf_ir.to_text(module)
    hls = {e["name"]: e for p in emit(sdf_ir.parse(text, "small.mlir")).schedule["partitions"]
           for e in p["cycles"]["layers"]}
    assert hls["0"]["cycles_per_frame"] == 6272 + (2 * 9 * 16 + 2 * 16 - 16) + 6 * (2 * 16 - 16)
    write_rtl(emit_rtl(sdf_ir.parse(text, "small.mlir"), source="small.mlir"), str(root / "rtl"))
    _, stats = sim.run_integers(str(root / "rtl"), quantize(xs, _arg_format(entry_function(module), 0)))
    rtl = {layer["name"]: layer["cycles_per_frame"] for layer in stats["layers"]}
    print(f"\n7x7 conv: HLS formula {hls['0']['cycles_per_frame']}, RTL {rtl['0']:.0f}, "
          f"model {hls['0']['model_interval']}")
    for name in ("0", "1"):
        assert abs(hls[name]["cycles_per_frame"] - rtl[name]) <= 0.03 * rtl[name]


def test_timing_of_a_loop():
    from fpga_sdf.backend.hls.process import Process, Timing

    p = Process("p", "k", "l", [], [], "", timing=[Timing("a", 100, 5), Timing("b", 10, 3, scope="frame"),
                                                   Timing("load", 1000, 66, scope="once")])
    assert p.interval() == 100 + 10 + 3
    assert p.batch(4) == (4 * 100 + 5) + 4 * (10 + 3) + (1000 + 66)
    assert cycles.overhead([p], 4) == 5 + 1066
