"""Partitions cut inside a residual block in RTL (issue 12): a partition top with one AXI-Stream
port per tensor it reads or writes, the simulator chaining partitions by tensor (the skip
tensor read back one or two partitions after the one that wrote it), bit-exact against the
fixed-point executor, each partition's measured cycles per frame within 3% of the model's
interval (partition_performance, in rtl.json). docs/notes/rtl-backend.md "Partition tops"."""

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


def test_weights_reloading_in_a_partition_writing_several_tensors_is_refused_at_the_partition():
    """Each weights-reloading run writes its share of the filters: a second output (the skip
    tensor) would be written once over the runs, which the RTL does not build; refused with a
    diagnostic at the partition, not emitted wrong."""
    from fpga_sdf import network
    from fpga_sdf.diagnostics import UserError
    from fpga_sdf.dialects.sdf_attrs import set_int

    text, _ = _lit_design()
    module = sdf_ir.parse(text, "cut.mlir")
    with module.context:
        set_int(dict(network.named_layers(module))["conv1"], "wr_factor", 2)
    with pytest.raises(UserError, match=r"cut.mlir:\d+:\d+: error: layer conv1 reloads its weights \(wr_factor > 1\) "
                                        r"in a partition that writes 2 tensors"):
        emit(module, source="cut.mlir")
