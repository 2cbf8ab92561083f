"""PASS's sparse engine (seed 003) in the RTL backend, through Verilator.

Module level: the sparse conv on synthetic windows with known zero patterns (0..K non-zeros
at random taps, so the banded crossbar routes taps from every part of the window) computes
every dot product bit for bit (numpy oracle) and spends exactly max(1, ceil(n / k)) cycles on
a window of n non-zeros per filter; the sparse weights memory streams one word of K weights per
dot product in the conv's order; the sparse buffer passes windows unchanged. The generator
table builds these for a layer on the sparse engine and the dense ones otherwise.

End to end: the trained digits network with sparsity measured on held-out digits
(`--sdf-sparsity data=...`), features.3 on the sparse engine with k = 3 MACs per 3x3 window
and coarse_in = 2, simulated on held-out digits: bit-exact against the fixed-point executor,
and each layer's measured cycles per frame within 5% of the model's figure from the
measured statistics.
"""

from __future__ import annotations

import hashlib
from math import ceil
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf.backend.rtl import generators, module_sim, sparse_buffer, sparse_conv, sparse_weights
from fpga_sdf.backend.rtl.mac_common import MacPlan, unit_index
from fpga_sdf.backend.rtl.streams import ModuleParams, StreamType
from fpga_sdf.model import expand
from fpga_sdf.model.spec import LayerSpec, sparse_engine

pytestmark = [pytest.mark.rtlsim]

X, W, ACC = StreamType(8, 4, 9), StreamType(8, 5, 9), StreamType(24, 9, 1)
K = 9


def sparse_spec(fine=3, c=2, f=4, co=2, ci=1, buffer=0, dense=False):
    return LayerSpec("sp", "conv", ((c, 4, 4),), ((f, 4, 4),), kernel=(3, 3), stride=(1, 1),
                     pad=(1, 1, 1, 1), dilation=(1, 1), has_bias=True, coarse_in=ci, coarse_out=co,
                     fine=fine, data_width=8, weight_width=8, acc_width=24,
                     sparsity=(0.5,) * c, sparse_buffer=buffer, dense_engine=dense)


def params(spec, kind, instance, inputs, outputs, data=None, tag="sp"):
    models = {m.name: m for m in expand(spec)}
    name = "t" + hashlib.sha1(repr((spec, kind, instance, tag)).encode()).hexdigest()[:10]
    return ModuleParams(kind, spec.name, instance, {}, inputs, outputs, spec=spec,
                        model=models.get(kind), params=data or {}, name=f"{name}_{kind}{instance}")


def windows_with_zeros(count, rng):
    """`count` windows, window m holding m % (K + 1) non-zeros at random taps."""
    win = np.zeros((count, K), dtype=np.int64)
    for m in range(count):
        taps = rng.choice(K, size=m % (K + 1), replace=False)
        win[m, taps] = rng.choice([-1, 1], size=len(taps)) * rng.integers(1, 128, size=len(taps))
    rng.shuffle(win)  # zero counts in no particular order
    return win


@pytest.mark.parametrize("fine", [1, 2, 3, 4, 5, 8])
def test_sparse_conv_cycles_per_window_and_dot_products(fine):
    rng = np.random.default_rng(fine)
    spec = sparse_spec(fine=fine)
    assert sparse_engine(spec)
    instance = 1  # unit (g, i, j) = (0, 0, 1): filters 1 and 3 of channels 0, 1
    plan = MacPlan(spec, *unit_index(spec, instance), sparse=True)
    weights = rng.integers(-128, 128, size=(4, 2, 3, 3))
    rows = plan.weight_words(weights)  # (ch_s * cout_s, K)
    frames = 2
    count = frames * 16 * plan.ch_s
    win = windows_with_zeros(count, rng)
    # the weights words in the order the memory streams them: per window, its channel's filters
    order = [(m % plan.ch_s) * plan.cout_s + t for m in range(count) for t in range(plan.cout_s)]
    w_words = rows[order]
    p = params(spec, "conv", instance, [X, W], [ACC])
    cls = sparse_conv.generate(p)
    out = module_sim.simulate(cls, [X, W], [ACC], [win, w_words], expect=[len(order)])[0]
    expect = np.einsum("dk,dk->d", np.repeat(win, plan.cout_s, axis=0), w_words)
    assert np.array_equal(out.values[:, 0], expect)
    n = np.count_nonzero(np.repeat(win, plan.cout_s, axis=0), axis=1)
    cost = np.maximum(1, -(-n // fine))
    # the conv never waits for its inputs here, so dot d + 1 leaves cost[d + 1] cycles after d
    assert np.array_equal(np.diff(out.cycles), cost[1:])
    # and the same words under a back-pressured output
    again = module_sim.simulate(cls, [X, W], [ACC], [win, w_words], expect=[len(order)], backpressure=0.4)[0]
    assert np.array_equal(again.values[:, 0], expect)


def test_sparse_weights_memory_streams_one_word_of_k_weights_per_dot_product():
    rng = np.random.default_rng(7)
    spec = sparse_spec(fine=2)
    weights = rng.integers(-128, 128, size=(4, 2, 3, 3))
    p = params(spec, "weights_memory", 1, [], [W], {"weights": weights})
    g, i, j = unit_index(spec, 1)
    filters = [x for x in range(4) if x % 2 == j]
    # oracle straight from the weights tensor: channel-major, then the unit's filters, K taps
    oracle = np.array([weights[x, ch].reshape(-1) for ch in range(2) for x in filters])
    assert np.array_equal(sparse_weights.image(p), oracle)
    out = module_sim.simulate(sparse_weights.generate(p), [], [W], [], expect=[3 * len(oracle)],
                              backpressure=0.3)[0]
    assert np.array_equal(out.values, np.tile(oracle, (3, 1)))


@pytest.mark.parametrize("depth", [1, 4])
def test_sparse_buffer_passes_windows_unchanged(depth):
    rng = np.random.default_rng(3)
    spec = sparse_spec(buffer=depth)
    p = params(spec, "sparse_buffer", 0, [X], [X])
    win = windows_with_zeros(50, rng)
    out = module_sim.simulate(sparse_buffer.generate(p), [X], [X], [win], expect=[50], backpressure=0.5)[0]
    assert np.array_equal(out.values, win)


def test_generator_table_picks_the_engine_from_the_layer():
    sparse, dense = sparse_spec(fine=3), sparse_spec(fine=3, dense=True)
    weights = np.zeros((4, 2, 3, 3), dtype=np.int64)
    assert not sparse_engine(dense)
    # the sparse conv reads K weights per word; the dense one `fine` (and refuses K); at 8 bits
    # the dense layer's two coarse_out units are one pair (two weights streams, two results)
    generators.generator("conv")(params(sparse, "conv", 0, [X, W], [ACC]))
    with pytest.raises(ValueError, match="9 taps / 9 weights / 1 sums per word, expected 9 / 3 / 1"):
        generators.generator("conv")(params(dense, "conv", 0, [X, W, W], [ACC, ACC]))
    generators.generator("weights_memory")(params(sparse, "weights_memory", 0, [], [W], {"weights": weights}))
    narrow = StreamType(8, 5, 3)
    with pytest.raises(ValueError, match="sparse engine reads one word of K = 9 weights"):
        generators.generator("weights_memory")(params(sparse, "weights_memory", 0, [], [narrow],
                                                      {"weights": weights}))
    assert generators.generator("sparse_buffer") is sparse_buffer.generate


# ------------------------------------------------------------------ end to end: digits

FRAMES = 3
SPARSE_FOLDING = [("sdf-fold", "fine=9 layers=features.0"),  # k = K: the dense engine
                  ("sdf-fold", "coarse_in=2 coarse_out=2 fine=3 layers=features.3")]  # sparse, 2 streams
BUFFER = 16  # windows of FIFO per input stream before features.3's sparse engines


def _digits(tmp_root: str):
    """The trained digits CNN, quantized, sparsity measured on held-out digits, folded."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network
    from fpga_sdf.api import run_pass
    from fpga_sdf.dialects.sdf_attrs import set_int
    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model

    model, example = digits.build()
    module = import_model(model, example)
    x = digits.load_test_set()[0].numpy()[:FRAMES]
    held = Path(tmp_root) / "held_out.npy"
    np.save(held, x)
    run_pass(module, "sdf-quantize", f"calibration={held}")
    run_pass(module, "sdf-target", "platform=zc706")
    run_pass(module, "sdf-sparsity", f"data={held}")
    for flag, options in SPARSE_FOLDING:
        run_pass(module, flag, options)
    ops = dict(network.named_layers(module))
    set_int(ops["features.3"], "sparse_buffer", BUFFER)
    return sdf_ir.to_text(module), x




def test_digits_on_the_sparse_engine_bit_exact_and_cycles_within_5_percent(tmp_path):
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network
    from fpga_sdf.backend.rtl import sim
    from fpga_sdf.backend.rtl.emit import emit, write_project
    from fpga_sdf.interp.executor import _arg_format, entry_function, execute
    from fpga_sdf.interp.fixed import Fixed, quantize

    text, x = _digits(str(tmp_path))
    module = sdf_ir.parse(text, "sparse.mlir")
    spec = network.layer_spec("features.3", dict(network.named_layers(module))["features.3"])
    assert sparse_engine(spec) and spec.fine == 3 and spec.coarse_in == 2 and spec.sparsity_hist
    out = tmp_path / "digits_sparse.rtl"
    write_project(emit(sdf_ir.parse(text, "sparse.mlir"), source="sparse.mlir"), str(out))
    y_int, stats = sim.run_integers(str(out), quantize(x, _arg_format(entry_function(module), 0)))
    fmt = sim.load_manifest(str(out))["partitions"][-1]["output"]["format"]
    ref = quantize(execute(module, [x], "fixed")[0], Fixed(*fmt))
    assert np.array_equal(y_int.ravel(), ref.ravel())
    for layer in stats["layers"]:
        print(f"{layer['name']}: {layer['cycles_per_frame']:.0f} cycles/frame measured, "
              f"{layer['model_cycles_per_frame']} modelled")
    off = [(layer["name"], layer["cycles_per_frame"], layer["model_cycles_per_frame"])
           for layer in stats["layers"]
           if abs(layer["cycles_per_frame"] - layer["model_cycles_per_frame"]) > 0.05 * layer["model_cycles_per_frame"]]
    assert not off, off
