"""Layer intervals, module rates and latency checked against hand computations.

Notation: Po = output pixels, ch_s = channels per input stream, cout_s = filters per output
stream, K = prod(kernel). Conv interval = Po * ch_s * cout_s * ceil(K / fine).

Border rule (model/modules.py window_cycles), used by every padded stride-1 conv here: the
sliding window stalls while its consumer works on a window (per_window = cout_s *
ceil(K / fine) cycles), and the depth-2 stream holds 2 windows (slack = 2 * per_window
cycles); every run of n words without a window then adds max(0, n - slack). For the base
conv below (34x34 padded, ch_s 4): a line's run is its lead, (3-1) * 4 = 8 words (tail 0:
the last window ends the line); the frame's run, from the last window (which ends the frame)
to the next frame's first, is that frame's first 2 rows (top padding and the first input row)
2 x 34 x 4 = 272 + the lead 8 = 280 words.
"""

from dataclasses import replace

import pytest

from fpga_sdf.model import LayerSpec, expand, layer_performance


def by_name(perf):
    return {m.name: m for m in perf.modules}


def conv2d(**kw):
    base = dict(name="conv", kind="conv", inputs=((16, 32, 32),), outputs=((32, 32, 32),),
                kernel=(3, 3), stride=(1, 1), pad=(1, 1, 1, 1), coarse_in=4, coarse_out=8,
                fine=9)
    base.update(kw)
    return LayerSpec(**base)


def test_conv2d_interval_and_modules():
    # 3x3 conv, 16->32 channels, 32x32, pad 1, coarse_in=4, coarse_out=8, fine=9:
    #   sliding window: padded 34*34 = 1156 pixels * ch_s (16/4 = 4)      = 4624 cycles
    #   conv: Po 1024 * ch_s 4 * cout_s (32/8 = 4) * ceil(9/9) = 16384 cycles
    #         (= 1024 * 16 * 32 * 9 MACs / (4 * 8 * 9) multipliers)
    #   glue (one per output stream, 8): adds the 4 units' 16384 dots at 1/cycle; accum
    #   behind it (8, not 32): 16384 glued dots in, 1024 * 4 = 4096 sums out per stream
    #   but the window waits for the conv (per_window = cout_s 4 * 1 = 4, slack 8): its
    #   4096 windows * 4 = 16384 + line runs 31 x max(0, 8 - 8) = 0 + frame run 280 - 8
    #   = 272 -> 16656, above its 4624 words: the window is the bottleneck
    perf = layer_performance(conv2d())
    modules = by_name(perf)
    assert modules["sliding_window"].interval == 16_656
    assert modules["sliding_window"].instances == 4
    assert modules["fork"].instances == 4 and modules["fork"].interval == 4096
    assert modules["conv"].instances == 32 and modules["conv"].interval == 16384
    assert modules["glue"].instances == 8 and modules["glue"].interval == 16384
    assert (modules["glue"].words_in, modules["glue"].words_out) == (4 * 16384, 16384)
    assert modules["accum"].instances == 8 and modules["accum"].interval == 16384
    assert (modules["accum"].words_in, modules["accum"].words_out) == (16384, 4096)
    assert perf.interval == 16_656 and perf.bottleneck == "sliding_window"
    # rates: the sliding window takes 4096 real words in 16656 cycles; conv emits 1 dot/cycle
    assert modules["sliding_window"].rate_in == pytest.approx(4096 / 16_656)
    assert modules["conv"].rate_out == pytest.approx(1.0)
    assert modules["conv"].rate_in == pytest.approx(4096 / 16384)
    # ops = 2 * 1024 * 32 * 16 * 9; weights = 32 * 16 * 9 words of 16 bits
    assert perf.ops == 9_437_184
    assert perf.weights == 4608 and perf.weights_bits == 73_728
    assert (perf.streams_in, perf.streams_out) == (4, 8)


def test_conv2d_latency_hand_computed():
    # depth = sum(pipeline + fill * interval / words_in) over modules, at interval 16384:
    #   sliding window: its fill is the input words read before the first window, which
    #   ends at input pixel (1, 1) (pad 1): (1*32 + 1) pixels * 4 channels + 1 = 133 words
    #   (the padding it inserts itself is not input), 2 + 133 * 16384 / 4096 = 2 + 532
    #   fork 1; conv 3 + clog2(9)=4 + ceil(9/9)=1 -> 8; weights memory 2
    #   accum: 2 + ((4-1)*4 + 1 = 13) * 16384 / 16384 = 15; glue 1 + clog2(4) = 3
    # that is 563 at 16384; at the layer's interval 16656 (the border stall, see
    # test_conv2d_interval_and_modules) the fills scale: pipelines 2+1+8+2+2+1+2 = 18,
    # fills (133 / 4096 + 13 / 16384) * 16656 = 545 * 16656 / 16384 = 554.05 -> ceil 573
    assert layer_performance(conv2d()).latency == 573


@pytest.mark.parametrize("fine, conv, interval", [(1, 147_456, 147_664), (3, 49_152, 49_408),
                                                  (9, 16_384, 16_656)])
def test_fine_folding_scales_conv_cycles(fine, conv, interval):
    # conv: 16384 dots * ceil(9 / fine) cycles each. The layer adds the window's border
    # stall, frame run 280 words - slack 2 * (4 * ceil(9 / fine)): fine 1: 280 - 72 = 208;
    # fine 3: 280 - 24 = 256; fine 9: 280 - 8 = 272 (line runs of 8 words <= slack: 0)
    perf = layer_performance(conv2d(fine=fine))
    assert by_name(perf)["conv"].interval == conv
    assert perf.interval == interval


def test_conv3d_uses_the_same_path():
    # 3x3x3 conv, 8->16 channels, input 8x16x16 (DxHxW), pad 1, ci=2, co=4, fine=9:
    #   Po = 8*16*16 = 2048, ch_s = 4, cout_s = 4, ceil(27/9) = 3
    #   conv = 2048 * 4 * 4 * 3 = 98304 (= 2048*8*16*27 MACs / (2*4*9))
    #   sliding window words = padded 10*18*18 = 3240 * 4 = 12960
    #   buffers per stream: (3-1) frame buffers of 18*18*4 = 1296 words, 3*(3-1) line buffers
    #   of 18*4 = 72 words, 9*(3-1) window buffers of 4 words
    #   the layer: the window waits for the conv (per_window 4 * 3 = 12, slack 24): lead
    #   8 words per line; row to row 8 - 24 < 0; plane to plane (7x) the 2 border rows of a
    #   plane 2 * 72 + lead 8 - 24 = 128; frame to frame 2 border planes (2 * 18 rows) + 2
    #   rows = 38 * 72 + 8 - 24 = 2720: 98304 + 7 * 128 + 2720 = 101920
    spec = LayerSpec("c3", "conv", ((8, 8, 16, 16),), ((16, 8, 16, 16),), kernel=(3, 3, 3),
                     stride=(1, 1, 1), pad=(1,) * 6, coarse_in=2, coarse_out=4, fine=9)
    perf = layer_performance(spec)
    modules = by_name(perf)
    assert modules["conv"].interval == 98_304 and perf.interval == 101_920
    # the window's 12960 words are below the stall bound 101920 derived above
    assert modules["sliding_window"].interval == 101_920
    memories = sorted((m.depth, m.copies) for m in modules["sliding_window"].memories)
    assert memories == [(4, 18), (72, 6), (1296, 2)]
    assert perf.ops == 2 * 2048 * 16 * 8 * 27


def test_depthwise_conv():
    # depthwise 3x3, 32 channels, 16x16, groups=32, coarse_group=8, fine=3:
    #   ch_s = 32/8 = 4 channels per stream, 1 filter each: 256 * 4 * 1 * ceil(9/3) = 3072
    #   no accumulation over input channels (1 per group), no glue (coarse_in = 1)
    #   the window's border stall (per_window 3, slack 6; 18x18 padded, line 72 words, lead
    #   8): row to row (15x) 8 - 6 = 2; frame 2 rows * 72 + 8 - 6 = 146: 3072 + 30 + 146
    spec = LayerSpec("dw", "conv", ((32, 16, 16),), ((32, 16, 16),), kernel=(3, 3),
                     stride=(1, 1), pad=(1, 1, 1, 1), groups=32, coarse_group=8, fine=3)
    perf = layer_performance(spec)
    assert by_name(perf)["conv"].interval == 3072 and perf.interval == 3248
    assert set(by_name(perf)) == {"sliding_window", "conv", "weights_memory"}
    assert by_name(perf)["conv"].instances == 8


def test_strided_conv_sliding_window_can_be_the_bottleneck():
    # 3x3 stride 2, 8->8, 16x16 -> 8x8, pad 1, ci=1, co=8, fine=9:
    #   sliding window: 18*18 * 8 = 2592; conv: 64 * 8 * 1 * 1 = 512
    spec = LayerSpec("s2", "conv", ((8, 16, 16),), ((8, 8, 8),), kernel=(3, 3), stride=(2, 2),
                     pad=(1, 1, 1, 1), coarse_out=8, fine=9)
    perf = layer_performance(spec)
    assert perf.interval == 2592 and perf.bottleneck == "sliding_window"


def test_strided_conv_window_stalls_behind_slow_dot_products():
    # the same conv with co=1, fine=1: each window feeds cout_s 8 dot products of 9 cycles,
    # 72 cycles per window, conv 64 * 8 * 72 = 36864. The window emits only on the stride
    # grid and stalls until a window is taken; the words between windows pass at 1/cycle
    # with the conv idle once it has used the 2 windows the stream holds (144 cycles):
    #   within a line: (2-1) * 8 = 8 words between windows < 144: no idle
    #   line to line (7x): tail (18-3-14)*8 = 8 + one skipped line 18*8 = 144 + lead 2*8 = 16
    #     = 168 words -> 24 idle each = 168
    #   frame to frame: tail 8 + 3 lines (1 after the last window row, 2 before the first)
    #     432 + lead 16 - 144 = 312
    spec = LayerSpec("s2", "conv", ((8, 16, 16),), ((8, 8, 8),), kernel=(3, 3), stride=(2, 2),
                     pad=(1, 1, 1, 1))
    perf = layer_performance(spec)
    assert by_name(perf)["conv"].interval == 36864
    assert perf.interval == 36864 + 168 + 312 and perf.bottleneck == "sliding_window"


def test_pointwise_conv_has_no_sliding_window():
    # 1x1, 64->128, 14x14, ci=8, co=16: 196 * 8 * 8 * 1 = 12544
    spec = LayerSpec("pw", "conv", ((64, 14, 14),), ((128, 14, 14),), kernel=(1, 1),
                     stride=(1, 1), coarse_in=8, coarse_out=16, has_bias=True)
    perf = layer_performance(spec)
    assert perf.interval == 12_544
    assert "sliding_window" not in by_name(perf) and "bias" in by_name(perf)
    assert perf.weights == 64 * 128 + 128


def test_inner_product():
    # 512 -> 10, ci=8, co=2: ch_s 64, cout_s 5 -> 320 cycles; 2*512*10 ops
    spec = LayerSpec("fc", "inner_product", ((512, 1, 1),), ((10,),), coarse_in=8,
                     coarse_out=2)
    perf = layer_performance(spec)
    assert perf.interval == 320
    assert perf.ops == 10_240


def test_sparse_conv_follows_pass_model():
    # PASS: theta = min(1, f / ((1 - s) K)); interval = Po * ch_s * cout_s / min_m theta_m.
    # Same conv, fine=3. Channels go to stream c % 4; stream 0 (ch 0,4,8,12) has s=0.5,
    # the others s=0.2 -> slowest stream s=0.2: 1/theta = 0.8*9/3 = 2.4 cycles per window
    #   conv = ceil(16384 * 2.4) = ceil(39321.6) = 39322   (dense fine=3: 49152)
    #   the window's border stall: per_window 4 * 2.4 = 9.6, slack 19.2: line runs 8 < 19.2;
    #   frame 280 - 19.2 = 260.8: ceil(39321.6 + 260.8) = 39583
    sparsity = tuple(0.5 if c % 4 == 0 else 0.2 for c in range(16))
    perf = layer_performance(conv2d(fine=3, sparsity=sparsity))
    assert by_name(perf)["conv"].interval == 39_322 and perf.interval == 39_583
    # very sparse: theta saturates at 1 window per cycle -> 16384 (+ 280 - 8 = 272 border)
    perf = layer_performance(conv2d(fine=3, sparsity=(0.9,) * 16))
    assert by_name(perf)["conv"].interval == 16_384 and perf.interval == 16_656
    # zero sparsity reproduces the dense engine (49152 + 280 - 24 = 256 border)
    perf = layer_performance(conv2d(fine=3, sparsity=(0.0,) * 16))
    assert by_name(perf)["conv"].interval == 49_152 and perf.interval == 49_408


def test_weights_reloading_computes_a_fraction_of_the_filters_per_run():
    # wr_factor=2: 16 filters per run, cout_s = 16/8 = 2 -> 1024 * 4 * 2 = 8192 per run
    # + border stall (per_window 2, slack 4): line to line 31 x (8 - 4) = 124, frame
    # 280 - 4 = 276 -> 8592
    perf = layer_performance(conv2d(wr_factor=2))
    assert by_name(perf)["conv"].interval == 8192 and perf.interval == 8592
    assert perf.weights_reload_words == 4608 and perf.wr_factor == 2
    assert layer_performance(conv2d()).weights_reload_words == 0


def test_weights_streaming_words_per_frame():
    # AutoWS: half of the 4608 weights fetched once per output pixel (1024)
    perf = layer_performance(conv2d(weights_off_chip=0.5))
    assert perf.weights_streamed_words == 2304 * 1024
    # streaming does not change the compute interval (16384 + 272 border stall)
    assert perf.interval == 16_656


@pytest.mark.parametrize("p, interval, border", [(1, 16_656, 272), (2, 8324, 132), (4, 4164, 68)])
def test_multi_pixel_conv_interval(p, interval, border):
    # p pixels a word: the conv's Po * ch_s * cout_s / p = 16384 / p dot products, plus the
    # window's frame border on its word grid (modules.window_word_grid: pad 1 -> lead 1 word;
    # the 4 windows of group g need columns 4g - 1 .. 4g + 4 (p = 4; 2g - 1 .. 2g + 2 for p = 2),
    # so they end 1 word after input word g (emit 1) and the row needs 1 trailing word: rows
    # of 1 + 32 / p + 1 words): 2 padded rows x ch_s 4 + the lead of lead + emit = 2 words x 4
    # - the slack: at p > 1 the 5 windows buffered (modules.window_slack: the window's stream
    # 2, the fork's 2 (coarse_out 8), the one the MAC holds) x 4 cycles = 20:
    #   p=2: 2 x 18 x 4 + 8 - 20 = 132;  p=4: 2 x 10 x 4 + 8 - 20 = 68
    # (p = 1 still counts 2 windows: 280 - 8 = 272)
    perf = layer_performance(conv2d(pixels=(p, 1)))
    assert perf.interval == interval == 16384 // p + border
    m = by_name(perf)
    assert m["conv"].interval == 16384 // p and m["conv"].lanes == p
    assert m["conv"].rate_out == pytest.approx(1.0)  # a word (of p results) a cycle
    assert m["accum"].words_in == 16384 // p and m["accum"].lanes == p


def test_multi_pixel_conv_shares_weights_and_reshapes_line_buffers():
    # p=4, pad 1: rows of 10 words (see test_multi_pixel_conv_interval); line buffers 4 x 16
    # bits wide, 10 words per row per channel of the stream (x ch_s 4 = 40 deep), 2 of them
    # (k - 1); a window's taps span 3 words, so 2 previous words per window row (6, ch_s deep)
    from fpga_sdf.model.modules import window_word_grid

    spec = conv2d(pixels=(4, 1))
    assert window_word_grid(spec) == (1, 1, 10, 1, 3, 8)  # lead, trail, row, emit, span, out
    m = by_name(layer_performance(spec))
    line, window = m["sliding_window"].memories
    assert (line.role, line.width, line.depth, line.copies) == ("line_buffer", 64, 40, 2)
    assert (window.role, window.width, window.depth, window.copies) == ("window_buffer", 64, 4, 6)
    # the weights memory is shared by the 4 MAC arrays: same word, depth and reads as p=1
    one = by_name(layer_performance(conv2d()))
    assert m["weights_memory"].memories == one["weights_memory"].memories
    assert m["weights_memory"].words_out == one["weights_memory"].words_out // 4  # 4 windows a read
    assert m["sliding_window"].words_in == 1024 * 4 // 4


def test_multi_pixel_stride_removes_kpus():
    # 3x3 / 2, pad 1, 32x32 -> 16x16, 16->32, coarse 4/8: a word of p = 4 pixels holds
    # q = 4 / 2 = 2 windows, so 2 MAC arrays per unit (the stride removes the other 2 KPUs)
    spec = conv2d(outputs=((32, 16, 16),), stride=(2, 2), pixels=(4, 1))
    m = by_name(layer_performance(spec))
    assert m["conv"].lanes == 2
    # 256 windows / 2 per word x ch_s 4 x cout_s 4 = 2048 cycles, the whole layer: the window's
    # 34 x 9 x 4 = 1224 words (group g needs columns 4g - 1 .. 4g + 3: lead 1, emit 0, no
    # trail) and its border stalls fit under the MAC's 2048
    assert m["conv"].interval == 256 // 2 * 4 * 4 == 2048
    assert m["sliding_window"].words_out == 128 * 4
    # the glue adds the 4 units' 2048 dot products a word at a time, 2 sums a word; the
    # accumulator behind it sums the 4 channels of a stream: 128 words x cout_s 4 out
    assert m["glue"].words_out == 2048 and m["glue"].lanes == 2
    assert m["accum"].words_out == 128 * 4 and m["accum"].lanes == 2
    # p = 2: one window a word, a single MAC array, 256 x 16 = 4096 cycles
    assert by_name(layer_performance(replace(spec, pixels=(2, 1))))["conv"].lanes == 1


def test_multi_pixel_pointwise_and_global_pool():
    relu = LayerSpec("r", "activation", ((8, 16, 16),), ((8, 16, 16),), mode="relu",
                     coarse_in=2, coarse_out=2, pixels=(4, 1))
    act = by_name(layer_performance(relu))["activation"]
    assert act.interval == 256 // 4 * 4 == 256 and act.lanes == 4  # 64 words x 4 channels
    gap = LayerSpec("g", "global_pool", ((8, 16, 16),), ((8, 1, 1),), mode="avg",
                    coarse_in=2, coarse_out=2, pixels=(4, 1))
    m = by_name(layer_performance(gap))["global_pool"]
    # 64 words of 4 pixels per channel of the stream, 4 channels: 256 words in, 4 results
    assert (m.words_in, m.words_out, m.interval) == (256, 4, 256)
    assert m.fill == 256 - 4 + 1


def test_multi_pixel_inner_product_has_per_pixel_fcus():
    # FC over a (4, 2, 8) map, 10 outputs, p = 2: each word carries 2 pixels of one channel,
    # 2 FCUs with their own weights (a 2-wide, half-deep memory): 64 features / 2 = 32 words
    fc = LayerSpec("fc", "inner_product", ((4, 2, 8),), ((10,),), pixels=(2, 1))
    m = by_name(layer_performance(fc))
    assert m["conv"].lanes == 2 and m["conv"].interval == 32 * 10
    (weights,) = m["weights_memory"].memories
    assert (weights.width, weights.depth) == (2 * 16, 64 * 10 // 2)
    assert m["accum"].lanes == 1 and m["accum"].words_out == 10


def test_edge_converter_repacks_pixels_and_streams():
    from fpga_sdf.model.modules import edge_converter

    a = conv2d(pixels=(4, 1))
    b = replace(conv2d(name="b", inputs=((32, 32, 32),)), pixels=(2, 1))
    assert edge_converter(a, replace(b, pixels=(4, 1)), 8, 8, 32 * 1024) is None
    # 8 streams x 4 pixels in, 4 streams x 2 pixels out: 8 features a cycle, lcm 32 buffered
    m = edge_converter(a, replace(b, coarse_in=4), 8, 4, 32 * 1024)
    assert m.interval == 32 * 1024 // 8 and m.fill == 32
    (buf,) = m.memories
    assert (buf.depth, buf.copies) == (4, 8)


def test_pool_2d_and_3d():
    # max 2x2/2 on 32x32x32, coarse 8, fine 4: ch_s 4
    #   sliding window 1024 * 4 = 4096; pool 256 * 4 * ceil(4/4) = 1024
    spec = LayerSpec("p", "pool", ((32, 32, 32),), ((32, 16, 16),), kernel=(2, 2),
                     stride=(2, 2), mode="max", coarse_in=8, coarse_out=8, fine=4)
    perf = layer_performance(spec)
    assert by_name(perf)["pool"].interval == 1024 and perf.interval == 4096
    # fine=1: pool needs 4 cycles per window: 1024 * 4 = 4096 (ties the window)
    assert by_name(layer_performance(
        replace(spec, fine=1)))["pool"].interval == 4096
    # ... but the window emits its windows only on every second row (a burst of one per
    # word there) and stalls while the pool works, so the layer takes longer: the pool's
    # 4096 plus, per run of words without a window, what the 2 windows on the stream
    # (8 cycles) do not cover: within a line 4 words < 8; line to line (15x) one line of
    # 32*4 = 128 + lead 4 words -> 124; frame to frame the same 124
    assert layer_performance(replace(spec, fine=1)).interval == 4096 + 15 * 124 + 124
    # 3D avg 2x2x2/2 on 16 x 8x8x8, coarse 4, fine 8: window 512*4 = 2048; pool 64*4 = 256
    spec3 = LayerSpec("p3", "pool", ((16, 8, 8, 8),), ((16, 4, 4, 4),), kernel=(2, 2, 2),
                      stride=(2, 2, 2), mode="avg", coarse_in=4, coarse_out=4, fine=8)
    perf3 = layer_performance(spec3)
    assert perf3.interval == 2048 and by_name(perf3)["pool"].interval == 256
    assert perf3.ops == 64 * 16 * 8
    # fine=1 (8 cycles per window, 16 on the stream): 2048 + idle of the windowless runs:
    # row to row (12x): a line of 8*4 = 32 + lead 4 - 16 = 20; plane to plane (3x): a
    # skipped plane of 8 lines + the first line of the next = 9 lines + 4 - 16 = 276;
    # frame to frame the same 276
    assert layer_performance(replace(spec3, fine=1)).interval == 2048 + 12 * 20 + 3 * 276 + 276


def test_global_pool():
    # avg over 7x7, 64 channels, coarse 4: 49 * 16 = 784 cycles, emits 16 words per stream
    spec = LayerSpec("gp", "global_pool", ((64, 7, 7),), ((64, 1, 1),), mode="avg",
                     coarse_in=4, coarse_out=4)
    perf = layer_performance(spec)
    assert perf.interval == 784
    assert perf.modules[0].words_out == 16


def test_activation_2d_and_3d():
    # relu on 64 x 14x14, coarse 4: 196 * 16 = 3136
    relu = LayerSpec("r", "activation", ((64, 14, 14),), ((64, 14, 14),), mode="relu",
                     coarse_in=4, coarse_out=4)
    assert layer_performance(relu).interval == 3136
    # 3D silu on 16 x 4x8x8, coarse 2: 256 * 8 = 2048
    silu = LayerSpec("s", "activation", ((16, 4, 8, 8),), ((16, 4, 8, 8),), mode="silu",
                     coarse_in=2, coarse_out=2)
    assert layer_performance(silu).interval == 2048


def test_eltwise_concat_split_resize_scale_shift():
    # eltwise add 2 x (64,14,14), coarse 8: 196 * 8 = 1568
    add = LayerSpec("a", "eltwise", ((64, 14, 14), (64, 14, 14)), ((64, 14, 14),), mode="add",
                    coarse_in=8, coarse_out=8)
    assert layer_performance(add).interval == 1568
    # concat (32,8,8) + (64,8,8), coarse 8: 64 pixels * (4 + 8) = 768
    cat = LayerSpec("c", "concat", ((32, 8, 8), (64, 8, 8)), ((96, 8, 8),), coarse_in=8,
                    coarse_out=8)
    assert layer_performance(cat).interval == 768
    # no buffer of its own (as the RTL builds it): the waiting input's words are the join
    # FIFO of fifo_depths, costed on the edge
    assert expand(cat)[0].memories == ()
    # split (32,8,8) in two, coarse 4: 64 * 8 = 512
    split = LayerSpec("s", "split", ((32, 8, 8),), ((32, 8, 8), (32, 8, 8)), coarse_in=4,
                      coarse_out=4)
    assert layer_performance(split).interval == 512
    assert layer_performance(split).words_out == 2 * 32 * 64
    # nearest 2x on (16,8,8) -> (16,16,16), coarse 2: output 256 * 8 = 2048; one input line
    # of 8 pixels * 8 channels buffered
    up = LayerSpec("u", "resize", ((16, 8, 8),), ((16, 16, 16),), mode="nearest",
                   coarse_in=2, coarse_out=2)
    perf = layer_performance(up)
    assert perf.interval == 2048 and perf.modules[0].memories[0].depth == 64
    # batch-norm as scale/shift on (32,16,16), coarse 4: 256 * 8 = 2048, 2 params/channel
    bn = LayerSpec("bn", "scale_shift", ((32, 16, 16),), ((32, 16, 16),), coarse_in=4,
                   coarse_out=4)
    assert layer_performance(bn).interval == 2048
    assert layer_performance(bn).weights == 64


def test_every_kind_expands_in_2d_and_3d():
    shapes = {2: (8, 8, 8), 3: (8, 4, 8, 8)}
    for rank, shape in shapes.items():
        ones = (1,) * rank
        specs = [
            LayerSpec("conv", "conv", (shape,), (shape,), kernel=(3,) * rank, stride=ones,
                      pad=ones * 2),
            LayerSpec("ip", "inner_product", (shape,), ((10,),)),
            LayerSpec("pool", "pool", (shape,), (shape,), kernel=ones, stride=ones, mode="max"),
            LayerSpec("gp", "global_pool", (shape,), ((8,) + ones,), mode="avg"),
            LayerSpec("act", "activation", (shape,), (shape,), mode="hard_swish"),
            LayerSpec("add", "eltwise", (shape, shape), (shape,), mode="mul"),
            LayerSpec("cat", "concat", (shape, shape), ((16,) + shape[1:],)),
            LayerSpec("split", "split", (shape,), (shape, shape)),
            LayerSpec("up", "resize", (shape,), ((8,) + tuple(2 * d for d in shape[1:]),),
                      mode="nearest"),
            LayerSpec("bn", "scale_shift", (shape,), (shape,)),
        ]
        for spec in specs:
            perf = layer_performance(spec)
            assert perf.interval > 0 and perf.latency > 0, spec.name
            assert expand(spec)


def test_multi_pixel_resize_moves_words_of_p_pixels():
    # 2x nearest upsampling of 4 x 8 x 8 on 2 streams (2 channels each) at p = 2: 8 x 8 / 2
    # x 2 = 64 words in, 16 x 16 / 2 x 2 = 256 out (a word a cycle: 256); the buffer keeps
    # the row inside the scaled H: 8 / 2 words x 2 channels = 8 words of 2 pixels (32 bits)
    spec = LayerSpec("u", "resize", ((4, 8, 8),), ((4, 16, 16),), mode="nearest", coarse_in=2,
                     data_width=16, pixels=(2, 1))
    (m,) = expand(spec)
    assert (m.words_in, m.words_out, m.interval) == (64, 256, 256)
    assert m.memories[0].width == 32 and m.memories[0].depth == 8
    # only W scaled: the buffer is a word per channel
    (w,) = expand(replace(spec, outputs=((4, 8, 16),)))
    assert (w.words_in, w.words_out) == (64, 128) and w.memories[0].depth == 2


def test_a_broadcast_operand_is_not_repacked():
    # a gate of one value per channel (32 x 1 x 1) into a 2-pixel eltwise mul: the operand
    # stays one value a word, so the edge has no converter; the 2-pixel lhs from a 1-pixel
    # producer is re-packed (min(1 x 1, 1 x 2) = 1 feature a cycle)
    from fpga_sdf.model.modules import edge_converter

    gate = LayerSpec("g", "activation", ((32, 1, 1),), ((32, 1, 1),), mode="sigmoid")
    lhs = LayerSpec("a", "activation", ((32, 8, 8),), ((32, 8, 8),), mode="relu")
    mul = LayerSpec("m", "eltwise", ((32, 8, 8), (32, 1, 1)), ((32, 8, 8),), mode="mul", pixels=(2, 1))
    assert edge_converter(gate, mul, 1, 1, 32) is None
    assert edge_converter(lhs, mul, 1, 1, 2048).interval == 2048
