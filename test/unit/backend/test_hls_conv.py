"""C-simulation of sdf::conv_layer / sdf::inner_product against conv_fixed /
inner_product_fixed, bit for bit, 2D and 3D, for several foldings of each layer."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_sdf.interp.fixed import Fixed
from fpga_sdf.interp.kernels import conv_fixed, inner_product_fixed

from hls_tb import Bench, T, acc_type, const_array, from_stream, geometry, rand_fixed, \
    stream_io, to_stream

pytestmark = [pytest.mark.csim]

# name: (C, spatial, F, kernel, stride, pad, dilation, groups, formats (x, w, out), acc_w)
LAYERS = {
    "2d_k3_p1": (4, (5, 6), 8, (3, 3), 1, 1, 1, 1, (Fixed(8, 5), Fixed(8, 6), Fixed(12, 5)), 24),
    # round half up on many ties: the output drops 2 fractional bits
    "2d_ties": (2, (4, 4), 3, (2, 2), 1, 0, 1, 1, (Fixed(6, 1), Fixed(6, 1), Fixed(10, 0)), 16),
    # stride 2, asymmetric padding (top, left, bottom, right), dilation 2, non-square kernel
    "2d_s2_asym_dil": (4, (9, 8), 4, (3, 2), 2, (0, 1, 2, 1), (2, 1), 1,
                       (Fixed(8, 4), Fixed(6, 8), Fixed(8, 3)), 24),  # w has I = -2
    # depthwise: groups = C = F
    "2d_depthwise": (6, (6, 5), 6, (3, 3), 1, (1, 1), 1, 6,
                     (Fixed(8, 5), Fixed(8, 7), Fixed(8, 5)), 20),
    # grouped, stride 2, outputs saturate (narrow out format, large weights)
    "2d_grouped_sat": (8, (6, 6), 4, (3, 3), 2, 1, 1, 2,
                       (Fixed(8, 2), Fixed(8, 3), Fixed(6, 1)), 28),
    # output frac < 0 (I > W) and 1x1 kernel
    "2d_1x1_negfrac": (6, (4, 3), 6, (1, 1), 1, 0, 1, 1,
                       (Fixed(8, 4), Fixed(8, 4), Fixed(6, -2)), 24),
    "3d_k3": (2, (4, 5, 5), 4, (3, 3, 3), (1, 2, 2), (1, 1, 0, 0, 1, 2), (1, 1, 2), 1,
              (Fixed(8, 5), Fixed(8, 6), Fixed(12, 5)), 24),
    "3d_depthwise_s2": (4, (5, 4, 6), 4, (2, 3, 3), 2, (1, 1, 1), 1, 4,
                        (Fixed(8, 5), Fixed(8, 6), Fixed(8, 5)), 24),
}

# name: list of (COARSE_IN, COARSE_OUT, COARSE_GROUP, FINE)
FOLDINGS = {
    "2d_k3_p1": [(1, 1, 1, 1), (2, 4, 1, 3), (4, 8, 1, 9)],
    "2d_ties": [(1, 1, 1, 1), (2, 3, 1, 2)],
    "2d_s2_asym_dil": [(1, 1, 1, 1), (2, 4, 1, 3), (4, 2, 1, 6)],
    "2d_depthwise": [(1, 1, 1, 1), (1, 1, 3, 9), (1, 1, 6, 3)],
    "2d_grouped_sat": [(1, 1, 1, 1), (2, 1, 1, 3), (4, 2, 2, 3)],
    "2d_1x1_negfrac": [(1, 1, 1, 1), (3, 2, 1, 1)],
    "3d_k3": [(1, 1, 1, 1), (2, 4, 1, 3), (2, 2, 1, 27)],
    "3d_depthwise_s2": [(1, 1, 1, 1), (1, 1, 2, 6), (1, 1, 4, 18)],
}

CASES = [(name, fold) for name, folds in FOLDINGS.items() for fold in folds]
RNG_SEED = 2024


def _case_name(name, fold):
    return f"{name}-ci{fold[0]}co{fold[1]}cg{fold[2]}f{fold[3]}"


def _layer_data(name):
    c, spatial, f, kernel, stride, pad, dil, groups, (xf, wf, of), acc_w = LAYERS[name]
    rng = np.random.default_rng([RNG_SEED, *name.encode()])
    x = rand_fixed(rng, xf, (1, c) + spatial)
    w = rand_fixed(rng, wf, (f, c // groups) + kernel)
    b = rand_fixed(rng, Fixed(acc_w, xf.frac + wf.frac), (f,), -(1 << 12), 1 << 12)
    y = conv_fixed(x, xf, w, wf, b, of, acc_w, stride, pad, dil, groups)
    return x, w, b, y


def _wrap_data():
    xw = np.full((1, 6), Fixed(8, 6).max_int)
    ww = np.array([[127, 127, 127, -127, -127, -127], [-127, -127, -127, 127, 127, 127],
                   [127, 127, 120, -127, -127, -127]])
    return xw, ww, np.array([100, -50, 7])


def _build() -> Bench:
    bench = Bench("conv")
    for name, fold in CASES:
        c, spatial, f, kernel, stride, pad, dil, groups, (xf, wf, of), acc_w = LAYERS[name]
        ci, co, cg, fine = fold
        x, w, b, y = _layer_data(name)
        acc_frac = xf.frac + wf.frac
        decls = (f"typedef {T(xf)} in_t;\ntypedef {T(wf)} w_t;\n"
                 f"typedef {T(Fixed(acc_w, acc_frac))} b_t;\n"
                 f"typedef {acc_type(acc_w, acc_frac)} acc_t;\ntypedef {T(of)} out_t;\n"
                 f"typedef {geometry(spatial, kernel, stride, pad, dil)} geom;\n"
                 + const_array("weights", w, wf)
                 + const_array("bias", b, Fixed(acc_w, acc_frac)))
        call = (f"sdf::conv_layer<in_t, w_t, b_t, acc_t, out_t, geom, {c}, {f}, {groups}, "
                f"{ci}, {co}, {cg}, {fine}>(in, out, weights, bias)")
        body = stream_io("in_t", ci * cg, "out_t", co * cg, y.size, call)
        bench.add(_case_name(name, fold), decls, body, [to_stream(x[0])], [to_stream(y[0])])

    # inner product: two foldings, plus a case whose partial sums wrap the accumulator
    rng = np.random.default_rng(RNG_SEED)
    xf, wf, of, acc_w = Fixed(8, 6), Fixed(8, 7), Fixed(8, 4), 24
    k, f = 12, 10
    x = rand_fixed(rng, xf, (1, k))
    w = rand_fixed(rng, wf, (f, k))
    b = rand_fixed(rng, Fixed(acc_w, 13), (f,), -5000, 5000)
    ip_cases = [("ip", x, w, b, acc_w, (1, 1)), ("ip", x, w, b, acc_w, (3, 5)),
                ("ip", x, w, b, acc_w, (12, 2))]
    # wrap: x = max, weights +127, +127, -127, -127 ... (partial sums exceed 16 bits, the
    # final sums fit): two's complement wrap makes every summation order exact
    xw, ww, bw = _wrap_data()
    ip_cases += [("ip_wrap", xw, ww, bw, 16, (1, 1)), ("ip_wrap", xw, ww, bw, 16, (3, 3))]
    for tag, xq, wq, bq, aw, (ci, co) in ip_cases:
        y = inner_product_fixed(xq, xf, wq, wf, bq, of, aw)
        kk, ff = wq.shape[1], wq.shape[0]
        decls = (f"typedef {T(xf)} in_t;\ntypedef {T(wf)} w_t;\n"
                 f"typedef {T(Fixed(aw, 13))} b_t;\ntypedef {acc_type(aw, 13)} acc_t;\n"
                 f"typedef {T(of)} out_t;\n"
                 + const_array("weights", wq, wf) + const_array("bias", bq, Fixed(aw, 13)))
        call = (f"sdf::inner_product<in_t, w_t, b_t, acc_t, out_t, {kk}, {ff}, {ci}, {co}>"
                f"(in, out, weights, bias)")
        bench.add(f"{tag}-ci{ci}co{co}", decls, stream_io("in_t", ci, "out_t", co, y.size, call),
                  [xq[0]], [y[0]])
    return bench


@pytest.fixture(scope="module")
def bench():
    b = _build()
    b.results()
    print(f"\nconv bench: {len(b.cases)} cases, compile {b.compile_seconds:.1f}s "
          f"(cached={b.cached}), run {b.run_seconds:.2f}s")
    return b


@pytest.mark.parametrize("name,fold", CASES, ids=[_case_name(n, f) for n, f in CASES])
def test_conv_layer_bit_exact(bench, name, fold):
    bench.check(_case_name(name, fold))


@pytest.mark.parametrize("case", ["ip-ci1co1", "ip-ci3co5", "ip-ci12co2", "ip_wrap-ci1co1",
                                  "ip_wrap-ci3co3"])
def test_inner_product_bit_exact(bench, case):
    bench.check(case)


def test_saturation_case_saturates():
    """The grouped case really exercises output saturation (and the others stay in range)."""
    _, _, _, y = _layer_data("2d_grouped_sat")
    of = LAYERS["2d_grouped_sat"][8][2]
    assert (y == of.max_int).any() and (y == of.min_int).any()


def test_ties_case_has_ties():
    """2d_ties hits exact halves (positive and negative) before rounding."""
    from fpga_sdf.interp.kernels import conv_fixed as cf
    x, w, b, _ = _layer_data("2d_ties")
    acc = cf(x, Fixed(6, 1), w, Fixed(6, 1), b, Fixed(16, 2), 16)
    assert ((acc % 4 == 2) & (acc > 0)).any() and ((acc % 4 == 2) & (acc < 0)).any()


def test_wrap_case_wraps():
    """The partial sums of ip_wrap exceed a 16-bit accumulator although the results fit."""
    xw, ww, bw = _wrap_data()
    partial = np.cumsum(xw[0] * ww, axis=1) + bw[:, None]
    assert np.abs(partial).max() > (1 << 15) - 1
    assert np.abs(partial[:, -1]).max() < (1 << 15)


def test_stream_layout_roundtrip():
    x = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    assert (from_stream(to_stream(x), x.shape) == x).all()
    assert to_stream(x)[:2].tolist() == [x[0, 0, 0, 0], x[1, 0, 0, 0]]
