"""SMOF-style eviction: a join's skip-connection FIFO moved to off-chip memory.

Where branches join, the early branch's words wait in a FIFO until the late branch catches up
(fifo_depths.join_backlogs): in a residual block that is about the conv branch's line
buffers, and in a 3D or squeeze-excitation block up to a whole map, often the largest BRAM
user of a partition. Evicted, the early branch's stream is written to off-chip memory and
read back when the join needs it: the FIFO's BRAM becomes a DMA buffer pair and 2 x the
tensor's bits per frame of off-chip traffic, shared with the partition's other off-chip
tensors, so the pipeline slows uniformly when the DMA runs short (bandwidth_interval).

The decision is the join's `evicted` attribute (operand indices, LayerSpec.evicted). The
model's edges into a layer follow its operands in order, so where both of a join's inputs
are on chip, operand i is its i-th edge.
"""

from __future__ import annotations

from functools import lru_cache
from math import prod

from .hardware import Memory, Module, clog2
from .spec import LayerSpec, kernel_of, padded_spatial, spatial

BURST_BYTES = 4096
"""Bytes of one DMA burst, the size of each of the evicted edge's two buffers. AXI4 bursts
must not cross a 4 KB address boundary, so 4 KB is the longest burst a DMA can issue: the
write buffer gathers one while the previous is on the bus, the read buffer holds one fetched
ahead, so neither the early branch nor the join waits for the DRAM's latency."""

DMA_MODULE = "evict_dma"
"""Name of the evicted edge's module in PartitionPerf.fifos: not a FIFO a backend may build
at its depth, but a write and a read burst buffer with a DMA between them."""


@lru_cache(maxsize=4096)
def dma_buffers(streams: int, width: int) -> Module:
    """The write and read burst buffers of an evicted edge of `streams` streams of `width`
    bits: per stream, two memories of its share of a burst."""
    depth = max(1, -(-BURST_BYTES * 8 // (max(streams, 1) * width)))
    return Module(DMA_MODULE, streams, 0, 0, 0, 1, pipeline=0,
                  memories=(Memory("buffer", width, depth, copies=2),),
                  logic=(("const", 1), ("counter_bits", 4 * clog2(depth))))


def evictable(fifo_depth: int, dma: Module, frame_bits: int, pixels: int = 1) -> bool:
    """Whether an edge whose FIFO holds `fifo_depth` words a stream on chip can run evicted
    through `dma` (dma_buffers): its frame fills more than two bursts (the writer refills a slot
    of the ring only once the reader has taken the next burst's token: a slot written, one
    read, one between), and a burst gathers no more
    words a stream than the FIFO's depth, its lead over the join (the join reads a burst's
    first word only once it is written, and the other branch has no room for more), at one
    pixel a word. The HLS backend refuses the rest (backend/hls/evict.refusal), so the DSE
    never picks them."""
    return pixels == 1 and frame_bits > 2 * BURST_BYTES * 8 and dma.memories[0].depth <= fifo_depth


def evicted_edges(layers: tuple[LayerSpec, ...], edges) -> tuple[tuple[tuple[str, str], int], ...]:
    """((producer, join), bits per frame) of every evicted edge: the join's operand i is its
    i-th edge. A join reading an input from off-chip already (a cut inside its block) has no
    skip FIFO on chip (fifo_depths sizes one only between two on-chip branches) and the
    edges cannot say which operand is which: its evictions are ignored."""
    specs = {s.name: s for s in layers}
    into: dict[str, list[str]] = {}
    for src, dst in edges:
        into.setdefault(dst, []).append(src)
    found = []
    for spec in layers:
        fed = into.get(spec.name, [])
        if len(fed) < len(spec.inputs):
            continue
        for i in spec.evicted:
            if i < len(fed):
                src = specs[fed[i]]
                found.append(((src.name, spec.name), tensor_bits(src)))
    return tuple(found)


def tensor_bits(spec: LayerSpec) -> int:
    """Bits per frame of one output stream of `spec` (a fork's outputs are all alike)."""
    return prod(spec.outputs[0]) * spec.output_width


# --- a sliding window's outermost delay lines in off-chip memory -------------------------
#
# A window over spatial dim 0 (D in 3D, H in 2D) keeps e0 - 1 delay lines of a slice of that
# dim each (frame buffers in 3D, line buffers in 2D: modules._sliding_window), the largest
# memories of a 3D layer. With `window_evicted` they live in DDR instead: the window writes
# every input word it reads into a ring of one frame, and each tap along dim 0 that lags
# (j > 0 slices behind the walk) reads the ring back through its own stream, taking a word
# wherever its position j slices back is real. On chip stay the inner dims' delay lines, one
# set per tap, and the burst buffers: a write and one read per lagged tap. The walk, its
# cycles and its windows do not change; the traffic is the frame written once and a prefix
# of it read back by each lagged tap (the slices the walk still reaches j slices back).

WINDOW_DMA = "window_dma"
"""Role of the burst buffers in the sliding window Module of a window_evicted layer."""


def window_lags(spec: LayerSpec) -> tuple[int, ...]:
    """How many slices of dim 0 each of the kernel's taps along it lags the walk, in kernel
    order: e0 - 1 - k * d0; the last (0) is the live stream."""
    k0 = kernel_of(spec)[0]
    d0 = (spec.dilation or (1,) * len(kernel_of(spec)))[0]
    return tuple(d0 * (k0 - 1) - k * d0 for k in range(k0))


def window_reads(spec: LayerSpec) -> tuple[int, ...]:
    """Slices of dim 0 each lagged tap (window_lags > 0, same order) reads a frame: the walk
    reaches padded position P0 - 1, so tap j sees real slices 0 .. P0 - 1 - b0 - j."""
    real = spatial(spec.inputs[0])[0]
    padded = padded_spatial(spec)[0]
    begin = (tuple(spec.pad) or (0,) * (2 * len(kernel_of(spec))))[0]
    return tuple(max(0, min(real, padded - begin - j)) for j in window_lags(spec) if j > 0)


def window_burst(spec: LayerSpec, streams: int) -> int:
    """Words per stream of one burst buffer (a 4 KB burst shared by the streams)."""
    return max(1, -(-BURST_BYTES * 8 // (max(streams, 1) * spec.data_width)))


def window_traffic(spec: LayerSpec) -> tuple[int, ...]:
    """Bits a frame of the write master, then of each lagged tap's read master."""
    frame = prod(spec.inputs[0]) * spec.data_width
    real = spatial(spec.inputs[0])[0]
    return (frame,) + tuple(n * frame // real for n in window_reads(spec))


def window_evictable(spec: LayerSpec, streams: int, ch_s: int) -> str | None:
    """Why the window's dim-0 delay lines cannot run from off-chip memory, or None.

    One burst must gather no more words than the smallest lag holds (the window waits for a
    lagged tap's burst only once the writer has had every word of it, and the writer gets
    words only while the window walks), and the ring of one frame must hold the largest lag
    and four bursts besides (two in each credit FIFO's margin: the writer must not lap the
    slowest reader, evict.hpp's token argument)."""
    if spec.pixels != (1, 1):
        return "a window of several pixels a word cannot evict its delay lines (only one pixel a word)"
    lags = [j for j in window_lags(spec) if j > 0]
    if not lags:
        return "its window does not span the outermost spatial dim: no delay line of a slice to evict"
    dims = spatial(spec.inputs[0])
    slice_words = prod(dims[1:]) * ch_s
    burst = window_burst(spec, streams)
    if burst > min(lags) * slice_words:
        return (f"a burst gathers {burst} words a stream, more than the {min(lags) * slice_words} the nearest "
                "lagged tap trails the walk by: the window would wait on a burst it has not yet read")
    if max(lags) * slice_words + 4 * burst > dims[0] * slice_words:
        return (f"a frame of {dims[0] * slice_words} words a stream cannot hold the lag of {max(lags)} slices "
                f"({max(lags) * slice_words} words) and four bursts of {burst}: the writer would lap a reader")
    return None
