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


def _module(name: str, conv, shape: tuple):
    """One conv layer on a (C, *spatial) input, quantized for zcu102 on two random frames."""
    import torch.nn as nn

    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.frontend.zoo import _finish

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = conv

        def forward(self, x):
            return self.conv(x)

    model, x = _finish(name, Net(), (1, *shape))
    return import_model(model, x), tuple(x.shape[1:])


def _design(tmp: Path, conv, shape: tuple, folding: dict | None = None):
    """The quantized module with window_evicted set on its conv (by hand, as the IR would say
    it), and two input frames."""
    from torch_mlir import ir

    module, in_shape = _module("window_evict", conv, shape)
    x = np.random.default_rng(7).standard_normal((FRAMES, *in_shape)).astype(np.float32)
    np.save(tmp / "calib.npy", x)
    run_pass(module, "sdf-quantize", f"calibration={tmp / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zcu102")
    for _, op in network.named_layers(module):
        if op.operation.name == "sdf.conv":
            with module.context:
                op.operation.attributes["window_evicted"] = ir.BoolAttr.get(True)
                for attr, value in (folding or {}).items():
                    op.operation.attributes[attr] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), value)
    return module, x


def _conv_spec(module):
    (spec,) = [network.layer_spec(name, op) for name, op in network.named_layers(module)
               if op.operation.name == "sdf.conv"]
    return spec


def _check_against_model(module, proj, stdout: str | None) -> None:
    """The ring's streams, masters and bits, and the cycles, are the model's."""
    target = target_mod.read(module, "test")
    (mpart,) = network.model_partitions(module)
    perf = partition_performance(mpart.layers, mpart.edges, target.platform, target.clock_mhz)
    spec = _conv_spec(module)
    (part,), (entry,) = proj.partitions, proj.schedule["partitions"]
    (ring,) = part.rings
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
    built = [e.bundle.words * e.bundle.fmt.width for e in part.inputs + part.outputs] + list(ring.port_bits)
    assert sorted(built) == sorted(perf.master_bits) and perf.masters == len(part.memory_args())
    top = proj.files["p0/src/p0_top.cpp"]
    for port in ring.ports:
        assert f"m_axi port={port} offset=slave bundle=gmem_{port} depth={ring.beats}" in top
    assert entry["rings"][0]["ports"] == list(ring.ports) and entry["rings"][0]["kind"] == "window"
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


def _run(tmp_path, conv, shape, folding=None):
    module, x = _design(tmp_path, conv, shape, folding)
    proj, y, ref, stdout = run_project(module, x, tmp_path / "hls")
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    _check_against_model(module, proj, stdout)
    return module, proj, stdout


def test_3d_window_frame_buffers_evicted_is_bit_exact(tmp_path):
    """A 3x3x3 conv (pad 1) on 8 x 6 x 16 x 16: its two frame buffers in a ring of one frame
    (a plane is 2,048 words, one 4 KB burst: six a frame); the taps two and one planes back
    read the first 5 and 6 planes; two frames bit-exact."""
    import torch.nn as nn

    module, proj, stdout = _run(tmp_path, nn.Conv3d(8, 4, 3, padding=1), (8, 6, 16, 16), {"coarse_out": 4})
    (ring,) = proj.partitions[0].rings
    assert window_lags(_conv_spec(module)) == (2, 1, 0) and window_reads(_conv_spec(module)) == (5, 6)
    assert ring.bursts == 6 and ring.reads == (5 * 2048, 6 * 2048)
    assert "csim: loop p0_window0_read0/evict_read_drain iterations 2" in stdout  # the sixth burst, x 2 frames
    compile_synth_style(tmp_path / "hls")


def test_2d_window_line_buffers_evicted_is_bit_exact(tmp_path):
    """A 3x3 conv (pad 1) on 32 x 6 x 64: its two line buffers (a row of 2,048 words) off chip,
    on chip a row of three columns per tap; two frames bit-exact."""
    import torch.nn as nn

    module, proj, _ = _run(tmp_path, nn.Conv2d(32, 2, 3, padding=1), (32, 6, 64), {"coarse_out": 2})
    assert window_reads(_conv_spec(module)) == (5, 6)
    assert "sdf::sliding_window_evicted<" in proj.files["p0/src/conv.cpp"]


def test_temporal_conv_window_evicted_is_bit_exact(tmp_path):
    """R(2+1)D's temporal (3, 1, 1) conv: only dim 0 is windowed, so on chip each tap keeps a
    pixel; two frames bit-exact."""
    import torch.nn as nn

    _run(tmp_path, nn.Conv3d(8, 4, (3, 1, 1), padding=(1, 0, 0)), (8, 6, 16, 16), {"coarse_out": 4})


def test_a_frame_too_short_for_the_lag_is_refused(tmp_path):
    """Four planes (a burst each): the ring cannot hold the lag of two planes and four bursts
    besides: window_evictable's reason at the layer."""
    import torch.nn as nn
    from fpga_sdf.backend.hls.emit import emit
    from fpga_sdf.model.eviction import window_evictable

    module, _ = _design(tmp_path, nn.Conv3d(8, 4, 3, padding=1), (8, 4, 16, 16))
    why = window_evictable(_conv_spec(module), 1, 8)
    assert why and "cannot hold the lag of 2 slices" in why
    with pytest.raises(UserError) as err:
        emit(module, source="net.mlir")
    assert re.search(r":\d+:\d+: error: window_evicted: " + re.escape(why), str(err.value)), str(err.value)


def test_a_burst_longer_than_the_nearest_lag_is_refused(tmp_path):
    """A plane of 256 words, a burst of 2,048: the window would wait on a burst it has not read."""
    import torch.nn as nn
    from fpga_sdf.backend.hls.emit import emit

    module, _ = _design(tmp_path, nn.Conv3d(4, 4, 3, padding=1), (4, 8, 8, 8))
    with pytest.raises(UserError) as err:
        emit(module, source="net.mlir")
    assert re.search(r":\d+:\d+: error: window_evicted: a burst gathers 2048 words a stream, more than the 256 "
                     r"the nearest lagged tap trails the walk by", str(err.value)), str(err.value)
