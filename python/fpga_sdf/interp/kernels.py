"""Numpy kernels of the reference executor, in float and in bit-exact fixed point.

Tensors carry a batch dimension: (N, C, *spatial) with spatial = (H, W) or (D, H, W). Every
kernel reads the rank from its arrays, so one code path serves 2D and 3D.

Float kernels take float32 or float64 arrays and return the same dtype. Fixed kernels take
int64 arrays plus their `Fixed` formats and return int64 integers of the output format; they
define the arithmetic the hardware must reproduce exactly (see `fixed.py` for the rounding
and saturation rules, which are those of ap_fixed<W, I, AP_RND, AP_SAT>).

Geometry arguments (`kernel`, `stride`, `dilation`) are an int or one value per spatial dim;
`pad` is an int, one value per dim (symmetric) or begin-per-dim then end-per-dim, e.g.
(top, left, bottom, right) in 2D.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .fixed import Fixed, dequantize, quantize, requantize, saturate

__all__ = [
    "conv", "conv_fixed", "inner_product", "inner_product_fixed", "pool", "pool_fixed",
    "global_pool", "global_pool_fixed", "activation", "activation_fixed", "eltwise",
    "eltwise_fixed", "concat", "concat_fixed", "resize_nearest", "scale_shift",
    "scale_shift_fixed", "ACTIVATIONS",
]

ACTIVATIONS = ("relu", "relu6", "leaky_relu", "sigmoid", "hard_sigmoid", "hard_swish", "silu")

# Integers up to this magnitude are exact in float64, so a BLAS matmul on them is exact.
_FLOAT64_EXACT = 2**53


# ----------------------------------------------------------------------------- geometry


def _per_dim(v, nd: int, what: str) -> tuple[int, ...]:
    t = (int(v),) * nd if np.isscalar(v) else tuple(int(i) for i in v)
    if len(t) != nd:
        raise ValueError(f"{what} needs {nd} values, got {t}")
    return t


def _pads(pad, nd: int) -> tuple[tuple[int, int], ...]:
    """Normalise `pad` to ((begin, end) per spatial dim)."""
    p = (int(pad),) * nd if np.isscalar(pad) else tuple(int(i) for i in pad)
    if len(p) == nd:
        p = p + p
    if len(p) != 2 * nd or min(p) < 0:
        raise ValueError(f"pad needs {nd} or {2 * nd} non-negative values, got {pad}")
    return tuple(zip(p[:nd], p[nd:]))


def _windows(x: np.ndarray, kernel, stride, pad, dilation, fill) -> np.ndarray:
    """View of the padded x as sliding windows: (N, C, *out, *kernel).

    The spatial output size is floor((size + pad_begin + pad_end - span) / stride) + 1 with
    span = (kernel - 1) * dilation + 1, as in PyTorch/ONNX with floor rounding.
    """
    nd = x.ndim - 2
    kernel, stride = _per_dim(kernel, nd, "kernel"), _per_dim(stride, nd, "stride")
    dilation = _per_dim(dilation, nd, "dilation")
    pads = _pads(pad, nd)
    if any(pads):
        x = np.pad(x, ((0, 0), (0, 0)) + pads, constant_values=fill)
    span = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    if any(s > n for s, n in zip(span, x.shape[2:])):
        raise ValueError(f"window {span} larger than padded input {x.shape[2:]}")
    v = sliding_window_view(x, span, axis=tuple(range(2, 2 + nd)))
    return v[(slice(None),) * 2 + tuple(slice(None, None, s) for s in stride)
             + tuple(slice(None, None, d) for d in dilation)]


# ----------------------------------------------------------------------------- conv / fc


def _exact_int_matmul(a: np.ndarray, b: np.ndarray, bound: int) -> np.ndarray:
    """Exact integer a @ b, given a bound on every partial sum of |products|.

    Below 2**53 every partial sum is an exactly representable float64, so the fast BLAS
    path is exact whatever its summation order; above, fall back to numpy's int64 matmul.
    """
    if bound < _FLOAT64_EXACT:
        return np.rint(a.astype(np.float64) @ b.astype(np.float64)).astype(np.int64)
    if bound >= 2**63:
        raise OverflowError(f"products may sum to {bound}, beyond int64: cannot compute exactly")
    return a @ b


def _conv_core(x: np.ndarray, w: np.ndarray, stride, pad, dilation, groups: int, matmul):
    """im2col convolution without bias: (N, C, *S) * (F, C/groups, *k) -> (N, F, *out)."""
    n, c = x.shape[:2]
    f, cg = w.shape[:2]
    kernel = w.shape[2:]
    if x.ndim != w.ndim:
        raise ValueError(f"input rank {x.ndim} and weight rank {w.ndim} differ")
    if c != cg * groups or f % groups:
        raise ValueError(f"{c} input channels, {f} filters of {cg} channels, {groups} groups")
    win = _windows(x, kernel, stride, pad, dilation, 0)  # (N, C, *out, *k)
    out = win.shape[2:x.ndim]
    nd, g = len(kernel), groups
    # (N, G, Cg, *out, *k) -> (N, G, *out, Cg, *k) -> (N, G, P, Cg*K)
    win = win.reshape((n, g, cg) + win.shape[2:])
    order = (0, 1) + tuple(range(3, 3 + nd)) + (2,) + tuple(range(3 + nd, 3 + 2 * nd))
    cols = win.transpose(order).reshape(n, g, math.prod(out), cg * math.prod(kernel))
    wm = w.reshape(g, f // g, -1).transpose(0, 2, 1)  # (G, Cg*K, F/G)
    y = matmul(cols, wm)  # (N, G, P, F/G)
    return y.transpose(0, 1, 3, 2).reshape((n, f) + out)


def _bias_shape(b: np.ndarray, ndim: int) -> np.ndarray:
    return b.reshape((1, -1) + (1,) * (ndim - 2))


def conv(x, w, b=None, stride=1, pad=0, dilation=1, groups=1) -> np.ndarray:
    """Float convolution, w (F, C/groups, *kernel), b (F,) or None; as torch convNd."""
    y = _conv_core(x, w.astype(x.dtype, copy=False), stride, pad, dilation, groups, np.matmul)
    return y if b is None else y + _bias_shape(b.astype(x.dtype, copy=False), y.ndim)


def _check_int(q, what: str) -> np.ndarray:
    q = np.asarray(q)
    if not np.issubdtype(q.dtype, np.integer):
        raise TypeError(f"{what} must hold integers, got dtype {q.dtype}")
    return q.astype(np.int64, copy=False)


def _check_acc(acc: np.ndarray, acc_width: int, what: str) -> None:
    """Raise OverflowError when an accumulated value does not fit acc_width signed bits."""
    if acc.size == 0:
        return
    lo, hi = -(1 << (acc_width - 1)), (1 << (acc_width - 1)) - 1
    amin, amax = int(acc.min()), int(acc.max())
    if amin < lo or amax > hi:
        raise OverflowError(
            f"{what} accumulator overflows {acc_width} bits: observed range [{amin}, {amax}], "
            f"representable [{lo}, {hi}]")


def _abs_max(q: np.ndarray) -> int:
    return int(np.abs(q).max()) if q.size else 0


def _mac_fixed(xq, x_fmt, wq, w_fmt, bq, out_fmt, acc_width, core, what):
    """Shared fixed-point multiply-accumulate: exact products (frac x.frac + w.frac), exact
    int64 sums plus the bias (given at that frac), accumulator range check, requantize."""
    xq, wq = _check_int(xq, "input"), _check_int(wq, "weights")
    bound = _abs_max(xq) * _abs_max(wq) * math.prod(wq.shape[1:])
    acc = core(xq, wq, lambda a, b: _exact_int_matmul(a, b, bound))
    if bq is not None:
        acc = acc + _bias_shape(_check_int(bq, "bias"), acc.ndim)
    _check_acc(acc, acc_width, what)
    return requantize(acc, x_fmt.frac + w_fmt.frac, out_fmt)


def conv_fixed(xq, x_fmt: Fixed, wq, w_fmt: Fixed, bq, out_fmt: Fixed, acc_width: int,
               stride=1, pad=0, dilation=1, groups=1) -> np.ndarray:
    """Fixed-point convolution; the bias bq is at the accumulator frac (x.frac + w.frac).

    The accumulator range check is on the final sums (bias included): with a wrapping
    (two's complement) accumulator, partial sums may overflow harmlessly as long as the
    final value fits.
    """
    core = lambda x, w, mm: _conv_core(x, w, stride, pad, dilation, groups, mm)  # noqa: E731
    return _mac_fixed(xq, x_fmt, wq, w_fmt, bq, out_fmt, acc_width, core, "conv")


def inner_product(x, w, b=None) -> np.ndarray:
    """Fully connected layer: x (N, K) @ w (F, K).T + b (F,); as torch.nn.functional.linear."""
    y = x @ w.astype(x.dtype, copy=False).T
    return y if b is None else y + b.astype(x.dtype, copy=False)


def inner_product_fixed(xq, x_fmt: Fixed, wq, w_fmt: Fixed, bq, out_fmt: Fixed,
                        acc_width: int) -> np.ndarray:
    """Fixed-point fully connected layer, same arithmetic as conv_fixed."""
    core = lambda x, w, mm: mm(x, w.T)  # noqa: E731
    return _mac_fixed(xq, x_fmt, wq, w_fmt, bq, out_fmt, acc_width, core, "inner_product")


# ----------------------------------------------------------------------------- pooling


def _pool_divisor(spatial, kernel, stride, pad, count_include_pad: bool):
    """Per-output-position divisor of average pooling, shaped (1, 1, *out)."""
    ones = np.ones((1, 1) + tuple(spatial), dtype=np.int64)
    win = _windows(ones, kernel, stride, pad, 1, 1 if count_include_pad else 0)
    return win.sum(axis=tuple(range(ones.ndim, win.ndim)))


def _div_round(num: np.ndarray, den, from_frac: int, out_fmt: Fixed) -> np.ndarray:
    """round_half_up(num * 2**-from_frac / den) in out_fmt, in exact integer arithmetic:
    floor((2n + d) / 2d) after aligning the binary point, then saturate."""
    up = out_fmt.frac - from_frac
    num, den = np.asarray(num, np.int64), np.asarray(den, np.int64)
    if up >= 0:
        num = num << np.int64(up)
    else:
        den = den << np.int64(-up)
    return saturate((2 * num + den) // (2 * den), out_fmt)


def pool(x, mode: str, kernel, stride=None, pad=0, count_include_pad: bool = False) -> np.ndarray:
    """Max or average pooling (stride defaults to kernel).

    Max pads with -inf. Average divides by the number of in-bounds elements of each window,
    or with count_include_pad=True by the kernel volume. The latter is PyTorch's default
    except for the windows ceil_mode adds, whose overhang PyTorch does not count: an importer
    that turns ceil_mode into end padding gets exact PyTorch results with count_include_pad
    False, and with True only when ceil_mode adds no end padding.
    """
    stride = kernel if stride is None else stride
    nd = x.ndim - 2
    axes = tuple(range(x.ndim, x.ndim + nd))
    if mode == "max":
        return _windows(x, kernel, stride, pad, 1, -np.inf).max(axis=axes)
    if mode == "avg":
        s = _windows(x, kernel, stride, pad, 1, 0).sum(axis=axes)
        den = _pool_divisor(x.shape[2:], kernel, stride, pad, count_include_pad)
        return (s / den).astype(x.dtype)
    raise ValueError(f"unknown pooling mode {mode!r}")


def pool_fixed(xq, x_fmt: Fixed, out_fmt: Fixed, mode: str, kernel, stride=None, pad=0,
               count_include_pad: bool = False) -> np.ndarray:
    """Fixed-point pooling. Max pads with the minimum integer and requantizes the maximum;
    avg sums exactly and divides by the divisor of `pool` with round-half-up into out_fmt."""
    xq = _check_int(xq, "input")
    stride = kernel if stride is None else stride
    axes = tuple(range(xq.ndim, 2 * xq.ndim - 2))
    if mode == "max":
        m = _windows(xq, kernel, stride, pad, 1, np.iinfo(np.int64).min).max(axis=axes)
        return requantize(m, x_fmt.frac, out_fmt)
    if mode == "avg":
        s = _windows(xq, kernel, stride, pad, 1, 0).sum(axis=axes)
        den = _pool_divisor(xq.shape[2:], kernel, stride, pad, count_include_pad)
        return _div_round(s, den, x_fmt.frac, out_fmt)
    raise ValueError(f"unknown pooling mode {mode!r}")


def global_pool(x, mode: str) -> np.ndarray:
    """Average or max over all spatial dims, keeping them as size 1: (N, C, 1, ...)."""
    axes = tuple(range(2, x.ndim))
    if mode == "avg":
        return x.mean(axis=axes, keepdims=True).astype(x.dtype)
    if mode == "max":
        return x.max(axis=axes, keepdims=True)
    raise ValueError(f"unknown pooling mode {mode!r}")


def global_pool_fixed(xq, x_fmt: Fixed, out_fmt: Fixed, mode: str) -> np.ndarray:
    """Fixed-point global pooling with the rounding of pool_fixed."""
    xq = _check_int(xq, "input")
    axes = tuple(range(2, xq.ndim))
    if mode == "avg":
        return _div_round(xq.sum(axis=axes, keepdims=True), math.prod(xq.shape[2:]),
                          x_fmt.frac, out_fmt)
    if mode == "max":
        return requantize(xq.max(axis=axes, keepdims=True), x_fmt.frac, out_fmt)
    raise ValueError(f"unknown pooling mode {mode!r}")


# ----------------------------------------------------------------------------- activations


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """Sigmoid without overflow: only exp(-|x|) is ever computed."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def activation(x, kind: str, alpha: float = 0.01) -> np.ndarray:
    """Pointwise activation with PyTorch's definitions (alpha: leaky_relu negative slope)."""
    x = np.asarray(x)
    if kind == "relu":
        return np.maximum(x, 0)
    if kind == "relu6":
        return np.clip(x, 0, 6).astype(x.dtype, copy=False)
    if kind == "leaky_relu":
        return np.where(x >= 0, x, x * x.dtype.type(alpha))
    if kind == "sigmoid":
        return _sigmoid(x)
    if kind == "silu":
        return x * _sigmoid(x)
    if kind in ("hard_sigmoid", "hard_swish"):
        hs = np.clip(x + 3, 0, 6).astype(x.dtype, copy=False) / x.dtype.type(6)
        return hs if kind == "hard_sigmoid" else x * hs
    raise ValueError(f"unknown activation {kind!r}")


def activation_fixed(xq, x_fmt: Fixed, out_fmt: Fixed, kind: str, alpha: float = 0.01,
                     alpha_fmt: Fixed = Fixed(18, 16)) -> np.ndarray:
    """Fixed-point activation.

    relu, relu6: exact on the integers, then requantized. leaky_relu: alpha is first
    quantized to `alpha_fmt` (the constant the hardware holds); negative inputs are
    multiplied by it exactly and positive ones shifted to the same frac, then requantized.
    sigmoid, silu, hard_sigmoid, hard_swish: quantize(f(dequantize(xq)), out_fmt) in float64;
    the hardware implements these as a lookup table indexed by the input integer, which
    holds exactly these values.
    """
    xq = _check_int(xq, "input")
    f = x_fmt.frac
    if kind == "relu":
        return requantize(np.maximum(xq, 0), f, out_fmt)
    if kind == "relu6":
        six = 6 << f if f >= 0 else 6 >> -f  # largest integer <= 6 * 2**f
        return requantize(np.clip(xq, 0, six), f, out_fmt)
    if kind == "leaky_relu":
        if alpha_fmt.frac < 0:
            raise ValueError(f"alpha_fmt needs a non-negative frac, got {alpha_fmt}")
        aq = int(quantize(alpha, alpha_fmt))
        y = np.where(xq >= 0, xq << np.int64(alpha_fmt.frac), xq * aq)
        return requantize(y, f + alpha_fmt.frac, out_fmt)
    if kind in ("sigmoid", "silu", "hard_sigmoid", "hard_swish"):
        return quantize(activation(dequantize(xq, x_fmt), kind), out_fmt)
    raise ValueError(f"unknown activation {kind!r}")


# ----------------------------------------------------------------------------- eltwise etc.


def eltwise(a, b, mode: str) -> np.ndarray:
    """Element-wise add or mul with numpy broadcasting, e.g. (N, C, H, W) * (N, C, 1, 1)."""
    if mode == "add":
        return a + b
    if mode == "mul":
        return a * b
    raise ValueError(f"unknown eltwise mode {mode!r}")


def eltwise_fixed(aq, a_fmt: Fixed, bq, b_fmt: Fixed, out_fmt: Fixed, mode: str) -> np.ndarray:
    """Fixed-point add (both aligned exactly to the larger frac) or mul (exact product at
    the summed frac), then requantized to out_fmt."""
    aq, bq = _check_int(aq, "lhs"), _check_int(bq, "rhs")
    if mode == "add":
        f = max(a_fmt.frac, b_fmt.frac)
        s = (aq << np.int64(f - a_fmt.frac)) + (bq << np.int64(f - b_fmt.frac))
        return requantize(s, f, out_fmt)
    if mode == "mul":
        return requantize(aq * bq, a_fmt.frac + b_fmt.frac, out_fmt)
    raise ValueError(f"unknown eltwise mode {mode!r}")


def concat(xs: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate along channels (axis 1)."""
    return np.concatenate(xs, axis=1)


def concat_fixed(xqs: Sequence[np.ndarray], fmts: Sequence[Fixed], out_fmt: Fixed) -> np.ndarray:
    """Concatenate along channels after requantizing every input to out_fmt."""
    if len(xqs) != len(fmts):
        raise ValueError(f"{len(xqs)} inputs but {len(fmts)} formats")
    return concat([requantize(_check_int(q, "input"), f.frac, out_fmt) for q, f in zip(xqs, fmts)])


def resize_nearest(x, scale) -> np.ndarray:
    """Nearest-neighbour upsampling by an integer factor per spatial dim (int or sequence).

    Pure data movement: serves float and fixed point alike (the format is unchanged).
    """
    for axis, s in enumerate(_per_dim(scale, x.ndim - 2, "scale"), start=2):
        if s < 1:
            raise ValueError(f"scale factors must be positive integers, got {scale}")
        x = np.repeat(x, s, axis=axis)
    return x


def scale_shift(x, scale, shift) -> np.ndarray:
    """Per-channel affine x * scale[c] + shift[c] (a batch norm that was not folded)."""
    return (x * _bias_shape(scale.astype(x.dtype, copy=False), x.ndim)
            + _bias_shape(shift.astype(x.dtype, copy=False), x.ndim))


def scale_shift_fixed(xq, x_fmt: Fixed, scale_q, scale_fmt: Fixed, shift_q, out_fmt: Fixed,
                      acc_width: int) -> np.ndarray:
    """Fixed-point per-channel affine, like a depthwise 1x1 conv: exact product at frac
    x.frac + scale.frac, plus shift_q given at that frac, range-checked, requantized."""
    xq = _check_int(xq, "input")
    acc = (xq * _bias_shape(_check_int(scale_q, "scale"), xq.ndim)
           + _bias_shape(_check_int(shift_q, "shift"), xq.ndim))
    _check_acc(acc, acc_width, "scale_shift")
    return requantize(acc, x_fmt.frac + scale_fmt.frac, out_fmt)
