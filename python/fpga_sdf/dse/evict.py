"""What to evict to off-chip memory so a partition fits its BRAM: skip-connection FIFOs and
sliding windows' outermost delay lines (frame buffers of a 3D layer, line buffers of a 2D one).

SMOF's greedy: while the partition is over budget, evict what frees the most BRAM per bit of
off-chip traffic it adds (a skip stream: 2 x the tensor per frame, written and read back; a
window: its frame written and a prefix read back per lagged tap, eviction.window_traffic).
Every step is costed by the partition model itself (`partition_resources` with the join's
`evicted` or the layer's `window_evicted` set), so what the greedy counts is what
`--sdf-report` and the backends see, and an interval that turns bandwidth-bound shows in the
result. Called by `--sdf-evict` and by the exploration when a partition's memory overflows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from math import ceil

from ..model.eviction import DMA_MODULE, dma_buffers, evictable, tensor_bits, window_traffic
from ..model.folding import check_folding
from ..model.modules import expand, pixels_out, window_problem
from ..model.performance import partition_performance
from ..model.resources import module_resources, partition_resources
from ..model.spec import WEIGHT_KINDS, LayerSpec, Partition
from ..model.weights_memory import with_fragments
from .balance import Infeasible, fold_partition
from .problem import RESOURCES

WINDOW = -1
"""Eviction.operand of a window's delay lines (not a join's input)."""


@dataclass(frozen=True)
class Eviction:
    """One buffer moved off chip, with what it trades."""

    edge: tuple[str, str]  # (producer, join) of a skip stream; (layer, layer) of a window
    operand: int  # the join's operand index (its `evicted` entry), or WINDOW
    bram18_saved: int  # the FIFO's (or the window's delay lines') BRAM18 less the burst buffers'
    bits_per_frame: int  # off-chip traffic it adds

    @property
    def window(self) -> str | None:
        """The layer whose window's delay lines it evicts, None for a skip stream."""
        return self.edge[1] if self.operand == WINDOW else None


@dataclass(frozen=True)
class EvictionPlan:
    layers: tuple[LayerSpec, ...]  # the partition's layers with `evicted` / `window_evicted` set
    evictions: tuple[Eviction, ...]  # in the order the greedy chose them
    bram18: int  # the partition's BRAM18 with them
    fits: bool  # bram18 within the budget


def candidates(layers, edges, platform, clock_mhz=None) -> list[Eviction]:
    """Every buffer not yet evicted that can run off chip, with its trade: a join input
    whose edge holds a FIFO (eviction.evictable), a window whose delay lines can
    (modules.window_problem)."""
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
        if not evictable(fifo.memories[0].depth, dma, tensor_bits(specs[src]), pixels_out(specs[src])):
            continue
        saved = module_resources(fifo, platform.family, platform.has_uram).bram18 - \
            module_resources(dma, platform.family, platform.has_uram).bram18
        found.append(Eviction((src, dst), operand, saved, 2 * tensor_bits(specs[src])))
    for spec in layers:
        trade = None if spec.window_evicted else _window_trade(spec, platform.family, platform.has_uram)
        if trade is not None:
            found.append(Eviction((spec.name, spec.name), WINDOW, *trade))
    return found


@lru_cache(maxsize=4096)
def _window_trade(spec: LayerSpec, family: str, has_uram: bool) -> tuple[int, int] | None:
    """(BRAM18 saved, bits a frame added) by evicting the layer's window's delay lines, None
    where it cannot run evicted. Memoised: the greedy re-asks every layer at every pick."""
    evicted = replace(spec, window_evicted=True)
    if window_problem(evicted) is not None:
        return None

    def bram18(s):
        return sum(module_resources(m, family, has_uram).bram18 for m in expand(s) if m.name == "sliding_window")
    return bram18(spec) - bram18(evicted), sum(window_traffic(evicted))


def evict(layers, operands: dict[str, tuple[int, ...]], windows=()) -> tuple[LayerSpec, ...]:
    """The layers with the joins' `evicted` set to `operands` (name -> indices) and
    `window_evicted` on the layers named in `windows`, every other eviction cleared."""
    return tuple(replace(s, evicted=tuple(sorted(operands.get(s.name, ()))), window_evicted=s.name in windows)
                 for s in layers)


def greedy_evictions(layers, edges, platform, bram18_budget: float, clock_mhz=None,
                     min_saved: int = 1) -> EvictionPlan:
    """Evictions bringing the partition within `bram18_budget` BRAM18, fewest bits per BRAM
    first, of buffers saving at least `min_saved` BRAM18 each; `fits` is False when evicting
    all of those is not enough (then the plan holds all of them)."""
    layers = tuple(layers)
    chosen: list[Eviction] = []
    current = evict(layers, {})
    used = partition_resources(current, edges, platform, clock_mhz=clock_mhz).bram18
    while used > bram18_budget:
        worth = [c for c in candidates(current, edges, platform, clock_mhz) if c.bram18_saved >= max(min_saved, 1)]
        if not worth:
            break
        best = max(worth, key=lambda c: (c.bram18_saved / c.bits_per_frame, c.bram18_saved))
        chosen.append(best)
        current = with_evictions(layers, chosen)
        used = partition_resources(current, edges, platform, clock_mhz=clock_mhz).bram18
    return EvictionPlan(current, tuple(chosen), used, used <= bram18_budget)


WORTH_REFOLDING = 0.02
"""The share of the BRAM budget that evicting every skip FIFO of a partition that fits must
free before the DSE refolds it with evictions. A faster folding needs far more memory than a
few FIFOs (more banks per layer): ResNet-50's skip FIFOs free about 4 BRAM18 each, and
refolding every one of its candidate partitions made its ZC706 exploration 26x slower (32 s
to 840 s, into its time limit: 194.7 -> 141.0 GOP/s) for no design evicting anything."""


WORTH_EVICTING = 0.005
"""The share of the BRAM budget a buffer's eviction (a skip FIFO's or a window's) must free
for the DSE to consider it. A
2D layer's line buffers free about 2 BRAM18 each for 3 x its map of traffic (they are a row
deep, their burst buffers 12 KB): ResNet-50's sixteen 3x3 convs passed WORTH_REFOLDING
together, and refolding every k of them sent its ZC706 exploration into its time limit
(684 s, 194.7 -> 141.0 GOP/s) for a design evicting none. A 3D layer's frame buffers free
tens of BRAM18 each, a 3D block's skip FIFO fifty."""


def eviction_order(layers, edges, platform, clock_mhz=None, min_saved: int = 1) -> tuple[Eviction, ...]:
    """Every buffer whose eviction saves BRAM, in the greedy's order (most BRAM18 saved per bit first),
    each re-costed with the ones before it evicted."""
    return greedy_evictions(layers, edges, platform, 0, clock_mhz, min_saved).evictions


def with_evictions(layers, evictions) -> tuple[LayerSpec, ...]:
    """The layers with exactly `evictions` set (joins' `evicted`, layers' `window_evicted`)."""
    operands: dict[str, tuple[int, ...]] = {}
    for e in evictions:
        if e.window is None:
            operands[e.edge[1]] = operands.get(e.edge[1], ()) + (e.operand,)
    return evict(layers, operands, {e.window for e in evictions if e.window is not None})


def _bram_binds(design, c) -> bool:
    """BRAM is the resource the design uses most of (as a fraction of its budget): freeing
    some may let the layers fold faster or keep their weights on chip."""
    used = {r: getattr(design.resources, r) / c.capacity(r) for r in RESOURCES if c.capacity(r)}
    return bool(used) and max(used, key=used.get) == "bram18"


def _bram_floor(specs, edges, c) -> int:
    """BRAM18 of the layers fully folded with every weight streamed (AutoWS's floor): where
    even that, all evicted, is over the budget, no fold with evictions is expected to fit
    (a pruning estimate: a failing fold, through reloading and streaming, is the dearest call
    the DSE makes)."""
    folded = [replace(s, coarse_in=1, coarse_out=1, coarse_group=1, fine=1, pixels=(1, 1)) for s in specs]
    streamed = [with_fragments(s, 1.0) if s.kind in WEIGHT_KINDS else s for s in folded]
    return partition_resources(streamed, edges, c.platform, clock_mhz=c.clock_mhz).bram18


def _window_may_cure(specs, layer: str) -> bool:
    """Whether the layer that does not fit alone has a window whose delay lines can go off
    chip at its folding here (check_folding decides again at the folding chosen)."""
    spec = next((s for s in specs if s.name == layer), None)
    return spec is not None and window_problem(replace(spec, window_evicted=True)) is None


def fold_evicting(specs, edges, c, objective: str, strategy: str = "greedy"):
    """`balance.fold_partition` deciding the partition's evictions too: the better design
    by the objective of the partition with none and with the greedy's first k buffers
    evicted (`eviction_order`, most BRAM per bit first: skip FIFOs and windows' delay lines).

    The DSE decides evictions afresh (any `evicted` or `window_evicted` on the specs is
    dropped), and only where they may pay: a skip FIFO or a window's delay lines hold BRAM, and either no design fits without evicting or
    BRAM is the binding resource. A partition that fits is refolded only where evicting
    every such buffer frees at least WORTH_REFOLDING of the BRAM budget: first with all of
    them evicted; if that is no cheaper, it keeps none (one fold more where eviction does
    not pay); else every k is folded (freeing one buffer may not reach the next faster folding
    where freeing two does). One that does not fit first finds the fewest evictions that fit
    by a binary search (more evictions, less BRAM; a fold that fails is the dearest) and
    folds every k from there. The model charges each evicted stream's traffic, so a design
    the DMA cannot feed slows uniformly (`bandwidth_interval`) and loses by its cost."""
    specs = evict(specs, {})
    edges = tuple(edges)

    @lru_cache(maxsize=None)
    def fold(k: int):
        """The fold with the first k evicted; None where it fails, or reloads weights beside
        an evicted skip stream (which neither backend builds; an evicted window they do)."""
        try:
            design = fold_partition(with_evictions(specs, order[:k]), edges, c, objective, strategy)
        except Infeasible:
            return None
        if any(s.window_evicted and check_folding(s) for s in design.specs):
            return None  # folded where its window cannot run evicted (window_problem)
        skips = any(e.window is None for e in order[:k])
        return None if skips and any(s.wr_factor > 1 for s in design.specs) else design

    try:
        best, failure = fold_partition(specs, edges, c, objective, strategy), None
    except Infeasible as err:
        best, failure = None, err
        if err.layer is not None and not _window_may_cure(specs, err.layer):
            raise  # one layer alone is too big, and not by its window's delay lines
    if best is not None and not _bram_binds(best, c):
        return best
    min_saved = ceil(WORTH_EVICTING * c.capacity("bram18"))
    order = eviction_order(best.specs if best is not None else specs, edges, c.platform, c.clock_mhz, min_saved)
    if not order:
        if failure is not None:
            raise failure
        return best
    if best is None:
        if _bram_floor(with_evictions(specs, order), edges, c) > c.capacity("bram18") or fold(len(order)) is None:
            raise failure
        lo, hi = 1, len(order)
        while lo < hi:  # the fewest evictions with which some design fits
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if fold(mid) is not None else (mid + 1, hi)
        ks = range(lo, len(order) + 1)
    else:
        if sum(e.bram18_saved for e in order) < WORTH_REFOLDING * c.capacity("bram18"):
            return best  # too little to reach a faster folding: not worth the folds
        every = fold(len(order))
        if every is None or every.cost >= best.cost:
            return best  # freeing all of it buys nothing: one fold more
        ks = range(1, len(order) + 1)
    for k in ks:
        design = fold(k)
        if design is not None and (best is None or design.cost < best.cost):
            best = design
    return best
