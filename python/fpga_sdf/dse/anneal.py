"""Simulated annealing over the foldings of one partition, from the balanced design.

Moves change one layer's folding one step along its option list (faster or cheaper), or make
one layer faster while another gets cheaper, so resources can move between layers. Designs
that do not fit are rejected. The same seed gives the same walk.
"""

from __future__ import annotations

import math
import random
import time

from .balance import PartitionDesign, evaluate
from .options import layer_options
from .problem import Constraints

FOLDING_FIELDS = ("coarse_in", "coarse_out", "coarse_group", "fine", "weights_memory", "pixels")


def _index_of(spec, options) -> int:
    key = tuple(getattr(spec, f) for f in FOLDING_FIELDS)
    for i, option in enumerate(options):
        if tuple(getattr(option.spec, f) for f in FOLDING_FIELDS) == key:
            return i
    return 0


def anneal(start: PartitionDesign, c: Constraints, objective: str, rng: random.Random,
           steps: int, seconds: float = float("inf")) -> PartitionDesign:
    """`steps` proposals (the walk a seed determines); `seconds` only guards against a
    pathological run and makes the result depend on the machine when it cuts in."""
    options = [layer_options(s, c.platform, pixels=c.pixels) for s in start.specs]
    index = [_index_of(s, opts) for s, opts in zip(start.specs, options)]
    current = best = start
    deadline = time.monotonic() + seconds
    tunable = [i for i, opts in enumerate(options) if len(opts) > 1]
    if not tunable:
        return start
    for step in range(1, steps + 1):
        if time.monotonic() > deadline:
            break
        temperature = 0.05 * (0.001 ** (step / steps))
        proposal = list(index)
        i = rng.choice(tunable)
        proposal[i] = min(max(proposal[i] + rng.choice((-1, 1)), 0), len(options[i]) - 1)
        if rng.random() < 0.5:
            j = rng.choice(tunable)
            proposal[j] = min(proposal[j] + 1, len(options[j]) - 1)
        if proposal == index:
            continue
        design = evaluate([options[k][proposal[k]].spec for k in range(len(options))], start.edges, c, objective)
        if not c.fits(design.resources):
            continue
        delta = (design.cost - current.cost) / current.cost
        if delta <= 0 or rng.random() < math.exp(-delta / temperature):
            current, index = design, proposal
            if current.cost < best.cost:
                best = current
    return best
