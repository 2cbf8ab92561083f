"""Two 8-bit products per DSP in the HLS conv (issue 14): a p-pixel unit's q MAC arrays share
each weight, so the HLS conv pairs their lanes in one packed multiply where the model counts it
(model/dsp.py `packs` / `mac_dsp`, backend/hls/conv.lane_pairs, templates/conv.hpp
`packed_products`). Checked in the g++ C-simulation against the fixed-point executor on
random signed 8-bit data and weights including -128 (the product 16384 that needs every bit
of the low part), and on the 8-bit digits network; and structurally: the multiplies one
conv_loop iteration makes in the C-simulation (each one an operator Vitis builds at II=1)
equal the DSPs the model counts for the layer's MAC units."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf import weights as weight_store
from fpga_sdf.api import run_pass
from fpga_sdf.backend.hls import cycles
from fpga_sdf.backend.hls.render import TB_FLAGS
from fpga_sdf.dialects import sdf
from fpga_sdf.dialects.sdf_attrs import set_int, set_ints
from fpga_sdf.interp.executor import _arg_format, entry_function
from fpga_sdf.interp.fixed import Fixed
from fpga_sdf.model import expand
from fpga_sdf.model.dsp import families, module_dsp, packs, pairs_units, sums_coarse_in

from hls_tb import run_project

pytestmark = [pytest.mark.csim]

COUNT = re.compile(r"csim: loop (\w+)/(\w+) iterations (\d+)")


def _run(text: str, x: np.ndarray, out: Path, monkeypatch):
    """Emit, build with the multiply counter and C-simulate `text` on x: (project, integer
    output, the executor's integer output, {(process, loop): iterations})."""
    monkeypatch.setenv("CXXFLAGS", " ".join(TB_FLAGS + ("-DSDF_COUNT_MULTIPLIES",)))
    proj, y, ref, stdout = run_project(sdf_ir.parse(text, "net.mlir"), x, out, reference=sdf_ir.parse(text, "net.mlir"))
    counts = {(proc, label): int(n) for proc, label, n in COUNT.findall(stdout)}
    return proj, y, ref, counts


def _check_intervals(proj) -> None:
    """Every layer's HLS cycle formula is the model's interval (packing changes no cycle)."""
    figures = [(lay.name, cycles.layer_interval(lay), lay.model_interval)
               for part in proj.partitions for lay in part.layers]
    assert all(h == m for _, h, m in figures), figures


def _check_multiplies(text: str, proj, counts: dict, layer: str) -> tuple[int, int]:
    """The C-simulation's multiplies per conv_loop iteration of `layer`'s MAC units equal the
    DSPs the model counts for them (model.dsp.module_dsp) on every family; returns them and
    the products the model's MAC arrays compute a cycle."""
    module = sdf_ir.parse(text, "net.mlir")
    spec = next(network.layer_spec(n, op) for n, op in network.named_layers(module) if n == layer)
    conv = next(m for m in expand(spec) if m.name == "conv")
    proc = next(p.name for part in proj.partitions for lay in part.layers if lay.name == layer
                for p in lay.processes if p.kind == "conv")
    per_cycle, rem = divmod(counts[(proc, "multiplies")], counts[(proc, "conv_loop")])
    assert rem == 0, counts
    for family in families():
        assert per_cycle == module_dsp(conv, family), (family, per_cycle, conv)
    return per_cycle, conv.instances * conv.mults * int(conv.lanes)


def _random_layer(kind: str, p: int, folds: str, bits: int, tmp: Path) -> tuple[str, np.ndarray]:
    """One layer quantized to `bits` (a 3x3 conv 2 -> 4 channels on 12x12, pad 1, or an inner
    product 2x4x4 -> 4), then given random integer weights including -128 at its weights'
    binary point, a wide accumulator (the quantizer sized it for the old weights) and
    `pixels` (p, 1); the input is random integers at the input's binary point, so the
    C-simulation reads exactly them (-128 included)."""
    import torch
    import torch.nn as nn

    from fpga_sdf.frontend.importer import import_model

    torch.manual_seed(3)
    shape = {"conv": (2, 12, 12), "pointwise": (4, 6, 6)}.get(kind, (2, 4, 4))
    net = {"conv": lambda: nn.Conv2d(2, 4, 3, padding=1), "pointwise": lambda: nn.Conv2d(4, 4, 1),
           "inner_product": lambda: nn.Sequential(nn.Flatten(), nn.Linear(32, 4))}[kind]().eval()
    rng = np.random.default_rng(p * 10 + bits)
    module = import_model(net, torch.randn(1, *shape))
    np.save(tmp / "calib.npy", np.random.default_rng(0).standard_normal((4, *shape)).astype(np.float32))
    run_pass(module, "sdf-quantize", f"weights={bits} activations={bits} calibration={tmp / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zc706")
    if folds:
        run_pass(module, "sdf-fold", folds)
    hi = 1 << (bits - 1)
    with module.context:
        (name, op), = [(n, op) for n, op in network.named_layers(module)
                       if op.operation.name in ("sdf.conv", "sdf.inner_product")]
        w_op = op.operation.operands[1].owner
        frac = Fixed(*sdf.fixed_value(w_op.attributes["output_format"])).frac
        w = rng.integers(-hi, hi, size=weight_store.read(w_op.opview).shape)
        w.ravel()[:3] = -hi
        w_op.attributes["value"] = weight_store.inline_attr((w * 2.0 ** -frac).astype(np.float32))
        set_int(op, "acc_width", 32 if bits == 8 else 48)
        if p > 1:
            set_ints(op, "pixels", (p, 1))
        x_frac = _arg_format(entry_function(module), 0).frac
    x_int = rng.integers(-hi, hi, size=(2, *shape))
    x_int.ravel()[:4], x_int.ravel()[4:6] = -hi, hi - 1
    return sdf_ir.to_text(module), name, (x_int * 2.0 ** -x_frac).astype(np.float32)


# ------------------------------------------------------------------- random 8-bit data


# (layer, pixels, folds, bits, multiplies a cycle, products a cycle), counted by hand
CASES = [
    ("conv", 2, "fine=9", 8, 9, 18),                # lane pair: 9 packed multiplies
    ("conv", 3, "fine=9", 8, 18, 27),               # a lane pair and a lone lane
    ("conv", 2, "fine=9", 16, 18, 18),              # 16-bit products do not pack
    # unit pairs (coarse_out units j, j + 1 read one window): every tap times both weights
    ("conv", 1, "coarse_out=2 fine=9", 8, 9, 18),   # one pair, no fork
    ("conv", 4, "coarse_out=2 fine=3", 8, 12, 24),  # 4 lanes of a pair
    ("conv", 3, "coarse_out=4 fine=3", 8, 18, 36),  # 2 pairs behind a 2-way fork, odd lanes
    ("inner_product", 1, "coarse_out=2", 8, 1, 2),
    ("conv", 1, "coarse_out=2 fine=9", 16, 18, 18),  # 16 bits: two plain units
    # a 1x1 conv 4 -> 4: one module adds its coarse_in units (dsp.sums_coarse_in), no glue
    ("pointwise", 1, "coarse_in=2 coarse_out=2", 8, 2, 4),  # the 2 unit pairs of a stream pair
    ("pointwise", 1, "coarse_in=4", 8, 4, 4),  # 4 units, one product each
    ("pointwise", 2, "coarse_in=2", 8, 2, 4),  # 2 lanes sharing each weight, paired
]


@pytest.mark.parametrize("kind, p, folds, bits, multiplies, products", CASES)
def test_packed_products_bit_exact_on_random_data(kind, p, folds, bits, multiplies, products, tmp_path,
                                                  monkeypatch):
    """Bit-exact against the executor on random weights and data including -128, with the
    hand-counted multiplies per cycle, which are the model's DSPs."""
    text, layer, x = _random_layer(kind, p, folds, bits, tmp_path)
    proj, y, ref, counts = _run(text, x, tmp_path / "hls", monkeypatch)
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    assert packs(8, 8) and not packs(16, 16)
    _check_intervals(proj)
    got = _check_multiplies(text, proj, counts, layer)
    print(f"{kind} p={p} {folds} w{bits}a{bits}: {got[0]} multiplies a cycle for {got[1]} products")
    assert got == (multiplies, products)


# ------------------------------------------------------------------------- 8-bit digits


@pytest.mark.parametrize("p", [2, 4])
def test_digits_8bit_bit_exact_with_the_models_dsps(p, tmp_path, monkeypatch):
    """The trained digits network at w8a8 on held-out digits, features.0 (coarse_out 16,
    fine 9) and its ReLU at p pixels, one partition: bit-exact against the executor, every
    layer at the model's interval, and every MAC layer's multiplies a cycle the model's DSPs
    (features.0's 16 x 9 x p products in 16 x 9 x p / 2 packed multiplies)."""
    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model

    model, x1 = digits.build()
    x = digits.load_test_set()[0].numpy()[:3]
    module = import_model(model, x1)
    np.save(tmp_path / "calib.npy", x)
    run_pass(module, "sdf-quantize", f"weights=8 activations=8 calibration={tmp_path / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zc706")
    run_pass(module, "sdf-fold", "coarse_out=16 fine=9 layers=features.0")
    with module.context:
        for name, op in network.named_layers(module):
            if name in ("features.0", "features.2"):
                set_ints(op, "pixels", (p, 1))
    text = sdf_ir.to_text(module)
    proj, y, ref, counts = _run(text, x, tmp_path / "hls", monkeypatch)
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    _check_intervals(proj)
    macs = [n for n, op in network.named_layers(sdf_ir.parse(text, "net.mlir"))
            if op.operation.name in ("sdf.conv", "sdf.inner_product")]
    figures = {n: _check_multiplies(text, proj, counts, n) for n in macs}
    print(f"digits w8a8 p={p}: (multiplies, products) a cycle per MAC layer: {figures}")
    assert figures["features.0"] == (16 * 9 * p // 2, 16 * 9 * p)


def test_reported_dsps_are_the_built_multiplies_for_a_unit_pair(tmp_path, monkeypatch):
    """What the resource report (model.resources.module_resources) counts for a one-pixel
    8-bit unit pair (coarse_out 2, fine 9) is the 9 multiplies a cycle the C-simulation makes."""
    from fpga_sdf.model.resources import module_resources

    text, layer, x = _random_layer("conv", 1, "coarse_out=2 fine=9", 8, tmp_path)
    proj, _, _, counts = _run(text, x, tmp_path / "hls", monkeypatch)
    proc = next(p.name for part in proj.partitions for lay in part.layers for p in lay.processes if p.kind == "conv")
    built = counts[(proc, "multiplies")] // counts[(proc, "conv_loop")]
    module = sdf_ir.parse(text, "net.mlir")  # held: its ops die with it
    spec = next(network.layer_spec(n, op) for n, op in network.named_layers(module) if n == layer)
    conv = next(m for m in expand(spec) if m.name == "conv")
    assert [module_resources(conv, f, False).dsp for f in families()] == [built] * len(families()) == [9, 9]


def summing_tiny_mobilenet(tmp):
    """tiny_mobilenet at 8 bits with every 1x1 conv at coarse_in 2 and coarse_out 2 where its
    channels allow: each output stream pair is one conv module of 2 unit pairs that adds its
    coarse_in units itself (model.dsp.sums_coarse_in), no glue. Returns (IR text, frames)."""
    from fpga_sdf.model.folding import check_folding

    from multipixel_nets import zoo_quantized

    module, frames = zoo_quantized("tiny_mobilenet", tmp, "weights=8 activations=8")
    summed = []
    for name, op in network.named_layers(module):
        spec = network.layer_spec(name, op)
        folded = replace(spec, coarse_in=2, coarse_out=2)
        if spec.kind == "conv" and sums_coarse_in(folded) and not check_folding(folded):
            set_int(op, "coarse_in", 2)
            set_int(op, "coarse_out", 2)
            summed.append(name)
    specs = [network.layer_spec(n, op) for n, op in network.named_layers(module) if n in summed]
    assert len(specs) >= 2 and all(pairs_units(s) for s in specs), summed
    assert all("glue" not in {m.name for m in expand(s)} for s in specs)
    return sdf_ir.to_text(module), frames


def test_tiny_mobilenet_with_summing_1x1_modules(tmp_path, monkeypatch):
    """The same network as the RTL test (test_rtl_dsp_packing): C-simulated bit-exact against
    the executor, every layer at the model's interval and every MAC layer's multiplies a
    cycle the model's DSPs."""
    text, frames = summing_tiny_mobilenet(tmp_path)
    proj, y, ref, counts = _run(text, frames, tmp_path / "hls", monkeypatch)
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    _check_intervals(proj)
    module = sdf_ir.parse(text, "net.mlir")
    for name, op in network.named_layers(module):
        if op.operation.name == "sdf.conv" and sums_coarse_in(network.layer_spec(name, op)):
            _check_multiplies(text, proj, counts, name)
