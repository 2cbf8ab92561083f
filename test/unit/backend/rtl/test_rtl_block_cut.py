"""Partitions cut inside a residual block in RTL (issue 12): a partition top with one AXI-Stream
port per tensor it reads or writes, the simulator chaining partitions by tensor (the skip
tensor read back one or two partitions after the one that wrote it), bit-exact against the
fixed-point executor, each partition's measured cycles per frame within 3% of the model's
interval (partition_performance, in rtl.json); and weights reloading in a partition that writes
two tensors (the reloaded layer's output a share of its filters a run, the skip tensor whole
every run). docs/notes/rtl-backend.md "Partition tops", "Weights reloading"."""

from __future__ import annotations

import json
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

from test_rtl_networks import FOLDINGS

pytestmark = [pytest.mark.rtlsim]

FRAMES = 3
LIT = Path(__file__).parents[3] / "Target" / "RTL" / "block-cut.mlir"


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return tmp_path_factory.mktemp("rtl_block_cut")


def _lit_design() -> tuple[str, np.ndarray]:
    """The lit test's residual block (split -> conv1 -> relu -> conv2 -> add -> relu), cut after
    conv1: p0 writes the skip tensor and conv1's output, p1 reads both."""
    module = sdf_ir.parse(LIT.read_text(), "block-cut.mlir")
    x = np.random.default_rng(3).uniform(-1, 1, (FRAMES, 4, 8, 8)).astype(np.float32)
    return _quantize_and_cut(module, x, "conv1")


def _resnet_design(cuts: str, folding: str = "folded") -> tuple[str, np.ndarray]:
    """The zoo's tiny_resnet (stem, a BasicBlock downsampling 8 -> 16 channels with a strided
    1x1 conv on the shortcut, pool, fc), folded as test_rtl_networks folds it, cut inside the
    block."""
    from fpga_sdf.frontend import zoo
    from fpga_sdf.frontend.importer import import_model

    model, x0 = zoo.build("tiny_resnet")
    module = import_model(model, x0)
    noise = np.random.default_rng(7).standard_normal((FRAMES - 1, *x0.shape[1:])).astype(np.float32)
    return _quantize_and_cut(module, np.concatenate([x0.numpy(), noise]), cuts, FOLDINGS["tiny_resnet"][folding])


def _quantize_and_cut(module, x: np.ndarray, cuts: str, folds=()) -> tuple[str, np.ndarray]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        calib = Path(tmp) / "calib.npy"
        np.save(calib, x)
        run_pass(module, "sdf-quantize", f"calibration={calib}")
    run_pass(module, "sdf-target", "platform=zc706")
    for flag, options in folds:
        run_pass(module, flag, options)
    run_pass(module, "sdf-partition", f"cuts={cuts}")
    return sdf_ir.to_text(module), x


DESIGNS = {
    "lit-conv1": _lit_design,
    # p0 = stem, the shortcut's 1x1 conv; p1 = conv1; p2 = relu, conv2, add, relu, pool, fc:
    # p2 reads conv1's output from p1 and the shortcut from p0, two partitions back
    "tiny_resnet-skip2": lambda: _resnet_design("block.downsample.0,block.conv1"),
    # p0 = stem, shortcut, conv1, relu; p1 = conv2, add, ...: the cut between the two convs
    "tiny_resnet-between": lambda: _resnet_design("block.relu"),
    # the same cut with coarse_in / coarse_out / fine > 1: every tensor crossing the cut on 2
    # streams, one AXI beat carrying a word of each
    "tiny_resnet-between-unrolled": lambda: _resnet_design("block.relu", "unrolled"),
}


@lru_cache(maxsize=None)
def _simulated(name: str, tmp_root: Path):
    text, x = DESIGNS[name]()
    out = tmp_root / f"{name}.rtl"
    write_project(emit(sdf_ir.parse(text, f"{name}.mlir"), source=f"{name}.mlir"), str(out))
    module = sdf_ir.parse(text, f"{name}.mlir")
    y_int, stats = sim.run_integers(str(out), quantize(x, _arg_format(entry_function(module), 0)))
    (tmp_root / f"{name}.stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    return module, x, out, y_int, stats


@pytest.mark.parametrize("name", list(DESIGNS))
def test_cut_block_equals_the_fixed_executor_bit_for_bit(name, tmp_root):
    module, x, out, y_int, _ = _simulated(name, tmp_root)
    manifest = sim.load_manifest(str(out))
    ref = quantize(execute(module, [x], "fixed")[0], Fixed(*sim.output_format(manifest)))
    assert y_int.shape == ref.shape
    bad = np.flatnonzero(y_int.ravel() != ref.ravel())
    assert bad.size == 0, f"{bad.size} of {y_int.size} outputs differ"


@pytest.mark.parametrize("name", list(DESIGNS))
def test_each_partition_runs_at_the_models_interval(name, tmp_root):
    *_, stats = _simulated(name, tmp_root)
    figures = [(p["name"], p["cycles_per_frame"], p["model_cycles_per_frame"]) for p in stats["partitions"]]
    print(f"{name}: measured, model cycles per frame: {figures}")
    off = [f for f in figures if abs(f[1] - f[2]) > 0.03 * f[2]]
    assert not off, "; ".join(f"{n}: {m:.0f} measured vs {e} modelled ({m / e - 1:+.1%})" for n, m, e in off)


def test_the_skip_tensor_is_read_where_it_is_used(tmp_root):
    """rtl.json names, per partition input, the partition output it reads: in the three-way
    cut the last partition reads the shortcut from p0, past p1."""
    out = _simulated("tiny_resnet-skip2", tmp_root)[2]
    parts = sim.load_manifest(str(out))["partitions"]
    assert [len(p["inputs"]) for p in parts] == [1, 1, 2]
    assert [len(p["outputs"]) for p in parts] == [2, 1, 1]
    assert [e["from"] for e in parts[2]["inputs"]] == [{"partition": 1, "output": 0}, {"partition": 0, "output": 1}]
    assert [e["layer"] for e in parts[0]["outputs"]] == ["stem.2_1", "block.downsample.0"]
    assert sim.load_manifest(str(out))["output"] == {"partition": 2, "output": 0}
    assert [e["port"] for e in parts[2]["inputs"]] == ["s_axis0", "s_axis1"]
    assert [e["port"] for e in parts[0]["outputs"]] == ["m_axis0", "m_axis1"]
    assert parts[1]["inputs"][0]["port"] == "s_axis" and parts[1]["outputs"][0]["port"] == "m_axis"


def test_ports_sharing_a_bandwidth_that_binds_run_at_the_models_bandwidth_bound(tmp_root):
    """The lit design's partitions each move 3 x 256 words of 16 bits a frame (12,288 bits):
    at 1 bit a cycle shared by all their AXI ports (the harness's DMA, with DMA_FIFO_BEATS of
    buffering) the bandwidth binds, and both run at the model's bound, off-chip bits per
    frame / bits per cycle = 12,288 cycles (over the 9,232 they compute in), bit-exact."""
    from dataclasses import replace

    from fpga_sdf import network, target
    from fpga_sdf.model.performance import partition_performance

    module, _, out, _, _ = _simulated("lit-conv1", tmp_root)
    frames = 8
    x = np.random.default_rng(5).uniform(-1, 1, (frames, 4, 8, 8)).astype(np.float32)
    bits_per_cycle = 1.0
    y_int, stats = sim.run_integers(str(out), quantize(x, _arg_format(entry_function(module), 0)),
                                    bandwidth_bits=bits_per_cycle)
    ref = quantize(execute(module, [x], "fixed")[0], Fixed(*sim.output_format(sim.load_manifest(str(out)))))
    assert np.array_equal(y_int.reshape(ref.shape), ref)
    t = target.read(module, "test")
    board = replace(t.platform, bandwidth_gbps=bits_per_cycle * t.clock_mhz / 1e3)
    model = [partition_performance(p.layers, p.edges, board, t.clock_mhz, 1)
             for p in network.model_partitions(module, needed_by="test")]
    assert [m.bandwidth_interval for m in model] == [12288, 12288]
    assert all(m.interval == m.bandwidth_interval > m.compute_interval for m in model)
    figures = [(p["name"], p["cycles_per_frame"], m.interval) for p, m in zip(stats["partitions"], model)]
    print(f"shared bandwidth {bits_per_cycle} bit/cycle: measured, model cycles per frame: {figures}")
    off = [f for f in figures if abs(f[1] - f[2]) > 0.03 * f[2]]
    assert not off, "; ".join(f"{n}: {m:.0f} measured vs {e} modelled ({m / e - 1:+.1%})" for n, m, e in off)


@lru_cache(maxsize=None)
def _reloading_project(tmp_root: Path):
    """(module, inputs, project) of the lit design cut after conv1 with conv1 reloading its
    weights in 2 runs: p0 writes the skip tensor and conv1's output."""
    from fpga_sdf import network
    from fpga_sdf.dialects.sdf_attrs import set_int

    text, x = _lit_design()
    module = sdf_ir.parse(text, "reload.mlir")
    with module.context:
        set_int(dict(network.named_layers(module))["conv1"], "wr_factor", 2)
    out = tmp_root / "lit-conv1-reload.rtl"
    write_project(emit(sdf_ir.parse(sdf_ir.to_text(module), "reload.mlir"), source="reload.mlir"), str(out))
    return module, x, out


def test_weights_reloading_in_a_partition_writing_two_tensors(tmp_root):
    """Cut after conv1 with conv1 reloading its weights (wr_factor 2): p0 writes the skip
    tensor whole in both runs (its first output) and conv1's output a half of its filters a
    run (its second, `m_axis1`); the host assembles conv1's channels and keeps the skip.
    Bit-exact against the executor; the ports move a run what the model charges a run; every
    run of each partition at the model's cycles per frame (on the board, within 3%)."""
    from fpga_sdf import network, target
    from fpga_sdf.model.performance import partition_performance

    from rtl_checks import simulate, within

    module, x, out = _reloading_project(tmp_root)
    y, ref, stats = simulate(module, str(out), x)
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    p0, p1 = sim.load_manifest(str(out))["partitions"]
    assert p0["runs"] == 2 and p1["runs"] == 1 and p1.get("weights_reload") is None
    assert [e["layer"] for e in p0["outputs"]] == ["fork", "conv1"]
    assert p0["weights_reload"] == {"layer": "conv1", "runs": 2, "filters_per_run": 2, "channels": 4, "output": 1}
    assert [e["words"] for e in p0["outputs"]] == [4 * 8 * 8, 2 * 8 * 8]  # a run's words of each output
    assert [run["top"] for run in p0["run_tops"]] == ["p0_r0_top", "p0_r1_top"]
    t = target.read(module, "test")
    model = [partition_performance(mp.layers, mp.edges, t.platform, t.clock_mhz, 1)
             for mp in network.model_partitions(module, needed_by="test")]
    assert [m.runs for m in model] == [2, 1]
    # bits a run: x read whole, the skip written whole, conv1's output a half of it
    moved = sum(e["words"] * e["format"][0] for e in p0["inputs"] + p0["outputs"])
    assert model[0].offchip_bits_per_frame == moved == (4 + 4 + 2) * 8 * 8 * 16
    for part, m in zip(stats["partitions"], model):
        assert len(part["run_cycles_per_frame"]) == m.runs
        for r, measured in enumerate(part["run_cycles_per_frame"]):
            within(measured, m.interval, f"{part['name']} run {r}")


def test_the_runs_of_a_reloading_partition_must_agree_on_an_output_written_whole(tmp_root, monkeypatch):
    """Every run writes the skip tensor whole: the host keeps one run's copy and checks the
    others equal it, so a run that wrote a different word (here one changed after run 1 of p0)
    is an error, not a silently chosen copy."""
    from fpga_sdf.diagnostics import UserError

    module, x, out = _reloading_project(tmp_root)
    real, runs = sim._run_partition, []

    def faulty(binary, part, *args, **kwargs):
        ys, fig = real(binary, part, *args, **kwargs)
        runs.append(part["name"])
        if runs.count("p0") == 2:  # p0's second run: its output 0 is the skip tensor
            ys[0][0, 0] += 1
        return ys, fig

    monkeypatch.setattr(sim, "_run_partition", faulty)
    with pytest.raises(UserError, match="the runs of a weights-reloading partition wrote different values"):
        sim.run_integers(str(out), quantize(x, _arg_format(entry_function(module), 0)))


@pytest.mark.parametrize("cuts, reloading, message", [
    ("none", ("conv1", "conv2"), "the RTL backend reloads the weights of one layer per partition"),
    ("conv1", ("conv2",), "a layer with wr_factor > 1 must produce one of its partition's outputs")])
def test_reloading_the_backend_cannot_build_is_refused(cuts, reloading, message):
    """One layer a partition reloads its weights, and its output leaves the partition (each
    run writes a share of its filters): anything else is a diagnostic at the layer, nothing
    emitted. (Reloading beside an eviction: test_rtl_evict.py.)"""
    import re

    from fpga_sdf import network
    from fpga_sdf.diagnostics import UserError
    from fpga_sdf.dialects.sdf_attrs import set_int

    module = sdf_ir.parse(LIT.read_text(), "block-cut.mlir")
    x = np.random.default_rng(3).uniform(-1, 1, (FRAMES, 4, 8, 8)).astype(np.float32)
    module = sdf_ir.parse(_quantize_and_cut(module, x, cuts)[0], "cut.mlir")
    layers = dict(network.named_layers(module))
    with module.context:
        for name in reloading:
            set_int(layers[name], "wr_factor", 2)
    line = next(i for i, t in enumerate(sdf_ir.to_text(module).splitlines(), 1) if f'name = "{reloading[-1]}"' in t)
    with pytest.raises(UserError) as err:
        emit(module, source="cut.mlir")
    assert re.search(rf"cut\.mlir:{line}:\d+: error: " + re.escape(message), str(err.value)), str(err.value)
