"""Fixed-point kernels against independent oracles and hand-computed examples."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fpga_sdf.interp import kernels as K
from fpga_sdf.interp.fixed import Fixed



def torch_pad(pad):
    """(begin per dim, end per dim) -> F.pad's order (last dim first, begin/end pairs)."""
    nd = len(pad) // 2
    return tuple(v for d in reversed(range(nd)) for v in (pad[d], pad[nd + d]))


def ints(lo, hi, *shape, seed=0):
    return np.random.default_rng(seed).integers(lo, hi, shape, dtype=np.int64)


def oracle_requantize(acc, from_frac, fmt):
    """floor(acc / 2**s + 1/2) then clamp, in float64 (exact for these small integers)."""
    v = torch.floor(acc * 2.0 ** (fmt.frac - from_frac) + 0.5)
    return torch.clamp(v, -(2 ** (fmt.width - 1)), 2 ** (fmt.width - 1) - 1).long().numpy()


# ----------------------------------------------------------------------------- conv / fc

CONV_CASES = [  # (C, F, kernel, stride, pad, dilation, groups)
    (3, 4, (3, 3), (1, 1), (1, 0, 2, 1), (1, 1), 1),
    (4, 6, (3, 3), (2, 1), (1, 1, 1, 1), (1, 2), 2),
    (4, 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 4),
    (2, 3, (3, 2, 3), (1, 2, 1), (1, 0, 1, 1, 1, 0), (1, 1, 1), 1),
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("out_fmt", [Fixed(8, 3), Fixed(12, 9), Fixed(16, 13)])  # shift 7, 1, -3
def test_conv_fixed_matches_integer_oracle(case, out_fmt):
    c, f, k, s, p, d, g = case
    x_fmt, w_fmt = Fixed(8, 4), Fixed(8, 6)
    xq = ints(-128, 128, 2, c, *(6, 7, 5)[: len(k)])
    wq, bq = ints(-128, 128, f, c // g, *k, seed=1), ints(-5000, 5000, f, seed=2)
    got = K.conv_fixed(xq, x_fmt, wq, w_fmt, bq, out_fmt, 32, s, p, d, g)
    conv = F.conv2d if len(k) == 2 else F.conv3d
    acc = conv(F.pad(torch.tensor(xq, dtype=torch.float64), torch_pad(p)),
               torch.tensor(wq, dtype=torch.float64), torch.tensor(bq, dtype=torch.float64),
               stride=s, dilation=d, groups=g)
    want = oracle_requantize(acc, 10, out_fmt)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, want)
    # both rounding directions and saturation are exercised by these cases
    if out_fmt.width == 8:
        assert (got == 127).any() and (got == -128).any()


def naive_conv2d(x, w, b):
    """Python-int direct convolution (stride 1, no pad): exact at any magnitude."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    out = np.empty((n, f, h - kh + 1, wd - kw + 1), dtype=object)
    for idx in np.ndindex(*out.shape):
        i, o, y, z = idx
        window = x[i, :, y:y + kh, z:z + kw].astype(object)
        out[idx] = int((window * w[o].astype(object)).sum()) + int(b[o])
    return out


def test_conv_fixed_exact_beyond_float64():
    """Products near 2**58 take the int64 path (a float64 matmul would round them)."""
    xq = ints(-(2**29), 2**29, 1, 2, 3, 3)
    wq, bq = ints(-(2**29), 2**29, 2, 2, 2, 2, seed=1), ints(-(2**40), 2**40, 2, seed=2)
    got = K.conv_fixed(xq, Fixed(32, 0), wq, Fixed(32, 0), bq, Fixed(64, 0), 64)
    assert got.tolist() == naive_conv2d(xq, wq, bq).tolist()
    got = K.conv_fixed(xq, Fixed(32, 0), wq, Fixed(32, 0), bq, Fixed(48, -20), 64)
    want = [[[[(v + 2**19) >> 20 for v in row] for row in ch] for ch in img]
            for img in naive_conv2d(xq, wq, bq).tolist()]
    assert got.tolist() == want


def test_conv_fixed_accumulator_overflow():
    xq = np.full((1, 1, 3, 3), 127, dtype=np.int64)
    wq = np.full((1, 1, 3, 3), 127, dtype=np.int64)  # sum = 9 * 16129 = 145161
    fmt = Fixed(8, 0)
    assert K.conv_fixed(xq, fmt, wq, fmt, None, Fixed(32, 0), 19).item() == 145161
    with pytest.raises(OverflowError, match=r"observed range \[145161, 145161\]"):
        K.conv_fixed(xq, fmt, wq, fmt, None, Fixed(32, 0), 18)
    # the bias counts: it pushes the accumulator out of range
    bias = np.array([-(2**18) - 145161])  # acc = -2**18: the 19-bit minimum, still fits
    assert K.conv_fixed(xq, fmt, wq, fmt, bias, Fixed(32, 0), 19).item() == -(2**18)
    with pytest.raises(OverflowError, match=r"\[-262145, -262145\]"):
        K.conv_fixed(xq, fmt, wq, fmt, bias - 1, Fixed(32, 0), 19)


def test_conv_fixed_rejects_float_input():
    with pytest.raises(TypeError):
        K.conv_fixed(np.zeros((1, 1, 3, 3)), Fixed(8, 0), np.zeros((1, 1, 1, 1), np.int64),
                     Fixed(8, 0), None, Fixed(8, 0), 32)


def test_inner_product_fixed_matches_oracle():
    xq, wq, bq = ints(-128, 128, 3, 20), ints(-128, 128, 5, 20, seed=1), ints(-999, 999, 5, seed=2)
    out_fmt = Fixed(8, 2)
    got = K.inner_product_fixed(xq, Fixed(8, 5), wq, Fixed(8, 7), bq, out_fmt, 24)
    acc = F.linear(*(torch.tensor(a, dtype=torch.float64) for a in (xq, wq, bq)))
    np.testing.assert_array_equal(got, oracle_requantize(acc, 12, out_fmt))
    with pytest.raises(OverflowError):
        K.inner_product_fixed(xq, Fixed(8, 5), wq, Fixed(8, 7), bq, out_fmt, 12)


# ----------------------------------------------------------------------------- pooling


def test_avg_pool_fixed_rounds_half_up():
    # windows of 2 along W, frac 0 in and out: means 1.5, -1.5, 0.5, -0.5, 2.0
    xq = np.array([[[[1, 2, -1, -2, 0, 1, 0, -1, 2, 2]]]])
    got = K.pool_fixed(xq, Fixed(8, 0), Fixed(8, 0), "avg", (1, 2))
    assert got.ravel().tolist() == [2, -1, 1, 0, 2]
    # same means with one more fractional bit out: exact
    got = K.pool_fixed(xq, Fixed(8, 0), Fixed(8, 1), "avg", (1, 2))
    assert got.ravel().tolist() == [3, -3, 1, -1, 4]
    # divisor 3: 1/3 -> 0, 2/3 -> 1, -2/3 -> -1 (frac 0); with frac 2: 4/3 -> 1, 8/3 -> 3
    xq = np.array([[[[1, 0, 0, 1, 1, 0, -1, -1, 0]]]])
    assert K.pool_fixed(xq, Fixed(8, 0), Fixed(8, 0), "avg", (1, 3)).ravel().tolist() == [0, 1, -1]
    assert K.pool_fixed(xq, Fixed(8, 0), Fixed(8, 2), "avg", (1, 3)).ravel().tolist() == [1, 3, -3]
    # fewer output fractional bits than input: 12/2 = 6 at frac 2 -> 1.5 -> 2 at frac 0
    assert K.pool_fixed(np.array([[[[5, 7]]]]), Fixed(8, 2), Fixed(8, 0), "avg", (1, 2)).item() == 2


@pytest.mark.parametrize("count_include_pad", [False, True])
@pytest.mark.parametrize("spatial", [(7, 6), (5, 4, 6)])
def test_avg_pool_fixed_matches_oracle(count_include_pad, spatial):
    nd = len(spatial)
    xq = ints(-128, 128, 2, 3, *spatial)
    k, s, p = (3,) * nd, (2,) * nd, (1,) * nd
    x_fmt, out_fmt = Fixed(8, 4), Fixed(8, 5)
    got = K.pool_fixed(xq, x_fmt, out_fmt, "avg", k, s, p, count_include_pad)
    fn = F.avg_pool2d if nd == 2 else F.avg_pool3d
    mean = fn(torch.tensor(xq, dtype=torch.float64), k, s, p, count_include_pad=count_include_pad)
    np.testing.assert_array_equal(got, oracle_requantize(mean, x_fmt.frac, out_fmt))


def test_max_pool_fixed_pads_with_minimum():
    xq = ints(-100, -1, 1, 2, 5, 5)  # all negative: a zero pad would win
    got = K.pool_fixed(xq, Fixed(8, 2), Fixed(8, 2), "max", 3, 2, 1)
    want = F.max_pool2d(torch.tensor(xq, dtype=torch.float64), 3, 2, 1).long().numpy()
    np.testing.assert_array_equal(got, want)
    # and requantizes to the output format (-3.25 and -3.75 at frac 2 -> -3 and -4 at frac 0)
    got = K.pool_fixed(np.array([[[[-13, -15]]]]), Fixed(8, 2), Fixed(8, 0), "max", (1, 1))
    assert got.ravel().tolist() == [-3, -4]


def test_global_pool_fixed():
    xq = np.array([[[[1, 2], [3, 5]], [[-1, -2], [-3, -4]]]])  # means 2.75, -2.5
    assert K.global_pool_fixed(xq, Fixed(8, 0), Fixed(8, 0), "avg").ravel().tolist() == [3, -2]
    assert K.global_pool_fixed(xq, Fixed(8, 0), Fixed(8, 1), "avg").ravel().tolist() == [6, -5]
    got = K.global_pool_fixed(xq, Fixed(8, 0), Fixed(8, 0), "max")
    assert got.shape == (1, 2, 1, 1) and got.ravel().tolist() == [5, -1]


# ----------------------------------------------------------------------------- activations


def test_relu_family_fixed():
    x_fmt = Fixed(8, 4)  # [-8, 7.9375]
    xq = np.array([-128, -17, -1, 0, 1, 17, 95, 96, 97, 127])  # 96 is 6.0
    act = lambda fmt, kind: K.activation_fixed(xq, x_fmt, fmt, kind).tolist()  # noqa: E731
    assert act(x_fmt, "relu") == [0, 0, 0, 0, 1, 17, 95, 96, 97, 127]
    assert act(x_fmt, "relu6") == [0, 0, 0, 0, 1, 17, 95, 96, 96, 96]
    # to frac 1: 1/16 * 2 = 0.125 -> 0; 17/16 * 2 = 2.125 -> 2; 95/16 * 2 = 11.875 -> 12
    assert act(Fixed(8, 1), "relu6") == [0, 0, 0, 0, 0, 2, 12, 12, 12, 12]
    # relu into a narrower format saturates
    assert K.activation_fixed(xq, x_fmt, Fixed(4, 2), "relu").tolist()[-1] == 7


def test_leaky_relu_fixed_uses_quantized_alpha():
    # alpha 0.1 in Fixed(8, 6) is 6/64 = 0.09375
    xq = np.array([-64, -11, -10, 0, 5, 127])
    got = K.activation_fixed(xq, Fixed(8, 4), Fixed(8, 4), "leaky_relu", alpha=0.1,
                             alpha_fmt=Fixed(8, 6))
    # -64*6 = -384 at frac 10 -> -6; -66 -> -1.03 -> -1; -60 -> -0.9375 -> -1; 5, 127 unchanged
    assert got.tolist() == [-6, -1, -1, 0, 5, 127]


@pytest.mark.parametrize("kind, fn", [("sigmoid", torch.sigmoid), ("silu", F.silu),
                                      ("hard_sigmoid", F.hardsigmoid), ("hard_swish", F.hardswish)])
def test_transcendental_fixed_is_a_lookup_table(kind, fn):
    """Exhaustive over the 8-bit input: the table the hardware would hold."""
    x_fmt, out_fmt = Fixed(8, 4), Fixed(10, 7)
    xq = np.arange(-128, 128)
    got = K.activation_fixed(xq, x_fmt, out_fmt, kind)
    ref = fn(torch.tensor(xq / 16.0, dtype=torch.float64)).numpy() * 2**7
    want = np.clip(np.floor(ref + 0.5), -512, 511).astype(np.int64)
    np.testing.assert_array_equal(got, want)


# ----------------------------------------------------------------------------- eltwise etc.


def test_eltwise_fixed_add_aligns_fracs():
    a = np.array([3, -3, 100])      # frac 1: 1.5, -1.5, 50
    b = np.array([1, 1, 100])       # frac 3: 0.125, 0.125, 12.5
    got = K.eltwise_fixed(a, Fixed(8, 1), b, Fixed(8, 3), Fixed(8, 1), "add")
    # 1.625 -> 3.25 -> 3; -1.375 -> -2.75 -> -3; 62.5 -> 125
    assert got.tolist() == [3, -3, 125]
    got = K.eltwise_fixed(a, Fixed(8, 1), b, Fixed(8, 3), Fixed(8, 2), "add")
    assert got.tolist() == [7, -5, 127]  # 6.5 -> 7, -5.5 -> -5, 250 saturates


def test_eltwise_fixed_mul_broadcasts():
    a = ints(-128, 128, 2, 3, 4, 4)
    s = ints(0, 256, 2, 3, 1, 1, seed=1)  # squeeze-excitation scale
    out_fmt = Fixed(8, 3)
    got = K.eltwise_fixed(a, Fixed(8, 4), s, Fixed(9, 8), out_fmt, "mul")
    want = oracle_requantize(torch.tensor(a * s, dtype=torch.float64), 12, out_fmt)
    np.testing.assert_array_equal(got, want)


def test_concat_fixed_requantizes_inputs():
    a = np.array([[[[3]], [[-3]]]])   # frac 1
    b = np.array([[[[5]]]])           # frac 3: 0.625
    got = K.concat_fixed([a, b], [Fixed(8, 1), Fixed(8, 3)], Fixed(8, 2))
    assert got.shape == (1, 3, 1, 1) and got.ravel().tolist() == [6, -6, 3]


def test_resize_nearest_on_integers():
    xq = np.array([[[[1, 2], [3, 4]]]])
    want = [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    assert K.resize_nearest(xq, 2).tolist() == [[want]]


def test_scale_shift_fixed_matches_oracle():
    xq = ints(-128, 128, 2, 3, 4, 5)
    scale, shift = np.array([-100, 3, 255]), np.array([1000, -7, 0])
    out_fmt = Fixed(8, 2)
    got = K.scale_shift_fixed(xq, Fixed(8, 4), scale, Fixed(10, 6), shift, out_fmt, 20)
    acc = torch.tensor(xq * scale[:, None, None] + shift[:, None, None], dtype=torch.float64)
    np.testing.assert_array_equal(got, oracle_requantize(acc, 10, out_fmt))
    with pytest.raises(OverflowError):
        K.scale_shift_fixed(xq, Fixed(8, 4), scale, Fixed(10, 6), shift, out_fmt, 12)
