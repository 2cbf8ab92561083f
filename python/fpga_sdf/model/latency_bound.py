"""The least batch-1 latency any one-partition design of a network can reach on a DSP budget,
in the model's own physics: a lower bound that tells a target no folding can meet from one the
DSE misses.

Why: a row-major streaming pipeline pays more than its slowest layer's frame. A windowed layer's
first output waits for the input its first window needs (its lead, at its producer's pace). Its
last output comes after its producer's last word plus its trailing windows (`window_tail`, at
its own pace). RTL measures both (test_rtl_latency.py). Faster foldings shorten them, at DSPs.

The bound relaxes every folding to a continuous frame time t_j for the MAC layers on one
input-to-output path (each off the path runs at least D/L), with D_j a layer's DSP-cycles a
frame: its MACs x DSP slices a MAC at its bits, half a slice where two products pack
(dsp.packs). For every layer i on the path, its frame cannot end before its first input word
plus t_i, then each later layer's trailing windows:

    L >= sum_{j <= i} lead_j t_{j-1} + t_i + sum_{j > i} tail_j t_j,    sum_j D_j / t_j <= DSPs.

Weights lambda_i >= 0 summing to 1 over those inequalities give L >= sum_j c_j t_j, with
c_j = lambda_j + tail_j sum_{i < j} lambda_i + lead_{j+1} sum_{i > j} lambda_i, whose least
value under the DSP budget is (sum_j sqrt(c_j D_j))^2 / DSPs (Cauchy-Schwarz). Any lambda gives
a valid bound; it is concave in lambda, and `latency_bound` takes the best an exponentiated
gradient ascent finds. Products built from LUTs and PASS's sparse engine cost no DSP here (a
weaker bound, still a bound); a design of several partitions pays the board's reconfiguration
between them on top, which this does not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from .dsp import dsp_per_multiplier, packs
from .folding import channels_in, channels_out
from .modules import _needs_window, window_tail
from .spec import LayerSpec, kernel_of, pixels_of, spatial, sparsity_applies

ASCENT_STEPS = 3000  # ResNet-50: within 0.03% of 30,000 steps' bound, in a tenth of a second


@dataclass(frozen=True)
class LatencyBound:
    cycles: float  # the least latency of a frame, first input word to last output word
    compute_cycles: float  # the DSP bound alone: every DSP busy for the whole frame
    path: tuple[str, ...]  # the MAC layers whose inequalities give it
    frame_times: tuple[float, ...]  # per path layer, its frame time where the bound is reached


def dsp_cycles(spec: LayerSpec, family: str) -> float:
    """DSP-cycles a frame of a conv or inner product at the fewest slices a MAC any folding
    builds: two products a slice where they pack, none where LUTs build them or PASS's
    sparse engine may skip them (the bound must hold for every design)."""
    if spec.kind not in ("conv", "inner_product") or sparsity_applies(spec):
        return 0.0
    groups = spec.groups if spec.kind == "conv" else 1
    pixels = pixels_of(spec.outputs[0]) if spec.kind == "conv" else 1
    macs = pixels * channels_out(spec) * (channels_in(spec) // groups) * prod(kernel_of(spec))
    slices = dsp_per_multiplier(spec.data_width, spec.weight_width, family)
    if packs(spec.data_width, spec.weight_width) or packs(spec.weight_width, spec.data_width):
        slices /= 2
    return macs * slices


def window_lead(spec: LayerSpec) -> float:
    """Fraction of a layer's input frame that arrives before its first output: up to the far
    corner of its first window, in row-major order (the whole frame for a global pool; 0 for
    a layer without a window, which can answer its first word at once)."""
    if spec.kind == "global_pool":
        return 1.0
    if spec.kind not in ("conv", "pool") or not _needs_window(spec):
        return 0.0
    kernel, dims = kernel_of(spec), spatial(spec.inputs[0])
    n = len(kernel)
    dilation = spec.dilation or (1,) * n
    pad = spec.pad or (0,) * (2 * n)
    index = 0
    for i in range(n):
        corner = min(max(0, dilation[i] * (kernel[i] - 1) - pad[i]), dims[i] - 1)
        index = index * dims[i] + corner
    return (index + 1) / prod(dims)


def latency_bound(specs, edges, dsp_budget: float, family: str) -> LatencyBound | None:
    """The bound for the layers `specs` joined by `edges` ((producer, consumer) names), on
    `dsp_budget` slices; None when no MAC layer needs a DSP (nothing bounds the folding)."""
    specs = {s.name: s for s in specs}
    cost = {name: dsp_cycles(s, family) for name, s in specs.items()}
    if not any(cost.values()):
        return None
    path = _heaviest_path(specs, edges, cost)
    macs = [name for name in path if specs[name].kind in ("conv", "inner_product")]
    # a MAC layer's first output waits for its producer MAC layer to emit up to the lead of
    # every windowed layer between them and its own (the largest: leads nest, they do not add)
    lead, tail, since = [], [], 0.0
    for name in path:
        since = max(since, window_lead(specs[name]))
        if name in macs:
            lead.append(since)
            tail.append(window_tail(specs[name]))
            since = 0.0
    d, tail = np.array([cost[name] for name in macs]), np.array(tail)
    lead_next = np.append(np.array(lead[1:]), 0.0)  # lead_{j+1}, paid at t_j (the first's is the DMA's)
    off_path = sum(cost.values()) - d.sum()
    lam, best, best_c = np.full(len(d), 1.0 / len(d)), 0.0, None
    for step in range(ASCENT_STEPS):
        before = np.cumsum(lam) - lam
        c = lam + tail * before + lead_next * (1.0 - before - lam)
        root = np.sqrt(np.maximum(c, 0.0) * d)
        if root.sum() > best:
            best, best_c = root.sum(), c
        g = np.where(root > 0, d / (2 * np.maximum(root, 1e-300)), 0.0)  # dS/dc_j
        # dS/dlambda_i = g_i + sum_{j > i} g_j tail_j + sum_{j < i} g_j lead_next_j
        grad = g + (np.cumsum((g * tail)[::-1])[::-1] - g * tail) + (np.cumsum(g * lead_next) - g * lead_next)
        lam = lam * np.exp(0.5 * grad / max(grad.max(), 1e-300) / np.sqrt(step + 1))
        lam /= lam.sum()
    # the least sum c t under the budget left beside the off-path layers: t_j ~ sqrt(D_j / c_j)
    cycles = (best ** 2 + off_path) / dsp_budget
    times = np.sqrt(d / np.maximum(best_c, 1e-300)) * best / (dsp_budget - off_path / cycles)
    return LatencyBound(cycles=cycles, compute_cycles=sum(cost.values()) / dsp_budget, path=tuple(macs),
                        frame_times=tuple(float(t) for t in times))


def _heaviest_path(specs, edges, cost) -> list[str]:
    """The input-to-output path with the most DSP-cycles (any path gives a bound; the heaviest
    leaves the least off it)."""
    preds = {name: [] for name in specs}
    for src, dst in edges:
        if src in specs and dst in specs:
            preds[dst].append(src)
    best: dict[str, tuple[float, list[str]]] = {}
    for name in _topological(specs, preds):
        prior = max((best[p] for p in preds[name]), key=lambda b: b[0], default=(0.0, []))
        best[name] = (prior[0] + cost[name], prior[1] + [name])
    return max(best.values(), key=lambda b: b[0])[1]


def _topological(specs, preds) -> list[str]:
    done, order = set(), []

    def visit(name):
        if name in done:
            return
        done.add(name)
        for p in preds[name]:
            visit(p)
        order.append(name)

    for name in specs:
        visit(name)
    return order
