"""Unit pairs (issue 14's DSP goal): the coarse_out units j and j + 1 of one fork read the same
window, so at 8 bits each tap times both units' weights is one packed multiply
(model/dsp.py `pairs_units`, docs/notes/rtl-backend.md "DSP packing"). The figures here are
hand-computed from the layer's folding; the RTL and yosys side is test_rtl_dsp_packing.py."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fpga_sdf.model import expand, layer_performance
from fpga_sdf.model.dsp import mac_dsp, module_dsp, pairs_units
from fpga_sdf.model.coefficients import logic_table
from fpga_sdf.model.resources import _logic
from fpga_sdf.model.spec import LayerSpec

FAMILIES = ("ultrascale+", "7series")


def conv(co: int = 4, bits: int = 8, p: int = 1, kind: str = "conv", **kw) -> LayerSpec:
    """A 3x3 conv 16 -> 8 channels on a 14x14 map (or a 64 -> 8 inner product), fine 9."""
    if kind == "inner_product":
        return LayerSpec("fc", kind, ((64,),), ((8,),), has_bias=True, coarse_out=co, fine=1,
                         data_width=bits, weight_width=bits, acc_width=24, pixels=(p, 1), **kw)
    return LayerSpec("cv", "conv", ((16, 14, 14),), ((8, 14, 14),), kernel=(3, 3), stride=(1, 1),
                     pad=(1, 1, 1, 1), dilation=(1, 1), has_bias=True, coarse_out=co, fine=9,
                     data_width=bits, weight_width=bits, acc_width=24, pixels=(p, 1), **kw)


def module(spec, name: str):
    return next(m for m in expand(spec) if m.name == name)


def test_which_layers_pair_their_units():
    assert pairs_units(conv(co=2)) and pairs_units(conv(co=8)) and pairs_units(conv(co=4, p=7))
    assert not pairs_units(conv(co=1)) and not pairs_units(conv(co=3))  # no twin for a unit
    assert not pairs_units(conv(co=4, bits=16))  # 16 x 16 products do not pack
    assert not pairs_units(replace(conv(co=4), fine=3, sparsity=(0.5,) * 16))  # PASS's engine (k < K)
    assert pairs_units(conv(co=4, sparsity=(0.5,) * 16))  # k = K: the dense engine is built
    assert pairs_units(conv(co=2, kind="inner_product"))
    assert not pairs_units(conv(co=2, kind="inner_product", p=2))  # per-pixel FCUs: other weights


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("co, p, dsp", [
    (4, 1, 2 * 9),          # 2 pairs x 9 taps: one DSP per tap of a pair (18 products each)
    (4, 7, 2 * 9 * 7),      # 7 lanes: every lane's tap paired with its twin's, none alone
    (1, 7, 9 * (3 + 1)),    # no twin: lanes 2i, 2i + 1 share the weight, lane 6 alone
    (1, 1, 9),              # one product a DSP
    (8, 2, 4 * 9 * 2),
])
def test_dsps_are_half_the_paired_products(family, co, p, dsp):
    spec = conv(co=co, p=p)
    m = module(spec, "conv")
    assert module_dsp(m, family) == dsp
    assert m.instances * m.mults * m.lanes == co * 9 * p  # every unit's products, paired or not


def test_a_pair_is_one_module_of_two_units_at_one_units_speed():
    paired, alone = conv(co=4), conv(co=4, bits=16)
    mp, ma = module(paired, "conv"), module(alone, "conv")
    assert (mp.instances, ma.instances) == (2, 4)
    assert (mp.input_sharing, mp.lanes, mp.mults) == (2, 2, 9)
    assert mp.words_out == 2 * ma.words_out and mp.words_in == ma.words_in  # both results, one window
    assert mp.interval == ma.interval == 14 * 14 * 16 * 2  # windows x 2 filters a stream x 1 step
    assert layer_performance(paired).interval == layer_performance(alone).interval
    # the fork feeds one window stream per pair (none for a single pair)
    assert module(paired, "fork").words_out == 2 * module(paired, "fork").words_in
    assert not any(m.name == "fork" for m in expand(conv(co=2)))
    # weights memories stay one per unit
    assert module(paired, "weights_memory").instances == 4


@pytest.mark.parametrize("family", FAMILIES)
def test_packing_adders_are_in_the_lut_model(family):
    """Each packed multiply's operand adder is a LUT cost of the conv module (the
    `packed_mults` coefficient, measured by yosys), for unit pairs and for lane pairs."""
    def luts(spec):
        m = module(spec, "conv")
        return _logic(m, "lut", family) * m.instances, dict(m.logic)["packed_mults"]

    pair, packed = luts(conv(co=2))
    assert packed == 9
    lanes, lane_packed = luts(conv(co=1, p=4))
    assert lane_packed == 9 * 2
    no_packing, none = luts(conv(co=1, p=4, bits=16))
    assert none == 0 and not any(m.input_sharing > 1 for m in expand(conv(co=2, bits=16)))
    # remove the feature: the LUTs drop by exactly its coefficient times the count
    m = module(conv(co=2), "conv")
    bare = replace(m, logic=tuple((k, 0 if k == "packed_mults" else v) for k, v in m.logic))
    per_packed = dict(logic_table("conv", "lut", family))["packed_mults"]
    assert per_packed >= 9  # yosys: +9.0 (UltraScale+), +47 (7-series) LUTs a packed multiply
    assert _logic(m, "lut", family) - _logic(bare, "lut", family) == pytest.approx(9 * per_packed)


def test_mac_dsp_pairs_over_the_input_only_where_it_packs():
    assert mac_dsp(9, 2, 1, 8, 8, "ultrascale+", input_sharing=2) == 9
    assert mac_dsp(9, 2, 1, 16, 16, "ultrascale+", input_sharing=2) == 18
    assert mac_dsp(9, 14, 7, 8, 8, "7series", input_sharing=2) == 63


@pytest.mark.parametrize("family", FAMILIES)
def test_layer_resources_count_the_pairs_as_the_backends_build_them(family):
    from fpga_sdf.model.resources import module_resources
    for spec in (conv(co=4), conv(co=4, p=7), conv(co=1, p=7), conv(co=2, kind="inner_product")):
        for m in expand(spec):
            assert module_resources(m, family, False).dsp == module_dsp(m, family), (spec, m.name)
