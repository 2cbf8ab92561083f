"""Fixed-point formats: the AP_RND / AP_SAT rounding and saturation rules."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from fpga_sdf.interp.fixed import Fixed, dequantize, quantize, range_of, requantize

Q8_2 = Fixed(8, 2)  # integers [-128, 127], values [-32, 31.75], lsb 0.25


def test_format_helpers():
    assert range_of(Q8_2) == (-32.0, 31.75)
    assert (Q8_2.min_int, Q8_2.max_int, Q8_2.lsb, Q8_2.int_bits) == (-128, 127, 0.25, 6)
    assert Q8_2.hls_type() == "ap_fixed<8, 6, AP_RND, AP_SAT>"
    assert range_of(Fixed(4, -2)) == (-32.0, 28.0)  # negative frac: lsb 4
    with pytest.raises(ValueError):
        Fixed(65, 0)


@pytest.mark.parametrize(
    "x, q",
    [
        (0.625, 3),     # 2.5 lsb: tie -> +inf
        (-0.625, -2),   # -2.5 lsb: tie -> +inf, i.e. toward zero here
        (0.375, 2),     # 1.5 -> 2
        (-0.375, -1),   # -1.5 -> -1
        (0.6, 2),       # 2.4 -> 2
        (-0.6, -2),     # -2.4 -> -2
        (-0.7, -3),     # -2.8 -> -3
        (31.75, 127),   # max exactly
        (31.874, 127),  # rounds to 127.496 -> 127
        (31.875, 127),  # rounds to 128, saturates
        (1e9, 127),
        (np.inf, 127),
        (-32.0, -128),  # min exactly
        (-32.125, -128),  # -128.5 -> -128 (tie up)
        (-32.2, -128),  # -128.8 -> -129, saturates
        (-np.inf, -128),
    ],
)
def test_quantize_rounding_and_saturation(x, q):
    assert quantize(x, Q8_2) == q


def test_quantize_array_and_dequantize():
    q = quantize(np.array([[0.1, -0.1], [0.125, -0.125]]), Q8_2)
    assert q.dtype == np.int64 and q.tolist() == [[0, 0], [1, 0]]
    d = dequantize(np.array([-128, 3, 127]), Q8_2)
    assert d.dtype == np.float64 and d.tolist() == [-32.0, 0.75, 31.75]


def test_quantize_wide_formats_exact():
    # 2**52 + 1 is an integer float: must not be disturbed by the +1/2 of the rounding.
    assert quantize(2.0**52 + 1, Fixed(64, 0)) == 2**52 + 1
    assert quantize(2.0**63, Fixed(64, 0)) == 2**63 - 1
    assert quantize(-(2.0**63), Fixed(64, 0)) == -(2**63)
    with pytest.raises(ValueError):
        quantize(np.nan, Q8_2)


def test_requantize_right_shift_rounds_half_up():
    q = np.array([5, -5, 6, -6, 7, -7, 4, -4, 3, -3])  # frac 1: 2.5, -2.5, 3, -3, 3.5, ...
    assert requantize(q, 1, Fixed(8, 0)).tolist() == [3, -2, 3, -3, 4, -3, 2, -2, 2, -1]
    # shift by 3: 12/8 = 1.5 -> 2, -12/8 -> -1, 11/8 -> 1, -13/8 -> -2
    assert requantize(np.array([12, -12, 11, -13]), 5, Fixed(8, 2)).tolist() == [2, -1, 1, -2]


def test_requantize_left_shift_exact_and_saturates():
    assert requantize(np.array([5, -5, 31, -32]), 0, Fixed(8, 2)).tolist() == [20, -20, 124, -128]
    assert requantize(np.array([32, -33, 10**15, -(10**15)]), 0, Fixed(8, 2)).tolist() == [
        127, -128, 127, -128]
    # shifts so large that every non-zero value saturates
    assert requantize(np.array([1, -1, 0]), 0, Fixed(8, 70)).tolist() == [127, -128, 0]


def test_requantize_saturates_after_rounding():
    # 255.5 -> 256 then saturates to 127; -256.5 -> -256 -> -128
    assert requantize(np.array([511, -513]), 1, Fixed(8, 0)).tolist() == [127, -128]
    # huge right shift: everything rounds to zero
    assert requantize(np.array([2**62, -(2**62)]), 100, Fixed(8, 0)).tolist() == [0, 0]


formats = st.builds(Fixed, st.integers(2, 40), st.integers(-8, 48))


@given(formats, st.floats(0, 1))
def test_round_trip_within_half_lsb(fmt, t):
    lo, hi = range_of(fmt)
    x = lo + t * (hi - lo)
    err = abs(dequantize(quantize(x, fmt), fmt) - x)
    assert err <= fmt.lsb / 2


@given(st.integers(-(2**40), 2**40), st.integers(-10, 30), formats)
def test_requantize_agrees_with_quantize(q, from_frac, to_fmt):
    """Fixed->fixed conversion and float->fixed conversion follow one rounding rule."""
    exact_value = dequantize(q, Fixed(64, from_frac))  # exact in float64 for |q| <= 2**40
    assert requantize(q, from_frac, to_fmt) == quantize(exact_value, to_fmt)
