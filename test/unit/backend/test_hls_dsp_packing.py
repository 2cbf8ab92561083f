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
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf import weights as weight_store
from fpga_sdf.api import run_pass
from fpga_sdf.backend.hls import project
from fpga_sdf.backend.hls.emit import emit, write_project
from fpga_sdf.backend.hls.render import TB_FLAGS
from fpga_sdf.backend.hls.runtime import CsimDevice, Runtime
from fpga_sdf.dialects import sdf
from fpga_sdf.dialects.sdf_attrs import set_int, set_ints
from fpga_sdf.interp.executor import _arg_format, entry_function, execute
from fpga_sdf.interp.fixed import Fixed, quantize
from fpga_sdf.model import expand
from fpga_sdf.model.dsp import families, packs
from fpga_sdf.model.resources import module_resources

pytestmark = [pytest.mark.csim]

COUNT = re.compile(r"csim: loop (\w+)/(\w+) iterations (\d+)")


def _run(text: str, x: np.ndarray, out: Path, monkeypatch):
    """Emit, build with the multiply counter and C-simulate `text` on x: (project, integer
    output, the executor's integer output, {(process, loop): iterations})."""
    monkeypatch.setenv("CXXFLAGS", " ".join(TB_FLAGS + ("-DSDF_COUNT_MULTIPLIES",)))
    proj = emit(sdf_ir.parse(text, "net.mlir"), source="net.mlir")
    write_project(proj, str(out))
    project.build(str(out))
    module = sdf_ir.parse(text, "net.mlir")
    device = CsimDevice(str(out))
    y = Runtime(str(out), device).run(quantize(x, _arg_format(entry_function(module), 0)).reshape(x.shape))
    fmt = project.load_schedule(str(out))["partitions"][-1]["output"]["format"]
    ref = quantize(execute(module, [x], "fixed")[0], Fixed(*fmt))
    counts = {(proc, label): int(n) for proc, label, n in COUNT.findall("".join(device.stdout))}
    return proj, y.reshape(ref.shape), ref, counts


def _check_multiplies(text: str, proj, counts: dict, layer: str) -> tuple[int, int]:
    """The C-simulation's multiplies per conv_loop iteration of `layer`'s MAC units equal the
    model's DSPs for them on every family; returns (multiplies, unpacked products)."""
    module = sdf_ir.parse(text, "net.mlir")
    spec = next(network.layer_spec(n, op) for n, op in network.named_layers(module) if n == layer)
    conv = next(m for m in expand(spec) if m.name == "conv")
    proc = next(p.name for part in proj.partitions for lay in part.layers if lay.name == layer
                for p in lay.processes if p.kind == "conv")
    per_cycle, rem = divmod(counts[(proc, "multiplies")], counts[(proc, "conv_loop")])
    assert rem == 0, counts
    for family in families():
        assert per_cycle == module_resources(conv, family, False).dsp, (family, per_cycle, conv)
    return per_cycle, conv.instances * conv.mults * int(conv.lanes)


def _int_values(rng, shape, extremes: bool = True) -> np.ndarray:
    """Random signed 8-bit integers, with -128 and 127 at the front (the extreme products)."""
    v = rng.integers(-128, 128, size=shape).ravel()
    if extremes:
        v[:4], v[4:6] = -128, 127
    return v.reshape(shape)


def _random_conv(p: int, folds: str, bits: int, tmp: Path) -> tuple[str, np.ndarray]:
    """A 3x3 conv (2 -> 4 channels, 12x12, pad 1) quantized to `bits`, then given random
    integer weights including -128 at its weights' binary point, a 32-bit accumulator (the
    quantizer sized it for the old weights) and `pixels` (p, 1); the input is random integers
    at the input's binary point, so the C-simulation reads exactly them (-128 included)."""
    import torch
    import torch.nn as nn

    from fpga_sdf.frontend.importer import import_model

    torch.manual_seed(3)
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1)).eval()
    rng = np.random.default_rng(p * 10 + bits)
    module = import_model(net, torch.randn(1, 2, 12, 12))
    np.save(tmp / "calib.npy", np.random.default_rng(0).standard_normal((4, 2, 12, 12)).astype(np.float32))
    run_pass(module, "sdf-quantize", f"weights={bits} activations={bits} calibration={tmp / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zc706")
    if folds:
        run_pass(module, "sdf-fold", folds)
    with module.context:
        (name, op), = network.named_layers(module)
        w_op = op.operation.operands[1].owner
        frac = Fixed(*sdf.fixed_value(w_op.attributes["output_format"])).frac
        hi = 1 << (bits - 1)
        w = rng.integers(-hi, hi, size=weight_store.read(w_op.opview).shape)
        w.ravel()[:3] = -hi
        w_op.attributes["value"] = weight_store.inline_attr((w * 2.0 ** -frac).astype(np.float32))
        set_int(op, "acc_width", 32 if bits == 8 else 48)
        set_ints(op, "pixels", (p, 1))
        x_frac = _arg_format(entry_function(module), 0).frac
    x_int = rng.integers(-hi, hi, size=(2, 2, 12, 12))
    x_int.ravel()[:4], x_int.ravel()[4:6] = -hi, hi - 1
    return sdf_ir.to_text(module), (x_int * 2.0 ** -x_frac).astype(np.float32)



# ------------------------------------------------------------------- random 8-bit data


@pytest.mark.parametrize("p, folds, bits", [
    (2, "fine=9", 8),              # one pair: 9 packed multiplies instead of 18
    (3, "fine=9", 8),              # a pair and a lone lane: 18 instead of 27
    (4, "coarse_out=2 fine=3", 8),  # two pairs on 2 units: 12 instead of 24
    (2, "fine=9", 16),             # 16-bit products do not pack: 18 plain ones
])
def test_packed_lanes_bit_exact_on_random_data(p, folds, bits, tmp_path, monkeypatch):
    """Bit-exact against the executor on random weights and data including -128, and as many
    multiplies per cycle as the model's DSPs (packed at 8 bits: half, a lone odd lane plain;
    at 16 bits none packed)."""
    text, x = _random_conv(p, folds, bits, tmp_path)
    proj, y, ref, counts = _run(text, x, tmp_path / "hls", monkeypatch)
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    multiplies, products = _check_multiplies(text, proj, counts, "0")
    pairs = p // 2 if packs(bits, bits) else 0
    assert multiplies == products - products // p * pairs, (multiplies, products)
    print(f"p={p} {folds} w{bits}a{bits}: {multiplies} multiplies a cycle for {products} products")
