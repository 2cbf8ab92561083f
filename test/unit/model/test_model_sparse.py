"""PASS's sparse matrix-vector engine in the model (seed 003), against hand computations.

The reference layer is model_test_specs.conv: 3x3, 16 -> 32 channels at 32x32, pad 1,
coarse_in 4, coarse_out 8: Po = 1024 output pixels, ch_s = 4 channels per input stream,
cout_s = 4 filters per output stream, so Po * ch_s * cout_s = 16384 dot products per engine.

The layer's interval adds its sliding window's border stall (model/modules.py window_cycles):
with c cycles per dot the window waits 4c cycles per window and the stream holds 2 windows
(8c); its 34x34 padded frame (ch_s 4) has per line a run of 8 words without a window (the
lead, 2 pixels), 31 times, and per frame a run of 280 (the first 2 padded rows, 2 x 34 x 4,
+ the lead): stall = 31 x max(0, 8 - 8c) + max(0, 280 - 8c).
"""

from dataclasses import replace

import pytest
from model_test_specs import conv

from fpga_sdf.model import (check_folding, expand, folding_choices, layer_performance, layer_resources,
                            load_platform, partition_performance)
from fpga_sdf.model.sparse_engine import crossbar_band, crossbar_bits, crossbar_inputs
from fpga_sdf.model.performance import SPARSE_CLOCK_FACTOR

DOTS = 16384


def modules(spec):
    return {m.name: m for m in expand(spec)}


@pytest.mark.parametrize("k, s, cycles_per_dot, stall", [
    (1, 0.5, 4.5, 244),    # 1 / theta = (1 - 0.5) * 9 / 1; stall 280 - 36
    (3, 0.5, 1.5, 268),    # 4.5 / 3; 280 - 12
    (4, 0.5, 1.125, 271),  # 4.5 / 4; 280 - 9 (8 - 9 < 0 per line)
    (5, 0.5, 1.0, 272),    # k >= (1 - s) K: theta saturates at one window per cycle; 280 - 8
    (9, 0.0, 1.0, 272),    # dense data, all 9 MACs: as fast as the dense engine
    (2, 0.0, 4.5, 244),    # dense data, 2 MACs: 9 / 2 (the dense engine needs a divisor of 9)
])
def test_interval_follows_eq2(k, s, cycles_per_dot, stall):
    perf = layer_performance(conv(fine=k, sparsity=(s,) * 16))
    assert modules(conv(fine=k, sparsity=(s,) * 16))["conv"].interval == \
        int(-(-DOTS * cycles_per_dot // 1))
    assert perf.interval == int(-(-(DOTS * cycles_per_dot + stall) // 1))
    assert modules(conv(fine=k, sparsity=(s,) * 16))["conv"].ii == pytest.approx(cycles_per_dot)


def test_slowest_stream_sets_the_layer():
    # coarse_in 4: channel c goes to stream c % 4. Stream 1 (channels 1, 5, 9, 13) is the
    # densest at mean 0.25 (0.1, 0.2, 0.3, 0.4); the others are 0.8.
    # k = 3: 1/theta = 0.75 * 9 / 3 = 2.25 cycles per window -> 16384 * 2.25 = 36864, + the
    # window's stall 280 - 8 x 2.25 = 262 -> 37126.
    dens = {1: 0.1, 5: 0.2, 9: 0.3, 13: 0.4}
    sparsity = tuple(dens.get(c, 0.8) for c in range(16))
    assert modules(conv(fine=3, sparsity=sparsity))["conv"].interval == 36864
    assert layer_performance(conv(fine=3, sparsity=sparsity)).interval == 37126
    # One stream (coarse_in 1): the mean over all 16 channels, (1.0 + 12 * 0.8) / 16 = 0.6625
    # -> 1/theta = 0.3375 * 9 / 3 = 1.0125 -> 16384 * 1.0125 * 4 = 66355.2 with ch_s = 16;
    # its window (ch_s 16: line 544 words, lead 32) waits 4.05 per window, slack 8.1: per
    # line 31 x (32 - 8.1) = 740.9, per frame 2 x 544 + 32 - 8.1 = 1111.9 -> 68208.
    assert modules(conv(fine=3, coarse_in=1, sparsity=sparsity))["conv"].interval == \
        int(-(-DOTS * 4 * 1.0125 // 1))
    assert layer_performance(conv(fine=3, coarse_in=1, sparsity=sparsity)).interval == 68208


def test_one_by_one_kernels_gain_nothing():
    pointwise = conv(kernel=(1, 1), pad=(0, 0, 0, 0), fine=1)
    sparse = replace(pointwise, sparsity=(0.9,) * 16)
    assert layer_performance(sparse).interval == layer_performance(pointwise).interval == DOTS
    zc706 = load_platform("zc706")
    assert layer_resources(sparse, zc706) == layer_resources(pointwise, zc706)  # no crossbar
    assert layer_performance(sparse).clock_factor == 1.0
    assert folding_choices(sparse).fine == (1,)


def test_any_k_up_to_the_window_is_legal_for_the_sparse_engine():
    assert folding_choices(conv(sparsity=(0.5,) * 16)).fine == tuple(range(1, 10))
    assert folding_choices(conv()).fine == (1, 3, 9)  # dense: divisors of the window
    assert any("fine=4" in p for p in check_folding(conv(fine=4)))
    assert not check_folding(conv(fine=4, sparsity=(0.5,) * 16))


def test_dsp_is_engines_times_k():
    # eq. 1: R_DSP = N_I * N_O * k = 4 * 8 * 5 (16-bit products: one DSP each)
    used = layer_resources(conv(fine=5, sparsity=(0.5,) * 16), load_platform("zc706"))
    assert used.dsp == 160


def test_crossbar_cost():
    # banded: MAC m muxes taps m..m+K-k, K-k+1 inputs each: 3x3, 16-bit tap + weight:
    # k=1 -> 9 inputs, k=3 -> 3 x 7 = 21, k=4 -> 4 x 6 = 24, k=5 -> 5 x 5 = 25, k=8 -> 8 x 2 = 16
    assert [list(crossbar_band(9, 4, m)) for m in range(4)] == [[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6],
                                                                [2, 3, 4, 5, 6, 7], [3, 4, 5, 6, 7, 8]]
    assert [crossbar_inputs(9, k) for k in (1, 3, 4, 5, 8)] == [9, 21, 24, 25, 16]
    assert [crossbar_bits(9, k, 16) for k in (1, 3, 4, 5, 8)] == [144, 336, 384, 400, 256]
    dense, sparse = conv(fine=3), conv(fine=3, sparsity=(0.5,) * 16)
    zc706 = load_platform("zc706")
    extra = layer_resources(sparse, zc706).lut - layer_resources(dense, zc706).lut
    # crossbar: 32 engines x 21 inputs of 16 + 16 bits (per bit and per input); the weights word grows from 3 to 9 weights (16 bit):
    # 32 x 96 io bits; its address counter shrinks from clog2(48) = 6 to clog2(16) = 4 bits:
    # -32 x 2 bits (LUT per feature unit from the calibrated coefficients)
    from fpga_sdf.model.coefficients import logic_table
    conv_lut = dict(logic_table("conv", "lut", zc706.family))
    wm_lut = dict(logic_table("weights_memory", "lut", zc706.family))
    expected = 32 * 21 * (32 * conv_lut["crossbar_bits"] + conv_lut["crossbar_inputs"]) + 32 * 96 * wm_lut["io_bits"] - 32 * 2 * wm_lut["counter_bits"]
    assert extra == pytest.approx(expected, abs=1)


def test_table_iv_layer():
    # VGG16 conv3 (64 -> 128, 3x3, 112x112), 192 DSPs, s = 0.64. PASS Table IV: LUT 1.46x,
    # FF 1.19x, BRAM 1.0x, frequency 0.9x, latency 0.40x of the dense layer.
    dense = replace(conv(), inputs=((64, 112, 112),), outputs=((128, 112, 112),), coarse_in=4,
                    coarse_out=16, fine=3, has_bias=True)
    sparse = replace(dense, sparsity=(0.64,) * 64)
    zcu102 = load_platform("zcu102")
    d, s = layer_resources(dense, zcu102), layer_resources(sparse, zcu102)
    assert d.dsp == s.dsp == 192
    # Our engine costs more LUTs than PASS's, as yosys measures it (UltraScale+, one MAC unit,
    # 3x3, k = 3, 16 bit: sparse conv 726 LUT / 481 FF, dense conv 257 LUT / 442 FF;
    # scripts/calibrate_resources.py): its banded crossbar muxes k(K - k + 1) = 21 taps and
    # weights of 32 bits per unit, while the dense MAC is in the DSPs (PASS's dense MAC costs
    # 305 LUT per 16-bit MAC, Fig. 4, so its ratio is smaller). Modelled per unit: conv
    # 677 LUT / 451 FF against 303 / 406 (the crossbar's registered selects and operands),
    # weights memory 107 LUT against 59 (a word of 9 weights, not 3): 64 x 422 LUT over the
    # dense layer's 36881 = 1.73x LUT (Table IV: 1.46x; the dense layer has 16 accumulators
    # behind its glues, not 64 beside its units; 2.33x with the full crossbar),
    # FF 1.06x (1.19x); test_rtl_synth.py checks the unit against yosys.
    assert 1.65 < s.lut / d.lut < 1.8 and 1.03 < s.ff / d.ff < 1.09
    pd = partition_performance([dense], platform=zcu102)
    ps = partition_performance([sparse], platform=zcu102)
    assert ps.clock_mhz == pytest.approx(zcu102.clock_mhz * SPARSE_CLOCK_FACTOR)
    # cycles: (1 - 0.64) * 9 / 3 = 1.08 against 3 per window; time: 0.36 / 0.9 = 0.4 for the
    # engines. Po 12544 x ch_s 16 x cout_s 8 = 1605632 dots: dense 4816896, sparse 1734082.56.
    # Each window (114x114 padded, ch_s 16: line 1824 words, lead 32) stalls per frame
    # 2 x 1824 + 32 - slack: dense (slack 2 x 24) 3632 -> 4820528; sparse (slack 2 x 8.64)
    # 3662.72 + per line 111 x (32 - 17.28) = 1633.92 -> ceil(1739379.2) = 1739380.
    assert (pd.interval, ps.interval) == (4_820_528, 1_739_380)
    # time with the same depth d (1829) on both: (d + 1739380) / 0.9 / (d + 4820528) = 0.4012,
    # Table IV's 0.40x within 0.3% (the border stall weighs more on the faster engine)
    assert pd.depth == ps.depth
    assert ps.time_s / pd.time_s == pytest.approx(
        (ps.depth + 1_739_380) / SPARSE_CLOCK_FACTOR / (pd.depth + 4_820_528), rel=1e-9)
    assert ps.time_s / pd.time_s == pytest.approx(0.4, rel=3e-3)


def test_sparse_buffer_is_a_lutram_fifo_per_input_stream():
    spec = conv(fine=3, sparsity=(0.5,) * 16, sparse_buffer=32)
    buffer = modules(spec)["sparse_buffer"]
    assert buffer.instances == 4 and buffer.interval == 1024 * 4  # one window per cycle
    memory, = buffer.memories
    assert (memory.width, memory.depth, memory.copies) == (16, 32, 9)
    zc706 = load_platform("zc706")
    extra = layer_resources(spec, zc706).lutram - layer_resources(replace(spec, sparse_buffer=0), zc706).lutram
    assert extra == 4 * 9 * 12  # RAM32M: 32 x 6 bits per 4 LUTs -> ceil(16 / 6) * 4 = 12 LUTs
    assert layer_performance(spec).interval == layer_performance(replace(spec, sparse_buffer=0)).interval
    assert any("sparse_buffer" in p for p in check_folding(conv(sparse_buffer=8)))


def test_sparse_buffer_holds_the_results_in_every_conv_unit():
    # windows run ahead only if their results can wait for the glue: each of the 4 x 8 = 32
    # engines holds sparse_buffer 32 x cout_s 4 = 128 sums of 32 bits (16 + 16 bit products
    # summed, as the RTL's sparse_conv output FIFO). 4096 bits > the 2048-bit LUTRAM limit:
    # one BRAM18 (18 Kb) each -> 32 BRAM18 more than without the buffer
    spec = conv(fine=3, sparsity=(0.5,) * 16, sparse_buffer=32)
    unit = modules(spec)["conv"]
    assert unit.instances == 32
    assert [(m.role, m.width, m.depth, m.copies) for m in unit.memories] == [("buffer", 32, 128, 1)]
    assert modules(replace(spec, sparse_buffer=0))["conv"].memories == ()
    assert modules(conv(fine=3, sparse_buffer=0))["conv"].memories == ()
    zc706 = load_platform("zc706")
    used, without = layer_resources(spec, zc706), layer_resources(replace(spec, sparse_buffer=0), zc706)
    assert used.bram18 - without.bram18 == 32


def test_k_equal_to_the_window_builds_the_dense_engine():
    # k = K: theta = min(1, 1 / (1 - s)) = 1 window per cycle, the dense engine's speed, so
    # no crossbar is built and the clock stays
    zc706 = load_platform("zc706")
    sparse, dense = conv(fine=9, sparsity=(0.7,) * 16), conv(fine=9)
    assert layer_resources(sparse, zc706) == layer_resources(dense, zc706)
    # DOTS + the window's stall 280 - 8 = 272 (c = 1)
    assert layer_performance(sparse).interval == layer_performance(dense).interval == DOTS + 272
    assert layer_performance(sparse).clock_factor == 1.0
    assert layer_performance(conv(fine=8, sparsity=(0.7,) * 16)).clock_factor == SPARSE_CLOCK_FACTOR


def test_measured_nonzeros_give_exact_cycles():
    # One stream (coarse_in 1) of 16 channels that all have windows of 4 non-zeros (40%) and
    # windows of 6 non-zeros (60%): mean sparsity 1 - 4.8/9. With k = 5 a window of 4 takes
    # 1 cycle and a window of 6 takes 2: 0.4 + 1.2 = 1.6 cycles, where eq. 2 says
    # max(1, 4.8 / 5) = 1. ch_s = 16 -> 65536 dots per engine -> 104858 cycles (ceil).
    # The layer adds its window's stall (ch_s 16: line 544 words, lead 32, frame run
    # 2 x 544 + 32 = 1120; waits 4c per window, slack 8c):
    #   c = 1.6: 31 x (32 - 12.8) = 595.2 + 1120 - 12.8 = 1107.2: 104857.6 + 1702.4 = 106560
    #   c = 1:   31 x 24 = 744 + 1112: 65536 + 1856 = 67392
    #   c = 2:   31 x 16 = 496 + 1104: 131072 + 1600 = 132672
    hist = ((0, 0, 0, 0, 0.4, 0, 0.6, 0, 0, 0),) * 16
    mean = 1 - 4.8 / 9
    exact = conv(coarse_in=1, fine=5, sparsity=(mean,) * 16, sparsity_hist=sum(hist, ()))
    assert modules(exact)["conv"].interval == int(-(-65536 * 1.6 // 1))
    assert layer_performance(exact).interval == 106_560
    assert modules(replace(exact, sparsity_hist=()))["conv"].interval == 65536
    assert layer_performance(replace(exact, sparsity_hist=())).interval == 67_392
    # k = 3: 4 -> 2 cycles, 6 -> 2 cycles: exactly 2 (eq. 2: 4.8 / 3 = 1.6)
    assert modules(replace(exact, fine=3))["conv"].interval == 131072
    assert layer_performance(replace(exact, fine=3)).interval == 132_672
    assert any("sparsity_hist" in p for p in check_folding(replace(exact, sparsity_hist=(0.5,) * 10)))


def test_report_says_whether_sparsity_was_measured():
    from fpga_sdf.model import build_report, format_table

    assumed = conv(fine=3, sparsity=(0.65,) * 16, sparsity_assumed=True)
    report = build_report([[assumed]], "zc706", clock_mhz=200)
    row = report["layers"][0]["sparsity"]
    assert row["source"] == "assumed, not measured" and row["mean"] == pytest.approx(0.65)
    assert report["partitions"][0]["clock_mhz"] == pytest.approx(180)
    table = format_table(report)
    assert "assumed, not measured" in table and "180 MHz" in table
    measured = build_report([[replace(assumed, sparsity_assumed=False)]], "zc706", clock_mhz=200)
    assert measured["layers"][0]["sparsity"]["source"] == "measured"
