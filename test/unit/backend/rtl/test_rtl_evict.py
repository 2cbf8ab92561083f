"""SMOF eviction in RTL (issue 12): a join's skip stream leaves the partition through its write
burst buffer and master `m_axis_e<k>`, and comes back through slave `s_axis_e<k>` and its read
burst buffer into the join; sim.py plays the DDR between the two ports (what was written, in
order, a burst once written), sharing the modelled bandwidth with the tensor ports.

Oracles: the fixed-point executor (bit for bit; the skip operand carries the random input, so
a word out of order or lost shows); the model's interval (partition_performance: compute bound
with ports every cycle, bandwidth bound at 1 bit a cycle, where the eviction's 2 x 4,096 bits
a frame make 16,384 over the 9,232 cycles the block computes in); the model's dma_buffers
(depth, width, two per stream) against the emitted FIFOs. docs/notes/rtl-backend.md "Evicted
skip streams".
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf.api import run_pass
from fpga_sdf.backend.rtl import sim
from fpga_sdf.backend.rtl.emit import emit, write_project
from fpga_sdf.diagnostics import UserError
from fpga_sdf.model.eviction import DMA_MODULE

sys.path.insert(0, str(Path(__file__).parents[1]))
from rtl_checks import partition_model, simulate, within  # noqa: E402

pytestmark = [pytest.mark.rtlsim]

# the lit residual block (split "fork" -> conv1 -> relu1 -> conv2 -> add -> relu2, 4 x 8 x 8,
# 16 bits, one stream a layer); the add's operand 1 is the skip from the fork
BLOCK = Path(__file__).parents[3] / "Target" / "RTL" / "block-cut.mlir"
DESIGNS = {"skip": "add:1", "both": "add:0,add:1"}  # both: conv2's output through DDR too
# conv1's 144 weights words as AutoWS fragments (24 of 3 in ROM + 3 streamed): its weights port
# shares the bandwidth with the four tensor ports
FRAGMENTS = {"skip+fragments": ("add:1", "layer=conv1 n=24 u_on=3 u_off=3")}


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return tmp_path_factory.mktemp("rtl_evict")


def _quantized(tmp_root: Path, text: str):
    module = sdf_ir.parse(text, "block.mlir")
    calib = tmp_root / "calib.npy"
    np.save(calib, np.random.default_rng(3).uniform(-1, 1, (2, 4, 8, 8)).astype(np.float32))
    run_pass(module, "sdf-quantize", f"calibration={calib}")
    run_pass(module, "sdf-target", "platform=zc706")
    return module


@lru_cache(maxsize=None)
def _design(name: str, tmp_root: Path):
    module = _quantized(tmp_root, BLOCK.read_text())
    edges, fragments = FRAGMENTS.get(name, (DESIGNS.get(name), None))
    run_pass(module, "sdf-evict", f"edges={edges}")
    if fragments:
        run_pass(module, "sdf-fragment-weights", fragments)
    text = sdf_ir.to_text(module)
    out = tmp_root / f"{name}.rtl"
    write_project(emit(sdf_ir.parse(text, f"{name}.mlir"), source=f"{name}.mlir"), str(out))
    return sdf_ir.parse(text, f"{name}.mlir"), out


def _simulate(name: str, tmp_root: Path, frames: int, bandwidth_bits: float | None = None):
    module, out = _design(name, tmp_root)
    x = np.random.default_rng(5).uniform(-1, 1, (frames, 4, 8, 8)).astype(np.float32)
    return simulate(module, str(out), x, bandwidth_bits)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_evicted_join_is_bit_exact_at_the_models_interval(name, tmp_root):
    y, ref, stats = _simulate(name, tmp_root, frames=3)
    bad = np.flatnonzero(y.ravel() != ref.ravel())
    assert bad.size == 0, f"{bad.size} of {y.size} outputs differ"
    (part,) = stats["partitions"]
    within(part["cycles_per_frame"], part["model_cycles_per_frame"], f"{name}, ports every cycle")


def test_an_eviction_that_binds_the_bandwidth_runs_at_the_models_bound(tmp_root):
    """At 1 bit a cycle shared by the four ports (x in, the output, the skip's write and its
    read back: 4 x 4,096 bits a frame) the model's interval is 16,384 cycles, bandwidth bound.
    Measured between the ends of frames 1 and 4 of 6: the last frame ends early (no next frame
    shares the port with it), as in test_rtl_fragments."""
    module, _ = _design("skip", tmp_root)
    model = partition_model(module, 1.0)
    assert model.interval == model.bandwidth_interval == 16384 > model.compute_interval
    frames = 6
    y, ref, stats = _simulate("skip", tmp_root, frames, bandwidth_bits=1.0)
    assert np.array_equal(y, ref)
    done = stats["partitions"][0]["frame_done_cycles"]
    within((done[-2] - done[1]) / (frames - 3), model.interval, "shared 1 bit/cycle")


def test_an_evicted_join_beside_weight_fragments_shares_the_bandwidth_at_the_models_bound(tmp_root):
    """The weights port (72 words of 16 bits per output pixel, 73,728 bits a frame) and the
    eviction's pair both draw on the 1 bit a cycle: the model's bound is 90,112 cycles."""
    module, _ = _design("skip+fragments", tmp_root)
    model = partition_model(module, 1.0)
    assert model.interval == model.bandwidth_interval == 16384 + 73728
    frames = 5
    y, ref, stats = _simulate("skip+fragments", tmp_root, frames, bandwidth_bits=1.0)
    assert np.array_equal(y, ref)
    done = stats["partitions"][0]["frame_done_cycles"]
    within((done[-2] - done[1]) / (frames - 3), model.interval, "with fragments, shared 1 bit/cycle")


def _fifo_depths(sv: str) -> dict:
    """{FIFO instance: its module's RAM depth} in a partition top."""
    return {inst: int(depth) for depth, inst in re.findall(r"sdf_fifo_w\d+_d(\d+)\s+(fifo_s\d+)", sv)}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_the_burst_buffers_are_the_models_and_no_skip_fifo_is_left(name, tmp_root):
    module, out = _design(name, tmp_root)
    (part,) = sim.load_manifest(str(out))["partitions"]
    perf = partition_model(module)
    dma = {edge: m for edge, m in perf.fifos if m.name == DMA_MODULE}
    assert len(part["evictions"]) == len(dma) == len(DESIGNS[name].split(","))
    top = (out / part["name"] / f"{part['name']}_top.sv").read_text()
    depths = _fifo_depths(top)
    streams = part["streams"]
    for k, e in enumerate(part["evictions"]):
        (memory,) = dma[(e["layer"], e["join"])].memories
        assert (e["write_port"], e["read_port"]) == (f"m_axis_e{k}", f"s_axis_e{k}")
        assert f"{e['write_port']}_tdata" in top and f"{e['read_port']}_tdata" in top
        assert e["buffer_depth"] == e["burst_beats"] == memory.depth == 2048  # 4 KB of 16-bit words
        assert e["beat_bits"] == e["streams"] * memory.width
        # the write buffers on the producer's streams, the read buffers in front of the join
        written = [s for s in streams if (s["to"] or "").startswith(f"p0_evict{k}_write.in")]
        read = [s for s in streams if s["from"] and s["from"].startswith(f"p0_evict{k}_read.out")]
        assert len(written) == len(read) == e["streams"] == dma[(e["layer"], e["join"])].instances
        assert all(s["layer"] == e["layer"] and s["to"].startswith(f"p0_{e['join']}_") for s in read)
        for s in written + read:  # copies = 2: one FIFO of the model's depth on each side
            assert s["depth"] == depths[f"fifo_s{s['index']}"] == memory.depth
        # what the port pair moves a frame is what the model adds twice to the traffic
        evicted = [bits for src, way, bits in perf.offchip_tensors if way == "evicted" and src == e["layer"]]
        assert evicted == [e["bits_per_frame"]] == [e["beats_per_frame"] * e["beat_bits"]]
    # no stream from an evicted producer into its join but through the read buffers
    for e in part["evictions"]:
        direct = [s for s in streams if s["layer"] == e["layer"] and (s["to"] or "").startswith(f"p0_{e['join']}_")
                  and not s["from"].startswith("p0_evict")]
        assert not direct
    ram = (out / part["name"] / "sdf_fifo_w16_d2048.sv").read_text()
    assert re.search(r"reg\s+\[15:0\]\s+\w+\[0:2047\]", ram)


def test_eviction_in_a_weights_reloading_partition_is_refused_at_the_join(tmp_root):
    """Each reloading run would write and read back its own copy of the skip stream; the RTL
    does not build it: a diagnostic at the join, nothing emitted."""
    from fpga_sdf.dialects.sdf_attrs import set_int

    # the block ending in a conv (conv3 after the add), so that conv3 may reload its weights
    text = BLOCK.read_text().replace(
        '%r = "sdf.activation"(%e) {kind = "relu", name = "relu2"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>',
        '%r = "sdf.conv"(%e, %w1, %b) {name = "conv3", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, '
        'tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>')
    assert "conv3" in text
    module = _quantized(tmp_root, text)
    run_pass(module, "sdf-evict", "edges=add:1")
    with module.context:
        set_int(dict(network.named_layers(module))["conv3"], "wr_factor", 2)
    module = sdf_ir.parse(sdf_ir.to_text(module), "reload.mlir")
    line = next(i for i, t in enumerate(sdf_ir.to_text(module).splitlines(), 1) if '"sdf.eltwise"' in t)
    with pytest.raises(UserError, match=rf"^reload.mlir:{line}:\d+: error: a skip stream evicted to off-chip memory "
                                        r"\('evicted'\) in a partition whose layer conv3 reloads its weights "
                                        r"\(wr_factor > 1\) is modelled, but the RTL backend does not emit it yet"):
        emit(module, source="reload.mlir")


@pytest.mark.synth
def test_the_burst_buffer_pair_synthesises_to_the_models_bram(tmp_root):
    """yosys synth_xilinx of the emitted burst buffer (2,048 x 16 bits: one BRAM36), twice
    (write and read side), against the model's dma_buffers: 4 BRAM18."""
    from fpga_sdf.backend.rtl import synth
    from fpga_sdf.backend.rtl.streams import StreamType, fifo
    from fpga_sdf.model.eviction import dma_buffers

    _, out = _design("skip", tmp_root)
    (e,) = sim.load_manifest(str(out))["partitions"][0]["evictions"]
    width, frac = e["format"]
    got = synth.synthesise_module(fifo(StreamType(width, frac, e["pixels"]), e["buffer_depth"]), "7series")
    model = synth.model_resources(dma_buffers(e["streams"], width * e["pixels"]), "7series")
    assert 2 * e["streams"] * got.bram18_units == model["bram18"] == 4, (got, model)
