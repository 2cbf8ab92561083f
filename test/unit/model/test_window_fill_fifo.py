"""fifo_depths.window_fill_depth and walk_deficit: the FIFO in front of a sliding window fed
slower than a word per cycle per window stream, against hand computations (the RTL
measurement is test_rtl_window_evict.py's relu -> 2-stream 3D conv)."""

from dataclasses import replace

from fpga_sdf.model import LayerSpec, expand, partition_performance
from fpga_sdf.model.fifo_depths import MIN_FIFO_DEPTH, walk_deficit, window_fill_behind_squeeze, window_fill_depth


def conv3d(coarse_in=2):
    """3x3x3, pad 1, 32 x 6 x 8 x 8 -> 2 filters; 2 window streams of 16 channels."""
    return LayerSpec("conv", "conv", ((32, 6, 8, 8),), ((2, 6, 8, 8),), kernel=(3, 3, 3),
                     stride=(1, 1, 1), pad=(1,) * 6, has_bias=True, coarse_in=coarse_in, coarse_out=2, fine=27)


def relu(coarse=1):
    return LayerSpec("relu", "activation", ((32, 6, 8, 8),), ((32, 6, 8, 8),), mode="relu",
                     coarse_in=coarse, coarse_out=coarse)


def test_the_deficit_of_the_3d_walk_at_half_a_word_a_cycle():
    # A window stream walks 8 x 10 x 10 padded positions of 16 channels: 12,800 cycles, of
    # which 6 x 8 x 8 x 16 = 6,144 real words. From the frame's first real word (after slice
    # 0, row 0 of slice 1 and its column 0: 111 positions, 1,776 cycles) to its last (as
    # many before the end) the window reads all 6,144 words in 12,800 - 2 x 1,776 = 9,248
    # cycles, while half a word a cycle delivers 4,624: 1,520 words short. No shorter
    # stretch is worse (every row and slice inside it reads more than half a word a cycle).
    spec = conv3d()
    assert walk_deficit(spec, 0.5) == 6144 - 9248 // 2 == 1520
    # 0.6 of a word a cycle: 6,144 - 5,548.8, rounded up (every slice of the stretch still
    # reads 1,024 words in 1,600 cycles, more than 0.6 a cycle); a word a cycle never falls behind
    assert walk_deficit(spec, 0.6) == 596
    assert walk_deficit(spec, 1.0) == 0


def test_one_stream_feeding_a_two_stream_window_needs_the_deficit_on_each_window_stream():
    spec = conv3d()
    window = next(m for m in expand(spec) if m.name == "sliding_window")
    assert window.instances == 2 and window.interval == 12800 and window.fill == 1169
    # the relu's one stream at a word a cycle is half a word a cycle per window stream: the
    # window (12,800) is the slower over a frame (12,288), its real positions the faster
    assert window_fill_depth(spec, 1.0, streams=1) == 1520 + MIN_FIFO_DEPTH
    # the same rate on the window's own streams: a word every 2 cycles of each
    assert window_fill_depth(spec, 2.0) == 1520 + MIN_FIFO_DEPTH
    # a word a cycle on each window stream (two producer streams, or off-chip): nothing waits
    assert window_fill_depth(spec, 1.0, streams=2) == 0 and window_fill_depth(spec, 1.0) == 0
    # a producer slower over a frame (2.2 x 6,144 > 12,800): the fill, as measured before
    assert window_fill_depth(spec, 2.2) == window.fill + MIN_FIFO_DEPTH == 1171
    # where: behind the squeeze only for the deficit from a producer on other streams
    assert window_fill_behind_squeeze(spec, 1.0, streams=1)
    assert not window_fill_behind_squeeze(spec, 2.0) and not window_fill_behind_squeeze(spec, 2.2)
    # a producer slower over a frame on other streams keeps the fill on its own streams, and
    # none when it runs a word a cycle there (as before: not measured otherwise)
    assert window_fill_depth(spec, 2.2, streams=1) == 1171 and not window_fill_behind_squeeze(spec, 2.2, streams=1)
    assert window_fill_depth(conv3d(coarse_in=4), 1.0, streams=1) == 0


def test_a_mac_paced_window_keeps_the_fill():
    # one window stream of 32 channels, fine 1: the MAC takes 27 cycles a window, so the
    # window's interval is far above its 25,600-cycle walk and the deficit (taken on the
    # walk at a word a cycle) does not apply: the fill, as measured on tiny_resnet / tiny_c3d
    spec = LayerSpec("conv", "conv", ((32, 6, 8, 8),), ((2, 6, 8, 8),), kernel=(3, 3, 3),
                     stride=(1, 1, 1), pad=(1,) * 6, has_bias=True)
    window = next(m for m in expand(spec) if m.name == "sliding_window")
    assert window.interval > 25600
    assert window_fill_depth(spec, 1.5) == window.fill + MIN_FIFO_DEPTH


def test_the_partition_costs_the_fifo_on_the_window_streams():
    """The model's FIFO on relu -> conv: on the conv's 2 streams (behind the squeeze, where
    the RTL puts it), 1,522 words of 16 bits each (2 BRAM18 each)."""
    perf = partition_performance([relu(), conv3d()], [("relu", "conv")], None, 200, 1)
    fifos = {edge: m for edge, m in perf.fifos}
    fifo = fifos[("relu", "conv")]
    assert fifo.instances == 2 and fifo.memories[0].depth == 1522 and fifo.memories[0].width == 16
    assert perf.interval == 12800


# ------------------------------------------------------------------ the DMA at a shared bandwidth


def test_the_dma_idles_where_an_evicted_window_walks_padding_and_reads_nothing():
    """The 3D conv with window_evicted at 40 bits a cycle: its ports are the input, the output
    and the window's write and 2 reads, 32 bits a beat each, so the DMA banks 64 x 160 =
    10,240 bits, 256 cycles. A position moves nothing off chip where its inner coordinates
    are padding, or its slice is padding and no lagged tap (1, 2 slices back) reaches a real
    one: the frame border (slice 7's last 11 positions, slice 0, slice 1's first 11: 122
    positions, 1,952 cycles) loses 1,696; each of the 6 borders between real slices 1..7
    (22 positions, 352 cycles) loses 96; the 2 padded columns between rows (32 cycles) none."""
    from fpga_sdf.model.fifo_depths import dma_idle_cycles, dma_padding_stall

    spec = replace(conv3d(), window_evicted=True)
    assert dma_idle_cycles(spec, True, 40.0, 64 * 160) == (1952 - 256) + 6 * (352 - 256) == 2272
    assert dma_padding_stall([spec], (), 40.0) == 2272
    # at 13 bits a cycle the bank covers 788 cycles: only the frame border loses (1,164.3)
    assert dma_padding_stall([spec], (), 13.0) == 1165


def test_the_dma_idles_where_an_on_chip_window_walks_padding():
    """The same conv with its window on chip at 10.91 bits a cycle: the input and output
    ports, 64 bits a beat pair, bank 4,096 bits (375.4 cycles). The frame border is 222
    positions (slice 6's last 11, slices 7 and 0, slice 1's first 11: 3,552 cycles), the
    borders between real slices 352 cycles, under the bank."""
    from fpga_sdf.model.fifo_depths import dma_padding_stall

    assert dma_padding_stall([conv3d()], (), 10.91) == -(-(3552 - 4096 / 10.91) // 1) == 3177
    # fed on chip (a relu in front reads the input): the relu's walk has no padding
    assert dma_padding_stall([relu(2), conv3d()], [("relu", "conv")], 10.91) == 0
