"""The pooling and point-wise modules (pool, global_pool, activation, scale_shift, eltwise,
concat, resize) through Verilator, one module at a time: random data in the stream order of
the contract, outputs compared bit for bit with interp/kernels.py, measured cycles per frame
(first output of frame 1 minus that of frame 0) against the model's interval, and the same
data again under random output back-pressure (the words must not change).
"""

from __future__ import annotations

from math import prod

import numpy as np
import pytest

from fpga_sdf.backend.rtl import activation, concat, eltwise, global_pool, pool, resize, scale_shift
from fpga_sdf.backend.rtl.module_sim import simulate
from fpga_sdf.backend.rtl.streams import ModuleParams, StreamType
from fpga_sdf.interp.fixed import Fixed, requantize
from fpga_sdf.interp.kernels import (_div_round, _windows, activation_fixed, concat_fixed, eltwise_fixed,
                                     global_pool_fixed, pool_fixed, resize_nearest, scale_shift_fixed)
from fpga_sdf.model import expand
from fpga_sdf.model.dsp import DivPlan
from fpga_sdf.model.spec import LayerSpec

pytestmark = [pytest.mark.rtlsim]

FRAMES = 2


def stream_words(x: np.ndarray, coarse: int, s: int) -> np.ndarray:
    """Stream s of a (C, *spatial) map: flat order (channels fastest), channels s, s+coarse..."""
    flat = np.moveaxis(x, 0, -1).reshape(-1, x.shape[0])
    return flat[:, s::coarse].reshape(-1)


def pixel_words(x: np.ndarray, coarse: int, s: int, p: int) -> np.ndarray:
    """Stream s of a (C, *spatial) map in words of p pixels of a row (docs/notes/rtl-backend.md
    "Multi-pixel layers"): (rows..., W / p, channels of the stream) words of p lanes."""
    c, w = x.shape[0], x.shape[-1]
    flat = np.moveaxis(x, 0, -1)[..., s::coarse]  # (*spatial, ch_s)
    flat = flat.reshape(flat.shape[:-2] + (w // p, p, flat.shape[-1]))
    return np.moveaxis(flat, -1, -2).reshape(-1, p)


def params(spec, kind, inputs, outputs, attrs=None, instance=0, **extra):
    model = {m.name: m for m in expand(spec)}[kind]
    return ModuleParams(kind, spec.name, instance, dict(attrs or {}), inputs, outputs, spec=spec,
                        model=model, **extra)


def rand(rng, fmt: Fixed, shape):
    return rng.integers(fmt.min_int, fmt.max_int + 1, size=shape)


def run(p, data, expect_words: int, backpressure=0.0):
    """Simulate FRAMES frames; returns (values of out0, cycles per frame)."""
    frames = [np.concatenate([d] * FRAMES, axis=0) for d in data]
    out = simulate(p_cls(p), p.inputs, p.outputs, frames, expect=[expect_words * FRAMES],
                   backpressure=backpressure, seed=7)[0]
    assert len(out.values) == FRAMES * expect_words
    return out.values[:expect_words], int(out.cycles[expect_words] - out.cycles[0]), out.values


_CLASSES = {}


def p_cls(p):
    key = p.name
    if key not in _CLASSES:
        _CLASSES[key] = GENERATORS[p.kind].generate(p)
    return _CLASSES[key]


GENERATORS = {"activation": activation, "eltwise": eltwise, "scale_shift": scale_shift, "concat": concat,
              "resize": resize, "global_pool": global_pool, "pool": pool}


def check(p, data, ref, backpressure=True):
    """Bit-exact, at the model's interval (3%), and unchanged under back-pressure."""
    got, cycles, both = run(p, data, len(ref))
    np.testing.assert_array_equal(got.reshape(ref.shape), ref)
    np.testing.assert_array_equal(both[len(ref):].reshape(ref.shape), ref)  # the second frame too
    assert abs(cycles - p.model.interval) <= 0.03 * p.model.interval, (cycles, p.model.interval)
    if backpressure:
        slow, slow_cycles, _ = run(p, data, len(ref), backpressure=0.4)
        np.testing.assert_array_equal(slow.reshape(ref.shape), ref)
        assert slow_cycles >= cycles
    return cycles


# ------------------------------------------------------------------------------ activation


@pytest.mark.parametrize("kind, fin, fout", [
    ("relu", Fixed(8, 4), Fixed(8, 3)),
    ("relu6", Fixed(10, 6), Fixed(8, 4)),
    ("leaky_relu", Fixed(12, 6), Fixed(10, 7)),
    ("sigmoid", Fixed(8, 4), Fixed(8, 7)),
    ("hard_swish", Fixed(8, 4), Fixed(8, 4)),
    ("silu", Fixed(8, 3), Fixed(8, 4)),
])
def test_activation(kind, fin, fout):
    rng = np.random.default_rng(1)
    spec = LayerSpec("act", "activation", ((4, 5, 6),), ((4, 5, 6),), mode=kind, coarse_in=2,
                     data_width=fin.width)
    ti, to = StreamType(fin.width, fin.frac), StreamType(fout.width, fout.frac)
    x = rand(rng, fin, (4, 5, 6))
    x.flat[:8] = [fin.min_int, fin.max_int, 0, -1, 1, 6 << 4, -(6 << 4), 3]
    ref = activation_fixed(x, fin, fout, kind)
    p = params(spec, "activation", [ti], [to], {"kind": kind}, instance=1,
               name=f"t_act_{kind}_{fin.width}_{fin.frac}_{fout.width}_{fout.frac}")
    check(p, [stream_words(x, 2, 1)], stream_words(ref, 2, 1))


@pytest.mark.parametrize("kind, p", [("sigmoid", 2), ("hard_swish", 3)])
def test_activation_table_multi_pixel(kind, p):
    """p pixels a word: lanes 2t and 2t + 1 share table t's two read ports (ceil(p / 2)
    tables, as the model costs them), one word per cycle."""
    rng = np.random.default_rng(11)
    fin, fout = Fixed(8, 4), Fixed(8, 6)
    shape = (4, 3, 6)
    spec = LayerSpec("act", "activation", (shape,), (shape,), mode=kind, coarse_in=2, data_width=8,
                     pixels=(p, 1))
    x = rand(rng, fin, shape)
    ref = activation_fixed(x, fin, fout, kind)
    p_ = params(spec, "activation", [StreamType(8, 4, p)], [StreamType(8, 6, p)], {"kind": kind}, instance=1,
                name=f"t_act_{kind}_p{p}")
    assert [m.copies for m in p_.model.memories] == [-(-p // 2)]
    check(p_, [pixel_words(x, 2, 1, p)], pixel_words(ref, 2, 1, p))


# ------------------------------------------------------------------------------ eltwise


@pytest.mark.parametrize("mode, broadcast", [("add", 0), ("mul", 0), ("add", 1), ("mul", 1)])
def test_eltwise(mode, broadcast):
    rng = np.random.default_rng(2)
    fa, fb, fo = Fixed(8, 4), Fixed(9, 6), Fixed(8, 3)
    shape = (6, 4, 5)
    rhs_shape = (6, 1, 1) if broadcast else shape
    spec = LayerSpec("elt", "eltwise", (shape, rhs_shape), (shape,), mode=mode, coarse_in=2,
                     data_width=8)
    a, b = rand(rng, fa, shape), rand(rng, fb, rhs_shape)
    ref = eltwise_fixed(a[None], fa, b[None], fb, fo, mode)[0]
    ta, tb, to = (StreamType(f.width, f.frac) for f in (fa, fb, fo))
    p = params(spec, "eltwise", [ta, tb], [to], {"mode": mode, "broadcast": broadcast},
               name=f"t_elt_{mode}_{broadcast}")
    check(p, [stream_words(a, 2, 0), stream_words(b, 2, 0)], stream_words(ref, 2, 0))


@pytest.mark.parametrize("mode, broadcast", [("mul", 0), ("add", 1)])
def test_eltwise_multi_pixel(mode, broadcast):
    """2 pixels a word: each lane on its own; a broadcast rhs stays one value a word per
    channel, applied to both lanes."""
    rng = np.random.default_rng(12)
    fa, fb, fo = Fixed(8, 4), Fixed(9, 6), Fixed(8, 3)
    shape = (6, 3, 4)
    rhs_shape = (6, 1, 1) if broadcast else shape
    spec = LayerSpec("elt", "eltwise", (shape, rhs_shape), (shape,), mode=mode, coarse_in=2,
                     data_width=8, pixels=(2, 1))
    a, b = rand(rng, fa, shape), rand(rng, fb, rhs_shape)
    ref = eltwise_fixed(a[None], fa, b[None], fb, fo, mode)[0]
    tb = StreamType(9, 6, 1 if broadcast else 2)
    p = params(spec, "eltwise", [StreamType(8, 4, 2), tb], [StreamType(8, 3, 2)],
               {"mode": mode, "broadcast": broadcast}, name=f"t_elt_{mode}_{broadcast}_p2")
    rhs = stream_words(b, 2, 0)[:, None] if broadcast else pixel_words(b, 2, 0, 2)
    check(p, [pixel_words(a, 2, 0, 2), rhs], pixel_words(ref, 2, 0, 2))


# ------------------------------------------------------------------------------ scale_shift


@pytest.mark.parametrize("coarse", [1, 3])
def test_scale_shift(coarse):
    rng = np.random.default_rng(3)
    fx, fs, ft, fo = Fixed(8, 4), Fixed(8, 6), Fixed(12, 8), Fixed(8, 3)
    acc = 20
    shape = (6, 3, 4)
    spec = LayerSpec("bn", "scale_shift", (shape,), (shape,), coarse_in=coarse, data_width=8,
                     weight_width=8, acc_width=acc)
    x, s, t = rand(rng, fx, shape), rand(rng, fs, 6), rand(rng, ft, 6)
    t_acc = requantize(t, ft.frac, Fixed(acc, fx.frac + fs.frac))
    ref = scale_shift_fixed(x[None], fx, s, fs, t_acc, fo, acc)[0]
    inst = coarse - 1
    p = params(spec, "scale_shift", [StreamType(8, 4)], [StreamType(8, 3)], instance=inst,
               params={"scale": s, "shift": t}, formats={"scale": fs, "shift": ft},
               name=f"t_bn_{coarse}")
    check(p, [stream_words(x, coarse, inst)], stream_words(ref, coarse, inst))


def test_scale_shift_multi_pixel():
    """2 pixels a word on 3 streams: the lanes share a parameter read, a multiplier each."""
    rng = np.random.default_rng(13)
    fx, fs, ft, fo = Fixed(8, 4), Fixed(8, 6), Fixed(12, 8), Fixed(8, 3)
    acc, shape = 20, (6, 3, 4)
    spec = LayerSpec("bn", "scale_shift", (shape,), (shape,), coarse_in=3, data_width=8,
                     weight_width=8, acc_width=acc, pixels=(2, 1))
    x, s, t = rand(rng, fx, shape), rand(rng, fs, 6), rand(rng, ft, 6)
    ref = scale_shift_fixed(x[None], fx, s, fs, requantize(t, ft.frac, Fixed(acc, fx.frac + fs.frac)), fo, acc)[0]
    p = params(spec, "scale_shift", [StreamType(8, 4, 2)], [StreamType(8, 3, 2)], instance=2,
               params={"scale": s, "shift": t}, formats={"scale": fs, "shift": ft}, name="t_bn_p2")
    check(p, [pixel_words(x, 3, 2, 2)], pixel_words(ref, 3, 2, 2))


# ------------------------------------------------------------------------------ concat


def test_concat():
    rng = np.random.default_rng(4)
    fa, fb, fo = Fixed(8, 4), Fixed(10, 6), Fixed(8, 3)
    sa, sb = (4, 3, 5), (6, 3, 5)
    spec = LayerSpec("cat", "concat", (sa, sb), ((10, 3, 5),), coarse_in=2, data_width=8)
    a, b = rand(rng, fa, sa), rand(rng, fb, sb)
    ref = concat_fixed([a[None], b[None]], [fa, fb], fo)[0]
    # stream 1 carries the odd channels of each input (the concat of each input's stream 1)
    words = np.concatenate([np.moveaxis(a, 0, -1)[..., 1::2], np.moveaxis(b, 0, -1)[..., 1::2]], axis=-1)
    expect = np.concatenate([np.moveaxis(ref[:4], 0, -1)[..., 1::2], np.moveaxis(ref[4:], 0, -1)[..., 1::2]], axis=-1)
    assert words.size == expect.size
    p = params(spec, "concat", [StreamType(8, 4), StreamType(10, 6)], [StreamType(8, 3)], name="t_cat")
    check(p, [stream_words(a, 2, 1), stream_words(b, 2, 1)], expect.reshape(-1))


def test_concat_multi_pixel():
    """2 pixels a word: per word of 2 pixels, this stream's channels of lhs then rhs."""
    rng = np.random.default_rng(14)
    fa, fb, fo = Fixed(8, 4), Fixed(10, 6), Fixed(8, 3)
    sa, sb = (4, 3, 4), (2, 3, 4)
    spec = LayerSpec("cat", "concat", (sa, sb), ((6, 3, 4),), coarse_in=2, data_width=8, pixels=(2, 1))
    a, b = rand(rng, fa, sa), rand(rng, fb, sb)
    ref = concat_fixed([a[None], b[None]], [fa, fb], fo)[0]
    wa, wb = pixel_words(a, 2, 0, 2).reshape(6, 2, 2), pixel_words(b, 2, 0, 2).reshape(6, 1, 2)
    ra, rb = pixel_words(ref[:4], 2, 0, 2).reshape(6, 2, 2), pixel_words(ref[4:], 2, 0, 2).reshape(6, 1, 2)
    expect = np.concatenate([ra, rb], axis=1).reshape(-1, 2)
    p = params(spec, "concat", [StreamType(8, 4, 2), StreamType(10, 6, 2)], [StreamType(8, 3, 2)], name="t_cat_p2")
    check(p, [wa.reshape(-1, 2), wb.reshape(-1, 2)], expect)


# ------------------------------------------------------------------------------ resize


@pytest.mark.parametrize("shape, scale", [((3, 3, 4), (2, 2)), ((2, 3, 4), (1, 3)), ((2, 2, 2, 3), (2, 1, 2))])
def test_resize(shape, scale):
    rng = np.random.default_rng(5)
    fx, fo = Fixed(8, 4), Fixed(8, 3)
    x = rand(rng, fx, shape)
    ref = requantize(resize_nearest(x[None], scale)[0], fx.frac, fo)
    spec = LayerSpec("up", "resize", (shape,), (ref.shape,), mode="nearest", data_width=8)
    p = params(spec, "resize", [StreamType(8, 4)], [StreamType(8, 3)],
               name=f"t_up_{'x'.join(map(str, shape))}_{'x'.join(map(str, scale))}")
    check(p, [stream_words(x, 1, 0)], stream_words(ref, 1, 0))


@pytest.mark.parametrize("shape, scale, p", [((3, 3, 4), (2, 2), 2), ((2, 3, 4), (1, 3), 2), ((2, 2, 4), (2, 2), 4)])
def test_resize_multi_pixel(shape, scale, p):
    """p pixels a word: an input word becomes s_W output words of its own pixels (lane x of
    repeat k from input lane (k p + x) // s_W), rows repeated from the word buffer."""
    rng = np.random.default_rng(17)
    fx, fo = Fixed(8, 4), Fixed(8, 3)
    x = rand(rng, fx, shape)
    ref = requantize(resize_nearest(x[None], scale)[0], fx.frac, fo)
    spec = LayerSpec("up", "resize", (shape,), (ref.shape,), mode="nearest", data_width=8, pixels=(p, 1))
    prm = params(spec, "resize", [StreamType(8, 4, p)], [StreamType(8, 3, p)],
                 name=f"t_up_{'x'.join(map(str, shape))}_{'x'.join(map(str, scale))}_p{p}")
    check(prm, [pixel_words(x, 1, 0, p)], pixel_words(ref, 1, 0, p))


# ------------------------------------------------------------------------------ global_pool


@pytest.mark.parametrize("mode, shape, coarse", [("avg", (4, 3, 5), 2), ("avg", (1, 4, 4), 1),
                                                 ("max", (6, 3, 3), 3), ("avg", (2, 2, 3, 3), 1)])
def test_global_pool(mode, shape, coarse):
    rng = np.random.default_rng(6)
    fx, fo = Fixed(8, 4), Fixed(8, 5)
    x = rand(rng, fx, shape)
    ref = global_pool_fixed(x[None], fx, fo, mode)[0]
    spec = LayerSpec("gp", "global_pool", (shape,), ((shape[0],) + (1,) * (len(shape) - 1),), mode=mode,
                     coarse_in=coarse, data_width=8, acc_width=24)
    p = params(spec, "global_pool", [StreamType(8, 4)], [StreamType(8, 5)], {"mode": mode},
               name=f"t_gp_{mode}_{'x'.join(map(str, shape))}_{coarse}")
    check(p, [stream_words(x, coarse, 0)], stream_words(ref, coarse, 0))


@pytest.mark.parametrize("mode, shape, coarse, p", [("avg", (4, 3, 6), 2, 3), ("max", (2, 4, 4), 1, 4)])
def test_global_pool_multi_pixel(mode, shape, coarse, p):
    """p pixels a word: a tree reduces the word, then the channel's running value."""
    rng = np.random.default_rng(15)
    fx, fo = Fixed(8, 4), Fixed(8, 5)
    x = rand(rng, fx, shape)
    ref = global_pool_fixed(x[None], fx, fo, mode)[0]
    spec = LayerSpec("gp", "global_pool", (shape,), ((shape[0], 1, 1),), mode=mode, coarse_in=coarse,
                     data_width=8, acc_width=24, pixels=(p, 1))
    prm = params(spec, "global_pool", [StreamType(8, 4, p)], [StreamType(8, 5)], {"mode": mode},
                 name=f"t_gp_{mode}_{'x'.join(map(str, shape))}_{coarse}_p{p}")
    check(prm, [pixel_words(x, coarse, 0, p)], stream_words(ref, coarse, 0))


# ------------------------------------------------------------------------------ pool


def windows(x, fmt, kernel, stride, pad, fill):
    """The sliding_window stream of a (C, *spatial) map: per output pixel, per channel, the
    kernel taps row-major."""
    win = _windows(x[None], kernel, stride, pad, 1, fill)[0]  # (C, *out, *k)
    nd = len(kernel)
    win = np.moveaxis(win, 0, nd)  # (*out, C, *k)
    return win.reshape(-1, prod(kernel))


@pytest.mark.parametrize("mode, shape, kernel, stride, pad, fine, include, coarse", [
    ("max", (2, 6, 6), (2, 2), (2, 2), (0, 0, 0, 0), 4, False, 1),
    ("max", (2, 5, 5), (3, 3), (2, 2), (1, 1, 1, 1), 2, False, 2),
    ("avg", (2, 5, 6), (3, 3), (1, 2), (1, 1, 1, 0), 9, False, 1),
    ("avg", (1, 6, 6), (2, 2), (2, 2), (0, 0, 1, 1), 1, False, 1),
    ("avg", (2, 4, 4), (3, 3), (1, 1), (1, 1, 1, 1), 3, True, 2),
    ("avg", (2, 3, 4, 4), (2, 2, 2), (1, 2, 2), (0, 0, 0, 0, 0, 0), 8, False, 1),
])
def test_pool(mode, shape, kernel, stride, pad, fine, include, coarse):
    rng = np.random.default_rng(8)
    fx, fo = Fixed(8, 4), Fixed(8, 4)
    x = rand(rng, fx, shape)
    ref = pool_fixed(x[None], fx, fo, mode, kernel, stride, pad, include)[0]
    spec = LayerSpec("pl", "pool", (shape,), (ref.shape,), kernel=kernel, stride=stride, pad=pad,
                     mode=mode, coarse_in=coarse, fine=fine, data_width=8)
    fill = fx.min_int if mode == "max" else 0
    win = windows(x[0::coarse], fx, kernel, stride, pad, fill)
    tag = f"t_pool_{mode}_{'x'.join(map(str, shape + kernel + stride + pad))}_{fine}_{int(include)}_{coarse}"
    p = params(spec, "pool", [StreamType(8, 4, prod(kernel))], [StreamType(8, 4)],
               {"mode": mode, "count_include_pad": int(include)}, name=tag)
    check(p, [win], stream_words(ref, coarse, 0), backpressure=fine < prod(kernel) or mode == "avg")


@pytest.mark.parametrize("mode, shape, kernel, stride, pad, fine, p", [
    # 2 windows a word, each divided by its own position's in-bounds taps (4, 6 or 9)
    ("avg", (2, 4, 4), (3, 3), (1, 1), (1, 1, 1, 1), 9, 2),
    # 3 taps a cycle from each of the word's 2 windows (stride 2 at p = 4)
    ("max", (2, 6, 8), (3, 3), (2, 2), (1, 1, 1, 1), 3, 4),
    ("avg", (1, 6, 8), (2, 2), (2, 2), (0, 0, 0, 0), 1, 4),
])
def test_pool_multi_pixel(mode, shape, kernel, stride, pad, fine, p):
    """q = p / stride windows a word (lane w K + k), each on its own tree, bit-exact at the
    model's interval (words x ceil(K / fine))."""
    rng = np.random.default_rng(16)
    fx, fo = Fixed(8, 4), Fixed(8, 4)
    x = rand(rng, fx, shape)
    ref = pool_fixed(x[None], fx, fo, mode, kernel, stride, pad, False)[0]
    spec = LayerSpec("pl", "pool", (shape,), (ref.shape,), kernel=kernel, stride=stride, pad=pad,
                     mode=mode, coarse_in=2 if shape[0] == 2 else 1, fine=fine, data_width=8, pixels=(p, 1))
    coarse, q, k = spec.coarse_in, p // stride[-1], prod(kernel)
    win = windows(x[0::coarse], fx, kernel, stride, pad, fx.min_int if mode == "max" else 0)
    out = ref.shape[1:]
    win = np.moveaxis(win.reshape(out[:-1] + (out[-1] // q, q, -1, k)), -3, -2).reshape(-1, q * k)
    tag = f"t_pool_{mode}_{'x'.join(map(str, shape + kernel + stride + pad))}_{fine}_p{p}"
    prm = params(spec, "pool", [StreamType(8, 4, q * k)], [StreamType(8, 4, q)], {"mode": mode}, name=tag)
    check(prm, [win], pixel_words(ref, coarse, 0, q))


# ------------------------------------------------------------------------------ division


@pytest.mark.parametrize("dens, bits, frac_in, frac_out", [
    ((9, 6, 4), 8, 3, 3), ((9,), 12, 0, 0), ((3,), 10, 2, 5), ((5, 7), 10, 5, 2),
    ((4, 2, 1), 9, 1, 1), ((49,), 14, 4, 4), ((6,), 8, 0, -2),
])
def test_division_plan_is_exact(dens, bits, frac_in, frac_out):
    """The reciprocal arithmetic of div_round equals kernels._div_round on every numerator."""
    plan = DivPlan.of(dens, bits, frac_in, frac_out)
    n = np.arange(-(1 << (bits - 1)), 1 << (bits - 1))
    for i, d in enumerate(dens):
        ref = _div_round(n, d, frac_in, Fixed(64, frac_out))
        got = np.array([plan.reference(int(v), i) for v in n])
        np.testing.assert_array_equal(got, ref)
