"""Folding one partition: rate balancing under the board's resources (rule-based search).

The partition runs at the pace of its slowest layer, so resources spent making one layer
faster than the others are wasted. For a target interval T every layer takes its cheapest
folding that meets T; a binary search finds the smallest T whose design fits. When even the
most folded design does not fit, weights reloading and AutoWS's weights streaming shrink the
weight memories: both placements are folded and the cheaper kept (`_fold`).
"""

from __future__ import annotations

import itertools
from bisect import bisect_left

import numpy as np
from dataclasses import dataclass, replace

from ..model import LayerSpec, PartitionPerf, Resources, folding_choices, layer_performance, layer_resources
from ..model import partition_performance, partition_resources
from ..model.modules import pixels_out, window_tail
from ..model.performance import transfer_cycles
from ..model.spec import WEIGHT_KINDS, sparsity_applies
from ..model.weights_memory import FRAGMENT_WORDS, with_fragments
from .fragments import BRAM18_BITS, URAM_BITS, fit_fragments
from .options import WEIGHT_BINDINGS, Menu, layer_menu
from .problem import RESOURCES, Constraints, partition_cost

EXHAUSTIVE_LIMIT = 20000
REBALANCE_ROUNDS = 4
STREAM_STEP = 0.25  # fraction of a layer's weights moved off chip per step
SHARING_ROUNDS = 3  # stream-first with pixels: rounds moving the streaming convs to more pixels a word
SHORTENING_ROUNDS = 3  # latency objective: rounds speeding up single layers past the target
SHORTENING_LAYERS = 8  # of them, the layers a frame waits longest for, tried each round


class Infeasible(Exception):
    """No folding of these layers fits; `layer` is set when one layer alone is too big."""

    def __init__(self, message: str, layer: str | None = None):
        super().__init__(message)
        self.layer = layer


@dataclass(frozen=True)
class PartitionDesign:
    specs: tuple[LayerSpec, ...]
    edges: tuple[tuple[str, str], ...]
    perf: PartitionPerf
    resources: Resources
    power_w: float
    cost: float  # the objective's additive cost of running the batch


def evaluate(specs, edges, c: Constraints, objective: str) -> PartitionDesign:
    specs = tuple(specs)
    perf = partition_performance(specs, edges, c.platform, c.clock_mhz, c.batch)
    used = partition_resources(specs, edges, c.platform, perf, c.clock_mhz)
    watts = c.power_w(used)
    return PartitionDesign(specs, tuple(edges), perf, used, watts, partition_cost(objective, perf.time_s, watts))


def fold_partition(specs, edges, c: Constraints, objective: str, strategy: str = "greedy") -> PartitionDesign:
    """The best design of these layers as one partition, or `Infeasible`.

    Where sparse engines are possible, the design with dense engines only is folded too and
    the cheaper kept: a sparse engine's crossbar slows the whole partition's clock, which
    the per-layer choice of folding cannot see. With two or more such layers a third design
    lets each layer take either engine (its crossbar may cost more LUTs than its DSPs save);
    it is a separate candidate because the greedy search over a larger menu can land on a
    worse design than over either menu alone. For the same reason, with pixels allowed the
    layers are also folded at one pixel a word and the cheaper kept (MobileNetV2 on the ZC706
    at batch 1: 17.25 ms with pixels in the menus, 1.60 ms without).
    """
    if not c.pixels:
        return _fold_engines(specs, edges, c, objective, strategy)
    designs, failure = [], None
    for limits in (c, replace(c, pixels=False)):
        try:
            designs.append(_fold_engines(specs, edges, limits, objective, strategy))
        except Infeasible as err:
            failure = failure or err
    if not designs:
        raise failure
    return min(designs, key=lambda d: d.cost)


def _fold_engines(specs, edges, c: Constraints, objective: str, strategy: str) -> PartitionDesign:
    """`fold_partition` at the menus' pixels: the dense, sparse and mixed variants."""
    specs = _unfolded(specs)
    if not any(sparsity_applies(s) for s in specs):
        return _fold(specs, edges, c, objective, strategy)
    dense = [replace(s, dense_engine=True) if sparsity_applies(s) else s for s in specs]
    variants = [(specs, False), (dense, False)]
    if sum(1 for s in specs if sparsity_applies(s)) > 1:
        variants.append((specs, True))
    designs, failure = [], None
    for variant, mixed in variants:
        try:
            designs.append(_fold(variant, edges, c, objective, strategy, mixed))
        except Infeasible as err:
            failure = failure or err
    if not designs:
        raise failure
    return min(designs, key=lambda d: d.cost)


def _fold(specs, edges, c: Constraints, objective: str, strategy: str, mixed: bool = False) -> PartitionDesign:
    """The cheapest of whole designs, since which wins depends on the batch: all weights on
    chip when some design fits so, else reload-first (`_with_reloading`: weights reloading
    re-runs the partition, paid once per batch); and stream-first (`_streaming`: AutoWS's
    fragments, fetched again every frame). Stream-first is folded even where every weight
    fits: its placement step moves memories between URAM and BRAM and streams what a faster
    folding no longer holds, which the rebalancing rounds alone can miss (ResNet-50 on U250
    at batch 1: 2.02 ms on chip, 1.13 ms stream-first with nothing streamed). The greedy
    strategy only (the others are oracles over the foldings as given), and on boards with
    URAM only: without a second kind of memory there is nothing to rebind, and the extra
    fold of every partition costs exploration time."""
    specs = list(specs)
    options = _menus(specs, c, mixed)
    if _design_at(None, specs, edges, options, c, objective) is not None:
        on_chip = _search(strategy, specs, edges, options, c, objective)
        streamed = _streaming(specs, edges, options, c, objective) \
            if strategy == "greedy" and c.platform.has_uram else None
        best = on_chip if streamed is None or on_chip.cost <= streamed.cost else streamed
        return _shortened(best, options, c, objective) if strategy == "greedy" else best
    designs, failure = [], None
    try:
        reloaded, menus = _with_reloading(specs, edges, c, objective, mixed)
        designs.append(_search(strategy, reloaded, edges, menus, c, objective))
    except Infeasible as err:
        failure = err
    streamed = _streaming(specs, edges, options, c, objective)
    if streamed is not None:
        designs.append(streamed)
    if not designs:
        raise failure
    best = min(designs, key=lambda d: d.cost)
    return _shortened(best, options, c, objective) if strategy == "greedy" else best


def _shortened(design: PartitionDesign, options, c: Constraints, objective: str) -> PartitionDesign:
    """For the latency objective: single weights layers moved to faster foldings than the
    target needs, wherever that fits and shortens the run.

    Why: a frame's latency counts what a layer does after its producers' last word at its
    own pace (model/performance._beyond_interval): the windows a conv behind the bottleneck
    emits alone, and a classifier's whole frame behind a global pool (ResNet-50's fc at
    256,000 cycles a frame adds 1.3 ms at 200 MHz to any design). Rate balancing folds each
    layer only as fast as the slowest, which the latency does not reward. Each round tries
    the SHORTENING_LAYERS weights layers a frame waits longest for (a layer fed by a global
    pool: its frame time; any other: its trailing windows' share of it) at a quarter, a half
    and three quarters of its interval (its weights streamed in the same fraction, as
    fragments of the new folding), fastest first, and keeps the first that fits and costs
    less."""
    if objective != "latency":
        return design
    kinds = {s.name: s.kind for s in design.specs}
    behind_pool = {dst for src, dst in design.edges if kinds[src] == "global_pool"}

    def share(spec) -> float:  # of its own frame time, what a frame waits for at the end
        return 1.0 if spec.name in behind_pool else window_tail(spec)

    best = design
    for _ in range(SHORTENING_ROUNDS):
        improved = False
        ranked = sorted(((share(s) * layer_performance(s).interval, i) for i, s in enumerate(best.specs)
                         if s.kind in WEIGHT_KINDS and s.wr_factor == 1 and share(s)), reverse=True)
        for _, i in ranked[:SHORTENING_LAYERS]:
            spec = best.specs[i]
            own = layer_performance(spec).interval
            for target in (own // 4, own // 2, 3 * own // 4):
                option = options[spec.name].cheapest(target, np.ones(len(RESOURCES)))
                if option is None:
                    continue
                faster = with_fragments(option.spec, spec.weights_off_chip) if spec.weights_off_chip else option.spec
                trial = evaluate(best.specs[:i] + (faster,) + best.specs[i + 1:], best.edges, c, objective)
                if c.fits(trial.resources) and trial.cost < best.cost:
                    best, improved = trial, True
                    break
        if not improved:
            break
    return best


def _search(strategy: str, specs, edges, options, c: Constraints, objective: str) -> PartitionDesign:
    if strategy == "exhaustive":
        return _exhaustive(specs, edges, options, c, objective)
    if strategy == "rate":
        return _rate_matched(specs, edges, options, c, objective)
    return _balanced(specs, edges, options, c, objective)


def _unfolded(specs) -> list[LayerSpec]:
    return [replace(s, coarse_in=1, coarse_out=1, coarse_group=1, fine=1, wr_factor=1, weights_memory="auto",
                    weights_off_chip=0.0, weights_fragments=(), sparse_buffer=0, dense_engine=False,
                    pixels=(1, 1)) for s in specs]


def _menus(specs, c: Constraints, mixed: bool) -> dict[str, Menu]:
    return {s.name: layer_menu(s, c.platform, mixed, c.pixels) for s in specs}


def _streaming(specs, edges, options, c: Constraints, objective: str) -> PartitionDesign | None:
    """Stream-first (AutoWS: fold, then fragment): at a target interval T each layer takes
    its cheapest folding meeting T and the fragments greedy (`fragments.fit_fragments`)
    streams what does not fit at that folding, pricing a stream by the model's transfer time
    beside the partition's off-chip tensors. A faster T streams more, so its transfer time
    grows as T shrinks: the binary search finds the smallest T whose design fits with its
    transfer within T, and the fastest design is that or the next faster one (bound by the
    bandwidth). None when no T fits."""
    bits = {"bram18": BRAM18_BITS, "uram": URAM_BITS}

    def excess(used: Resources) -> float:
        return sum(max(getattr(used, r) - c.capacity(r), 0) * b for r, b in bits.items())

    def fragmented(picked):
        # the partition's other masters as the model deals them (tensors per run, an evicted
        # stream's write and read), without any weights stream yet
        on_chip = [replace(s, weights_off_chip=0.0, weights_fragments=()) for s in picked]
        tensors = list(partition_performance(on_chip, edges, c.platform, c.clock_mhz).master_bits)
        plan = fit_fragments(picked, edges, c.platform, excess, FRAGMENT_WORDS,
                             lambda streams: transfer_cycles(c.platform, c.clock_mhz, tensors + streams),
                             WEIGHT_BINDINGS if c.platform.has_uram else ())
        if plan is None:  # even streaming all leaves memory over: `_rebalanced` makes it dearer
            return [with_fragments(s, 1.0) for s in picked]
        return [plan.get(s.name, s) for s in picked]

    def place(picked, target):
        placed = fragmented(picked)
        if not c.pixels:
            return placed
        # With pixels allowed, a conv whose weights stream shares each fetched word among
        # its q pixels a word (`workload.streamed_weights`), which the cheapest folding at
        # the target need not have: the streaming convs move to their most pixels a word
        # meeting it, the weights are placed again, and the better design is kept.
        best = evaluate(placed, edges, c, objective)
        for _ in range(SHARING_ROUNDS):
            shared = [_sharing(s, target, c) if s.weights_off_chip else picked[i] for i, s in enumerate(placed)]
            if shared == picked:
                break
            picked = shared
            trial = evaluate(fragmented(picked), edges, c, objective)
            if not _better(trial, best, c):
                break
            best = trial
        return list(best.specs)

    targets = sorted({int(i) for menu in options.values() for i in menu.intervals})
    floor = max(int(menu.intervals[0]) for menu in options.values())
    targets = targets[bisect_left(targets, floor):]
    found = {}

    def at(i: int):
        if i not in found:
            found[i] = _design_at(targets[i], specs, edges, options, c, objective, place)
        return found[i]

    if at(len(targets) - 1) is None:
        return None
    lo, hi = 0, len(targets) - 1
    while lo < hi:  # smallest target whose design fits and moves its off-chip data within it
        mid = (lo + hi) // 2
        design = at(mid)
        if design is not None and design.perf.bandwidth_interval <= targets[mid]:
            hi = mid
        else:
            lo = mid + 1
    return min((d for d in (at(lo), at(lo - 1) if lo else None) if d is not None), key=lambda d: d.cost)


def _sharing(spec: LayerSpec, target: int | None, c: Constraints) -> LayerSpec:
    """The conv's cheapest folding meeting `target` at its most output pixels a word (q > 1),
    its weights all on chip for the fragments step to place; the conv at one pixel a word
    (as folded) where no p > 1 meets the target, and any other kind as it is."""
    from .rate_match import pixel_options

    if spec.kind != "conv":
        return spec
    unfolded = replace(spec, coarse_in=1, coarse_out=1, coarse_group=1, fine=1, weights_memory="auto",
                       weights_off_chip=0.0, weights_fragments=())
    for p in sorted(pixel_options(unfolded), reverse=True):
        at = replace(unfolded, pixels=(p, 1))
        if pixels_out(at) > 1:
            option = layer_menu(at, c.platform, pixels=False).cheapest(target, np.ones(len(RESOURCES)))
            if option is not None:
                return option.spec
    return replace(spec, weights_off_chip=0.0, weights_fragments=())


def _better(a: PartitionDesign, b: PartitionDesign, c: Constraints) -> bool:
    """Whether design `a` beats `b`: it fits where `b` does not, or both fit and it costs less."""
    return c.fits(a.resources) and (not c.fits(b.resources) or a.cost < b.cost)


def _with_reloading(specs, edges, c: Constraints, objective: str, mixed: bool = False):
    """Raise the weights-reloading factor, then stream weights, until some design fits.

    A layer can reload when its output leaves the partition (no successor in `edges`): each
    run computes a share of its filters, which lands in its channels of the off-chip tensor.
    Of those, the one with the largest weight memory reloads, and it alone, ungrouped (what
    the backends build: one reloading layer a partition, its other outputs written whole
    every run). Elsewhere the next layer would need every channel at once, so layers whose
    output stays inside the partition stream a growing fraction of their weights from
    off-chip memory instead, largest memory first.

    "Fits" means with each layer at its cheapest folding and memory binding, at any speed:
    the most folded design is not always the smallest (narrow deep memories waste URAM
    width). Each step jumps straight to the factor that frees the memory overflowing, since
    a layer's weight memory shrinks about as 1/wr_factor.
    """
    specs = list(specs)
    ends = {s.name for s in specs} - {src for src, _ in edges}  # outputs leaving the partition
    while True:
        options = _menus(specs, c, mixed)
        design = _design_at(None, specs, edges, options, c, objective)
        if design is not None:
            return specs, options
        cheapest = evaluate(pick(options, specs, None, c), edges, c, objective)
        # the backends reload one layer per partition: once one reloads, only it may go further
        reloading = {s.name for s in specs if s.wr_factor > 1}
        reloadable = [(i, s) for i, s in enumerate(specs) if s.name in ends and s.kind in WEIGHT_KINDS and _next_wr(s)
                      and (not reloading or s.name in reloading) and (s.kind != "conv" or s.groups == 1)]
        if reloadable:
            i, s = max(reloadable, key=lambda item: _memory_cost(item[1], c))
            specs[i] = replace(s, wr_factor=_wr_freeing(s, _memory_overflow(cheapest, c), c))
            continue
        # Layers inside the partition stream part of their weights from off-chip memory
        # instead (AutoWS): it costs bandwidth rather than re-running the partition.
        streamable = [(i, s) for i, s in enumerate(specs) if s.kind in WEIGHT_KINDS and s.weights_off_chip < 1]
        if not streamable:
            raise _explain(specs, cheapest, c)
        i, s = max(streamable, key=lambda item: _memory_cost(item[1], c))
        specs[i] = replace(s, weights_off_chip=min(1.0, s.weights_off_chip + STREAM_STEP))


def _memory_overflow(design: PartitionDesign, c: Constraints) -> float:
    """Memory over budget, as a fraction of the board's (BRAM18 + URAM) capacity."""
    used = design.resources
    return max(used.bram18 - c.capacity("bram18"), 0) / max(c.platform.bram18, 1) + \
        max(used.uram - c.capacity("uram"), 0) / max(c.platform.uram, 1)


def _wr_freeing(spec: LayerSpec, overflow: float, c: Constraints) -> int:
    """The smallest legal factor above the current one expected to free `overflow` (a step
    at a time when the layer's memory estimate cannot say: the loop re-checks)."""
    memory = _memory_cost(spec, c)
    wanted = min(overflow, 0.75 * memory)
    larger = [w for w in folding_choices(spec).wr_factor if w > spec.wr_factor]
    for w in larger:
        if memory * (1 - spec.wr_factor / w) >= wanted:
            return w
    return larger[-1]


def _next_wr(spec: LayerSpec) -> int | None:
    larger = [w for w in folding_choices(spec).wr_factor if w > spec.wr_factor]
    return larger[0] if larger else None


def _memory_cost(spec: LayerSpec, c: Constraints) -> float:
    used = layer_resources(spec, c.platform)
    return used.bram18 / max(c.platform.bram18, 1) + used.uram / max(c.platform.uram, 1)


def _explain(specs, design: PartitionDesign, c: Constraints) -> Infeasible:
    for s in specs:
        alone = layer_resources(s, c.platform)
        problems = c.overflow(alone)
        if problems:
            return Infeasible(f"layer '{s.name}' cannot fit even fully folded"
                              f"{' with weights reloading ' + str(s.wr_factor) if s.wr_factor > 1 else ''}: "
                              + "; ".join(problems), layer=s.name)
    return Infeasible("layers " + ", ".join(s.name for s in specs[:3]) + ("..." if len(specs) > 3 else "")
                      + " do not fit together: " + "; ".join(c.overflow(design.resources)))


def pick(menus: dict[str, Menu], specs, target: int | None, c: Constraints, weights=None):
    """Each layer's cheapest option meeting the target interval (any speed if None; None if
    a layer cannot meet it).

    Cheapest by the weighted sum of used fractions of the board; `weights` make a scarce
    resource dearer (see `_design_at`).
    """
    w = np.array([(weights or {}).get(r, 1.0) for r in RESOURCES])
    chosen = []
    for s in specs:
        option = menus[s.name].cheapest(target, w)
        if option is None:
            return None
        chosen.append(option.spec)
    return chosen


def _design_at(target: int | None, specs, edges, options, c: Constraints, objective: str, place=None):
    """A design meeting `target` that fits, or None."""
    design = _rebalanced(target, specs, edges, options, c, objective, place)
    return design if design is not None and c.fits(design.resources) else None


def _rebalanced(target: int | None, specs, edges, options, c: Constraints, objective: str, place=None):
    """The design meeting `target` that fits or, failing that, the last one tried (None if
    a layer cannot meet it).

    Layers pick independently, so the first pick may overflow one resource while another
    lies idle (BRAM full, URAM empty): each round makes the overflowing resources dearer and
    picks again, moving layers to foldings and memories that use what is left. `place`
    (stream-first: the fragments step) turns each pick into the design evaluated; where
    even it leaves a resource over (stream buffers are BRAM, so a full BRAM stays full),
    that resource is made dearer the same way.
    """
    weights = {r: 1.0 for r in RESOURCES}
    design = None
    for _ in range(REBALANCE_ROUNDS):
        picked = pick(options, specs, target, c, weights)
        if picked is None:
            return None
        design = evaluate(place(picked, target) if place else picked, edges, c, objective)
        if c.fits(design.resources):
            return design
        over = {r: getattr(design.resources, r) / c.capacity(r) for r in RESOURCES if c.capacity(r)}
        if max(over.values()) <= 1:
            return design  # only the power cap is exceeded: slower is the only way
        for r, ratio in over.items():
            if ratio > 1:
                weights[r] *= 2 * ratio
    return design


def _balanced(specs, edges, options, c: Constraints, objective: str) -> PartitionDesign:
    targets = sorted({int(i) for menu in options.values() for i in menu.intervals})
    floor = max(int(menu.intervals[0]) for menu in options.values())  # the fastest the slowest layer can go
    targets = targets[bisect_left(targets, floor):]
    best = _design_at(targets[-1], specs, edges, options, c, objective) or \
        evaluate(pick(options, specs, targets[-1], c), edges, c, objective)  # fits: reloading checked it
    lo, hi = 0, len(targets) - 1
    while lo < hi:  # smallest target interval whose design fits
        mid = (lo + hi) // 2
        design = _design_at(targets[mid], specs, edges, options, c, objective)
        if design is not None:
            hi = mid
            # Faster is better for time objectives; energy may prefer a slower design.
            best = design if objective != "power" else min(best, design, key=lambda d: d.cost)
        else:
            lo = mid + 1
    # Off-chip bandwidth may bound the partition below the compute rate: then slower,
    # cheaper layers cost nothing in speed.
    if best.perf.bandwidth_interval > best.perf.compute_interval:
        candidate = _design_at(best.perf.bandwidth_interval, specs, edges, options, c, objective)
        if candidate is not None and candidate.cost <= best.cost * 1.0001:
            best = candidate
    return best


def _rate_matched(specs, edges, options, c: Constraints, objective: str) -> PartitionDesign:
    """Seed 004 as a folding strategy: the shortest frame time T whose data-rate-matched
    design (`rate_match.choose`, every layer's (j, h) for the rate T implies) fits. Designs
    giving a layer more pixels per cycle than a backend builds for it are skipped."""
    from fractions import Fraction

    from .rate_match import choose, pixel_options

    def design_at(target: int):
        # with pixels allowed, the fewest-DSP p on the board (8-bit lanes pack two a DSP)
        chosen = [choose(s, Fraction(target), c.platform if c.pixels else None) for s in specs]
        if not all(ch.meets and ch.spec.pixels[0] in (pixel_options(ch.spec) if c.pixels else (1,)) for ch in chosen):
            return None
        design = evaluate([ch.spec for ch in chosen], edges, c, objective)
        return design if c.fits(design.resources) else None

    targets = sorted({int(i) for menu in options.values() for i in menu.intervals})
    floor = max(int(menu.intervals[0]) for menu in options.values())
    targets = targets[bisect_left(targets, floor):]
    best = design_at(targets[-1])
    if best is None:
        raise Infeasible("no data-rate-matched folding fits (strategy=rate): try strategy=greedy")
    lo, hi = 0, len(targets) - 1
    while lo < hi:  # smallest frame time whose design fits
        mid = (lo + hi) // 2
        design = design_at(targets[mid])
        if design is not None:
            hi = mid
            best = design if objective != "power" else min(best, design, key=lambda d: d.cost)
        else:
            lo = mid + 1
    return best


def _exhaustive(specs, edges, options, c: Constraints, objective: str) -> PartitionDesign:
    count = 1
    for menu in options.values():
        count *= len(menu.options)
    if count > EXHAUSTIVE_LIMIT:
        raise Infeasible(f"exhaustive search would visit {count} designs (limit {EXHAUSTIVE_LIMIT}); "
                         "use strategy=greedy or strategy=anneal")
    best = None
    for combo in itertools.product(*(options[s.name].options for s in specs)):
        design = evaluate([o.spec for o in combo], edges, c, objective)
        if c.fits(design.resources) and (best is None or design.cost < best.cost):
            best = design
    if best is None:
        raise Infeasible("no folding fits")
    return best
