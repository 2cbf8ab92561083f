"""The least batch-1 latency any one-partition design of a network can reach on a DSP budget,
in the model's own physics: a lower bound that tells a target no folding can meet from one the
DSE misses.

Why: a row-major streaming pipeline pays more than its slowest layer's frame. A windowed layer
starts only once its first window is in, which its producer emits at its own pace (the lead);
after its producer's last word it still emits its trailing windows at its own pace
(`window_tail`). RTL measures both (test_rtl_latency.py). Faster foldings shorten them, at DSPs.

The bound relaxes every folding to a continuous frame time t_j for the MAC layers (convs,
inner products) on one input-to-output path; each MAC layer off the path runs at least D/L.
D_j is a layer's DSP-cycles a frame: its MACs x DSP slices a MAC at its bits, half a slice
where two products pack (dsp.packs). lead_j is the fraction of MAC layer j - 1's output frame
it must compute before layer j has its first window (`pixels_needed` composed back through the
layers between). For every layer i on the path, its frame cannot end before its first window
plus t_i, then each later layer's trailing windows:

    L >= sum_{j <= i} lead_j t_{j-1} + t_i + sum_{j > i} tail_j t_j,    sum_j D_j / t_j <= DSPs.

Weights lambda_i >= 0 summing to 1 over those inequalities give L >= sum_j c_j t_j, with
c_j = lambda_j + tail_j sum_{i < j} lambda_i + lead_{j+1} sum_{i > j} lambda_i. Its least value
under the DSP budget is (sum_j sqrt(c_j D_j))^2 / DSPs (Cauchy-Schwarz). Any lambda gives a
valid bound. The bound is concave in lambda, and `latency_bound` takes the best that an
exponentiated gradient ascent finds (ResNet-50: within 0.3% of the relaxation's own optimum,
solved directly).

Products built from LUTs and PASS's sparse engine cost no DSP here. That gives a weaker bound,
still a bound. A design of several partitions also pays the board's reconfiguration between
them, which this does not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from .dsp import dsp_per_multiplier, packs
from .folding import channels_in, channels_out
from .modules import _needs_window, window_tail
from .performance import _graph
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


def pixels_needed(spec: LayerSpec, n: int) -> int:
    """Input pixels (row-major) a layer must have before it can emit its first n output
    pixels: up to the far corner of output n - 1's window, clamped to the map (a global pool:
    all of them; an inner product: its one; a layer keeping the map: the same n). 1 for a
    layer that changes the map otherwise (a resize): the least, so the bound still holds."""
    dims = spatial(spec.inputs[0])
    if n <= 0:
        return 0
    if spec.kind == "global_pool":
        return prod(dims)
    if spec.kind == "inner_product":
        return 1
    if spec.kind in ("conv", "pool") and _needs_window(spec):
        kernel, out = kernel_of(spec), spatial(spec.outputs[0])
        k = len(kernel)
        dilation, stride = spec.dilation or (1,) * k, tuple(spec.stride) or (1,) * k
        pad = spec.pad or (0,) * (2 * k)
        position, rest = [], n - 1
        for extent in reversed(out):  # output n - 1's coordinates, row-major
            position.insert(0, rest % extent)
            rest //= extent
        index = 0
        for i in range(k):
            corner = position[i] * stride[i] + dilation[i] * (kernel[i] - 1) - pad[i]
            index = index * dims[i] + min(max(corner, 0), dims[i] - 1)
        return index + 1
    same = all(spatial(shape) == dims for shape in spec.inputs + spec.outputs)
    return n if same else 1


def latency_bound(specs, edges, dsp_budget: float, family: str) -> LatencyBound | None:
    """The bound for the layers `specs` joined by `edges` ((producer, consumer) names), on
    `dsp_budget` slices; None when no MAC layer needs a DSP (nothing bounds the folding)."""
    specs = {s.name: s for s in specs}
    cost = {name: dsp_cycles(s, family) for name, s in specs.items()}
    if not any(cost.values()):
        return None
    path = _heaviest_path(specs, edges, cost)
    at = [i for i, name in enumerate(path) if specs[name].kind in ("conv", "inner_product")]
    macs = [path[i] for i in at]
    n = len(macs)
    d = np.array([cost[name] for name in macs])
    tail = np.array([window_tail(specs[name]) for name in macs])
    # lead[j]: the fraction of MAC layer j - 1's output frame it computes from its first
    # window on before MAC layer j has its first (the needs of the layers between composed
    # back): all of the last pixel's channels where j sums over channels, while a depthwise
    # conv needs only the first
    lead = np.zeros(n)
    for j in range(1, n):
        spec = specs[macs[j]]
        need = pixels_needed(spec, 1) - (0 if spec.kind == "inner_product" or spec.groups == 1 else 1)
        for name in reversed(path[at[j - 1] + 1:at[j]]):
            need = pixels_needed(specs[name], need)
        out = pixels_of(specs[macs[j - 1]].outputs[0])
        lead[j] = min(need, out) / out
    lead_next = np.append(lead[1:], 0.0)  # lead_{j+1}: paid at t_j
    off_path = sum(cost.values()) - d.sum()
    lam, best, best_c = np.full(n, 1.0 / n), 0.0, None
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
    edges = tuple((src, dst) for src, dst in edges if src in specs and dst in specs)
    preds, _, order = _graph(tuple(specs), edges)
    best: dict[str, tuple[float, list[str]]] = {}
    for name in order:
        prior = max((best[p] for p in preds[name]), key=lambda b: b[0], default=(0.0, []))
        best[name] = (prior[0] + cost[name], prior[1] + [name])
    return max(best.values(), key=lambda b: b[0])[1]
