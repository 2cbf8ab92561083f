"""An evicted skip stream (SMOF, --sdf-evict, issue 12) in the HLS backend: the join's input
goes out through one m_axi master into a ring of one frame and comes back through another,
with the model's burst buffers as the streams around them and no skip FIFO on the edge.

Oracles: the fixed-point executor (C-simulated with g++, every process in its own thread on
streams bounded at the emitted depths, through the host runtime: bit for bit); the loop
iterations the C-simulation counts against the trip counts the emitter states; the model
(`partition_performance`): its dma_buffers depths, its masters and their bits per frame
(`offchip_tensors`), its compute interval, and its interval when the eviction's traffic
makes the partition bandwidth-bound (computed here from the emitted ports with the model's
`transfer_cycles`, as test_hls_block_cut.py does for the HP-port bound).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import network
from fpga_sdf import target as target_mod
from fpga_sdf.api import run_pass
from fpga_sdf.diagnostics import UserError
from fpga_sdf.model import partition_performance
from fpga_sdf.model.eviction import BURST_BYTES, DMA_MODULE
from fpga_sdf.model.performance import transfer_cycles

from hls_tb import compile_synth_style, run_project

pytestmark = [pytest.mark.csim]

FRAMES = 2
SE_SIZE = 24  # the SE block's map: 24 x 24 x 16 values of 16 bits, 5 bursts a frame
COUNT = re.compile(r"csim: loop (\w+)/(\w+) iterations (\d+)")


def _se_module():
    """A stem conv (3 -> 16, 24 x 24) and a squeeze-excitation block: the join `se`
    multiplies the map (operand 0, the skip the split feeds: the whole map waits for the
    pooled gate) by the gate (operand 1, one word per channel). The skip's frame is 18 KB,
    five bursts of 4 KB (the last partly full)."""
    import torch.nn as nn

    from fpga_sdf.frontend.zoo import SqueezeExcite

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 16, 3, padding=1)
            self.se = SqueezeExcite(16, 4)

        def forward(self, x):
            return self.se(self.stem(x))

    return _import("evict_se", Net(), SE_SIZE)


def _block_module():
    """A stem conv and one identity BasicBlock (32 x 32 x 32): the join `block` reads conv2
    (operand 0) and the split's skip (operand 1), whose FIFO (2,179 words of 16 bits) is
    deeper than a 4 KB burst (2,048 words); 16 bursts a frame."""
    import torch.nn as nn

    from fpga_sdf.frontend.zoo import BasicBlock

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 32, 3, padding=1)
            self.block = BasicBlock(32, 32)

        def forward(self, x):
            return self.block(self.stem(x))

    return _import("evict_block", Net(), 32)


def _import(name, net, size):
    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.frontend.zoo import _finish

    model, x = _finish(name, net, (1, 3, size, size))
    return import_model(model, x), tuple(x.shape[1:])


def _design(tmp: Path, build, edges: str, platform: str = "zcu102", frames: int = FRAMES):
    module, in_shape = build()
    x = np.random.default_rng(5).standard_normal((frames, *in_shape)).astype(np.float32)
    np.save(tmp / "calib.npy", x)
    run_pass(module, "sdf-quantize", f"calibration={tmp / 'calib.npy'}")
    run_pass(module, "sdf-target", f"platform={platform}")
    run_pass(module, "sdf-evict", f"edges={edges}")
    return module, x


def _emit(module):
    from fpga_sdf.backend.hls.emit import emit

    return emit(module, source="net.mlir")


def _model(module):
    target = target_mod.read(module, "test")
    (part,) = network.model_partitions(module)
    return target, partition_performance(part.layers, part.edges, target.platform, target.clock_mhz)


def _check_against_model(module, proj, stdout: str | None, frames: int = FRAMES) -> None:
    """The burst buffers, the masters, their bits and the cycles are the model's."""
    target, perf = _model(module)
    (part,), (entry,) = proj.partitions, proj.schedule["partitions"]
    # the model's burst buffers are the streams into each writer and out of each reader
    evicted = {edge: f for edge, f in perf.fifos if f.name == DMA_MODULE}
    assert sorted(r.edge for r in part.rings) == sorted(evicted)
    streams = {s.name: s for s in part.streams}
    for ring in part.rings:
        buf = evicted[ring.edge].memories[0]
        assert buf.copies == 2 and buf.depth == -(-BURST_BYTES * 8 // (ring.bundle.streams * buf.width))
        write, read = (p for p in part.top_processes if p.name.startswith(f"p0_{ring.name}_"))
        for proc, stream in ((write, write.args[0]), (read, read.args[2])):
            assert streams[stream].depth == buf.depth and streams[stream].lanes == evicted[ring.edge].instances
            assert buf.width == ring.bundle.fmt.width
        assert streams[write.args[2][:-3]].depth == ring.bursts - 2  # the credits: R - 2 tokens
        assert ring.burst * ring.per_beat // ring.bundle.streams <= buf.depth
    # no skip FIFO is left on an evicted edge: it is in no STREAM pragma's edge name
    top = proj.files["p0/src/p0_top.cpp"]
    for src, dst in evicted:
        assert f" {src} -> {dst}: the model's FIFO" not in top
    # every master is one the model counts, at its bits per frame: feature maps and both ring ports
    modelled = sorted([bits for _, d, bits in perf.offchip_tensors if d != "evicted"]
                      + [bits for _, d, bits in perf.offchip_tensors if d == "evicted" for _ in "wr"])
    built = sorted([e.bundle.words * e.bundle.fmt.width for e in part.inputs + part.outputs]
                   + [r.bits_per_frame for r in part.rings for _ in r.ports])
    assert modelled == built and perf.masters == len(part.memory_args())
    for ring in part.rings:
        for port in ring.ports:
            assert f"m_axi port={port} offset=slave bundle=gmem_{port} depth={ring.beats}" in top
    assert [port for r in entry["rings"] for port in r["ports"]] == [p for r in part.rings for p in r.ports]
    # cycles: the loops at the model's compute pace; the model's interval is that or the
    # memory's bound on the masters the kernel has
    assert entry["cycles"]["cycles_per_frame"] == perf.compute_interval
    bound = int(np.ceil(transfer_cycles(target.platform, perf.clock_mhz, built)))
    assert entry["cycles"]["model_cycles_per_frame"] == perf.interval == max(perf.compute_interval, bound)
    if stdout is not None:
        stated = {(proc.name, t.label): t.trip * (1 if t.scope == "once" else frames)
                  for proc in part.order for t in proc.timing}
        counted = {(proc, label): int(n) for proc, label, n in COUNT.findall(stdout)}
        assert counted == stated, {k: (counted.get(k), stated.get(k)) for k in set(stated) | set(counted)
                                   if counted.get(k) != stated.get(k)}


def test_evicted_se_skip_is_bit_exact_through_its_ring(tmp_path):
    """The SE block's map (operand 0) evicted: two frames bit-exact through its ring of one
    frame (five 4 KB bursts), writer and reader in their own threads on bounded streams."""
    module, x = _design(tmp_path, _se_module, "se:0")
    proj, y, ref, stdout = run_project(module, x, tmp_path / "hls")
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    _check_against_model(module, proj, stdout)
    (ring,) = proj.partitions[0].rings
    assert ring.edge == ("stem_1", "se") and ring.bursts == 5 and ring.burst * ring.beat_bits == BURST_BYTES * 8
    sched = json.loads((tmp_path / "hls" / "schedule.json").read_text())
    assert sched["partitions"][0]["rings"][0]["bytes"] == SE_SIZE * SE_SIZE * 16 * 2  # a frame of 16-bit values
    assert "csim: loop p0_evict0_read/evict_read_request iterations 10" in stdout  # 5 bursts x 2 frames
    compile_synth_style(tmp_path / "hls")


def test_eviction_makes_the_partition_bandwidth_bound(tmp_path):
    """On a board of 0.2 Gb/s (one bit a cycle at 200 MHz; a platform JSON written here) the
    SE block is compute-bound on chip (a frame's 576 pixels x 432 MACs) and bandwidth-bound
    evicted: its masters move the input's 3 x 576 x 16 bits, the output's and the ring's
    16 x 576 x 16, the ring counted twice."""
    from fpga_sdf.model.platforms import PLATFORM_DIR

    board = json.loads((PLATFORM_DIR / "zcu102.json").read_text())
    board.update(name="slow102", bandwidth_gbps=0.2)
    (tmp_path / "slow102.json").write_text(json.dumps(board))
    platform = str(tmp_path / "slow102.json")
    kept, _ = _design(tmp_path, _se_module, "none", platform)
    pixels = SE_SIZE * SE_SIZE
    assert _model(kept)[1].interval == _model(kept)[1].compute_interval == pixels * 432
    module, _ = _design(tmp_path, _se_module, "se:0", platform)
    proj = _emit(module)
    _check_against_model(module, proj, None)
    perf = _model(module)[1]
    assert perf.interval == 3 * pixels * 16 + 3 * 16 * pixels * 16 > perf.compute_interval == pixels * 432


def test_a_frame_of_one_burst_is_refused(tmp_path):
    """The gate (operand 1: 16 words a frame) cannot be evicted: its ring would be one burst,
    which the writer fills while the reader needs it; a diagnostic at the join."""
    module, _ = _design(tmp_path, _se_module, "se:1")
    with pytest.raises(UserError) as err:
        _emit(module)
    assert re.search(r":\d+:\d+: error: operand #1: evicting this input needs a ring of at least three bursts, "
                     r"but its frame is 32 bytes", str(err.value)), str(err.value)


def test_a_burst_deeper_than_the_other_branch_holds_is_refused(tmp_path):
    """Evicting the late branch alone (the BasicBlock's conv2, operand 0, whose on-chip FIFO
    is 32 words): a burst gathers 2,048 words before the join can read its first, more than
    the skip FIFO has room for beyond its lead: the branches would stall each other; refused."""
    module, _ = _design(tmp_path, _block_module, "block:0")
    with pytest.raises(UserError) as err:
        _emit(module)
    assert re.search(r":\d+:\d+: error: operand #0: evicting this input deadlocks: a burst gathers 2048 words per "
                     r"stream before the join can read its first, but this input runs only 32 words ahead",
                     str(err.value)), str(err.value)


def test_weights_reloading_with_an_evicted_join_is_refused(tmp_path):
    """wr_factor > 1 on a layer of the partition: refused at the join, not emitted."""
    module, _ = _design(tmp_path, _se_module, "se:0")
    run_pass(module, "sdf-weights-reloading", "factor=2 layers=stem")
    with pytest.raises(UserError) as err:
        _emit(module)
    assert re.search(r":\d+:\d+: error: a skip stream evicted to off-chip memory in a partition with weights "
                     r"reloading", str(err.value)), str(err.value)


@pytest.mark.slow
@pytest.mark.parametrize("edges", ["block:1", "block:0,block:1"])
def test_residual_block_evicted_is_bit_exact(edges, tmp_path):
    """The BasicBlock's skip evicted (16 bursts a frame), and both of its inputs (no FIFO on
    chip limits how far the branches drift: the rings hold it): bit-exact over a frame
    (minutes each; the SE test and the slow-join test cover the ring over frames)."""
    module, x = _design(tmp_path, _block_module, edges, frames=1)
    proj, y, ref, stdout = run_project(module, x, tmp_path / "hls")
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    assert len(proj.partitions[0].rings) == len(edges.split(","))
    _check_against_model(module, proj, stdout, frames=1)


RING_HARNESS = r"""
// evict_write / evict_read (templates/evict.hpp) between a fast producer and a join that is
// slow for its first words (waiting on its other branch), the credit stream at the depth
// the emitter gives a ring of R bursts; prints the words the join gets wrong.
#include "sdf_common.hpp"
#include "evict.hpp"
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>
typedef ap_fixed<16, 8> T;
const int WORDS = 4096, PER = 32, FRAMES = 3, BURST_BEATS = @BURST@, CREDITS = @CREDITS@;
int main() {
    static hls::stream<T> in[1], out[1];
    static hls::stream<ap_uint<1> > credit;
    sdf::csim::configure(in[0], "in", BURST_BEATS * PER);
    sdf::csim::configure(out[0], "out", BURST_BEATS * PER);
    sdf::csim::configure(credit, "credit", CREDITS);
    std::vector<ap_uint<PER * 16> > ring(WORDS / PER);
    long bad = 0;
    {
        sdf::csim::region r;
        r.spawn([&]() { for (int i = 0; i < FRAMES * WORDS; i++) in[0].write(sdf::from_raw<T>(ap_int<16>(i % 30000))); });
        r.spawn([&]() { sdf::evict_write<T, WORDS, 1, PER, BURST_BEATS>(in, hls::burst_maxi<ap_uint<PER * 16> >(ring.data()), credit, FRAMES); });
        r.spawn([&]() { sdf::evict_read<T, WORDS, 1, PER, BURST_BEATS>(hls::burst_maxi<ap_uint<PER * 16> >(ring.data()), credit, out, FRAMES); });
        r.spawn([&]() {
            for (int i = 0; i < FRAMES * WORDS; i++) {
                if (i < 3000) std::this_thread::sleep_for(std::chrono::microseconds(50));
                if (sdf::raw(out[0].read()) != ap_int<16>(i % 30000)) bad++;
            }
        });
    }
    printf("%ld\n", bad);
    return 0;
}
"""


@pytest.mark.parametrize("burst_beats", [43, 32, 16])  # rings of 3, 4 and 8 bursts
def test_the_writer_never_refills_a_slot_the_reader_is_reading(burst_beats):
    """Hardware ordering, which the networks above cannot show (their join never stalls the
    reader mid-burst): with the join slow, the writer runs a whole ring ahead and waits on
    the credits; at the emitted credit depth every word comes back as written, over frames."""
    from fpga_sdf.backend.hls.csim import compile_program
    from fpga_sdf.backend.hls.evict import credit_depth
    from fpga_sdf.backend.hls.render import TB_FLAGS

    bursts = -(-4096 // 32 // burst_beats)
    source = RING_HARNESS.replace("@BURST@", str(burst_beats)).replace("@CREDITS@", str(credit_depth(bursts)))
    out = subprocess.run([str(compile_program(source, TB_FLAGS).path)], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.split() == ["0"], f"R = {bursts}: {out.stdout.strip()} of {3 * 4096} words wrong"
