"""The foldings a layer can take, reduced to the ones worth considering.

A folding is kept only if no other is at least as fast and at least as cheap in every
resource (a Pareto frontier), so the search sees a few dozen options per layer instead of
every combination of divisors.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from ..model import LayerSpec, Resources, expand, folding_choices, layer_performance, layer_resources
from ..model.dsp import packs
from .problem import RESOURCES
from ..model.spec import WEIGHT_KINDS, sparsity_applies
from ..model.weights_memory import with_fragments


WEIGHT_BINDINGS = ("bram", "uram")
"""The block memories a weights memory can be bound to on a board with URAM, besides "auto"
(synthesis's choice, `model/memory.py::map_memory`), so a layer can take BRAM where URAM is
full, or URAM where BRAM is. The HLS backend binds it (BIND_STORAGE); the RTL backend builds
"bram" (ram_style) and refuses a layer the model puts in URAM."""


@dataclass(frozen=True)
class Option:
    spec: LayerSpec  # the layer with this folding applied
    interval: int
    resources: Resources


def foldings(spec: LayerSpec, has_uram: bool = False, pixels: tuple[int, ...] = (1,)):
    """Every legal (coarse_in, coarse_out, coarse_group, fine, weights_memory, p) of the layer,
    p of pixels = (p, 1) from `pixels`; the weights memory bound to BRAM or URAM, or left to
    synthesis ("auto": LUTRAM or registers when small), where the board has URAM."""
    legal = folding_choices(spec)
    if spec.kind in WEIGHT_KINDS:
        # explicit bindings first: where "auto" costs the same as one of them (a deep memory
        # in URAM, a mid-sized one in BRAM) the Pareto filter keeps the explicit one, which
        # the HLS backend binds (BIND_STORAGE) rather than leaving the choice to Vivado
        memories = (*WEIGHT_BINDINGS, "auto") if has_uram else ("auto",)
        yield from itertools.product(legal.coarse_in, legal.coarse_out, legal.coarse_group, legal.fine, memories,
                                     pixels)
    else:
        for coarse, fine, p in itertools.product(legal.coarse_in, legal.fine, pixels):
            yield coarse, coarse, 1, fine, "auto", p


def pixel_counts(spec: LayerSpec, platform) -> tuple[int, ...]:
    """The p a search offers a layer: those a backend builds (rate_match.pixel_options) whose
    p-pixel MAC arrays of the layer's widest folding fit the board's DSPs, and the smallest
    p > 1 whose arrays pack two lanes a DSP (8 bits: p pixels then cost fewer DSPs than p
    times one, so p = 2 at half the coarse folding keeps the rate for half the DSPs). Only a
    layer the board can unroll whole is otherwise bound by its one pixel per cycle (LeNet's
    first conv); offering every p to every layer would multiply the search for nothing."""
    from .rate_match import pixel_options

    choices = pixel_options(spec)
    if len(choices) == 1:
        return choices
    legal = folding_choices(spec)
    widest = replace(spec, coarse_in=legal.coarse_in[-1], coarse_out=legal.coarse_out[-1],
                     coarse_group=legal.coarse_group[-1], fine=legal.fine[-1])
    at = {p: replace(widest, pixels=(p, 1)) for p in choices[1:]}
    packing = [p for p in choices[1:]
               if any(m.weight_sharing > 1 and packs(*m.mult_widths) for m in expand(at[p]))]
    return tuple(p for p in choices
                 if p == 1 or layer_resources(at[p], platform).dsp <= platform.dsp or packing[:1] == [p])


def engines(spec: LayerSpec, mixed: bool) -> tuple[LayerSpec, ...]:
    """The layer as given and, with `mixed` where PASS's sparse engine is possible, on the
    dense engine too: a partition may then mix them, giving the layers whose crossbar would
    cost more logic than their DSPs save the dense engine (otherwise a sparse layer's only
    dense choice is k = K)."""
    if mixed and sparsity_applies(spec) and not spec.dense_engine:
        return spec, replace(spec, dense_engine=True)
    return (spec,)


@lru_cache(maxsize=16384)
def layer_options(spec: LayerSpec, platform, mixed: bool = False, pixels: bool = True) -> tuple[Option, ...]:
    """Pareto-optimal foldings (and weight-memory bindings; with `mixed`, engines) of
    `spec`, fastest first; without `pixels` the layer keeps its pixels per cycle.

    Cached: the partitioning search folds the same layer in many candidate partitions.
    """
    candidates = []
    for engine in engines(spec, mixed):
        counts = pixel_counts(engine, platform) if pixels else (engine.pixels[0],)
        for ci, co, cg, fine, memory, p in foldings(engine, platform.uram > 0, counts):
            folded = replace(engine, coarse_in=ci, coarse_out=co, coarse_group=cg, fine=fine, weights_memory=memory,
                             pixels=(p, 1))
            if engine.weights_off_chip:  # AutoWS: the streamed fraction as fragments of this folding's memory
                folded = with_fragments(folded, engine.weights_off_chip)
            candidates.append(Option(folded, layer_performance(folded).interval, layer_resources(folded, platform)))
    candidates.sort(key=lambda o: (o.interval, o.resources.dsp, o.resources.bram18, o.resources.lut))
    # sorted by interval: only a kept option can dominate a later one. The costs (interval and
    # every resource) of the kept options are rows of one array, so each test is one
    # vectorised comparison instead of a Python loop over the frontier.
    costs = np.array([[o.interval] + [getattr(o.resources, r) for r in RESOURCES] for o in candidates], dtype=float)
    kept: list[int] = []
    for i in range(len(candidates)):
        if not kept or not np.all(costs[kept] <= costs[i], axis=1).any():
            kept.append(i)
    return tuple(candidates[i] for i in kept)


@dataclass(frozen=True)
class Menu:
    """A layer's options as arrays: intervals ascending, and each option's used fraction of
    every board resource, so choosing the cheapest option under given resource weights is
    one matrix-vector product."""

    options: tuple[Option, ...]
    intervals: np.ndarray
    fractions: np.ndarray  # (options, resources)

    def cheapest(self, target: int | None, weights: np.ndarray) -> Option | None:
        count = len(self.options) if target is None else int(np.searchsorted(self.intervals, target, side="right"))
        if count == 0:
            return None
        costs = self.fractions[:count] @ weights
        return self.options[int(np.argmin(costs))]  # first minimum: the fastest among equals


@lru_cache(maxsize=16384)
def layer_menu(spec: LayerSpec, platform, mixed: bool = False, pixels: bool = True) -> Menu:
    options = layer_options(spec, platform, mixed, pixels)
    board = np.array([getattr(platform, r) or 0 for r in RESOURCES], dtype=float)
    scale = np.divide(1.0, board, out=np.zeros_like(board), where=board > 0)
    fractions = np.array([[getattr(o.resources, r) for r in RESOURCES] for o in options], dtype=float) * scale
    return Menu(options, np.array([o.interval for o in options]), fractions)
