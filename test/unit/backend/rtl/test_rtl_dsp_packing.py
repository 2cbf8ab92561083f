"""Two 8-bit products per DSP (issue 14, docs/notes/rtl-backend.md "DSP packing"): a p-pixel
conv unit's q MAC arrays multiply by one weights word, so backend/rtl/mac_common.lane_products
pairs their lanes in one packed multiply (model/dsp.py `packs`); two units fed one window are
one unit pair multiplying each tap by both units' weights at once (`pairs_units`). Checked bit for bit in Verilator against numpy dot products over random
signed 8-bit data and weights including -128 (the product 16384 that needs every bit of the
low part), through a whole network against the fixed-point executor, and in yosys: the packed
unit takes half the DSPs of the unpacked one, as the model counts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from fpga_sdf.backend.rtl import conv, module_sim
from fpga_sdf.backend.rtl.mac_common import MacPlan
from fpga_sdf.backend.rtl.streams import StreamType
from fpga_sdf.model import expand
from fpga_sdf.model.dsp import packs, pairs_units
from fpga_sdf.model.modules import pixels_out

from test_rtl_conv_modules import X, conv_spec, params

pytestmark = [pytest.mark.rtlsim]

ACC_T = 24


def unit(p: int, fine: int, pack: bool = True):
    """A conv unit of a 2-filter 3x3 layer at p pixels a word (stride 1: q = p MAC arrays);
    without `pack` the model says no lanes share a weight, so the RTL builds one DSP each."""
    spec = replace(conv_spec(1, 2, (4, 8), (3, 3), pad=(1, 1, 1, 1), fine=fine), pixels=(p, 1))
    q = pixels_out(spec)
    w = np.random.default_rng(1).integers(-128, 128, size=(2, 1, 3, 3))
    w[0, 0, 0, :] = -128
    w[1, 0, 2, 2] = 127
    data = {"weights": w, "bias": np.zeros(2, np.int64)}
    x_t, w_t, acc_t = StreamType(8, X.frac, q * 9), StreamType(8, 5, fine), StreamType(ACC_T, X.frac + 5, q)
    prm = params(spec, "conv", 0, [x_t, w_t], [acc_t], data, f"pack{p}f{fine}{'p' if pack else 'u'}")
    if not pack:
        prm = replace(prm, model=replace(prm.model, weight_sharing=1))
    return spec, prm, w


def windows(q: int, count: int) -> np.ndarray:
    """`count` window words of q x 9 signed 8-bit taps: random, one all -128, one all 127,
    and one alternating the extremes between lanes."""
    x = np.random.default_rng(q).integers(-128, 128, size=(count, q * 9))
    x[0, :] = -128
    x[1, :] = 127
    x[2, :] = np.where(np.arange(q * 9) % 2, -128, 127)
    return x


@pytest.mark.parametrize("p, fine", [(2, 9), (4, 3), (3, 9)])
def test_packed_lanes_are_bit_exact(p, fine):
    """Every dot product of every lane equals numpy's, pairs packed (and at q = 3 one lane
    alone), under back-pressure."""
    spec, prm, w = unit(p, fine)
    assert packs(8, 8) and prm.model.weight_sharing == p
    plan = MacPlan(spec, 0, 0, 0)
    q, count = p, 12
    x = windows(q, count)
    weights = np.tile(plan.weight_words(w), (count, 1))
    out, = module_sim.simulate(conv.generate(prm), prm.inputs, prm.outputs, [x, weights],
                               expect=[count * plan.cout_s], backpressure=0.3)
    taps = x.reshape(count, q, 9)
    expected = np.einsum("nqk,fk->nfq", taps, w.reshape(2, 9)).reshape(-1, q)
    assert np.array_equal(np.asarray(out.values), expected)


def pair(p: int, fine: int):
    """Units (0, 0, 0) and (0, 0, 1) of a 4-filter 3x3 layer at coarse_out 2 (two filters per
    unit) and p pixels a word, as the one paired conv module the model costs."""
    spec = replace(conv_spec(1, 4, (4, 8), (3, 3), pad=(1, 1, 1, 1), co=2, fine=fine), pixels=(p, 1))
    q = pixels_out(spec)
    w = np.random.default_rng(2).integers(-128, 128, size=(4, 1, 3, 3))
    w[0, 0, 0, :] = -128
    w[1, 0, 1, :] = -128
    w[3, 0, 2, 2] = 127
    data = {"weights": w, "bias": np.zeros(4, np.int64)}
    x_t, w_t, acc_t = StreamType(8, X.frac, q * 9), StreamType(8, 5, fine), StreamType(ACC_T, X.frac + 5, q)
    prm = params(spec, "conv", 0, [x_t, w_t, w_t], [acc_t, acc_t], data, f"pair{p}f{fine}")
    return spec, prm, w


@pytest.mark.parametrize("p, fine", [(1, 9), (1, 3), (3, 9)])
def test_unit_pair_is_bit_exact(p, fine):
    """A unit pair (x times both units' weights in one packed multiply) computes every dot
    product of both units equal to numpy's, at one pixel a word and with an odd lane count
    (where the lane packing leaves a lane alone), under back-pressure."""
    spec, prm, w = pair(p, fine)
    assert pairs_units(spec) and prm.model.input_sharing == 2
    plans = [MacPlan(spec, 0, 0, j) for j in (0, 1)]
    q, count = pixels_out(spec), 12
    x = windows(q, count)
    words = [np.tile(plan.weight_words(w), (count, 1)) for plan in plans]
    outs = module_sim.simulate(conv.generate(prm), prm.inputs, prm.outputs, [x] + words,
                               expect=[count * plans[0].cout_s] * 2, backpressure=0.3)
    taps = x.reshape(count, q, 9)
    for plan, out in zip(plans, outs):
        filters = w.reshape(4, 9)[plan.filters[0]]
        expected = np.einsum("nqk,fk->nfq", taps, filters).reshape(-1, q)
        assert np.array_equal(np.asarray(out.values), expected), plan.filters


@pytest.mark.synth
@pytest.mark.parametrize("family", ["ultrascale+", "7series"])
def test_packed_unit_maps_to_half_the_dsps(family):
    """yosys synth_xilinx: a unit of 2 MAC arrays x 9 multipliers takes 9 slices packed and 18
    unpacked, on DSP48E2 and on DSP48E1 (the 25-bit packed operand fits both wide ports), and
    the model counts each exactly."""
    from fpga_sdf.backend.rtl import synth

    got = {}
    for pack in (True, False):
        _, prm, _ = unit(2, 9, pack)
        got[pack] = synth.synthesise_module(conv.generate(prm), family).dsp
        assert got[pack] == synth.model_resources(prm.model, family)["dsp"], (pack, got)
    assert got == {True: 9, False: 18}


@pytest.mark.synth
@pytest.mark.parametrize("family", ["ultrascale+", "7series"])
@pytest.mark.parametrize("p, dsp", [(1, 9), (2, 18)])
def test_unit_pair_maps_to_half_the_dsps(family, p, dsp):
    """yosys synth_xilinx: a unit pair of 9 taps x p lanes takes p x 9 slices (two units
    alone: 2 x 9 p, or 2 x 9 at p = 2 with their lanes packed), on DSP48E2 and DSP48E1 (the
    25-bit packed weight operand fits both), as model.dsp.module_dsp counts it."""
    from fpga_sdf.backend.rtl import synth
    from fpga_sdf.model.dsp import module_dsp

    _, prm, _ = pair(p, 9)
    got = synth.synthesise_module(conv.generate(prm), family).dsp
    assert got == dsp == module_dsp(replace(prm.model, instances=1), family)


def _digits_design(p: int, tmp) -> str:
    """The trained digits network at 8 bits, its first ReLU and second conv (16 -> 32
    channels, 8-bit data: a window a cycle on 32 output streams, fine 9) at p pixels a word in
    a partition of their own. (Not the first conv: the model reads a network or partition
    input's width as 16 bits, network._format_width's default; see the report of issue 14.)"""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf.api import run_pass
    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model

    from test_rtl_multipixel import _digits_inputs, with_pixels

    model, x = digits.build()
    module = import_model(model, x)
    calib = tmp / "calib.npy"
    np.save(calib, _digits_inputs())
    run_pass(module, "sdf-quantize", f"weights=8 activations=8 calibration={calib}")
    run_pass(module, "sdf-target", "platform=zcu102")
    run_pass(module, "sdf-fold", "coarse_out=32 fine=9 layers=features.3")
    run_pass(module, "sdf-partition", "cuts=features.0,features.3")
    return with_pixels(sdf_ir.to_text(module), {"features.2": p, "features.3": p})


@pytest.mark.parametrize("p", [1, 2, 4])
def test_digits_at_8_bits_with_packed_conv(p, tmp_path):
    """End to end through `emit` and Verilator: the 8-bit digits network with its second
    conv's 32 units paired two per DSP (16 unit pairs, each tap of every lane times both
    units' weights), bit-exact against the fixed-point executor, every layer and partition
    within 3% of the model's cycles; the model counts half its multipliers as DSPs."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network
    from fpga_sdf.model.dsp import module_dsp

    from test_rtl_multipixel import _digits_inputs, off_model, simulate_design

    text = _digits_design(p, tmp_path)
    module = sdf_ir.parse(text, "d.mlir")
    spec = dict((n, network.layer_spec(n, op)) for n, op in network.named_layers(module))["features.3"]
    assert (spec.data_width, spec.weight_width, spec.pixels) == (8, 8, (p, 1))
    conv_module = next(m for m in expand(spec) if m.name == "conv")
    assert (conv_module.instances, conv_module.input_sharing, conv_module.weight_sharing) == (16, 2, p)
    # 32 units x 9 multipliers x p lanes, two products a slice
    assert sum(module_dsp(m, "ultrascale+") for m in expand(spec)) == 32 * 9 * p // 2
    figures = simulate_design(text, _digits_inputs(), tmp_path, f"digits8_p{p}.mlir")
    # the packed conv and its partition (p1), and the single-pixel rest (p2: ReLU, pool,
    # classifier at 5,120 cycles a frame, its 512 words x 10 filters) behind the FIFO of
    # fifo_depths.window_gap_depth between the pool and the inner product (without it:
    # 6,080, the classifier idle through the pool's four runs of 288 words a frame)
    assert len(figures) == 9 and not off_model(figures), figures


def test_tiny_mobilenet_at_8_bits_with_unit_pairs(tmp_path):
    """The zoo's tiny_mobilenet at 8 bits, every convolution and inner product without groups
    at coarse_out 2 (where its filters allow), so each pair of units reads one window and
    multiplies it by both units' weights in one packed DSP; the rest (the depthwise convs)
    unpaired. Through `emit` and Verilator: bit-exact against the fixed-point executor, every
    layer and partition within 3% of the model's cycles."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network
    from fpga_sdf.dialects.sdf_attrs import set_int
    from fpga_sdf.model.folding import check_folding

    from multipixel_nets import zoo_quantized
    from test_rtl_multipixel import off_model, simulate_design

    module, frames = zoo_quantized("tiny_mobilenet", tmp_path, "weights=8 activations=8")
    paired = []
    for name, op in network.named_layers(module):
        spec = network.layer_spec(name, op)
        if spec.kind in ("conv", "inner_product") and getattr(spec, "groups", 1) == 1:
            if not check_folding(replace(spec, coarse_out=2)):
                set_int(op, "coarse_out", 2)
                paired.append(name)
    specs = [network.layer_spec(n, op) for n, op in network.named_layers(module) if n in paired]
    assert len(specs) >= 4 and all(pairs_units(s) for s in specs), paired
    assert all(next(m for m in expand(s) if m.name == "conv").input_sharing == 2 for s in specs)
    text = sdf_ir.to_text(module)
    assert not off_model(simulate_design(text, frames, tmp_path, "tiny_mobilenet_8bit_pairs.mlir"))


@pytest.mark.parametrize("p", [1, 2])
def test_tiny_mobilenet_with_summing_1x1_modules(p, tmp_path):
    """Through `emit` and Verilator: bit-exact against the fixed-point executor, every layer
    and partition within 3% of the model's cycles, with the 1x1 convs' summing modules; at
    p = 2 every layer with a row at 2 pixels a word (the summing modules' 2 lanes share each
    weight, packed)."""
    from fpga_sdf import ir as sdf_ir

    from test_hls_dsp_packing import summing_tiny_mobilenet
    from test_rtl_multipixel import _spatial_layers, off_model, simulate_design, with_pixels

    text, frames = summing_tiny_mobilenet(tmp_path)
    if p > 1:
        text = with_pixels(text, _spatial_layers(sdf_ir.parse(text, "net.mlir"), p))
    assert not off_model(simulate_design(text, frames, tmp_path, f"tiny_mobilenet_8bit_summed_p{p}.mlir"))
