"""Data-rate-matched folding (seed 004, Habermann & Kumm): size every layer for the data rate
it actually receives, not for the fastest layer.

The network input delivers J features every H cycles, so in the steady state of a streaming
design every layer has T = (input features per frame) x H / J cycles per frame. A layer that
must finish a frame within T cycles consumes r = out_pixels x d_in / T input features per
cycle (per window position: a stride divides it). In the seed's terms a weights layer is
d_out / h units (FCUs, or MAC units of KPUs) sharing j inputs; each unit cycles through h
filters, so it takes d_in x h / j cycles per output pixel and consumes j / h features per
cycle. That is fpgaConvNet's folding with j = coarse_in x coarse_group (input streams),
h = filters per output stream (channels_out / groups / coarse_out) and fine = K (a KPU
multiplies a whole window at once).

The choice is the seed's upper Diophantine approximation (eqs. 7-11): among j dividing the
input channels and h dividing the output channels with j / h >= r, the smallest j / h (the
fewest multipliers: K x d_out x j / h), and among those the largest h (the fewest units,
with big adder trees). Two steps past the seed, both in its spirit: where even j / h = 1 /
d_out is faster than needed, the KPU itself is folded (the smallest fine that meets T), and
where r exceeds d_in (more than one pixel per cycle, sec. II-E) the layer takes p = ceil(r /
d_in) pixels per cycle (`pixels = (p, 1)`). Given the device, a weights layer also weighs
every p the backends build against its DSPs: a p-pixel unit's q MAC arrays share each weight,
so at 8 bits two lanes take one DSP (model/dsp.py `packs`), and p = 2 at half the coarse
folding keeps the rate for half the DSPs; each such p is also tried with a folded KPU (fine
< K). Two units fed one window pair their products too (an even coarse_out, `pairs_units`),
so every (j, h) up to twice the smallest that keeps up is a candidate. The fewest DSPs win,
ties going to fewer pixels, then to the wider KPU.
Layers without weights take their cheapest coarse (and pool fine) factor that meets T. Every
choice is checked against the model's interval, which also counts the sliding window and the
other modules of the layer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from math import prod

from ..model.folding import channels_in, channels_out, check_folding, folding_choices, pixel_choices
from ..model.performance import layer_performance
from ..model.resources import layer_resources
from ..model.spec import WEIGHT_KINDS, LayerSpec, kernel_of, pixels_of, sparse_engine


@dataclass(frozen=True)
class RateChoice:
    """What the selection chose for one layer, and why."""

    spec: LayerSpec          # the layer with its new folding
    rate: Fraction           # input features per cycle it must consume (r)
    j: int                   # inputs per cycle (coarse_in x coarse_group), 0 if no weights
    h: int                   # filters each unit cycles through, 0 if no weights
    meets: bool              # whether the model's interval is within the frame time


def frame_cycles(input_features: int, features: int, cycles: int) -> Fraction:
    """T: cycles per frame when the input delivers `features` every `cycles` cycles."""
    if features < 1 or cycles < 1:
        raise ValueError("features and cycles must be positive")
    return Fraction(input_features * cycles, features)


def choose(spec: LayerSpec, frame: Fraction, device=None) -> RateChoice:
    """The layer folded for a frame every `frame` cycles (the seed's selection, see above);
    with `device` (a Platform or board name) a weights layer takes the p with the fewest DSPs."""
    if spec.kind in WEIGHT_KINDS:
        return _weights_layer(spec, frame, device)
    return _weightless_layer(spec, frame)


def _meets(spec: LayerSpec, frame: Fraction) -> bool:
    return not check_folding(spec) and layer_performance(spec).interval <= frame


def _weights_layer(spec: LayerSpec, frame: Fraction, device=None) -> RateChoice:
    legal = folding_choices(spec)
    is_conv = spec.kind == "conv"
    groups = spec.groups if is_conv else 1
    d_in, cout_g = channels_in(spec), channels_out(spec) // groups // max(spec.wr_factor, 1)
    kernel = prod(kernel_of(spec)) if is_conv else 1
    out_pixels = pixels_of(spec.outputs[0]) if is_conv else 1
    rate = Fraction(out_pixels * d_in) / frame
    full_kernel = kernel if kernel in legal.fine else legal.fine[-1]

    # eqs. 7-9: j = coarse_in x coarse_group over the legal splits, h = cout_g / coarse_out;
    # eq. 10, then 11's tie-break: smallest j / h first, then the largest h
    pairs = {}
    for ci in legal.coarse_in:
        for cg in legal.coarse_group:
            for co in legal.coarse_out:
                pairs.setdefault((ci * cg, cout_g // co), (ci, cg, co))
    ranked = sorted(pairs.items(), key=lambda kv: (Fraction(*kv[0]), -kv[0][1]))
    if ranked and Fraction(*ranked[0][0]) >= rate:
        # even one unit of one input is fast enough: fold the KPU too (fine < K)
        for fine in legal.fine:
            folded = replace(spec, coarse_in=1, coarse_group=1, coarse_out=1, fine=fine, pixels=(1, 1))
            if _meets(folded, frame):
                return RateChoice(folded, rate, 1, cout_g, True)
    # sec. II-E: p pixels per cycle divide the rate each pixel's units must keep up with.
    # The seed's choice at the smallest p that keeps up, and (given the device) at every
    # larger p the backends build, each also with a folded KPU (fine < K: K / fine cycles a
    # window): the fewest DSPs of them, then the fewest pixels, then the widest KPU.
    # Given the device, every (j, h) up to twice the first one that meets the rate is a
    # candidate too: an even coarse_out pairs its units two products a DSP (model/dsp.py
    # `pairs_units`), so a j / h up to twice the smallest may cost fewer DSPs.
    def meeting(p: int, fine: int):
        steps = -(-kernel // fine) if is_conv else 1
        found, bound = [], None
        for (j, h), (ci, cg, co) in ranked:
            ratio = Fraction(j, h)
            if bound is not None and ratio > bound:
                break  # ranked by ratio
            if ratio * p < rate * steps:
                continue
            candidate = replace(spec, coarse_in=ci, coarse_group=cg, coarse_out=co, fine=fine, pixels=(p, 1))
            if _meets(candidate, frame):
                found.append(RateChoice(candidate, rate, j, h, True))
                if device is None:
                    break
                bound = bound or 2 * ratio
        return found

    found = []
    offered = pixel_options(spec) if device is not None else ()
    for p in _pixel_choices(spec):
        if found and p not in offered:
            continue
        fines = [full_kernel] + ([f for f in legal.fine if f < full_kernel] if p in offered else [])
        found += [c for f in fines for c in meeting(p, f)]
    if found:
        return min(found, key=lambda c: (layer_resources(c.spec, device).dsp if device is not None else 0,
                                         c.spec.pixels[0], -c.spec.fine))
    (j, h), (ci, cg, co) = max(ranked, key=lambda kv: Fraction(*kv[0]))  # the widest
    widest = replace(spec, coarse_in=ci, coarse_group=cg, coarse_out=co, fine=full_kernel,
                     pixels=(_pixel_choices(spec)[-1], 1))
    return RateChoice(widest, rate, j, h, False)


BUILT_PIXEL_KINDS = ("conv", "inner_product", "pool", "global_pool", "activation", "scale_shift",
                     "eltwise", "concat", "split", "resize")
"""Kinds whose p-pixel hardware both backends build (docs/notes/rtl-backend.md "Multi-pixel
layers"; backend/hls/README.md): every kind, PASS's sparse engine excepted."""


def pixel_options(spec: LayerSpec) -> tuple[int, ...]:
    """The p of pixels = (p, 1) a design-space exploration may give this layer: every legal p
    (`model.folding.pixel_choices`) where the backends build it (every kind but the sparse
    engine), else only 1. Why: a layer fed a pixel per cycle (LeNet's and the digits
    network's first conv) is input-bound at one pixel per cycle however wide its folding; only
    p > 1 takes it past that, for p times the MAC arrays and no more weights memory."""
    if spec.kind not in BUILT_PIXEL_KINDS or sparse_engine(spec):
        return (1,)
    return pixel_choices(spec)


def _pixel_choices(spec: LayerSpec) -> list[int]:
    """Pixels per cycle a layer may take (model.folding.pixel_choices: divisors of its row
    width whose windows per word divide the output row; 1 without a row)."""
    return list(pixel_choices(spec))


def _weightless_layer(spec: LayerSpec, frame: Fraction) -> RateChoice:
    legal = folding_choices(spec)
    rate = Fraction(sum(prod(s) for s in spec.inputs)) / frame
    options = sorted(((c, f) for c in legal.coarse_in for f in legal.fine), key=lambda cf: (cf[0] * cf[1], cf[0]))
    for p in _pixel_choices(spec):
        for coarse, fine in options:
            candidate = replace(spec, coarse_in=coarse, coarse_out=coarse, fine=fine, pixels=(p, 1))
            if _meets(candidate, frame):
                return RateChoice(candidate, rate, 0, 0, True)
    coarse, fine = legal.coarse_in[-1], legal.fine[-1]
    widest = replace(spec, coarse_in=coarse, coarse_out=coarse, fine=fine, pixels=(_pixel_choices(spec)[-1], 1))
    return RateChoice(widest, rate, 0, 0, False)
