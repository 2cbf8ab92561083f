"""Float kernels against torch.nn.functional (float64, relative tolerance 1e-5)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from fpga_sdf.interp import kernels as K

RTOL = 1e-5


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def close(got, want, rtol=RTOL):
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else want
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-3 * np.abs(want).max())


def torch_pad(pad):
    """(begin per dim, end per dim) -> F.pad's order (last dim first, begin/end pairs)."""
    nd = len(pad) // 2
    return tuple(v for d in reversed(range(nd)) for v in (pad[d], pad[nd + d]))


# ----------------------------------------------------------------------------- conv

CONV2D = [  # (C, F, kernel, stride, pad(begin..., end...), dilation, groups)
    (3, 4, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1),
    (4, 6, (3, 2), (2, 1), (0, 1, 2, 0), (1, 1), 1),  # asymmetric pad, non-square kernel
    (4, 4, (3, 3), (1, 2), (2, 2, 2, 2), (2, 1), 1),  # dilation
    (6, 4, (3, 3), (2, 2), (1, 0, 1, 1), (1, 1), 2),  # groups
    (5, 5, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 5),  # depthwise
    (5, 10, (5, 5), (2, 2), (2, 2, 2, 2), (1, 1), 5),  # depthwise, channel multiplier 2
    (8, 3, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1),  # pointwise
]

CONV3D = [
    (3, 4, (3, 3, 3), (1, 1, 1), (1, 1, 1, 1, 1, 1), (1, 1, 1), 1),
    (4, 6, (2, 3, 1), (1, 2, 1), (0, 1, 0, 1, 0, 2), (2, 1, 1), 2),
    (4, 4, (3, 3, 3), (2, 1, 1), (1, 1, 1, 1, 1, 1), (1, 1, 1), 4),
]


@pytest.mark.parametrize("case", CONV2D + CONV3D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_matches_torch(case, bias):
    c, f, k, s, p, d, g = case
    spatial = (7, 9, 8)[: len(k)]
    x, w = rand(2, c, *spatial), rand(f, c // g, *k, seed=1)
    b = rand(f, seed=2) if bias else None
    got = K.conv(x, w, b, stride=s, pad=p, dilation=d, groups=g)
    conv = F.conv2d if len(k) == 2 else F.conv3d
    want = conv(F.pad(torch.tensor(x), torch_pad(p)), torch.tensor(w),
                None if b is None else torch.tensor(b), stride=s, dilation=d, groups=g)
    close(got, want)


def test_conv_float32_stays_float32():
    x, w, b = (a.astype(np.float32) for a in (rand(1, 3, 6, 6), rand(2, 3, 3, 3), rand(2)))
    got = K.conv(x, w, b, pad=1)
    assert got.dtype == np.float32
    close(got, F.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), padding=1), rtol=1e-4)


def test_conv_rejects_bad_shapes():
    with pytest.raises(ValueError):
        K.conv(rand(1, 4, 5, 5), rand(2, 3, 3, 3), None)  # channel mismatch
    with pytest.raises(ValueError):
        K.conv(rand(1, 3, 2, 2), rand(2, 3, 3, 3), None)  # kernel larger than input


def test_inner_product_matches_torch():
    x, w, b = rand(3, 10), rand(4, 10, seed=1), rand(4, seed=2)
    close(K.inner_product(x, w, b), F.linear(torch.tensor(x), torch.tensor(w), torch.tensor(b)))


# ----------------------------------------------------------------------------- pooling


def ceil_mode_end_pad(size, k, s, p):
    """The extra end padding an importer adds for ceil_mode=True (PyTorch's output rule)."""
    out = math.ceil((size + 2 * p - k) / s) + 1
    if (out - 1) * s >= size + p:
        out -= 1
    return max(0, (out - 1) * s + k - (size + 2 * p))


POOL = [  # (spatial, kernel, stride, padding, ceil_mode)
    ((8, 9), (2, 2), (2, 2), (0, 0), False),
    ((7, 9), (3, 3), (2, 2), (1, 1), False),
    ((7, 8), (3, 2), (2, 1), (1, 0), True),
    ((6, 6), (3, 3), (2, 2), (0, 0), True),  # ceil_mode adds a partial window
    ((5, 6, 7), (2, 2, 2), (2, 2, 2), (0, 0, 0), True),
    ((5, 6, 7), (3, 3, 3), (2, 1, 2), (1, 1, 1), False),
]


def our_pad(spatial, k, s, p, ceil_mode):
    extra = [ceil_mode_end_pad(n, *a) if ceil_mode else 0 for n, *a in zip(spatial, k, s, p)]
    return tuple(p) + tuple(pi + e for pi, e in zip(p, extra))


@pytest.mark.parametrize("spatial, k, s, p, ceil_mode", POOL)
def test_max_pool_matches_torch(spatial, k, s, p, ceil_mode):
    x = rand(2, 3, *spatial)
    fn = F.max_pool2d if len(k) == 2 else F.max_pool3d
    want = fn(torch.tensor(x), k, s, p, ceil_mode=ceil_mode)
    close(K.pool(x, "max", k, s, our_pad(spatial, k, s, p, ceil_mode)), want)


@pytest.mark.parametrize("spatial, k, s, p, ceil_mode", POOL)
def test_avg_pool_excluding_pad_matches_torch(spatial, k, s, p, ceil_mode):
    x = rand(2, 3, *spatial)
    fn = F.avg_pool2d if len(k) == 2 else F.avg_pool3d
    want = fn(torch.tensor(x), k, s, p, ceil_mode=ceil_mode, count_include_pad=False)
    close(K.pool(x, "avg", k, s, our_pad(spatial, k, s, p, ceil_mode)), want)


@pytest.mark.parametrize("spatial, k, s, p, ceil_mode", [c for c in POOL if not c[4]])
def test_avg_pool_including_pad_matches_torch(spatial, k, s, p, ceil_mode):
    x = rand(2, 3, *spatial)
    fn = F.avg_pool2d if len(k) == 2 else F.avg_pool3d
    want = fn(torch.tensor(x), k, s, p, count_include_pad=True)
    close(K.pool(x, "avg", k, s, p, count_include_pad=True), want)


def test_pool_stride_defaults_to_kernel():
    x = rand(1, 2, 6, 6)
    close(K.pool(x, "max", 2), F.max_pool2d(torch.tensor(x), 2))


@pytest.mark.parametrize("spatial", [(5, 7), (3, 4, 5)])
def test_global_pool_matches_adaptive_pool(spatial):
    x = torch.tensor(rand(2, 3, *spatial))
    avg = F.adaptive_avg_pool2d if len(spatial) == 2 else F.adaptive_avg_pool3d
    mx = F.adaptive_max_pool2d if len(spatial) == 2 else F.adaptive_max_pool3d
    close(K.global_pool(x.numpy(), "avg"), avg(x, 1))
    close(K.global_pool(x.numpy(), "max"), mx(x, 1))


# ----------------------------------------------------------------------------- activations

TORCH_ACT = {
    "relu": F.relu,
    "relu6": F.relu6,
    "leaky_relu": lambda t: F.leaky_relu(t, 0.1),
    "sigmoid": torch.sigmoid,
    "hard_sigmoid": F.hardsigmoid,
    "hard_swish": F.hardswish,
    "silu": F.silu,
}


@pytest.mark.parametrize("kind", sorted(TORCH_ACT))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activation_matches_torch(kind, dtype):
    x = np.concatenate([rand(200) * 5, [-200.0, -30.0, -3.0, 0.0, 3.0, 6.0, 30.0, 200.0]])
    x = x.astype(dtype).reshape(2, 4, 13, 2)
    with np.errstate(over="raise", invalid="raise"):  # no overflow, e.g. exp(200) in sigmoid
        got = K.activation(x, kind, alpha=0.1)
    assert got.dtype == dtype
    want = TORCH_ACT[kind](torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=RTOL if dtype == np.float64 else 1e-6, atol=1e-30)


def test_activation_rejects_unknown_kind():
    with pytest.raises(ValueError):
        K.activation(rand(3), "gelu")


# ----------------------------------------------------------------------------- the rest


def test_eltwise_broadcasting_matches_torch():
    a, se = torch.tensor(rand(2, 4, 5, 6)), torch.tensor(rand(2, 4, 1, 1, seed=1))
    close(K.eltwise(a.numpy(), se.numpy(), "mul"), a * se)
    b = torch.tensor(rand(2, 4, 5, 6, seed=2))
    close(K.eltwise(a.numpy(), b.numpy(), "add"), a + b)


def test_concat_matches_torch():
    xs = [torch.tensor(rand(2, c, 3, 4, seed=c)) for c in (1, 3, 2)]
    close(K.concat([x.numpy() for x in xs]), torch.cat(xs, dim=1))


@pytest.mark.parametrize("shape, scale", [((1, 2, 3, 4), (2, 3)), ((1, 2, 2, 3, 4), (2, 1, 2))])
def test_resize_nearest_matches_interpolate(shape, scale):
    x = torch.tensor(rand(*shape))
    want = F.interpolate(x, scale_factor=scale, mode="nearest")
    close(K.resize_nearest(x.numpy(), scale), want)


def test_scale_shift_matches_batch_norm():
    x = torch.tensor(rand(2, 3, 4, 5))
    mean, var, gamma, beta = (torch.tensor(a) for a in (rand(3, seed=1), rand(3, seed=2) ** 2,
                                                        rand(3, seed=3), rand(3, seed=4)))
    scale = gamma / torch.sqrt(var + 1e-5)
    shift = beta - mean * scale
    want = F.batch_norm(x, mean, var, gamma, beta, training=False, eps=1e-5)
    close(K.scale_shift(x.numpy(), scale.numpy(), shift.numpy()), want)
