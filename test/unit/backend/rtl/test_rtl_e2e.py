"""fpga-translate --sdf-to-rtl end to end on the trained digits network: the Verilator
simulation of the generated RTL equals the fixed-point reference executor bit for bit, and
its measured cycles agree with the analytical model (per partition and per batch within 5%,
per layer within 3%), at every factor 1 and at a folding with coarse_in, coarse_out and fine > 1; with
one partition per layer, every layer's own interval is measured against the model's; and a
design of two partitions, each reloading the weights of its last layer (2 and 5 runs).

Builds are cached ($FPGA_SDF_RTL_CACHE), so only a changed design is recompiled.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf.api import run_pass
from fpga_sdf.backend.rtl import sim
from fpga_sdf.backend.rtl.emit import emit, write_project
from fpga_sdf.interp.executor import _arg_format, entry_function, execute
from fpga_sdf.interp.fixed import Fixed, quantize

pytestmark = [pytest.mark.rtlsim]

FRAMES = 3
FOLDINGS = {
    "folded": [],  # every factor 1
    "unrolled": [("sdf-fold", "coarse_out=4 fine=3 layers=features.0"),
                 ("sdf-fold", "coarse_in=2 coarse_out=4 fine=3 layers=features.3"),
                 ("sdf-fold", "coarse_in=2 layers=features.2,features.5,features.6"),
                 ("sdf-fold", "coarse_in=2 coarse_out=2 layers=classifier.2")],
    "reload": [("sdf-fold", "coarse_in=2 coarse_out=2 fine=3 layers=features.3"),
               ("sdf-partition", "cuts=features.3"),
               ("sdf-weights-reloading", "factor=2 layers=features.3"),
               ("sdf-weights-reloading", "factor=5 layers=classifier.2")],
    "per_layer": [("sdf-fold", "coarse_in=2 coarse_out=2 fine=9 layers=features.3"),
                  ("sdf-partition", "cuts=features.0,features.2,features.3,features.5,features.6")],
}


# Where the RTL and the model disagree (layer name -> why; see benchmarks/RESULTS.md, "RTL
# simulation"): none at these foldings. The cases that used to disagree are the model's to
# cost and now agree: the stride-2 max pool features.6 (fine 1, 4 cycles per window: its
# window stalls while the pool works, modules.window_cycles: 3456 modelled, 3440 measured
# alone), and the reloading design's first partition (features.3 waits at every frame
# boundary for the first rows of its window from features.0, performance._coupled_intervals).
# A layer listed here must still disagree by more than 3%, or the test fails.
KNOWN_DISAGREEMENTS: dict[str, str] = {}


# Per folding, partitions ("p<i>", "p<i> batch") and layers whose measured cycles may miss
# the model (5% / 3%); reported as expected failures, anything else fails.
KNOWN_PIPELINE_DISAGREEMENTS: dict[str, dict[str, str]] = {}




@lru_cache(maxsize=None)
def _inputs() -> np.ndarray:
    from fpga_sdf.frontend import digits

    x, _ = digits.load_test_set()
    return x.numpy()[:FRAMES]


@lru_cache(maxsize=None)
def _design(folding: str, tmp_root: str):
    """Quantized (calibrated on held-out digits), folded layer-level IR as text."""
    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model

    model, x = digits.build()
    module = import_model(model, x)
    calib = Path(tmp_root) / "calib.npy"
    np.save(calib, _inputs())
    run_pass(module, "sdf-quantize", f"calibration={calib}")
    run_pass(module, "sdf-target", "platform=zc706")
    for flag, options in FOLDINGS[folding]:
        run_pass(module, flag, options)
    return sdf_ir.to_text(module)


@lru_cache(maxsize=None)
def _simulated(folding: str, tmp_root: str):
    text = _design(folding, tmp_root)
    out = Path(tmp_root) / f"digits_{folding}.rtl"
    write_project(emit(sdf_ir.parse(text, f"{folding}.mlir"), source=f"{folding}.mlir"), str(out))
    x = _inputs()
    module = sdf_ir.parse(text, f"{folding}.mlir")
    x_int = quantize(x, _arg_format(entry_function(module), 0))
    y_int, stats = sim.run_integers(str(out), x_int)
    return module, out, y_int, stats


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("rtl_projects"))


@pytest.mark.parametrize("folding", list(FOLDINGS))
def test_rtl_equals_fixed_executor_bit_for_bit(folding, tmp_root):
    module, out, y_int, _ = _simulated(folding, tmp_root)
    fmt = sim.load_manifest(str(out))["partitions"][-1]["output"]["format"]
    ref_int = quantize(execute(module, [_inputs()], "fixed")[0], Fixed(*fmt))  # exact
    assert y_int.shape == ref_int.shape
    bad = np.flatnonzero(y_int.ravel() != ref_int.ravel())
    assert bad.size == 0, f"{bad.size} of {y_int.size} outputs differ; first: {y_int.ravel()[bad[0]]} vs {ref_int.ravel()[bad[0]]}"


@pytest.mark.parametrize("folding", list(FOLDINGS))
def test_measured_cycles_agree_with_model(folding, tmp_root):
    _, _, _, stats = _simulated(folding, tmp_root)
    off = []
    for part in stats["partitions"]:
        model = part["model_cycles_per_frame"]
        if abs(part["cycles_per_frame"] - model) > 0.05 * model:
            off.append((f"p{part['index']}", part["cycles_per_frame"], model))
        # the whole batch: the model's depth (first input to first output) + frames x interval
        model = part["model_batch_cycles"]
        if abs(part["batch_cycles"] - model) > 0.05 * model:
            off.append((f"p{part['index']} batch", part["batch_cycles"], model))
    for layer in stats["layers"]:
        model = layer["model_cycles_per_frame"]
        if abs(layer["cycles_per_frame"] - model) > 0.03 * model:
            off.append((layer["name"], layer["cycles_per_frame"], model))
    known = KNOWN_PIPELINE_DISAGREEMENTS.get(folding, {})
    unexpected = [o for o in off if o[0] not in known]
    assert not unexpected, unexpected
    if off:
        pytest.xfail("; ".join(f"{n}: {m:.0f} measured vs {e} modelled ({known[n]})" for n, m, e in off))


def test_one_partition_per_layer_measures_each_layer_interval(tmp_root):
    """Alone in its partition (DMA at full speed on both sides) a layer runs at its own
    interval: the model's per-layer figure, not only the bottleneck's."""
    _, _, _, stats = _simulated("per_layer", tmp_root)
    assert len(stats["partitions"]) == 6
    known = []
    for layer in stats["layers"]:
        assert layer["model_cycles_per_frame"] == layer["model_layer_interval"]
        model = layer["model_layer_interval"]
        if layer["name"] in KNOWN_DISAGREEMENTS:
            assert layer["cycles_per_frame"] > 1.03 * model, f"{layer['name']} now agrees: drop it from KNOWN_DISAGREEMENTS"
            known.append(f"{layer['name']}: {layer['cycles_per_frame']:.0f} measured vs {model} modelled")
            continue
        assert abs(layer["cycles_per_frame"] - model) <= 0.03 * model, layer
    if known:
        pytest.xfail("; ".join(known) + ": " + "; ".join(KNOWN_DISAGREEMENTS.values()))


def test_cli_translate_and_run_with_stats(tmp_root, tmp_path):
    src = tmp_path / "design.mlir"
    src.write_text(_design("unrolled", tmp_root))
    x = tmp_path / "x.npy"
    np.save(x, _inputs())
    bin_dir = Path(sys.executable).parent
    rtl = tmp_path / "rtl"
    subprocess.run([str(bin_dir / "fpga-translate"), "--sdf-to-rtl", str(src), "-o", str(rtl)], check=True)
    for name in ("rtl.json", "filelist.f", "vivado.tcl", "p0/p0_top.sv"):
        assert (rtl / name).is_file(), name
    files = (rtl / "filelist.f").read_text().split()
    assert all((rtl / f).is_file() for f in files)
    assert not any("loc(" in (rtl / f).read_text() for f in files)  # no PyCDE location noise
    subprocess.run([str(bin_dir / "fpga-run"), str(rtl), "--backend", "rtl", "--input", str(x), "-o",
                    str(tmp_path / "y.npy"), "--stats", str(tmp_path / "stats.json")], check=True)
    subprocess.run([str(bin_dir / "fpga-run"), str(src), "--mode", "fixed", "--input", str(x), "-o",
                    str(tmp_path / "ref.npy")], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), np.load(tmp_path / "ref.npy"))
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert {"index", "cycles_per_frame", "batch_cycles", "model_cycles_per_frame"} <= set(stats["partitions"][0])
    assert {"name", "cycles_per_frame", "model_cycles_per_frame"} <= set(stats["layers"][0])


def test_stall_names_the_blocked_streams(tmp_root):
    """An output that is never taken stops the simulation after the stall bound with an error
    naming the stream that holds a word (the AXI output) and the ones waiting for one."""
    from fpga_sdf.diagnostics import UserError

    _, out, _, _ = _simulated("unrolled", tmp_root)
    x_int = np.zeros((1, 1, 8, 8), dtype=np.int64)
    with pytest.raises(UserError, match=r"no stream moved for 500 cycles.*valid, not ready\): .*-> p0_dma_out\.in0"):
        sim.run_integers(str(out), x_int, stall_cycles=500, backpressure=100)


def test_random_backpressure_keeps_the_result(tmp_root):
    """Back-pressure on the AXI output changes the timing only, never the numbers."""
    module, out, y_int, _ = _simulated("unrolled", tmp_root)
    x_int = quantize(_inputs(), _arg_format(entry_function(module), 0))
    y_bp, stats = sim.run_integers(str(out), x_int, backpressure=60)
    np.testing.assert_array_equal(y_bp, y_int)
