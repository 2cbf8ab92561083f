"""The HLS template library as a whole: the toolchain helper, synthesizable style (no VLAs,
exceptions, RTTI, dynamic memory or recursion), and ap_fixed with I <= 0 / frac < 0."""

from __future__ import annotations

import re

import numpy as np
import pytest

from fpga_sdf.backend.hls import csim
from fpga_sdf.backend.hls.tables import array_initializer, fixed_literal
from fpga_sdf.interp.fixed import Fixed, quantize

SYNTH_HEADERS = ["sdf_common.hpp", "sliding_window.hpp", "conv.hpp", "sparse_conv.hpp", "pool.hpp",
                 "activation.hpp", "streams.hpp", "sdf.hpp", "weights_fragments.hpp"]


def test_ap_types_found():
    inc = csim.ap_types_include()
    for h in ("ap_fixed.h", "ap_int.h", "hls_stream.h"):
        assert (inc / h).is_file()


def test_templates_have_no_dynamic_memory_or_std_containers():
    banned = re.compile(r"\bnew\b|\bdelete\b|\bmalloc\b|\bfree\s*\(|std::|\bthrow\b|\btry\b|"
                        r"#include\s*<(vector|string|iostream|map|memory)>")
    for name in SYNTH_HEADERS:
        text = (csim.TEMPLATES / name).read_text()
        code = re.sub(r"//[^\n]*", "", text)
        hit = banned.search(code)
        assert hit is None, f"{name}: {hit.group(0)!r} is not synthesizable"


def test_templates_have_no_recursion():
    """No template function calls itself (a call to a name inside its own definition)."""
    for name in SYNTH_HEADERS:
        code = re.sub(r"//[^\n]*", "", (csim.TEMPLATES / name).read_text())
        for m in re.finditer(r"\n(?:inline |constexpr )?[\w:<>, ]+?\b(\w+)\(([^;{]*)\)\s*\{", code):
            fn = m.group(1)
            start = m.end()
            depth, i = 1, start
            while depth and i < len(code):
                depth += {"{": 1, "}": -1}.get(code[i], 0)
                i += 1
            body = code[start:i]
            assert not re.search(rf"\b{fn}\s*(<[^;]*?>)?\s*\(", body), f"{name}: {fn} recurses"


SYNTH_TU = r"""
#include "sdf.hpp"
typedef ap_fixed<8, 3, AP_RND, AP_SAT> x_t;
typedef ap_fixed<8, 1, AP_RND, AP_SAT> w_t;
typedef ap_fixed<24, 12, AP_RND, AP_SAT> b_t;
typedef sdf::acc_fixed<x_t, w_t, 24> acc_t;
typedef ap_fixed<8, -2, AP_RND, AP_SAT> tiny_t;   // I < 0
typedef ap_fixed<6, 10, AP_RND, AP_SAT> coarse_t; // frac < 0
typedef sdf::geometry<1, 8, 8, 1, 3, 3, 1, 2, 2, 0, 1, 0, 0, 1, 1, 1, 1, 2> g2;
typedef sdf::geometry<4, 6, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1> g3;
static const w_t w2[8 * 2 * 9] = {0.5};
static const w_t w3[4 * 1 * 27] = {0.25};
static const w_t wfc[10 * 16] = {0.125};
static const b_t b8[8] = {0}, b4[4] = {0}, b10[10] = {0};
static const w_t sc[4] = {0.5};
static const b_t sh[4] = {0.0};
static const x_t lut[2][256] = {{0.0}};

void top_conv2d(hls::stream<x_t> in[4], hls::stream<x_t> out[8]) {
    sdf::conv_layer<x_t, w_t, b_t, acc_t, x_t, g2, 4, 8, 2, 2, 4, 2, 3>(in, out, w2, b8);
}
void top_conv3d_dw(hls::stream<x_t> in[2], hls::stream<x_t> out[2]) {
    sdf::conv_layer<x_t, w_t, b_t, acc_t, x_t, g3, 4, 4, 4, 1, 1, 2, 9>(in, out, w3, b4);
}
void top_fc(hls::stream<x_t> in[4], hls::stream<x_t> out[2]) {
    sdf::inner_product<x_t, w_t, b_t, acc_t, x_t, 16, 10, 4, 2>(in, out, wfc, b10);
}
void top_sparse(hls::stream<sdf::vec<x_t, 9> > win[2], hls::stream<sdf::vec<w_t, 9> > w[2],
                hls::stream<acc_t> out[2]) {
    sdf::sparse_conv<sdf::vec<x_t, 9>, x_t, w_t, acc_t, 9, 3, 64, 4, 2>(win, w, out);
}
void top_pool(hls::stream<x_t> in[2], hls::stream<tiny_t> out[2]) {
    sdf::pool_layer<x_t, tiny_t, g3, 4, sdf::POOL_AVG, false, 2>(in, out);
    sdf::pool_layer<x_t, tiny_t, g3, 4, sdf::POOL_MAX, true, 2>(in, out);
}
void top_gpool(hls::stream<x_t> in[2], hls::stream<coarse_t> out[2]) {
    sdf::global_pool<x_t, coarse_t, 4, 36, sdf::POOL_AVG, 2>(in, out);
}
void top_act(hls::stream<x_t> in[2], hls::stream<x_t> out[2]) {
    sdf::activation<x_t, x_t, 32, sdf::ACT_RELU6, 2>(in, out);
    sdf::activation<x_t, x_t, 32, sdf::ACT_LEAKY_RELU, 2, 6554, 18, 16>(in, out);
    sdf::activation_lut<x_t, x_t, 32, 2>(in, out, lut);
}
void top_streams(hls::stream<x_t> a[2], hls::stream<w_t> b[2], hls::stream<x_t> o[2],
                 hls::stream<x_t> s[3][2]) {
    sdf::eltwise<x_t, w_t, x_t, 4, 16, sdf::ELT_MUL, true, 2>(a, b, o);
    sdf::concat<x_t, w_t, x_t, 3, 5, 16, 2>(a, b, o);
    sdf::split<x_t, 3, 16, 2>(a, s);
    sdf::resize_nearest<x_t, 4, 2, 3, 3, 2, 2, 2, 2>(a, o);
    sdf::scale_shift<x_t, w_t, b_t, acc_t, x_t, 4, 16, 2>(a, o, sc, sh);
}
"""


@pytest.mark.csim
def test_templates_compile_in_synthesizable_style():
    """Every template, instantiated as an HLS top would be (2D and 3D, folded, I < 0 and
    frac < 0 formats), compiles with -Werror=vla -fno-exceptions -pedantic-errors -Wall -Wextra -Werror."""
    prog = csim.compile_program(SYNTH_TU, flags=csim.SYNTH_STYLE_FLAGS, link=False)
    assert prog.path.is_file()


@pytest.mark.csim
def test_vla_is_rejected_by_the_style_flags():
    """The style check is not vacuous: a VLA in a template-like function fails to compile."""
    bad = "#include \"sdf.hpp\"\nvoid f(int n) { ap_fixed<8, 4> buf[n]; buf[0] = 1; }\n"
    with pytest.raises(csim.CsimError, match="vla|variable length"):
        csim.compile_program(bad, flags=csim.SYNTH_STYLE_FLAGS, link=False)


NEG_I_FORMATS = [Fixed(8, 10), Fixed(6, 8), Fixed(4, 12), Fixed(6, -4), Fixed(3, -10)]


@pytest.mark.csim
def test_ap_fixed_accepts_nonpositive_int_bits_and_negative_frac():
    """ap_fixed<W, I> with I <= 0 (frac > W) or I > W (frac < 0) compiles under g++ and
    converts doubles (AP_RND ties up, AP_SAT) exactly as fixed.quantize does."""
    rng = np.random.default_rng(3)
    decls, body, inputs, exp = "", "", [], []
    for i, fmt in enumerate(NEG_I_FORMATS):
        lo, hi = fmt.min_int * fmt.lsb, fmt.max_int * fmt.lsb
        # random reals, exact ties and out-of-range values (both signs)
        v = np.concatenate([rng.uniform(2 * lo, 2 * hi, 40),
                            (np.arange(-6, 6) + 0.5) * fmt.lsb, [3 * hi, 3 * lo, 0.0]])
        exp.append(quantize(v, fmt))
        lits = ", ".join(repr(float(x)) for x in v)
        decls += f"static const double v{i}[{v.size}] = {{{lits}}};\n"
        body += (f"    {{ std::vector<long long> q;\n"
                 f"      for (int i = 0; i < {v.size}; i++) {{\n"
                 f"        {fmt.hls_type()} x = v{i}[i]; q.push_back(sdf::raw(x).to_int64()); }}\n"
                 f"      sdf::tb::write_array(fout, q); }}\n")
    src = (f"#include \"sdf.hpp\"\n#include \"tb_io.hpp\"\n{decls}\n"
           "int main(int argc, char** argv) {\n    std::ofstream fout(argv[2]);\n"
           f"{body}    return 0;\n}}\n")
    prog = csim.compile_program(src)
    got = prog.run(inputs)
    for g, e, fmt in zip(got, exp, NEG_I_FORMATS):
        assert g.tolist() == e.tolist(), fmt
    # a second compile of the same source comes from the cache
    assert csim.compile_program(src).cached


def test_fixed_literal_exact_and_refuses_wide_formats():
    assert fixed_literal(-3, Fixed(6, 8)) == "-0.01171875"
    assert fixed_literal(5, Fixed(4, -3)) == "40.0"
    assert array_initializer([1, -2], Fixed(4, 1)) == "{0.5, -1.0}"
    with pytest.raises(ValueError):
        fixed_literal(1, Fixed(60, 10))
    with pytest.raises(ValueError):
        fixed_literal(8, Fixed(4, 0))
