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
from .spec import LayerSpec

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
