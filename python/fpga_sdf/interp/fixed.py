"""Signed fixed-point formats and the exact rounding rules of the hardware.

A `Fixed(width, frac)` value is a `width`-bit two's complement integer `q` standing for
`q * 2**-frac`. It is the Vitis HLS type `ap_fixed<width, width - frac, AP_RND, AP_SAT>`:

- AP_RND rounds to the nearest representable value, ties toward +infinity
  (`floor(v + 1/2)` on the scaled value `v`), so 2.5 -> 3 but -2.5 -> -2;
- AP_SAT saturates to the most negative / most positive integer instead of wrapping.

`quantize` (float -> fixed) and `requantize` (fixed -> fixed with another binary point) both
follow these rules, so the reference executor and the generated C++ agree bit for bit.
Integers are carried in int64 arrays, so widths up to 64 bits are supported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Fixed", "quantize", "dequantize", "requantize", "saturate", "range_of"]


@dataclass(frozen=True)
class Fixed:
    """Signed fixed-point format: `width` bits, of which `frac` are fractional (frac may be
    negative or larger than width, as in ap_fixed)."""

    width: int
    frac: int

    def __post_init__(self) -> None:
        if not 1 <= self.width <= 64:
            raise ValueError(f"fixed-point width must be in [1, 64], got {self.width}")

    @property
    def int_bits(self) -> int:
        """The `I` of ap_fixed<W, I>: integer bits including the sign."""
        return self.width - self.frac

    @property
    def min_int(self) -> int:
        return -(1 << (self.width - 1))

    @property
    def max_int(self) -> int:
        return (1 << (self.width - 1)) - 1

    @property
    def lsb(self) -> float:
        """The real value of one unit in the last place."""
        return 2.0 ** -self.frac

    def hls_type(self) -> str:
        """The Vitis HLS type with the same values, rounding and saturation."""
        return f"ap_fixed<{self.width}, {self.int_bits}, AP_RND, AP_SAT>"


def range_of(fmt: Fixed) -> tuple[float, float]:
    """The smallest and largest real values `fmt` represents (integers: fmt.min_int/max_int)."""
    return fmt.min_int * fmt.lsb, fmt.max_int * fmt.lsb


def saturate(q, fmt: Fixed) -> np.ndarray:
    """Clamp integers to the range of `fmt` (AP_SAT)."""
    return np.clip(np.asarray(q, dtype=np.int64), fmt.min_int, fmt.max_int)


def quantize(x, fmt: Fixed) -> np.ndarray:
    """Float -> integers of `fmt`: floor(x * 2**frac + 1/2), then saturate (AP_RND, AP_SAT).

    Computed in float64; scaling by a power of two is exact, and the tie test is done on the
    exact remainder so that large values round correctly too.
    """
    v = np.asarray(x, dtype=np.float64) * 2.0 ** fmt.frac
    if np.isnan(v).any():
        raise ValueError("cannot quantize NaN")
    with np.errstate(invalid="ignore"):  # inf - inf for infinite inputs; saturated below
        fl = np.floor(v)
        v = fl + (v - fl >= 0.5)
    limit = 2.0 ** (fmt.width - 1)
    too_big, too_small = v >= limit, v < -limit
    q = np.where(too_big | too_small, 0.0, v).astype(np.int64)
    q = np.where(too_big, fmt.max_int, q)
    q = np.where(too_small, fmt.min_int, q)
    return saturate(q, fmt)


def dequantize(q, fmt: Fixed) -> np.ndarray:
    """Integers of `fmt` -> their real values as float64."""
    return np.asarray(q, dtype=np.int64).astype(np.float64) * 2.0 ** -fmt.frac


def shift_round(q, s: int) -> np.ndarray:
    """Multiply integers by 2**-s, rounding half up when s > 0 (exact when s <= 0).

    floor(q / 2**s + 1/2) is written as (q >> s) + bit s-1 of q, which is the same as
    (q + (1 << (s-1))) >> s but cannot overflow int64. No saturation.
    """
    q = np.asarray(q, dtype=np.int64)
    if s <= 0:
        return q << np.int64(-s)
    if s >= 64:  # |q / 2**s| < 1/2 for every int64
        return np.zeros_like(q)
    return (q >> np.int64(s)) + ((q >> np.int64(s - 1)) & 1)


def requantize(q, from_frac: int, to_fmt: Fixed) -> np.ndarray:
    """Move integers with `from_frac` fractional bits to `to_fmt`.

    A left shift (exact) when to_fmt.frac >= from_frac, else an arithmetic right shift by
    s = from_frac - to_fmt.frac with round-half-up, (q + (1 << (s-1))) >> s; then saturate to
    to_fmt.width. This is the conversion between ap_fixed<..., AP_RND, AP_SAT> types.
    """
    q = np.asarray(q, dtype=np.int64)
    up = to_fmt.frac - from_frac
    if up >= to_fmt.width - 1:  # every non-zero value saturates
        return np.sign(q) * np.int64(to_fmt.max_int) - (q < 0)
    if up > 0:
        # Anything beyond this bound saturates anyway; clipping first keeps the shift in int64.
        bound = (1 << (to_fmt.width - 1)) >> up
        q = np.clip(q, -bound - 1, bound + 1)
    return saturate(shift_round(q, -up), to_fmt)
