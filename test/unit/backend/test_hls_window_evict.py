"""A sliding window's dim-0 delay lines evicted to off-chip memory (window_evicted, SMOF,
issue 12) in the HLS backend: the frame buffers of a 3D window, the line buffers of a 2D
one, in a ring of one frame; the window writes every real input word it reads to the ring's
writer and each lagged tap along dim 0 reads a prefix of the frame back through its own
master; on chip stay, per tap, the inner dims' rows and the model's burst buffers.

Oracles: the fixed-point executor (C-simulated with g++, every process in its own thread on
streams bounded at the emitted depths, through the host runtime: bit for bit over two
frames); the loop iterations the C-simulation counts against the trip counts the emitter
states; the model: its burst buffer B (`window_burst`, the `window_dma` memory of the
window module) as the depth of the write and read streams, the credit streams at R - 2, the
masters' bits per frame (`window_traffic`, `partition_performance(...).offchip_tensors` and
`master_bits`) and its compute interval; and `window_evictable`'s reason as the diagnostic
of a layer that cannot run evicted.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import network
from fpga_sdf import target as target_mod
from fpga_sdf.api import run_pass
from fpga_sdf.diagnostics import UserError
from fpga_sdf.model import expand, partition_performance
from fpga_sdf.model.eviction import WINDOW_DMA, window_burst, window_lags, window_reads, window_traffic

from hls_tb import compile_synth_style, run_project

pytestmark = [pytest.mark.csim]

FRAMES = 2
COUNT = re.compile(r"csim: loop (\w+)/(\w+) iterations (\d+)")


def _module(name: str, layer, shape: tuple):
    """One layer (a torch module) on a (C, *spatial) input."""
    import torch.nn as nn

    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.frontend.zoo import _finish

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, x):
            return self.layer(x)

    model, x = _finish(name, Net(), (1, *shape))
    return import_model(model, x), tuple(x.shape[1:])


WINDOWED = ("sdf.conv", "sdf.pool")


def _windowed(module):
    """(name, op) of the module's one conv or pool."""
    (found,) = [(name, op) for name, op in network.named_layers(module) if op.operation.name in WINDOWED]
    return found


def _design(tmp: Path, layer, shape: tuple, folding: dict | None = None, by_hand: bool = False,
            platform: str = "zcu102"):
    """The quantized module (two random input frames) with window_evicted on its conv or pool:
    by `--sdf-evict windows=` (whose verifier accepts only what the model can run), or
    `by_hand` (the attribute written into the IR, as a hand-edited file would have it, for
    the backend's own refusals), and the frames."""
    from torch_mlir import ir

    module, in_shape = _module("window_evict", layer, shape)
    x = np.random.default_rng(7).standard_normal((FRAMES, *in_shape)).astype(np.float32)
    np.save(tmp / "calib.npy", x)
    run_pass(module, "sdf-quantize", f"calibration={tmp / 'calib.npy'}")
    run_pass(module, "sdf-target", f"platform={platform}")
    name, op = _windowed(module)
    with module.context:
        for attr, value in (folding or {}).items():
            op.operation.attributes[attr] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), value)
        if by_hand:
            op.operation.attributes["window_evicted"] = ir.BoolAttr.get(True)
    if not by_hand:
        run_pass(module, "sdf-evict", f"windows={name}")
    return module, x


def _conv_spec(module):
    return network.layer_spec(*_windowed(module))


def _check_against_model(module, proj, stdout: str | None) -> None:
    """The ring's streams, masters and bits, and the cycles, are the model's."""
    target = target_mod.read(module, "test")
    (mpart,) = network.model_partitions(module)
    perf = partition_performance(mpart.layers, mpart.edges, target.platform, target.clock_mhz)
    spec = _conv_spec(module)
    (part,), (entry,) = proj.partitions, proj.schedule["partitions"]
    (ring,) = [r for r in part.rings if r.window]
    window = next(m for m in expand(spec) if m.name == "sliding_window")
    (dma,) = [m for m in window.memories if m.role == WINDOW_DMA]
    lanes, k0 = window.instances, len(window_lags(spec))
    assert dma.copies == k0 and dma.depth == window_burst(spec, lanes) == ring.buffer_depth
    assert ring.burst * ring.per_beat // lanes <= dma.depth
    # the write burst buffer, the read burst buffers (one per lagged tap), the credits
    streams = {s.name: s for s in part.streams}
    proc = {p.name: p for p in part.order}
    write = proc[f"p0_{ring.name}_write"]
    evict, credit = streams[write.args[0]], streams[write.args[2]]
    assert evict.depth == dma.depth and evict.lanes == lanes and evict.elem == ring.bundle.stream.elem
    assert credit.depth == ring.bursts - 2 and credit.lanes == k0 - 1
    reads = [proc[f"p0_{ring.name}_read{k}"] for k in range(k0 - 1)]
    (lag,) = {r.args[2].split("[")[0] for r in reads}
    assert streams[lag].depth == dma.depth and streams[lag].groups == k0 - 1 and streams[lag].lanes == lanes
    (sw,) = [p for p in part.order if p.kind == "sliding_window"]
    assert sw.args[2:] == [evict.name, lag] and "sliding_window_evicted" in sw.body
    # the prefixes: n_j slices of the frame a lagged tap
    slice_words = ring.bundle.words // spec.inputs[0][1]
    assert list(ring.reads) == [n * slice_words for n in window_reads(spec)]
    # every master is one the model counts, at its bits per frame
    assert ring.port_bits == window_traffic(spec)
    windows = [bits for name, way, bits in perf.offchip_tensors if way == "window"]
    assert windows == [sum(ring.port_bits)]
    built = [e.bundle.words * e.bundle.fmt.width for e in part.inputs + part.outputs] + \
        [bits for r in part.rings for bits in r.port_bits]
    loaded = [port for port in part.ports if not port.repeat]  # weights images loaded per run: not streaming
    assert sorted(built) == sorted(perf.master_bits) and perf.masters == len(part.memory_args()) - len(loaded)
    top = proj.files["p0/src/p0_top.cpp"]
    for port in ring.ports:
        assert f"m_axi port={port} offset=slave bundle=gmem_{port} depth={ring.beats}" in top
    (rentry,) = [r for r in entry["rings"] if r["name"] == ring.name]
    assert rentry["ports"] == list(ring.ports) and rentry["kind"] == "window"
    # no line or frame buffer of dim 0 on chip: the window's memories are the inner dims' only
    assert all(m.depth < slice_words // lanes for m in window.memories if m.role != WINDOW_DMA)
    # cycles: the loops at the model's compute pace (the walk's cycles do not change)
    assert entry["cycles"]["cycles_per_frame"] == perf.compute_interval
    assert entry["cycles"]["model_cycles_per_frame"] == perf.interval
    if stdout is not None:
        stated = {(p.name, t.label): t.trip * (1 if t.scope == "once" else FRAMES)
                  for p in part.order for t in p.timing}
        counted = {(p, label): int(n) for p, label, n in COUNT.findall(stdout)}
        assert counted == stated, {k: (counted.get(k), stated.get(k)) for k in set(stated) | set(counted)
                                   if counted.get(k) != stated.get(k)}


def _run(tmp_path, layer, shape, folding=None, module=None):
    module, x = _design(tmp_path, layer, shape, folding) if module is None else module
    proj, y, ref, stdout = run_project(module, x, tmp_path / "hls")
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    _check_against_model(module, proj, stdout)
    return module, proj, stdout


@pytest.mark.parametrize("folding", [{"coarse_out": 4}, {"coarse_in": 2, "coarse_out": 2}])
def test_3d_window_frame_buffers_evicted_is_bit_exact(folding, tmp_path):
    """A 3x3x3 conv (pad 1) on 8 x 6 x 16 x 16: its two frame buffers in a ring of one frame
    (a plane is 2,048 words, one 4 KB burst: six a frame); the taps two and one planes back
    read the first 5 and 6 planes; two frames bit-exact, on one stream and on two (B = 1,024
    words a stream)."""
    import torch.nn as nn

    module, proj, stdout = _run(tmp_path, nn.Conv3d(8, 4, 3, padding=1), (8, 6, 16, 16), folding)
    (ring,) = proj.partitions[0].rings
    spec = _conv_spec(module)
    assert window_lags(spec) == (2, 1, 0) and window_reads(spec) == (5, 6)
    assert ring.bursts == 6 and ring.reads == (5 * 2048, 6 * 2048)
    assert ring.buffer_depth == 2048 // folding.get("coarse_in", 1)
    assert "csim: loop p0_window0_read0/evict_read_drain iterations 2" in stdout  # the sixth burst, x 2 frames
    compile_synth_style(tmp_path / "hls")


@pytest.mark.parametrize("layer", ["conv", "dilated", "strided", "5x5", "max_pool", "uneven", "three_streams"])
def test_2d_window_line_buffers_evicted_is_bit_exact(layer, tmp_path):
    """A 3x3 conv (pad 1) on 32 x 6 x 64: its two line buffers (a row of 2,048 words) off chip,
    on chip a row of three columns per tap; the same dilated by 2 (lags of 4 and 2 rows on 8
    rows: the ring just holds them and four bursts), at stride 2, a 5x5 conv (four lagged
    taps, four readers) and a 3x3 max pool (its padding the minimum, also in the lagged
    taps); rows of 2,400 words (bursts straddle rows) and on three streams (a burst of 341
    beats of six values, 2,046 words, under B = 683 a stream; 2 rows of padding each side:
    both lagged taps read the whole frame, no token to drain); two frames bit-exact."""
    import torch.nn as nn

    layers = {"conv": (nn.Conv2d(32, 2, 3, padding=1), (32, 6, 64), {"coarse_out": 2}, (5, 6)),
              "dilated": (nn.Conv2d(32, 2, 3, padding=2, dilation=2), (32, 8, 64), {"coarse_out": 2}, (6, 8)),
              "strided": (nn.Conv2d(32, 2, 3, stride=2, padding=1), (32, 6, 64), {"coarse_out": 2}, (5, 6)),
              "5x5": (nn.Conv2d(32, 2, 5, padding=2), (32, 8, 64), {"coarse_out": 2}, (6, 7, 8, 8)),
              "max_pool": (nn.MaxPool2d(3, 1, 1), (32, 6, 64), {}, (5, 6)),
              "uneven": (nn.Conv2d(48, 2, 3, padding=1), (48, 6, 50), {"coarse_out": 2}, (5, 6)),
              "three_streams": (nn.Conv2d(48, 2, 3, padding=(2, 1)), (48, 7, 50), {"coarse_in": 3, "coarse_out": 2},
                                (7, 7))}
    module, proj, _ = _run(tmp_path, *layers[layer][:3])
    assert window_reads(_conv_spec(module)) == layers[layer][3]
    (src,) = [text for path, text in proj.files.items() if path.startswith("p0/src/") and "_top" not in path]
    assert "sdf::sliding_window_evicted<" in src


def test_temporal_conv_window_evicted_is_bit_exact(tmp_path):
    """R(2+1)D's temporal (3, 1, 1) conv: only dim 0 is windowed, so on chip each tap keeps a
    pixel; two frames bit-exact."""
    import torch.nn as nn

    _run(tmp_path, nn.Conv3d(8, 4, (3, 1, 1), padding=(1, 0, 0)), (8, 6, 16, 16), {"coarse_out": 4})


def test_window_evicted_with_weights_reloading_is_bit_exact(tmp_path):
    """The 3D conv's filters in two runs (wr_factor 2): the ring's tokens end every frame
    aligned, so each run's kernel call starts on an empty ring; bit-exact over two frames."""
    import torch.nn as nn

    module, x = _design(tmp_path, nn.Conv3d(8, 4, 3, padding=1), (8, 6, 16, 16), {"coarse_out": 2})
    run_pass(module, "sdf-weights-reloading", "factor=2 layers=layer")
    _, proj, _ = _run(tmp_path, None, None, module=(module, x))
    assert proj.schedule["partitions"][0]["runs"] == 2


def test_window_and_skip_evicted_in_one_block_is_bit_exact(tmp_path):
    """A residual 3D block, conv(x) + x: the conv's frame buffers and the join's skip (operand
    1, the split's) both through DDR rings, one partition: bit-exact, the five masters at the
    model's bits."""
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv3d(8, 8, 3, padding=1)

        def forward(self, x):
            return self.conv(x) + x

    from torch_mlir import ir

    module, in_shape = _module("window_skip", Block(), (8, 6, 16, 16))
    x = np.random.default_rng(7).standard_normal((FRAMES, *in_shape)).astype(np.float32)
    np.save(tmp_path / "calib.npy", x)
    run_pass(module, "sdf-quantize", f"calibration={tmp_path / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zcu102")
    names = dict(network.named_layers(module))
    (conv,) = [n for n, op in names.items() if op.operation.name == "sdf.conv"]
    (join,) = [n for n, op in names.items() if op.operation.name == "sdf.eltwise"]
    with module.context:
        names[conv].operation.attributes["coarse_out"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), 8)
    run_pass(module, "sdf-evict", f"windows={conv} edges={join}:1")
    _, proj, _ = _run(tmp_path, None, None, module=(module, x))
    assert sorted(len(r.ports) for r in proj.partitions[0].rings) == [2, 3]


def test_on_memory_banks_the_rings_masters_share_one(tmp_path):
    """On an Alveo card (u250: four DDR banks) the write and both read masters are linked to
    one bank, the ring buffer's, as the model counts them (master_bits: the ring's three as
    one); the XRT host hands the one buffer to the three arguments."""
    import torch.nn as nn
    from fpga_sdf.backend.hls.emit import emit
    from fpga_sdf.model.performance import deal_ports

    module, _ = _design(tmp_path, nn.Conv3d(8, 4, 3, padding=1), (8, 6, 16, 16), {"coarse_out": 4}, platform="u250")
    proj = emit(module, source="net.mlir")
    (part,) = proj.partitions
    (ring,) = part.rings
    link = dict(line.split("=", 1)[1].removeprefix("p0_top_1.").split(":") for line in
                proj.files["vitis/link_p0.cfg"].splitlines() if line.startswith("sp="))
    assert len({link[port] for port in ring.ports}) == 1 and len(ring.ports) == 3
    target = target_mod.read(module, "test")
    (mpart,) = network.model_partitions(module)
    perf = partition_performance(mpart.layers, mpart.edges, target.platform, target.clock_mhz)
    ends = [e.bundle.words * e.bundle.fmt.width for e in part.inputs + part.outputs]
    assert sorted(perf.master_bits) == sorted(ends + [sum(window_traffic(_conv_spec(module)))])
    loads: dict = {}
    for arg, bank in link.items():
        bits = dict(zip(ring.ports, ring.port_bits)).get(arg) or ends[["in", "out"].index(arg)]
        loads[bank] = loads.get(bank, 0) + bits
    model = [0] * target.platform.axi_ports
    for bits, port in zip(perf.master_bits, deal_ports(perf.master_bits, target.platform.axi_ports)):
        model[port] += bits
    assert sorted(loads.values()) == sorted(b for b in model if b)
    assert proj.files["vitis/host_p0.cpp"].count("bos.push_back(bos.back());") == 2


def test_a_frame_too_short_for_the_lag_is_refused(tmp_path):
    """Four planes (a burst each): the ring cannot hold the lag of two planes and four bursts
    besides: window_evictable's reason at the layer."""
    import torch.nn as nn
    from fpga_sdf.backend.hls.emit import emit
    from fpga_sdf.model.eviction import window_evictable

    module, _ = _design(tmp_path, nn.Conv3d(8, 4, 3, padding=1), (8, 4, 16, 16), by_hand=True)
    why = window_evictable(_conv_spec(module), 1, 8)
    assert why and "cannot hold the lag of 2 slices" in why
    with pytest.raises(UserError) as err:
        emit(module, source="net.mlir")
    assert re.search(r":\d+:\d+: error: window_evicted: " + re.escape(why), str(err.value)), str(err.value)


def test_a_burst_longer_than_the_nearest_lag_is_refused(tmp_path):
    """A plane of 256 words, a burst of 2,048: the window would wait on a burst it has not read."""
    import torch.nn as nn
    from fpga_sdf.backend.hls.emit import emit

    module, _ = _design(tmp_path, nn.Conv3d(4, 4, 3, padding=1), (4, 8, 8, 8), by_hand=True)
    with pytest.raises(UserError) as err:
        emit(module, source="net.mlir")
    assert re.search(r":\d+:\d+: error: window_evicted: a burst gathers 2048 words a stream, more than the 256 "
                     r"the nearest lagged tap trails the walk by", str(err.value)), str(err.value)


RING_HARNESS = r"""
// evict_write with two credit streams, an evict_read of a prefix of each frame (then the
// tokens past it) and one of the whole frame, each with a consumer that is slow for a while
// (the window waiting on another tap), the credit streams at the depth the emitter gives a
// ring of R bursts; prints the words each consumer gets wrong.
#include "sdf_common.hpp"
#include "evict.hpp"
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>
typedef ap_fixed<16, 8> T;
const int WORDS = 4096, PER = 32, FRAMES = 3, BURST_BEATS = @BURST@, CREDITS = @CREDITS@, READ = @READ@;
int main() {
    static hls::stream<T> in[1], out0[1], out1[1];
    static hls::stream<ap_uint<1> > credit[2];
    sdf::csim::configure(in[0], "in", BURST_BEATS * PER);
    sdf::csim::configure(out0[0], "out0", BURST_BEATS * PER);
    sdf::csim::configure(out1[0], "out1", BURST_BEATS * PER);
    sdf::csim::configure(credit, "credit", CREDITS);
    std::vector<ap_uint<PER * 16> > ring(WORDS / PER);
    long bad0 = 0, bad1 = 0;
    {
        sdf::csim::region r;
        r.spawn([&]() { for (int i = 0; i < FRAMES * WORDS; i++) in[0].write(sdf::from_raw<T>(ap_int<16>(i % 30000))); });
        r.spawn([&]() { sdf::evict_write<T, WORDS, 1, PER, BURST_BEATS, 2>(in, hls::burst_maxi<ap_uint<PER * 16> >(ring.data()), credit, FRAMES); });
        r.spawn([&]() { sdf::evict_read<T, WORDS, 1, PER, BURST_BEATS, READ>(hls::burst_maxi<ap_uint<PER * 16> >(ring.data()), credit[0], out0, FRAMES); });
        r.spawn([&]() { sdf::evict_read<T, WORDS, 1, PER, BURST_BEATS>(hls::burst_maxi<ap_uint<PER * 16> >(ring.data()), credit[1], out1, FRAMES); });
        r.spawn([&]() {
            for (int f = 0; f < FRAMES; f++)
                for (int i = 0; i < READ; i++) {
                    if (i < 1500) std::this_thread::sleep_for(std::chrono::microseconds(40));
                    if (sdf::raw(out0[0].read()) != ap_int<16>((f * WORDS + i) % 30000)) bad0++;
                }
        });
        r.spawn([&]() {
            for (int i = 0; i < FRAMES * WORDS; i++) {
                if (i % WORDS > 3000) std::this_thread::sleep_for(std::chrono::microseconds(20));
                if (sdf::raw(out1[0].read()) != ap_int<16>(i % 30000)) bad1++;
            }
        });
    }
    printf("%ld %ld\n", bad0, bad1);
    return 0;
}
"""


@pytest.mark.parametrize("burst_beats,read", [(43, 1376), (16, 2660), (16, 4096 - 512)])
def test_the_writer_never_refills_a_slot_a_prefix_reader_is_reading(burst_beats, read):
    """Hardware ordering with two readers (test_hls_evict.py's ring test for one): with a
    reader's consumer slow, the writer runs ahead and waits on that reader's credits; the
    reader of a prefix drains the tokens past it, so frames stay aligned: at the emitted
    credit depth every word comes back as written, over frames (rings of 3 and 8 bursts;
    prefixes ending inside a burst and on one)."""
    import subprocess

    from fpga_sdf.backend.hls.csim import compile_program
    from fpga_sdf.backend.hls.evict import credit_depth
    from fpga_sdf.backend.hls.render import TB_FLAGS

    bursts = -(-4096 // 32 // burst_beats)
    source = (RING_HARNESS.replace("@BURST@", str(burst_beats)).replace("@CREDITS@", str(credit_depth(bursts)))
              .replace("@READ@", str(read)))
    out = subprocess.run([str(compile_program(source, TB_FLAGS).path)], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.split() == ["0", "0"], f"R = {bursts}: {out.stdout.strip()} words wrong"
