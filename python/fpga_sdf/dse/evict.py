"""Which skip-connection FIFOs to evict to off-chip memory so a partition fits its BRAM.

SMOF's greedy: while the partition is over budget, evict the join input whose FIFO frees the
most BRAM per bit of off-chip traffic it adds (2 x the tensor per frame: written, read back).
Every step is costed by the partition model itself (`partition_resources` with the join's
`evicted` set), so what the greedy counts is what `--sdf-report` and the backends see, and
an interval that turns bandwidth-bound shows in the result. Called by `--sdf-evict` and by
the exploration when a partition's memory overflows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..model.eviction import DMA_MODULE, dma_buffers, tensor_bits
from ..model.performance import partition_performance
from ..model.resources import module_resources, partition_resources
from ..model.spec import LayerSpec, Partition


@dataclass(frozen=True)
class Eviction:
    """One join input moved off chip, with what it trades."""

    edge: tuple[str, str]  # (producer, join)
    operand: int  # the join's operand index (its `evicted` entry)
    bram18_saved: int  # the FIFO's BRAM18 less the DMA buffers'
    bits_per_frame: int  # off-chip traffic it adds: 2 x the tensor's bits


@dataclass(frozen=True)
class EvictionPlan:
    layers: tuple[LayerSpec, ...]  # the partition's layers with `evicted` set
    evictions: tuple[Eviction, ...]  # in the order the greedy chose them
    bram18: int  # the partition's BRAM18 with them
    fits: bool  # bram18 within the budget


def candidates(layers, edges, platform, clock_mhz=None) -> list[Eviction]:
    """Every join input not yet evicted whose edge holds a FIFO, with its trade."""
    layers = tuple(layers)
    edges = tuple(edges) if edges is not None else Partition.chain(layers).edges
    specs = {s.name: s for s in layers}
    into: dict[str, list[str]] = {}
    for src, dst in edges:
        into.setdefault(dst, []).append(src)
    perf = partition_performance(layers, edges, platform, clock_mhz)
    found = []
    for (src, dst), fifo in perf.fifos:
        if fifo.name == DMA_MODULE or len(into[dst]) < 2:
            continue
        operand = into[dst].index(src)
        dma = dma_buffers(fifo.instances, fifo.memories[0].width)
        saved = module_resources(fifo, platform.family, platform.has_uram).bram18 - \
            module_resources(dma, platform.family, platform.has_uram).bram18
        found.append(Eviction((src, dst), operand, saved, 2 * tensor_bits(specs[src])))
    return found


def evict(layers, operands: dict[str, tuple[int, ...]]) -> tuple[LayerSpec, ...]:
    """The layers with the joins' `evicted` set to `operands` (name -> indices), others cleared."""
    return tuple(replace(s, evicted=tuple(sorted(operands.get(s.name, ())))) for s in layers)


def greedy_evictions(layers, edges, platform, bram18_budget: float, clock_mhz=None) -> EvictionPlan:
    """Evictions bringing the partition within `bram18_budget` BRAM18, fewest bits per BRAM
    first; `fits` is False when evicting every FIFO that saves BRAM is not enough (then the
    plan holds all of them)."""
    layers = tuple(layers)
    chosen: list[Eviction] = []
    current = evict(layers, {})
    used = partition_resources(current, edges, platform, clock_mhz=clock_mhz).bram18
    while used > bram18_budget:
        worth = [c for c in candidates(current, edges, platform, clock_mhz) if c.bram18_saved > 0]
        if not worth:
            break
        best = max(worth, key=lambda c: (c.bram18_saved / c.bits_per_frame, c.bram18_saved))
        chosen.append(best)
        operands: dict[str, tuple[int, ...]] = {}
        for c in chosen:
            operands[c.edge[1]] = operands.get(c.edge[1], ()) + (c.operand,)
        current = evict(layers, operands)
        used = partition_resources(current, edges, platform, clock_mhz=clock_mhz).bram18
    return EvictionPlan(current, tuple(chosen), used, used <= bram18_budget)
