"""How many DSP slices a multiplier costs on each device family.

A DSP48E1 (7-series) multiplies 25x18 bits, a DSP48E2 (UltraScale+) 27x18; wide products are
split into partial products across slices, tiny ones (at most 8 product bits) built from LUTs
(yosys `synth_xilinx` gives every product of 9 bits or more its own slice).

Two products that share an operand can share a slice (Xilinx WP486): the RTL conv multiplies
the q MAC arrays of a p-pixel unit by one weights word, so it pairs their lanes as one multiply
of (a_hi << (a + b)) + a_lo by w, whose low a + b bits are a_lo w and whose high ones, plus the
low part's sign bit, are a_hi w (`packs` says where; backend/rtl/mac_common.lane_products
builds it). The shift is the product width, not WP486's 18 bits, because the products are
separated before they are summed: at 8 bits the packed operand is 25 bits, which fits both
families' wide port, so the RTL needs no family to decide.

The symmetric form pairs two MAC units that share an input (`pairs_units`): the coarse_out
units j and j + 1 of one fork see the same window, so x (w_hi << (a + b)) + x w_lo is one
multiply of x by a packed weight. That works at one pixel a word and with an odd number of
lanes, where the lane packing leaves products alone (docs/notes/rtl-backend.md, "DSP packing").
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache
from math import prod

from .coefficients import resource_coefficients
from .spec import cdiv


def _slices(bits: int, port: int) -> int:
    # Signed decomposition: the top chunk uses a full signed port, the others port-1
    # unsigned bits each.
    return 1 if bits <= port else 1 + cdiv(bits - port, port - 1)


@lru_cache(maxsize=1024)
def dsp_per_multiplier(a_bits: int, b_bits: int, family: str) -> float:
    """DSP slices per a_bits x b_bits signed multiplier, as yosys synth_xilinx maps it."""
    table = resource_coefficients()["dsp"][family]
    if a_bits + b_bits <= table["lut_product_bits"]:
        return 0.0  # synthesis builds tiny products from LUTs
    wide, narrow = table["ports"]
    return float(min(_slices(a_bits, wide) * _slices(b_bits, narrow),
                     _slices(b_bits, wide) * _slices(a_bits, narrow)))


def dsp_count(multipliers: int, a_bits: int, b_bits: int, family: str) -> int:
    """DSP slices for a group of identical multipliers."""
    if multipliers <= 0:
        return 0
    per = dsp_per_multiplier(a_bits, b_bits, family)
    return int(-(-multipliers * per // 1))


def packed_width(a_bits: int, b_bits: int) -> int:
    """Bits of the packed operand a_hi * 2**(a + b) + a_lo of two signed a_bits lanes."""
    return 2 * a_bits + b_bits + 1


def families() -> tuple[str, ...]:
    return tuple(k for k in resource_coefficients()["dsp"] if k != "notes")


@lru_cache(maxsize=1024)
def packs(a_bits: int, b_bits: int) -> bool:
    """Whether two a_bits x b_bits products sharing their b operand are built as one packed
    multiply: where each alone takes a slice and the packed one takes a single slice on every
    family (the RTL does not know the family, so the rule must hold on all)."""
    return all(dsp_per_multiplier(a_bits, b_bits, f) == 1
               and dsp_per_multiplier(packed_width(a_bits, b_bits), b_bits, f) == 1 for f in families())


def pairs_units(spec) -> bool:
    """Whether a layer's MAC units (g, i, j) and (g, i, j + 1), which read the same window, are
    built as one unit whose products share the input (x times a packed pair of weights): a
    dense conv or a one-pixel inner product with an even coarse_out whose weight x data products
    pack. The model, `--sdf-expand-modules` and the backends all ask this one rule."""
    from .spec import sparse_engine
    if spec.kind not in ("conv", "inner_product") or spec.coarse_out % 2 or sparse_engine(spec):
        return False
    if spec.kind == "inner_product" and spec.pixels[0] > 1:
        return False  # per-pixel FCUs (backend/rtl/fcu.py) read different weights
    return packs(spec.weight_width, spec.data_width)


def sums_coarse_in(spec) -> bool:
    """Whether the coarse_in MAC units of one output stream (or unit pair) are one conv module
    that adds their dot products itself, replacing the glue: a dense 1x1 conv with coarse_in
    > 1. Why: a 1x1 unit at fine 1 is one multiply, so its own handshake, counters and output
    buffer and a glue input per unit cost more LUTs than the product (issue 14, yosys at 8
    bits: a unit pair 112 LUT, a glue input ~25); the module shares one set over its ci
    windows (all present together, as the glue needed them) and sums in a registered tree.
    The model, `--sdf-expand-modules` and both backends ask this one rule."""
    from math import prod

    from .spec import kernel_of, sparse_engine
    return (spec.kind == "conv" and spec.coarse_in > 1 and not sparse_engine(spec)
            and prod(kernel_of(spec)) == 1)


def mac_dsp(multipliers: int, lanes: int, sharing: int, a_bits: int, b_bits: int, family: str,
            input_sharing: int = 1) -> int:
    """DSP slices of `multipliers` products (a_bits data x b_bits weights) in each of `lanes`
    lanes. With `input_sharing` = 2 (a unit pair, `pairs_units`) every product is paired with
    its twin's, which multiplies the same input by another weight: half as many packed
    multiplies. Otherwise groups of `sharing` lanes multiply by the same weight: each group's
    lanes paired into packed multiplies where `packs`, an odd lane alone."""
    if input_sharing == 2 and packs(b_bits, a_bits):
        products = int(-(-multipliers * lanes // 1))
        return dsp_count(products // 2, packed_width(b_bits, a_bits), a_bits, family)
    if sharing < 2 or not packs(a_bits, b_bits):
        return dsp_count(int(-(-multipliers * lanes // 1)), a_bits, b_bits, family)
    groups = multipliers * int(lanes) // sharing
    return (dsp_count(groups * (sharing // 2), packed_width(a_bits, b_bits), b_bits, family)
            + dsp_count(groups * (sharing % 2), a_bits, b_bits, family))


def module_dsp(module, family: str) -> int:
    """DSP slices of all instances of a model.hardware.Module: the one place that reads its
    sharing fields (resources.module_resources should call it)."""
    return mac_dsp(module.instances * module.mults, module.lanes, module.weight_sharing,
                   *module.mult_widths, family, module.input_sharing)


# ------------------------------------------------------------------------------ exact division
# Average pooling divides a window's exact sum by its in-bounds taps with round half up
# (interp/kernels._div_round). The RTL (backend/rtl/pointwise.div_round) does it exactly by a
# multiply with a reciprocal, or by a shift when the divisor is a power of two; these are its
# sizes, so the model's multiplier widths are the RTL's.


@dataclass(frozen=True)
class Reciprocal:
    """floor(n / d) = (n * magic) >> shift for every 0 <= n <= n_max (Granlund-Montgomery)."""

    d: int
    magic: int
    shift: int

    @staticmethod
    def of(d: int, n_max: int, shift: int | None = None) -> "Reciprocal":
        s = max(1, (d - 1).bit_length()) if shift is None else shift
        while True:
            m = -(-(1 << s) // d)
            if (m * d - (1 << s)) * n_max < (1 << s):  # the error stays below 1/d for every n
                return Reciprocal(d, m, s)
            if shift is not None:
                raise ValueError(f"shift {shift} is not exact for 1/{d} up to {n_max}")
            s += 1


@dataclass(frozen=True)
class DivPlan:
    """How a `num_bits` signed sum is divided, with round half up, by one of `dens`.

    round_half_up(n 2**-from_frac / d) at out_frac is floor(M / 2d') with M = 2n' + d',
    n' = n << up, d' = d << -up (up = out_frac - from_frac); as floor(M / (2d 2**pre)) =
    floor(floor(M / 2**pre) / 2d), it is a division by D = 2d of X = M >> pre. A power-of-two
    D is a shift; otherwise |X| (for X < 0 in the form -floor((|X| + D - 1) / D)) is multiplied
    by a reciprocal of D, one common shift for all divisors."""

    up: int
    pre: int
    w: int  # bits of M
    den2: tuple[int, ...]
    recs: tuple[Reciprocal, ...] | None  # None: every D is a power of two
    a_bits: int = 0  # the signed multiplier's operand widths
    b_bits: int = 0

    @staticmethod
    def of(dens, num_bits: int, from_frac: int = 0, out_frac: int = 0) -> "DivPlan":
        up = out_frac - from_frac
        pre, lshift = max(0, -up), max(0, up)
        dens = [int(d) for d in dens]
        w = max(num_bits + lshift + 1, (max(dens) << pre).bit_length() + 1) + 1
        den2 = tuple(2 * d for d in dens)
        if all(d & (d - 1) == 0 for d in den2):
            return DivPlan(up, pre, w, den2, None)
        n_max = (1 << (w - pre - 1)) + max(den2) - 1  # the largest |X| + D - 1
        shift = max(Reciprocal.of(d, n_max).shift for d in den2)
        recs = tuple(Reciprocal.of(d, n_max, shift) for d in den2)
        return DivPlan(up, pre, w, den2, recs, n_max.bit_length() + 1,
                       max(r.magic.bit_length() for r in recs) + 1)

    @property
    def mult_widths(self) -> tuple[int, int]:
        return (self.a_bits, self.b_bits) if self.recs else (0, 0)

    def reference(self, n: int, index: int = 0) -> int:
        """What the hardware computes, in Python integers (before saturation)."""
        big_d = self.den2[index]
        x = (2 * (n << max(0, self.up)) + ((big_d // 2) << self.pre)) >> self.pre
        if self.recs is None:
            return x >> (big_d.bit_length() - 1)
        r = self.recs[index]
        mag = x if x >= 0 else -x + big_d - 1
        q = (mag * r.magic) >> r.shift
        return q if x >= 0 else -q


def taps_inside(n: int, k: int, s: int, p0: int, outputs: int) -> list[int]:
    """In-bounds taps of each output position along one dim (kernels._pool_divisor)."""
    return [sum(1 for j in range(k) if 0 <= o * s - p0 + j < n) for o in range(outputs)]


def pool_divisors(dims, out, kernel, stride, pad_begin, count_include_pad: bool = False):
    """Per dim the in-bounds taps of every output position (None with count_include_pad),
    and the distinct divisors of the windows, sorted."""
    if count_include_pad:
        return None, [prod(kernel)]
    tables = [taps_inside(*g) for g in zip(dims, kernel, stride, pad_begin, out)]
    return tables, sorted({prod(c) for c in itertools.product(*tables)})
