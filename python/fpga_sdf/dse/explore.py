"""The exploration: where to cut the network into partitions, and how to fold each one.

Partitions run one after the other, so the cost of a network design is the sum of its
partitions' costs plus one reconfiguration per partition (when there is more than one) and
per pass (when the batch's off-chip tensors do not fit the board's DDR, the host runs it in
sub-batches: `network_performance`). That makes the best partitioning a shortest path over
the legal cut points, found by dynamic programming (exactly while every partition's tensors
fit; otherwise each partition is charged the passes forced by what is live in DDR while it
runs, its own tensors, those passing by it and its rings, and the network pays the most of
them); each candidate partition is folded by `balance.fold_partition`,
and where BRAM binds also with skip FIFOs evicted (`evict.fold_evicting`).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass

from ..diagnostics import UserError
from ..dialects.sdf import TYPE_GROUPS
from ..model import LayerSpec, NetworkPerf, Partition, Resources, layer_resources, network_performance, power
from ..model.performance import ddr_free, image_bytes, live_frame_bytes, sub_batch
from ..model.spec import WEIGHT_KINDS
from ..progress import Progress
from .anneal import anneal
from .balance import Infeasible, PartitionDesign, evaluate, pick
from .evict import fold_evicting
from .options import layer_menu
from .problem import Constraints, partition_cost

STRATEGIES = ("greedy", "anneal", "exhaustive", "rate")
POINTWISE = ("activation", "scale_shift")
HEAVY = 0.25  # a layer whose fully folded weights take this much of a memory may need reloading


@dataclass(frozen=True)
class NetworkDesign:
    partitions: tuple[PartitionDesign, ...]
    cuts: tuple[int, ...]  # stage indices after which the network is cut
    perf: NetworkPerf
    cost: float


@dataclass(frozen=True)
class Problem:
    specs: tuple[LayerSpec, ...]  # stages in order
    edges: tuple[tuple[str, str], ...]
    legal_cuts: tuple[int, ...]  # stage indices after which the pipeline may be cut


def live_streams(problem: Problem) -> list[int]:
    """Per stage i, the tensors crossing a cut after it (each goes through off-chip memory):
    the edges from stages 0..i to later ones, and the network inputs later stages read."""
    position = {s.name: i for i, s in enumerate(problem.specs)}
    fed = Counter(dst for _, dst in problem.edges)
    live = [0] * len(problem.specs)
    for src, dst in problem.edges:
        for i in range(position[src], position[dst]):
            live[i] += 1
    for j, spec in enumerate(problem.specs):
        for i in range(j):
            live[i] += len(spec.inputs) - fed[spec.name]
    return live


def candidate_cuts(problem: Problem, c: Constraints) -> list[int]:
    """Legal cuts worth trying, few enough that ResNet-50 explores in a minute.

    Where one tensor crosses: not between a layer and the point-wise op that finishes it (a
    cut there costs a feature-map round trip and frees nothing) -- except after a layer whose
    weights fill much of the board, which may have to end a partition to reload them. Where
    several cross (inside a residual block): only after such a heavy layer, since the skip
    tensor's round trip is worth paying only to let that layer reload its weights (and not at
    all with `c.block_cuts` off: one tensor in and out of every partition, as fpgaConvNet)."""
    def heavy(spec) -> bool:
        if spec.kind not in WEIGHT_KINDS:
            return False
        used = layer_resources(spec, c.platform)
        return used.bram18 > HEAVY * c.capacity("bram18") or used.uram > HEAVY * max(c.capacity("uram"), 0)

    live = live_streams(problem)
    return [i for i in problem.legal_cuts
            if (live[i] == 1 or c.block_cuts) and
            (heavy(problem.specs[i]) or (live[i] == 1 and problem.specs[i + 1].kind not in POINTWISE))]


def _segment(problem: Problem, lo: int, hi: int):
    specs = problem.specs[lo:hi + 1]
    names = {s.name for s in specs}
    edges = tuple(e for e in problem.edges if e[0] in names and e[1] in names)
    return specs, edges


def live_bytes(problem: Problem, lo: int, hi: int) -> int:
    """DDR bytes a frame live while layers lo..hi run as one partition: its own off-chip
    tensors and those passing by it, written before it and read after it, which do not
    depend on how the layers before and after are cut (the network check's
    live_frame_bytes, asked of the partitions before, this one and after)."""
    parts = [_segment(problem, a, b) for a, b in ((0, lo - 1), (lo, hi), (hi + 1, len(problem.specs) - 1)) if a <= b]
    return live_frame_bytes(parts, problem.edges)[1 if lo > 0 else 0]


def _expressible(specs, edges) -> bool:
    """Whether the segment's off-chip inputs, and its outputs, have few enough shapes for
    the operand groups of one `sdf.partition` (see `partitioning.group_problem`)."""
    part = Partition(tuple(specs), tuple(edges))
    return all(len({shape for _, shape in found}) <= TYPE_GROUPS for found in (part.inputs(), part.outputs()))


def _reconfiguration_cost(c: Constraints, objective: str) -> float:
    """One reconfiguration of the device (its time, or its energy at the board's idle power)."""
    seconds = c.platform.reconfiguration_ms / 1e3
    if objective == "power":
        return seconds * power(Resources(), c.platform, c.clock_mhz).total_w
    return seconds


def explore(problem: Problem, c: Constraints, objective: str, strategy: str = "greedy", seed: int = 1,
            time_limit: float = 60.0, progress: bool | None = None, anneal_steps: int = 2000) -> NetworkDesign:
    """The best design for `objective` (throughput, latency or power) under `c`.

    Deterministic for a given seed unless `time_limit` cuts the search short.
    """
    if strategy not in STRATEGIES:
        raise UserError(f"unknown strategy '{strategy}' (strategies: {', '.join(STRATEGIES)})")
    start = time.monotonic()
    fold_strategy = strategy if strategy in ("exhaustive", "rate") else "greedy"
    bounds = [-1] + candidate_cuts(problem, c) + [len(problem.specs) - 1]
    bar = Progress(len(bounds) * (len(bounds) - 1) // 2, "dse", progress)
    cache: dict[tuple[int, int], PartitionDesign | None] = {}
    failures: dict[tuple[int, int], str] = {}

    def design_of(a: int, b: int) -> PartitionDesign | None:
        key = (bounds[a] + 1, bounds[b])
        if key not in cache:
            specs, edges = _segment(problem, *key)
            try:
                cache[key] = fold_evicting(specs, edges, c, objective, fold_strategy)
            except Infeasible as err:
                cache[key], failures[key] = None, str(err)
            bar.step(specs[0].name)
        return cache[key]

    # Shortest path over boundaries; a segment too big stays too big when it grows, and one
    # costing alone more than the best path found to its end cannot help when it grows
    # either (a partition given more layers on the same board does not get faster; with
    # cuts inside blocks this pruning is what keeps ResNet-50 to a few minutes).
    reconfig = _reconfiguration_cost(c, objective)
    # The whole network as one partition first: it pays no reconfiguration, and a time limit
    # cutting the search short must not leave it untried (batch-1 latency, U50: 7.3 ms vs 2104).
    if _expressible(*_segment(problem, 0, bounds[-1])):
        design_of(0, len(bounds) - 1)
    free = ddr_free(c.platform, image_bytes(problem.specs))

    def frames_fitting(design: PartitionDesign, lo: int, hi: int) -> int:
        """Frames a pass of layers lo..hi as `design` fits in DDR (0: not one)."""
        if free is None:
            return c.batch
        return sub_batch(free - design.perf.ring_bytes, c.batch, live_bytes(problem, lo, hi))

    best: list[tuple[float, tuple[int, ...]] | None] = [None] * len(bounds)
    best[0] = (0.0, ())
    for j in range(1, len(bounds)):
        for i in range(j - 1, -1, -1):
            if time.monotonic() - start > time_limit and best[j] is not None:
                break
            if not _expressible(*_segment(problem, bounds[i] + 1, bounds[j])):
                continue  # not expressible as one partition; a longer one may be
            design = design_of(i, j)
            if design is None:
                break
            size = frames_fitting(design, bounds[i] + 1, bounds[j])
            if not size:  # one frame's tensors do not fit the DDR: another cut may
                failures[(bounds[i] + 1, bounds[j])] = (
                    f"partition {design.specs[0].name} .. {design.specs[-1].name}: one frame's off-chip "
                    f"tensors do not fit the DDR (its own and those passing by it, beside its eviction rings)")
                continue
            if best[i] is None:
                continue
            total = best[i][0] + design.cost + reconfig * -(-c.batch // size)
            if best[j] is None or total < best[j][0]:
                best[j] = (total, best[i][1] + (j,))
            if design.cost >= best[j][0]:
                break
    bar.close()
    if best[-1] is None:
        # The first boundary no partitioning reaches: its shortest partition does not fit.
        j = next(j for j in range(1, len(bounds)) if best[j] is None)
        reason = failures.get((bounds[j - 1] + 1, bounds[j]), "the search ran out of time")
        raise UserError(f"the network cannot be mapped onto {c.platform.name}: {reason}")
    chosen = best[-1][1]
    whole = cache.get((0, bounds[-1]))
    if whole is not None and whole.cost <= best[-1][0] and frames_fitting(whole, 0, bounds[-1]):
        chosen = (len(bounds) - 1,)  # one partition: no reconfiguration at all
    ends = [0] + list(chosen)
    parts = [design_of(a, b) for a, b in zip(ends, ends[1:])]
    if strategy == "anneal":
        rng = random.Random(seed)
        remaining = max(time_limit - (time.monotonic() - start), 0.0)
        parts = [anneal(p, c, objective, rng, anneal_steps, remaining / len(parts)) for p in parts]
    return assemble(parts, [bounds[b] for b in chosen[:-1]], c, objective, problem.edges)


def assemble(parts, cuts, c: Constraints, objective: str, links=None) -> NetworkDesign:
    """The network design of partitions run in sequence: its cost is the model's network
    time (every pass over a sub-batch, its reconfigurations), or that time's energy; with
    the network's edges (`links`) its DDR check counts the tensors passing by a partition."""
    perf = network_performance([(p.specs, p.edges) for p in parts], c.platform, c.clock_mhz, c.batch, links)
    cost = sum(partition_cost(objective, t, p.power_w) for p, t in zip(parts, perf.partition_time_s)) + \
        _reconfiguration_cost(c, objective) * perf.reconfigurations
    return NetworkDesign(tuple(parts), tuple(cuts), perf, cost)


def pareto(problem: Problem, c: Constraints, seed: int = 1, time_limit: float = 60.0,
           progress: bool | None = None) -> tuple[NetworkDesign, list[NetworkDesign]]:
    """The throughput-optimal design and the Pareto front (fps, latency, DSP, power) around it.

    Points come from slowing each partition of the best partitioning down by a common factor
    (cheaper, lower-power designs) and from the latency- and power-optimal designs.
    """
    anchor = explore(problem, c, "throughput", "greedy", seed, time_limit, progress)
    candidates = [anchor]
    for objective in ("latency", "power"):
        candidates.append(explore(problem, c, objective, "greedy", seed, time_limit, False))

    for factor in (1.5, 2, 3, 4, 6, 8, 12, 16, 32, 64):
        parts = []
        for p in anchor.partitions:
            options = {s.name: layer_menu(s, c.platform, pixels=c.pixels) for s in p.specs}
            picked = pick(options, p.specs, int(p.perf.compute_interval * factor), c)
            if picked is None:
                break
            parts.append(evaluate(picked, p.edges, c, "throughput"))
        else:
            candidates.append(assemble(parts, anchor.cuts, c, "throughput", problem.edges))
    front = [d for d in candidates if not any(_dominates(o, d) for o in candidates if o is not d)]
    unique = {}
    for d in front:
        unique.setdefault(_objectives(d), d)
    return anchor, sorted(unique.values(), key=lambda d: -d.perf.fps)


def _objectives(d: NetworkDesign) -> tuple[float, float, int, float]:
    dsp = max(p.resources.dsp for p in d.partitions)
    watts = max(p.power_w for p in d.partitions)
    return round(d.perf.fps, 6), round(d.perf.latency_ms, 9), dsp, round(watts, 6)


def _dominates(a: NetworkDesign, b: NetworkDesign) -> bool:
    fa, la, da, pa = _objectives(a)
    fb, lb, db, pb = _objectives(b)
    return fa >= fb and la <= lb and da <= db and pa <= pb and (fa, la, da, pa) != (fb, lb, db, pb)
