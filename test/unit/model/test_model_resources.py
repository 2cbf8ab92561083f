"""DSP, BRAM/URAM/LUTRAM mapping and layer resources, against hand computations."""

from dataclasses import replace

import pytest

from model_test_specs import conv
from fpga_sdf.model import LayerSpec, Resources, check_folding, layer_resources, load_platform
from fpga_sdf.model.dsp import dsp_per_multiplier, mac_dsp, packed_width, packs
from fpga_sdf.model.memory import bram18_blocks, lutram_luts, map_memory, uram_blocks
from fpga_sdf.model.platforms import platform_names


@pytest.mark.parametrize("a, b, family, dsp", [
    (16, 16, "7series", 1), (25, 18, "7series", 1), (18, 25, "7series", 1),
    (26, 18, "7series", 2),  # 26 bits overflow the 25-bit port; 18 on it leaves 26 on 18
    (32, 32, "7series", 4),  # 32 = 25 + 7 and 18 + 14 unsigned -> 2 x 2
    (27, 18, "ultrascale+", 1), (32, 16, "ultrascale+", 2),
    (8, 8, "7series", 1), (8, 8, "ultrascale+", 1),  # one product alone (packing: mac_dsp)
    (25, 8, "7series", 1), (25, 8, "ultrascale+", 1),  # the packed 8-bit pair's multiply
    (4, 4, "ultrascale+", 0), (4, 4, "7series", 0), (5, 4, "ultrascale+", 1),  # 8-bit products: LUTs
])
def test_dsp_per_multiplier(a, b, family, dsp):
    assert dsp_per_multiplier(a, b, family) == dsp


@pytest.mark.parametrize("width, depth, blocks", [
    (16, 1024, 1),  # 1Kx18
    (16, 1025, 2),
    (36, 512, 1),  # 512x36
    (72, 512, 2),  # one BRAM36 in SDP mode
    (1, 16384, 1), (9, 2048, 1), (10, 2048, 2),
    (144, 16, 4),  # wide and shallow: two 512x72 BRAM36 = 4 units
    (16, 524288, 512),
])
def test_bram18_aspect_ratios(width, depth, blocks):
    assert bram18_blocks(width, depth) == blocks


def test_uram_and_lutram():
    assert uram_blocks(72, 4096) == 1
    assert uram_blocks(144, 8192) == 4
    assert lutram_luts(16, 64) == 1 * 6 * 4  # RAM64M: 64x3 per 4 LUTs
    assert lutram_luts(12, 32) == 2 * 4  # RAM32M: 32x6 per 4 LUTs


def test_memory_primitive_choice():
    assert map_memory("weights", 16, 2, False) == (0, 0, 0, 32)  # registers
    assert map_memory("buffer", 16, 64, False) == (0, 0, 24, 0)  # 1024 bits: LUTRAM
    assert map_memory("weights", 16, 4096, True) == (0, 1, 0, 0)  # deep weights: URAM
    assert map_memory("weights", 16, 4096, False) == (4, 0, 0, 0)
    assert map_memory("line_buffer", 16, 4096, True) == (4, 0, 0, 0)  # only weights to URAM


def test_conv_layer_resources_hand_computed():
    # DSP: 4 * 8 MAC units * 9 multipliers, 16x16 -> 288 on 7-series
    # BRAM18: 32 weight memories of 144 bits x 16 words -> 4 units each = 128;
    #         4 streams x 2 line buffers of 16 bits x 136 words (2176 bits) -> 1 each = 8
    #         window buffers (4 words) and accumulators (4 words) fit LUTRAM
    used = layer_resources(conv(), load_platform("zc706"))
    assert used.dsp == 288
    assert used.bram18 == 136
    assert used.uram == 0
    assert used.lutram > 0 and used.lut > used.lutram and used.ff > 0


def test_precision_and_family_change_dsp():
    # at 8 bits the 8 coarse_out units of each fork pair up on the window they share: two
    # products a slice, 288 / 2; 4-bit products are LUTs; 32-bit ones take 2 x 2 slices
    zcu102 = load_platform("zcu102")
    assert layer_resources(conv(data_width=8, weight_width=8), zcu102).dsp == 144
    assert layer_resources(conv(data_width=4, weight_width=4), zcu102).dsp == 0  # LUT products
    assert layer_resources(conv(data_width=8, weight_width=8), load_platform("zc706")).dsp == 144
    assert layer_resources(conv(data_width=8, weight_width=8, coarse_out=1), zcu102).dsp == 4 * 9
    assert layer_resources(conv(data_width=32, weight_width=32), zcu102).dsp == 288 * 4


def test_fine_folding_reduces_dsp():
    assert layer_resources(conv(fine=3), load_platform("zc706")).dsp == 4 * 8 * 3


def test_large_weight_memory_goes_to_uram_where_available():
    # 2048 -> 1024 FC, ci=1, co=4: 4 banks (one per MAC unit, as the RTL builds them) of
    # 16 bits x 2048*256 = 524288 words:
    #   URAM (4K x 72): 524288 / 4096 = 128 deep x 1 wide = 128 per bank, 512 on the U250;
    #   BRAM18 (16K x 1 tiles): 524288 / 16384 x 16 = 512 per bank, 2048 on the ZCU102.
    fc = LayerSpec("fc", "inner_product", ((2048,),), ((1024,),), coarse_out=4)
    on_u250 = layer_resources(fc, load_platform("u250"))
    on_zcu102 = layer_resources(fc, load_platform("zcu102"))
    assert on_u250.uram == 4 * 128
    assert on_zcu102.uram == 0 and on_zcu102.bram18 >= 4 * 512


def test_weight_banks_are_costed_one_memory_per_mac_unit():
    # 32 banks of 16 bits x 200 words: each takes a whole BRAM18 (one 1K x 18 block, 200 of its
    # rows used), 32 in all, because the RTL builds one weights memory per MAC unit; packed
    # side by side (512 bits x 200 words, ceil(512 / 36) = 15 blocks of 512 x 36) would be
    # cheaper, but no backend builds that while PACK_WEIGHT_BANKS is off.
    from fpga_sdf.model import resources
    from fpga_sdf.model.memory import map_memory
    from fpga_sdf.model.modules import Memory

    bank = Memory("weights", 16, 200)
    assert map_memory("weights", 16, 200, False)[0] == 1
    assert map_memory("weights", 16 * 32, 200, False)[0] == 15
    assert resources.packing_is_cheaper(bank, 32, False)
    assert not resources.PACK_WEIGHT_BANKS and not resources.weights_packed(bank, 32, False)
    assert resources.memory_cost(bank, 32, False) == (32, 0, 0, 0)
    tiny = Memory("weights", 16, 32)  # 512 bits: LUTRAM, packing would only cost BRAM
    assert not resources.packing_is_cheaper(tiny, 32, False)


def test_weights_off_chip_shrinks_on_chip_memory():
    # all weights streamed: per MAC unit only the double-buffered 512-word fragment
    # (16 x 1024 -> 1 BRAM18) stays, next to the accumulator of 256 partial sums
    # (32 x 256 -> one 512x36 BRAM18): 4 units * (1 + 1)
    fc = LayerSpec("fc", "inner_product", ((2048,),), ((1024,),), coarse_out=4,
                   weights_off_chip=1.0)
    used = layer_resources(fc, load_platform("zcu102"))
    assert used.bram18 == 4 * (bram18_blocks(16, 1024) + bram18_blocks(32, 256)) == 8


def test_pixels_lanes_replicate_arithmetic():
    # p pixels per word: p MAC lanes per unit (the time-shared h > 1 of seed 004 is no longer
    # a model dimension: pixels = (p, 1), model/modules.py)
    zc706 = load_platform("zc706")
    assert layer_resources(conv(), zc706).dsp == 288
    assert layer_resources(conv(pixels=(2, 1)), zc706).dsp == 576


@pytest.mark.parametrize("a, b, packed, pack", [
    (8, 8, 25, True),  # (x_hi << 16) + x_lo: 25 bits, the DSP48E1's wide port, DSP48E2's 27
    (6, 8, 21, True),
    (8, 9, 26, False),  # 26 bits overflow the DSP48E1's 25-bit port: the RTL would not know
    (16, 16, 49, False),  # the packed operand takes more slices than two products do
    (4, 4, 13, False),  # 8-bit products are LUTs anyway
])
def test_which_lanes_pack(a, b, packed, pack):
    assert packed_width(a, b) == packed
    assert packs(a, b) == pack


@pytest.mark.parametrize("sharing, lanes, dsp", [
    (1, 2, 2 * 9 * 2),  # lanes that do not share a weight: a slice per product
    (2, 2, 2 * 9),  # one pair per weight: half
    (4, 4, 2 * 9 * 2),  # two pairs
    (3, 3, 2 * 9 * 2),  # one pair and one lane alone
])
def test_mac_dsp_pairs_lanes_sharing_a_weight(sharing, lanes, dsp):
    # 2 units x 9 multipliers per lane, 8 x 8 bits, on both families
    for family in ("7series", "ultrascale+"):
        assert mac_dsp(2 * 9, lanes, sharing, 8, 8, family) == dsp
    assert mac_dsp(2 * 9, lanes, sharing, 16, 16, "ultrascale+") == 2 * 9 * lanes  # too wide to pack


def test_multi_pixel_conv_at_8_bits_packs_its_lanes():
    # p = 2: q = 2 MAC arrays per unit share each weights word; 8-bit pairs share a slice,
    # so the 32 units x 9 multipliers x 2 lanes cost 288 DSPs, as at p = 1; 16 bits do not pack
    for board in ("zcu102", "zc706"):
        device = load_platform(board)
        assert layer_resources(conv(data_width=8, weight_width=8, pixels=(2, 1)), device).dsp == 288
        assert layer_resources(conv(data_width=8, weight_width=8, pixels=(4, 1)), device).dsp == 576
        assert layer_resources(conv(pixels=(2, 1)), device).dsp == 576
    # stride 2 at p = 4 leaves q = 2 arrays: one pair
    strided = conv(data_width=8, weight_width=8, pixels=(4, 1), stride=(2, 2), outputs=((32, 16, 16),))
    assert layer_resources(strided, load_platform("zcu102")).dsp == 288


def test_sparse_engine_costs_crossbar_logic():
    zc706 = load_platform("zc706")
    dense = layer_resources(conv(fine=3), zc706)
    sparse = layer_resources(conv(fine=3, sparsity=(0.5,) * 16), zc706)
    assert sparse.dsp == dense.dsp  # R_DSP = N_I * N_O * k (PASS eq. 1)
    assert sparse.lut > dense.lut


def test_resources_add_and_utilisation():
    total = Resources(1, 2, 3, 4, 5, 1) + Resources(10, 20, 30, 40, 50, 2)
    assert total == Resources(11, 22, 33, 44, 55, 3)
    zc706 = load_platform("zc706")
    pct = Resources(dsp=90, bram18=109).utilisation(zc706)
    assert pct["dsp"] == pytest.approx(10.0) and pct["bram18"] == pytest.approx(10.0)
    assert Resources(dsp=900).fits(zc706) and not Resources(dsp=901).fits(zc706)
    assert not Resources(uram=1).fits(zc706)


def every_kind(width):
    shape = (8, 8, 8)
    widths = dict(data_width=width, weight_width=width, acc_width=min(2 * width + 8, 64))
    return [
        LayerSpec("conv", "conv", (shape,), (shape,), kernel=(3, 3), stride=(1, 1),
                  pad=(1, 1, 1, 1), coarse_out=2, fine=3, **widths),
        LayerSpec("ip", "inner_product", (shape,), ((10,),), has_bias=True, **widths),
        LayerSpec("pool", "pool", (shape,), ((8, 4, 4),), kernel=(2, 2), stride=(2, 2),
                  mode="avg", **widths),
        LayerSpec("gp", "global_pool", (shape,), ((8, 1, 1),), mode="avg", **widths),
        LayerSpec("act", "activation", (shape,), (shape,), mode="silu", **widths),
        LayerSpec("mul", "eltwise", (shape, shape), (shape,), mode="mul", **widths),
        LayerSpec("cat", "concat", (shape, shape), ((16, 8, 8),), **widths),
        LayerSpec("split", "split", (shape,), (shape, shape), **widths),
        LayerSpec("up", "resize", (shape,), ((8, 16, 16),), mode="nearest", **widths),
        LayerSpec("bn", "scale_shift", (shape,), (shape,), **widths),
    ]


@pytest.mark.parametrize("width", [4, 8, 12, 16, 24, 32])
def test_every_kind_every_precision_every_board(width):
    for board in platform_names():
        platform = load_platform(board)
        for spec in every_kind(width):
            used = layer_resources(spec, platform)
            assert all(isinstance(v, int) and v >= 0 for v in used.as_dict().values())
            assert used.lut > 0 and used.ff > 0, (spec.name, board)
            if spec.kind in ("conv", "inner_product", "eltwise", "scale_shift") and width > 4:  # 4x4: LUTs
                assert used.dsp > 0, (spec.name, board, width)


def test_weights_memory_binding_is_the_designs_choice():
    # 3x3 conv 64 -> 64 at coarse 1: one bank of 16 bits x 36864 words (64 x 64 x 9).
    #   auto: deep enough (>= 2048) for URAM on the U250: 36864 / 4096 = 9 URAM;
    #   bram: 16 bits x 36864 words = 36 BRAM18 in 1K x 18 mode;
    #   uram on a board without URAM falls back to BRAM.
    spec = LayerSpec("c", "conv", ((64, 8, 8),), ((64, 8, 8),), kernel=(3, 3), stride=(1, 1),
                     pad=(1, 1, 1, 1), dilation=(1, 1), has_bias=True)
    u250, zcu102 = load_platform("u250"), load_platform("zcu102")
    assert layer_resources(spec, u250).uram == 9
    forced = layer_resources(replace(spec, weights_memory="bram"), u250)
    assert forced.uram == 0 and forced.bram18 >= 36
    assert layer_resources(replace(spec, weights_memory="uram"), zcu102).uram == 0
    assert check_folding(replace(spec, weights_memory="flash")) != []


def test_uram_bound_weight_banks_are_packed_as_the_hls_backend_builds_them():
    # 8 MAC units of 8-bit x 4096 weights bound to URAM: banked, each wastes 64 of a block's
    # 72 bits (8 blocks); packed side by side (64 bits x 4096 words) they are one block. The
    # HLS backend reshapes them into that one wide memory (banking reads weights_packed);
    # the RTL backend builds no URAM (it refuses the layer), and BRAM banks stay one a unit.
    from fpga_sdf.backend.hls.weights_memory import banking
    from fpga_sdf.model import expand, resources

    fc = LayerSpec("fc", "inner_product", ((512,),), ((512,),), coarse_out=8, weight_width=8, data_width=8,
                   acc_width=24)
    u250 = load_platform("u250")
    in_uram = replace(fc, weights_memory="uram")
    (module,) = [m for m in expand(in_uram) if m.name == "weights_memory"]
    assert module.instances == 8 and (module.memories[0].width, module.memories[0].depth) == (8, 512 * 512 // 8)
    # 32768 words: 8 blocks deep and one wide (64 bits) packed, against 8 x 8 banked
    assert map_memory("weights", 8, 32768, True, "uram")[1] == 8
    assert resources.memory_cost(module.memories[0], 8, True) == (0, 8, 0, 0)
    assert layer_resources(in_uram, u250).uram == 8
    assert banking(module, True) == "packed" and banking(module, False) == "banked"
    in_bram = replace(fc, weights_memory="bram")
    (bram_module,) = [m for m in expand(in_bram) if m.name == "weights_memory"]
    assert banking(bram_module, True) == "banked"
    assert layer_resources(in_bram, u250).uram == 0
    assert layer_resources(in_bram, u250).bram18 >= 8 * 16  # 32768 x 8 bits: 16 BRAM18 a unit
