"""PASS's sparse engine (seed 003) in the HLS backend, through g++ C-simulation.

Module level: `sdf::sparse_conv` on hand-made windows (all-zero, all-non-zero, one tap,
every count of non-zeros, extreme values) computes every dot product of its CO units bit for
bit against a numpy oracle, for k = 1, 2, 3, K - 1 MACs and a 2x2 kernel, in exactly
sum max(1, ceil(n / k)) loop iterations (cycles at II=1, counted by the C-simulation); the K-weight
words of the sparse weights memory are the weights tensor's filters in the engine's order.

End to end: the trained digits CNN, quantized and with sparsity measured on its calibration
digits (`--sdf-sparsity data=...`), emitted with the sparse engine (k = 1 on features.0 and
k = 3 with coarse_in = coarse_out = 2 and a 16-window sparse_buffer on features.3; and k = K
(the dense engine) on features.0 with k = 8, coarse_in = 4 and a 2-window buffer on
features.3), C-simulated with every stream bounded at its emitted depth on held-out digits:
bit-exact against the fixed-point executor. The emitted cycles of a sparse layer are the
expected figure computed here from the measured histograms.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from math import ceil
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf.backend.hls.images import conv_banks
from fpga_sdf.interp.fixed import Fixed

from hls_tb import Bench, T, acc_type, rand_fixed

pytestmark = [pytest.mark.csim]

XF, WF, ACC_W = Fixed(8, 4), Fixed(8, 5), 24
CO, COUT_S, CH = 2, 2, 3  # units per stream, filters per unit, channels per stream


def hand_windows(kvol: int, rng) -> np.ndarray:
    """Windows with every count of non-zeros 0..K at random taps, plus all-zero, all-non-zero,
    first-tap-only, last-tap-only and extreme-valued windows."""
    rows = [np.zeros(kvol, dtype=np.int64), rand_fixed(rng, XF, kvol, 1, XF.max_int),
            np.full(kvol, XF.min_int), np.full(kvol, XF.max_int)]
    for t in (0, kvol - 1):
        one = np.zeros(kvol, dtype=np.int64)
        one[t] = XF.min_int
        rows.append(one)
    for n in list(range(kvol + 1)) * 2:
        w = np.zeros(kvol, dtype=np.int64)
        taps = rng.choice(kvol, size=n, replace=False)
        w[taps] = rng.choice([-1, 1], size=n) * rng.integers(1, 1 << 7, size=n)
        rows.append(w)
    rows.append(np.zeros(kvol, dtype=np.int64))
    win = np.array(rows)
    extra = (-len(win)) % CH  # whole pixels of CH channels
    return np.concatenate([win, np.zeros((extra, kvol), dtype=np.int64)])


def sparse_case(kvol: int, fine: int, seed: int):
    """(windows, weights words per unit in stream order, expected outputs round robin)."""
    rng = np.random.default_rng([seed, kvol, fine])
    win = hand_windows(kvol, rng)
    banks = rand_fixed(rng, WF, (CO, CH * COUT_S, kvol))
    banks[0, 0] = WF.min_int  # the extreme weight against the extreme taps
    order = [(m % CH) * COUT_S + fo for m in range(len(win)) for fo in range(COUT_S)]
    words = banks[:, order]  # (CO, dots, K): the word of each dot product
    taps = np.repeat(win, COUT_S, axis=0)  # (dots, K)
    expect = np.einsum("dk,udk->du", taps, words)  # exact integers: dot d of unit u
    cycles = int(np.maximum(1, -(-np.count_nonzero(taps, axis=1) // fine)).sum())
    return win, words, expect.ravel(), cycles  # outputs round robin over the CO lanes


def _bench_case(bench: Bench, kvol: int, fine: int) -> str:
    win, words, expect, cycles = sparse_case(kvol, fine, 11)
    name = f"k{kvol}_f{fine}"
    decls = (f"typedef {T(XF)} in_t;\ntypedef {T(WF)} w_t;\n"
             f"typedef {acc_type(ACC_W, XF.frac + WF.frac)} acc_t;\n"
             f"typedef sdf::vec<in_t, {kvol}> win_t;\n")
    body = f"""    const int K = {kvol}, CO_ = {CO}, WINDOWS = {len(win)}, DOTS = {len(win) * COUT_S};
    std::vector<long long> x = sdf::tb::read_array(fin);
    std::vector<long long> wv = sdf::tb::read_array(fin);
    hls::stream<win_t> win[CO_];
    hls::stream<sdf::vec<w_t, K> > weights[CO_];
    hls::stream<acc_t> out[CO_];
    for (int m = 0; m < WINDOWS; m++) {{
        win_t v;
        for (int t = 0; t < K; t++) v.v[t] = sdf::from_raw<in_t>(ap_int<64>(x[m * K + t]));
        for (int u = 0; u < CO_; u++) win[u].write(v);
    }}
    for (int u = 0; u < CO_; u++)
        for (int d = 0; d < DOTS; d++) {{
            sdf::vec<w_t, K> w;
            for (int t = 0; t < K; t++) w.v[t] = sdf::from_raw<w_t>(ap_int<64>(wv[(u * DOTS + d) * K + t]));
            weights[u].write(w);
        }}
    sdf::sparse_conv_cycles<0>() = 0;
    sdf::sparse_conv<win_t, in_t, w_t, acc_t, K, {fine}, WINDOWS, {COUT_S}, CO_>(win, weights, out);
    sdf::tb::write_array(fout, std::vector<long long>(1, sdf::sparse_conv_cycles<0>()));
    sdf::tb::check_empty(win, CO_, "window");
    sdf::tb::check_empty(weights, CO_, "weights");
    sdf::tb::write_array(fout, sdf::tb::drain(out, CO_, (long long)DOTS * CO_));
"""
    bench.add(name, decls, body, [win.ravel(), words.ravel()], [[cycles], expect])
    return name


SPARSE_CASES = [(9, 1), (9, 2), (9, 3), (9, 8), (4, 1), (4, 3)]


@pytest.fixture(scope="module")
def sparse_bench():
    bench = Bench("sparse_conv")
    for kvol, fine in SPARSE_CASES:
        _bench_case(bench, kvol, fine)
    bench.results()
    return bench


@pytest.mark.parametrize("kvol,fine", SPARSE_CASES, ids=[f"K{k}-k{f}" for k, f in SPARSE_CASES])
def test_sparse_conv_dot_products_bit_exact(sparse_bench, kvol, fine):
    sparse_bench.check(f"k{kvol}_f{fine}")


def test_hand_windows_cover_the_zero_patterns():
    """The oracle's windows are what the module test claims: all-zero, all-non-zero, and
    every count of non-zeros in between (so every number of crossbar cycles 1..ceil(K/k))."""
    win = hand_windows(9, np.random.default_rng(0))
    counts = set(np.count_nonzero(win, axis=1).tolist())
    assert counts == set(range(10))
    assert len(win) % CH == 0


def test_sparse_weights_words_are_whole_kernels_in_engine_order():
    """Bank words for the sparse engine (fine = K in the bank layout): unit (s, j), address
    cl * COUT_S + fo holds all K weights of filter fo * CO + j, channel cl * NI + s, straight
    from the weights tensor."""
    rng = np.random.default_rng(5)
    c, f, kvol, ci, co = 4, 8, 9, 2, 2
    w = rng.integers(-128, 128, size=(f, c, kvol))
    banks = conv_banks(w, c, f, 1, kvol, ci, co, 1, kvol)
    cout_s, ch = f // co, c // ci
    assert banks.shape == (ci * co, ch * cout_s, kvol)
    for s in range(ci):
        for j in range(co):
            oracle = np.array([w[fo * co + j, cl * ci + s] for cl in range(ch) for fo in range(cout_s)])
            assert np.array_equal(banks[s * co + j], oracle)


# ------------------------------------------------------------------ end to end: digits

HELD_OUT = 4
DESIGNS = {
    # k = 1 on features.0 (the image's zeros), k = 3 on features.3 over two streams, buffer 16
    "k1_k3": ([("sdf-fold", "fine=1 layers=features.0"),
               ("sdf-fold", "coarse_in=2 coarse_out=2 fine=3 layers=features.3")], 16),
    # k = K on features.0 (the dense engine), k = 8 over four streams without a fork, buffer 2
    "kK_k8": ([("sdf-fold", "fine=9 layers=features.0"),
               ("sdf-fold", "coarse_in=4 coarse_out=1 fine=8 layers=features.3")], 2),
}


@lru_cache(maxsize=None)
def _digits_design(name: str, tmp_root: str):
    """The trained digits CNN: quantized and sparsity measured on calibration digits from the
    training set, folded onto the sparse engine, emitted and built; plus held-out digits."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network
    from fpga_sdf.api import run_pass
    from fpga_sdf.backend.hls import project
    from fpga_sdf.backend.hls.emit import emit, write_project
    from fpga_sdf.dialects.sdf_attrs import set_int
    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model

    model, example = digits.build()
    module = import_model(model, example)
    calibration = Path(tmp_root) / "calibration.npy"
    np.save(calibration, digits.load_train_set()[0][:64].numpy())
    run_pass(module, "sdf-quantize", f"calibration={calibration}")
    run_pass(module, "sdf-target", "platform=zc706")
    run_pass(module, "sdf-sparsity", f"data={calibration}")
    folding, buffer = DESIGNS[name]
    for flag, options in folding:
        run_pass(module, flag, options)
    set_int(dict(network.named_layers(module))["features.3"], "sparse_buffer", buffer)
    text = sdf_ir.to_text(module)
    out = Path(tmp_root) / f"digits_{name}.hls"
    write_project(emit(sdf_ir.parse(text, "sparse.mlir"), source="sparse.mlir"), str(out))
    project.build(str(out))
    x = digits.load_test_set()[0][:HELD_OUT].numpy()
    return sdf_ir.parse(text, "sparse.mlir"), out, x


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("hls_sparse"))


def _spec(module, layer: str):
    from fpga_sdf import network

    return network.layer_spec(layer, dict(network.named_layers(module))[layer])


@pytest.mark.parametrize("name", list(DESIGNS))
def test_digits_on_the_sparse_engine_bit_exact(name, tmp_root):
    from fpga_sdf.backend.hls import project
    from fpga_sdf.interp.executor import _arg_format, entry_function, execute
    from fpga_sdf.interp.fixed import quantize
    from fpga_sdf.model.spec import sparse_engine

    module, out, x = _digits_design(name, tmp_root)
    f3 = _spec(module, "features.3")
    assert sparse_engine(f3) and f3.sparsity_hist and f3.sparse_buffer == DESIGNS[name][1]
    assert sparse_engine(_spec(module, "features.0")) == (name == "k1_k3")
    y_int = project.run_integers(str(out), quantize(x, _arg_format(entry_function(module), 0)))
    fmt = project.load_schedule(str(out))["partitions"][-1]["output"]["format"]
    ref = quantize(execute(module, [x], "fixed")[0], Fixed(*fmt))
    assert y_int.shape == ref.shape
    bad = np.flatnonzero(y_int.ravel() != ref.ravel())
    assert bad.size == 0, f"{bad.size} of {ref.size} outputs differ"
    # the held-out digits are classified as by the executor (not a constant output)
    assert len(set(np.argmax(ref.reshape(len(x), -1), axis=1).tolist())) > 1


def _expected_per_window(spec, ni: int) -> list[float]:
    """Oracle: the mean cycles per window of each input stream from the measured histograms,
    max(1, ceil(n / k)) for a window of n non-zeros, channel c on stream c % NI."""
    kvol = 9
    hist = np.asarray(spec.sparsity_hist).reshape(-1, kvol + 1)
    cost = np.array([max(1, ceil(n / spec.fine)) for n in range(kvol + 1)])
    per_channel = hist @ cost
    return [float(np.mean(per_channel[s::ni])) for s in range(ni)]


@pytest.mark.parametrize("name", list(DESIGNS))
def test_emitted_sparse_engine_structure_and_expected_cycles(name, tmp_root):
    module, out, _ = _digits_design(name, tmp_root)
    spec = _spec(module, "features.3")
    ni, co = spec.coarse_in, spec.coarse_out
    cout_s, windows = 32 // co, 64 * (16 // ni)
    schedule = json.loads((out / "schedule.json").read_text())
    layer = next(e for e in schedule["partitions"][0]["cycles"]["layers"] if e["name"] == "features.3")
    assert layer["data_dependent"]
    engines = {p["name"]: p for p in layer["processes"] if p["kind"] == "conv"}
    assert sorted(engines) == [f"features_3_conv_s{s}" for s in range(ni)]
    for s, per_window in enumerate(_expected_per_window(spec, ni)):
        p = engines[f"features_3_conv_s{s}"]
        assert p["data_dependent"] and "expected" in p["loops"][0]
        assert p["cycles_per_frame"] == ceil(round(windows * cout_s * per_window, 6))
    kinds = [p["kind"] for p in layer["processes"]]
    assert kinds.count("weights_memory") == ni and kinds.count("fork") == (ni if co > 1 else 0)
    top = (out / "p0" / "src" / "p0_top.cpp").read_text()
    buffer = spec.sparse_buffer
    assert re.search(rf"depth={max(2, buffer)}\s+// sparse_buffer: {buffer} windows", top)
    if buffer * cout_s > 2:
        assert re.search(rf"depth={buffer * cout_s}\s+// sparse engine output FIFO", top)
    conv_cpp = next((out / "p0" / "src").glob("features_3*.cpp")).read_text()
    assert conv_cpp.count("sdf::sparse_conv<") == ni
    assert len(re.findall(rf", 9, {spec.fine}, {windows}, {cout_s}, {co}, \d+>\(win, weights, out, frames\)",
                          conv_cpp)) == ni
    cycles_txt = (out / "cycles.txt").read_text()
    assert re.search(r"features\.3 \*", cycles_txt) and "expected" in cycles_txt


def test_sparse_layer_with_reloaded_weights_is_refused(tmp_root):
    """Weights from off-chip memory are not emitted for the sparse engine: a diagnostic at
    the layer, file:line:col."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network
    from fpga_sdf.backend.hls.emit import emit
    from fpga_sdf.dialects.sdf_attrs import set_int
    from fpga_sdf.diagnostics import UserError

    module, _, _ = _digits_design("k1_k3", tmp_root)
    module = sdf_ir.parse(sdf_ir.to_text(module), "sparse.mlir")
    set_int(dict(network.named_layers(module))["features.3"], "wr_factor", 2)
    with pytest.raises(UserError) as err:
        emit(module, source="sparse.mlir")
    assert re.search(r"\S+:\d+:\d+: error: the sparse engine's weights from off-chip memory "
                     r"\(weights reloading", str(err.value))


def test_emitted_sparse_design_compiles_in_synthesizable_style(tmp_root):
    """The sparse design's layer files and top compile with the style flags of
    test_hls_templates (no VLAs, exceptions, -pedantic-errors -Wall -Wextra -Werror), with the
    C-simulation ROMs and with the synthesis ROMs (brace lists) of the sparse weights."""
    from fpga_sdf.backend.hls import csim

    _, out, _ = _digits_design("k1_k3", tmp_root)
    part = out / "p0"
    sources = sorted(part.glob("src/*.cpp"))
    inc = ["-I", str(part), "-I", str(out / "include")]
    unity = "".join(f'#include "{p}"\n' for p in sources)
    csim.compile_program(unity, flags=csim.SYNTH_STYLE_FLAGS + tuple(inc), link=False)
    sparse = next(p for p in sources if "sdf::sparse_conv<" in p.read_text() and "features_3" in p.name)
    src = sparse.read_text().replace("#ifdef __SYNTHESIS__", "#if 1")
    csim.compile_program(src, flags=csim.SYNTH_STYLE_FLAGS + tuple(inc), link=False)


def test_counted_cycles_follow_the_data(tmp_root):
    """The C-simulation counts each engine's loop iterations on the held-out digits: on
    features.0 (k = 1, the quantized image) exactly cout_s x sum over windows of max(1, n),
    computed here from the image; on features.3 the mean cycles from the histograms
    --sdf-sparsity measures on those same digits (rounded to 1e-4, hence 0.5%). Printed
    beside the expectation from the calibration digits that the emitted cycles state."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf.api import run_pass
    from fpga_sdf.backend.hls.runtime import CsimDevice, Runtime
    from fpga_sdf.interp.executor import _arg_format, entry_function
    from fpga_sdf.interp.fixed import quantize

    module, out, x = _digits_design("k1_k3", tmp_root)
    x_int = quantize(x, _arg_format(entry_function(module), 0))
    device = CsimDevice(str(out))
    Runtime(str(out), device).run(x_int)
    counted = {k: int(v) for k, v in re.findall(r"csim: (\w+) cycles (\d+)", "".join(device.stdout))}
    assert sorted(counted) == ["features_0_conv_s0", "features_3_conv_s0", "features_3_conv_s1"]
    # features.0: 16 filters per window of the zero-padded image, max(1, n) cycles each
    padded = np.pad(x_int[:, 0] != 0, ((0, 0), (1, 1), (1, 1)))
    n = sum(padded[:, i:i + 8, j:j + 8].astype(int) for i in range(3) for j in range(3))
    assert counted["features_0_conv_s0"] == 16 * int(np.maximum(1, n).sum())
    # features.3: the statistics of the same held-out digits
    held = Path(tmp_root) / "held_out.npy"
    np.save(held, x)
    measured = sdf_ir.parse(sdf_ir.to_text(module), "held.mlir")
    run_pass(measured, "sdf-sparsity", f"data={held}")
    spec, calibrated = _spec(measured, "features.3"), _spec(module, "features.3")
    windows, cout_s = 64 * 8, 16
    schedule = json.loads((out / "schedule.json").read_text())
    layer = next(e for e in schedule["partitions"][0]["cycles"]["layers"] if e["name"] == "features.3")
    emitted = {p["name"]: p["cycles_per_frame"] for p in layer["processes"]}
    for s, per_window in enumerate(_expected_per_window(spec, 2)):
        name = f"features_3_conv_s{s}"
        per_frame = counted[name] / len(x)
        print(f"{name}: {per_frame:.0f} cycles/frame counted on {len(x)} held-out digits, "
              f"{windows * cout_s * per_window:.0f} from their histogram, {emitted[name]} emitted "
              f"(expected from the calibration digits, {_expected_per_window(calibrated, 2)[s]:.4f} per window)")
        assert per_frame == pytest.approx(windows * cout_s * per_window, rel=5e-3)
