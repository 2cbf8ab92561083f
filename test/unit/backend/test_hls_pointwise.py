"""C-simulation of the pointwise and data-movement templates against the numpy kernels:
activation (relu, relu6, leaky_relu) and activation_lut (sigmoid, hard_sigmoid,
hard_swish, silu; tables from fpga_sdf.backend.hls.tables), eltwise (add/mul, broadcast),
concat, split, resize_nearest (2D and 3D), scale_shift, and the exactness of the emitted
ap_fixed literals (including formats with I <= 0 and frac < 0)."""

from __future__ import annotations

import numpy as np
import pytest

from fpga_sdf.backend.hls.tables import acc_type, activation_table, activation_table_header
from fpga_sdf.interp.fixed import Fixed, quantize
from fpga_sdf.interp.kernels import (activation_fixed, concat_fixed, eltwise_fixed,
                                     resize_nearest, scale_shift_fixed)

from hls_tb import Bench, T, const_array, rand_fixed, stream_io, to_stream

pytestmark = [pytest.mark.csim]


def _all_ints(fmt: Fixed) -> np.ndarray:
    return np.arange(fmt.min_int, fmt.max_int + 1, dtype=np.int64)


# name: (kind, x_fmt, out_fmt, alpha, alpha_fmt, coarse); inputs: every integer of x_fmt
ACTS = {
    "relu": ("relu", Fixed(8, 4), Fixed(8, 4), None, None, 1),
    "relu_requant_sat": ("relu", Fixed(10, 6), Fixed(6, 3), None, None, 2),
    "relu6_clips": ("relu6", Fixed(8, 4), Fixed(8, 4), None, None, 2),       # range +-8
    "relu6_negfrac": ("relu6", Fixed(6, -1), Fixed(8, 2), None, None, 1),    # six = 3
    "relu6_oddfrac": ("relu6", Fixed(9, 5), Fixed(7, 3), None, None, 1),     # range +-8
    "relu6_unreached": ("relu6", Fixed(8, 6), Fixed(8, 6), None, None, 1),   # range +-2
    "leaky_0.1": ("leaky_relu", Fixed(8, 4), Fixed(10, 6), 0.1, Fixed(18, 16), 2),
    "leaky_0.01_a8": ("leaky_relu", Fixed(9, 4), Fixed(8, 4), 0.01, Fixed(8, 10), 1),
    "leaky_0.2_sat": ("leaky_relu", Fixed(8, 2), Fixed(6, 2), 0.2, Fixed(12, 11), 1),
    "sigmoid": ("sigmoid", Fixed(8, 4), Fixed(8, 7), None, None, 2),
    "hard_sigmoid": ("hard_sigmoid", Fixed(8, 4), Fixed(8, 6), None, None, 1),
    "hard_swish": ("hard_swish", Fixed(8, 4), Fixed(10, 5), None, None, 2),
    "silu": ("silu", Fixed(10, 6), Fixed(8, 4), None, None, 1),
    "sigmoid_negI": ("sigmoid", Fixed(6, 7), Fixed(8, 9), None, None, 1),  # I = -1 both
}

LUT_KINDS = ("sigmoid", "hard_sigmoid", "hard_swish", "silu")


def _act_case(bench: Bench, name, kind, xf, of, alpha, af, coarse):
    x = _all_ints(xf)
    n = x.size - x.size % coarse
    x = x[:n]
    kw = {} if alpha is None else {"alpha": alpha, "alpha_fmt": af}
    y = activation_fixed(x, xf, of, kind, **kw)
    decls = f"typedef {T(xf)} in_t;\ntypedef {T(of)} out_t;\n"
    if kind in LUT_KINDS:
        table = "table_" + "".join(ch if ch.isalnum() else "_" for ch in name)
        decls += activation_table_header(table, kind, xf, of, copies=coarse)
        call = f"sdf::activation_lut<in_t, out_t, {n // coarse}, {coarse}>(in, out, {table})"
    else:
        k = {"relu": "sdf::ACT_RELU", "relu6": "sdf::ACT_RELU6",
             "leaky_relu": "sdf::ACT_LEAKY_RELU"}[kind]
        extra = "" if alpha is None else \
            f", {int(quantize(alpha, af))}LL, {af.width}, {af.frac}"
        call = f"sdf::activation<in_t, out_t, {n // coarse}, {k}, {coarse}{extra}>(in, out)"
    bench.add(name, decls, stream_io("in_t", coarse, "out_t", coarse, y.size, call), [x], [y])


# name: (mode, a_fmt, b_fmt, out_fmt, C, spatial, broadcast, coarse)
ELTS = {
    "add_2d": ("add", Fixed(8, 4), Fixed(8, 6), Fixed(9, 5), 4, (3, 5), False, 2),
    "add_3d_sat": ("add", Fixed(8, 2), Fixed(8, 2), Fixed(8, 2), 2, (2, 3, 4), False, 1),
    "mul_2d": ("mul", Fixed(8, 4), Fixed(8, 6), Fixed(10, 7), 4, (3, 5), False, 4),
    "mul_bcast_2d": ("mul", Fixed(8, 4), Fixed(8, 7), Fixed(8, 4), 6, (4, 3), True, 3),
    "add_bcast_3d": ("add", Fixed(8, 4), Fixed(6, 1), Fixed(8, 3), 4, (2, 3, 3), True, 2),
    "mul_negfrac": ("mul", Fixed(8, 4), Fixed(6, 8), Fixed(8, 9), 2, (4, 4), False, 1),
}


def _build() -> Bench:
    bench = Bench("pointwise")
    rng = np.random.default_rng(11)
    for name, args in ACTS.items():
        _act_case(bench, name, *args)

    for name, (mode, af, bf, of, c, spatial, bcast, coarse) in ELTS.items():
        a = rand_fixed(rng, af, (1, c) + spatial)
        b = rand_fixed(rng, bf, (1, c) + ((1,) * len(spatial) if bcast else spatial))
        y = eltwise_fixed(a, af, b, bf, of, mode)
        pix = int(np.prod(spatial))
        decls = f"typedef {T(af)} a_t;\ntypedef {T(bf)} b_t;\ntypedef {T(of)} out_t;\n"
        body = ("    std::vector<long long> xa = sdf::tb::read_array(fin);\n"
                "    std::vector<long long> xb = sdf::tb::read_array(fin);\n"
                f"    hls::stream<a_t> a[{coarse}];\n    hls::stream<b_t> b[{coarse}];\n"
                f"    hls::stream<out_t> out[{coarse}];\n"
                f"    sdf::tb::feed(xa, a, {coarse});\n    sdf::tb::feed(xb, b, {coarse});\n"
                f"    sdf::eltwise<a_t, b_t, out_t, {c}, {pix}, "
                f"{'sdf::ELT_ADD' if mode == 'add' else 'sdf::ELT_MUL'}, "
                f"{'true' if bcast else 'false'}, {coarse}>(a, b, out);\n"
                f"    sdf::tb::check_empty(a, {coarse}, \"a\");\n"
                f"    sdf::tb::check_empty(b, {coarse}, \"b\");\n"
                f"    sdf::tb::write_array(fout, sdf::tb::drain(out, {coarse}, {y.size}));\n")
        bench.add(name, decls, body, [to_stream(a[0]), to_stream(b[0])], [to_stream(y[0])])

    # concat: two inputs with different formats (requantized, saturating)
    for name, (c1, c2, spatial, f1, f2, of) in {
        "concat_2d": (3, 5, (4, 3), Fixed(8, 4), Fixed(8, 6), Fixed(8, 5)),
        "concat_3d": (2, 1, (2, 3, 2), Fixed(8, 2), Fixed(10, 7), Fixed(7, 3)),
    }.items():
        a = rand_fixed(rng, f1, (1, c1) + spatial)
        b = rand_fixed(rng, f2, (1, c2) + spatial)
        y = concat_fixed([a, b], [f1, f2], of)
        decls = f"typedef {T(f1)} a_t;\ntypedef {T(f2)} b_t;\ntypedef {T(of)} out_t;\n"
        body = ("    std::vector<long long> xa = sdf::tb::read_array(fin);\n"
                "    std::vector<long long> xb = sdf::tb::read_array(fin);\n"
                "    hls::stream<a_t> a;\n    hls::stream<b_t> b;\n    hls::stream<out_t> out;\n"
                "    sdf::tb::feed(xa, &a, 1);\n    sdf::tb::feed(xb, &b, 1);\n"
                f"    sdf::concat<a_t, b_t, out_t, {c1}, {c2}, {int(np.prod(spatial))}>(&a, &b, &out);\n"
                "    sdf::tb::check_empty(&a, 1, \"a\");\n    sdf::tb::check_empty(&b, 1, \"b\");\n"
                f"    sdf::tb::write_array(fout, sdf::tb::drain(&out, 1, {y.size}));\n")
        bench.add(name, decls, body, [to_stream(a[0]), to_stream(b[0])], [to_stream(y[0])])

    # split: 3 copies of a 2-stream map
    xf = Fixed(8, 4)
    x = rand_fixed(rng, xf, (1, 4, 3, 3))
    body = ("    std::vector<long long> x = sdf::tb::read_array(fin);\n"
            "    hls::stream<in_t> in[2];\n    hls::stream<in_t> out[3][2];\n"
            "    sdf::tb::feed(x, in, 2);\n"
            f"    sdf::split<in_t, 3, {x.size // 2}, 2>(in, out);\n"
            "    sdf::tb::check_empty(in, 2, \"input\");\n"
            "    for (int o = 0; o < 3; o++)\n"
            f"        sdf::tb::write_array(fout, sdf::tb::drain(out[o], 2, {x.size}));\n")
    bench.add("split3", f"typedef {T(xf)} in_t;\n", body, [to_stream(x[0])],
              [to_stream(x[0])] * 3)

    # resize nearest, 2D and 3D
    for name, (c, spatial, scale, coarse) in {
        "resize_2d": (4, (3, 4), (2, 3), 2),
        "resize_2d_h1": (2, (2, 3), (3, 1), 1),
        "resize_3d": (2, (2, 3, 2), (2, 2, 3), 2),
        "resize_3d_d1": (3, (2, 2, 2), (1, 2, 2), 3),
    }.items():
        x = rand_fixed(rng, xf, (1, c) + spatial)
        y = resize_nearest(x, scale)
        dims = (1,) * (3 - len(spatial)) + spatial
        sc = (1,) * (3 - len(scale)) + scale
        call = (f"sdf::resize_nearest<in_t, {c}, {', '.join(map(str, dims + sc))}, {coarse}>"
                f"(in, out)")
        bench.add(name, f"typedef {T(xf)} in_t;\n",
                  stream_io("in_t", coarse, "in_t", coarse, y.size, call),
                  [to_stream(x[0])], [to_stream(y[0])])

    # scale_shift (unfolded batch norm), 2D and 3D, saturating output
    for name, (c, spatial, xf2, sf, of, acc_w, coarse) in {
        "scale_shift_2d": (4, (3, 5), Fixed(8, 4), Fixed(8, 6), Fixed(8, 4), 20, 2),
        "scale_shift_3d_sat": (6, (2, 2, 3), Fixed(8, 3), Fixed(8, 3), Fixed(6, 2), 20, 3),
    }.items():
        x = rand_fixed(rng, xf2, (1, c) + spatial)
        sc = rand_fixed(rng, sf, (c,))
        bf = Fixed(acc_w, xf2.frac + sf.frac)
        sh = rand_fixed(rng, bf, (c,), -3000, 3000)
        y = scale_shift_fixed(x, xf2, sc, sf, sh, of, acc_w)
        decls = (f"typedef {T(xf2)} in_t;\ntypedef {T(sf)} s_t;\ntypedef {T(bf)} b_t;\n"
                 f"typedef {acc_type(acc_w, bf.frac)} acc_t;\ntypedef {T(of)} out_t;\n"
                 + const_array("scale", sc, sf) + const_array("shift", sh, bf))
        call = (f"sdf::scale_shift<in_t, s_t, b_t, acc_t, out_t, {c}, {int(np.prod(spatial))}, "
                f"{coarse}>(in, out, scale, shift)")
        bench.add(name, decls, stream_io("in_t", coarse, "out_t", coarse, y.size, call),
                  [to_stream(x[0])], [to_stream(y[0])])

    # literals: every integer of narrow formats (I <= 0, frac < 0, 1-bit) and random
    # integers of a 53-bit format round-trip through `static const ap_fixed x[] = {...}`
    decls, body, exp = "", "", []
    lit_fmts = [Fixed(6, 8), Fixed(8, 8), Fixed(5, -3), Fixed(1, 0), Fixed(4, 20), Fixed(53, 30)]
    for i, fmt in enumerate(lit_fmts):
        q = _all_ints(fmt) if fmt.width <= 8 else rand_fixed(rng, fmt, (64,))
        q = np.concatenate([q, [fmt.min_int, fmt.max_int]])
        decls += const_array(f"lit{i}", q, fmt)
        body += (f"    {{ std::vector<long long> v;\n"
                 f"      for (int i = 0; i < {q.size}; i++) v.push_back(sdf::raw(lit{i}[i]).to_int64());\n"
                 f"      sdf::tb::write_array(fout, v); }}\n")
        exp.append(q)
    bench.add("literals", decls, "    (void)fin;\n" + body, [], exp)
    return bench


@pytest.fixture(scope="module")
def bench():
    b = _build()
    b.results()
    print(f"\npointwise bench: {len(b.cases)} cases, compile {b.compile_seconds:.1f}s "
          f"(cached={b.cached}), run {b.run_seconds:.2f}s")
    return b


@pytest.mark.parametrize("name", list(ACTS))
def test_activation_bit_exact(bench, name):
    bench.check(name)


@pytest.mark.parametrize("name", list(ELTS))
def test_eltwise_bit_exact(bench, name):
    bench.check(name)


@pytest.mark.parametrize("name", ["concat_2d", "concat_3d", "split3", "resize_2d",
                                  "resize_2d_h1", "resize_3d", "resize_3d_d1",
                                  "scale_shift_2d", "scale_shift_3d_sat"])
def test_data_movement_and_affine_bit_exact(bench, name):
    bench.check(name)


def test_fixed_literals_exact(bench):
    bench.check("literals")


def test_activation_table_layout():
    """Entry i of a table is the output for the input whose bit pattern is i."""
    xf, of = Fixed(4, 1), Fixed(8, 6)
    t = activation_table("sigmoid", xf, of)
    assert t.size == 16
    q = np.array([0, 7, -8, -1])
    assert t[[0, 7, 8, 15]].tolist() == activation_fixed(q, xf, of, "sigmoid").tolist()
    with pytest.raises(ValueError):
        activation_table("relu", xf, of)
