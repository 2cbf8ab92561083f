"""The foldings a layer can take, reduced to the ones worth considering.

A folding is kept only if no other is at least as fast and at least as cheap in every
resource (a Pareto frontier), so the search sees a few dozen options per layer instead of
every combination of divisors.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

from ..model import LayerSpec, Resources, folding_choices, layer_performance, layer_resources
from ..model.spec import WEIGHT_KINDS


@dataclass(frozen=True)
class Option:
    spec: LayerSpec  # the layer with this folding applied
    interval: int
    resources: Resources


def foldings(spec: LayerSpec):
    """Every legal (coarse_in, coarse_out, coarse_group, fine) of the layer."""
    legal = folding_choices(spec)
    if spec.kind in WEIGHT_KINDS:
        per_run = spec.outputs[0][0] // (spec.groups if spec.kind == "conv" else 1) // spec.wr_factor
        outs = tuple(c for c in legal.coarse_out if per_run % c == 0)
        yield from itertools.product(legal.coarse_in, outs, legal.coarse_group, legal.fine)
    else:
        for coarse, fine in itertools.product(legal.coarse_in, legal.fine):
            yield coarse, coarse, 1, fine


def layer_options(spec: LayerSpec, platform) -> tuple[Option, ...]:
    """Pareto-optimal foldings of `spec`, fastest first."""
    candidates = []
    for ci, co, cg, fine in foldings(spec):
        folded = replace(spec, coarse_in=ci, coarse_out=co, coarse_group=cg, fine=fine)
        candidates.append(Option(folded, layer_performance(folded).interval, layer_resources(folded, platform)))
    candidates.sort(key=lambda o: (o.interval, o.resources.dsp, o.resources.bram18, o.resources.lut))
    frontier: list[Option] = []
    for option in candidates:
        if not any(_dominates(kept, option) for kept in frontier):
            frontier.append(option)
    return tuple(frontier)


def _dominates(a: Option, b: Option) -> bool:
    ra, rb = a.resources, b.resources
    return (a.interval <= b.interval and ra.dsp <= rb.dsp and ra.bram18 <= rb.bram18 and ra.uram <= rb.uram
            and ra.lut <= rb.lut and ra.ff <= rb.ff)
