"""Folding one partition: rate balancing under the board's resources (rule-based search).

The partition runs at the pace of its slowest layer, so resources spent making one layer
faster than the others are wasted. For a target interval T every layer takes its cheapest
folding that meets T; a binary search finds the smallest T whose design fits. When even the
most folded design does not fit, weights reloading shrinks the largest weight memories first.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left
from dataclasses import dataclass, replace

from ..model import LayerSpec, PartitionPerf, Resources, folding_choices, layer_resources
from ..model import partition_performance, partition_resources
from ..model.spec import WEIGHT_KINDS
from .options import Option, layer_options
from .problem import Constraints, partition_cost

EXHAUSTIVE_LIMIT = 20000


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
    """The best design of these layers as one partition, or `Infeasible`."""
    specs = _with_reloading(_unfolded(specs), edges, c, objective)
    options = {s.name: layer_options(s, c.platform) for s in specs}
    if strategy == "exhaustive":
        return _exhaustive(specs, edges, options, c, objective)
    return _balanced(specs, edges, options, c, objective)


def _unfolded(specs) -> list[LayerSpec]:
    return [replace(s, coarse_in=1, coarse_out=1, coarse_group=1, fine=1, wr_factor=1) for s in specs]


def _with_reloading(specs, edges, c: Constraints, objective: str) -> list[LayerSpec]:
    """Raise weights-reloading factors, largest weight memory first, until the design fits."""
    specs = list(specs)
    while True:
        design = evaluate(specs, edges, c, objective)
        if c.fits(design.resources):
            return specs
        candidates = [(i, s) for i, s in enumerate(specs) if s.kind in WEIGHT_KINDS and _next_wr(s)]
        if not candidates:
            raise _explain(specs, design, c)
        i, s = max(candidates, key=lambda item: _memory_cost(item[1], c))
        specs[i] = replace(s, wr_factor=_next_wr(s))


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


def _pick(options: dict[str, tuple[Option, ...]], specs, target: int, c: Constraints):
    """Each layer's cheapest option meeting the target interval (None if one cannot)."""
    chosen = []
    for s in specs:
        meeting = [o for o in options[s.name] if o.interval <= target]
        if not meeting:
            return None
        chosen.append(min(meeting, key=lambda o: (c.cost(o.resources), o.interval)).spec)
    return chosen


def _balanced(specs, edges, options, c: Constraints, objective: str) -> PartitionDesign:
    targets = sorted({o.interval for opts in options.values() for o in opts})
    floor = max(opts[0].interval for opts in options.values())  # the fastest the slowest layer can go
    targets = targets[bisect_left(targets, floor):]
    best = evaluate(_pick(options, specs, targets[-1], c), edges, c, objective)  # fits (checked by reloading)
    lo, hi = 0, len(targets) - 1
    while lo < hi:  # smallest target interval whose design fits
        mid = (lo + hi) // 2
        design = evaluate(_pick(options, specs, targets[mid], c), edges, c, objective)
        if c.fits(design.resources):
            hi = mid
            # Faster is better for time objectives; energy may prefer a slower design.
            best = design if objective != "power" else min(best, design, key=lambda d: d.cost)
        else:
            lo = mid + 1
    # Off-chip bandwidth may bound the partition below the compute rate: then slower,
    # cheaper layers cost nothing in speed.
    if best.perf.bandwidth_interval > best.perf.compute_interval:
        relaxed = _pick(options, specs, best.perf.bandwidth_interval, c)
        if relaxed is not None:
            candidate = evaluate(relaxed, edges, c, objective)
            if c.fits(candidate.resources) and candidate.cost <= best.cost * 1.0001:
                best = candidate
    return best


def _exhaustive(specs, edges, options, c: Constraints, objective: str) -> PartitionDesign:
    count = 1
    for opts in options.values():
        count *= len(opts)
    if count > EXHAUSTIVE_LIMIT:
        raise Infeasible(f"exhaustive search would visit {count} designs (limit {EXHAUSTIVE_LIMIT}); "
                         "use strategy=greedy or strategy=anneal")
    best = None
    for combo in itertools.product(*(options[s.name] for s in specs)):
        design = evaluate([o.spec for o in combo], edges, c, objective)
        if c.fits(design.resources) and (best is None or design.cost < best.cost):
            best = design
    if best is None:
        raise Infeasible("no folding fits")
    return best
