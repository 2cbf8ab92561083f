"""Partition and network performance: balanced SDF rates, bandwidth bound, reloading,
skip-connection FIFOs, squeeze and reconfiguration, against hand computations."""

import math

import pytest

from model_test_specs import conv
from fpga_sdf.model import (LayerSpec, Partition, layer_performance, load_platform,
                            network_performance, partition_performance, platform_from_dict)
from fpga_sdf.model.fifo_depths import window_gap_depth

ZC706 = load_platform("zc706")


def relu(coarse=8, channels=32):
    return LayerSpec("relu", "activation", ((channels, 32, 32),), ((channels, 32, 32),),
                     mode="relu", coarse_in=coarse, coarse_out=coarse)


def slow_board(bandwidth_gbps):
    data = {f: getattr(ZC706, f) for f in ZC706.__dataclass_fields__ if f != "static_power_w"}
    return platform_from_dict({**data, "bandwidth_gbps": bandwidth_gbps, "clock_mhz": 100})


def test_chain_interval_is_slowest_layer_and_latency_adds_depth():
    # conv interval 16656 (conv 16384 + its window's border stall 272, see the layer tests),
    # relu 1024*32/8 = 4096 -> partition 16656.
    # depth = first input to first output, buffers filled as fast as the upstream delivers:
    # the DMA brings a frame in 8192 cycles (the off-chip transfers' bound: the output's
    # 32x1024x16 = 524288 bits through one 64-bit HP port), so the window's 133 words (see
    # the layer tests) take 133 x 8192 / 4096 = 266 cycles, + 2; fork 1, conv 8; from the
    # conv on the input runs at the interval (the accumulator fills while the frame is
    # computed, which batch x interval counts): weights 2, accum 2, glue 3; relu 1 -> 285.
    # batch 1 @125 MHz: (285 + 16656) cycles; batch 100: 285 + 100 * 16656
    perf = partition_performance([conv(), relu()], platform=ZC706, batch=1)
    assert perf.interval == 16656 and perf.bottleneck == "conv" and perf.bandwidth_interval == 8192
    assert perf.depth == 285
    assert perf.cycles == 285 + 16656
    assert perf.latency_ms == pytest.approx((285 + 16656) / 125e6 * 1e3)
    batch = partition_performance([conv(), relu()], platform=ZC706, batch=100)
    assert batch.fps == pytest.approx(100 / ((285 + 100 * 16656) / 125e6))
    # the accumulator emits a pixel's cout_s = 4 sums back to back: a FIFO of one burst
    assert [(edge, m.instances, m.memories[0].depth) for edge, m in perf.fifos] == \
        [(("conv", "relu"), 8, 4)]
    # ops per frame: conv 9437184 + relu 32768
    assert batch.ops_per_frame == 9_437_184 + 32_768
    assert batch.gops == pytest.approx(batch.ops_per_frame * batch.fps / 1e9)


def test_depth_fills_buffers_as_fast_as_the_upstream_delivers():
    # digits-like chain at every factor 1, no bias: a (1->16, 8x8, 3x3 pad 1) at 64 * 16 * 9
    # = 9216 cycles feeds b (16->32) at 64 * 16 * 32 * 9 = 294912, then a relu.
    #   a: the DMA brings its 64 words in 64 cycles; its window reads 10 words (up to pixel
    #      (1, 1)) in 10 cycles + 2; conv 3 + clog2(1) + 9 = 13; weights 2  -> 27
    #   b: a delivers a frame per 9216 cycles, so b's window's 9 * 16 + 1 = 145 words take
    #      145 / 1024 * 9216 = 1305 cycles, + 2; conv 13; then at the interval: weights 2,
    #      accum 2 (its fill runs while the frame is computed)               -> 1324
    #   relu 1: depth 27 + 1324 + 1 = 1352 (RTL, digits: first output 1451 cycles after
    #   one interval). The balanced-rate depth would fill b's window at 294912 per frame.
    # a delivers a word every 9 cycles, so b's window gets a FIFO of its fill, 145 + 2 words
    # (fifo_depths.window_fill_depth): the next frame's first words wait there while b
    # finishes this frame, and b never waits for them: interval 294912, b's own (its border
    # runs, 2 rows x 10 x 16 + 2 x 16 = 352 words, stay below the 2 x 288 cycles of slack).
    a = LayerSpec("a", "conv", ((1, 8, 8),), ((16, 8, 8),), kernel=(3, 3), pad=(1,) * 4)
    b = LayerSpec("b", "conv", ((16, 8, 8),), ((32, 8, 8),), kernel=(3, 3), pad=(1,) * 4)
    r = LayerSpec("r", "activation", ((32, 8, 8),), ((32, 8, 8),), mode="relu")
    perf = partition_performance([a, b, r], clock_mhz=125.0, batch=20)
    assert perf.interval == 294_912 and perf.bottleneck == "b"
    assert perf.depth == 27 + 1324 + 1
    assert perf.cycles == perf.depth + 20 * perf.interval
    # a sums one channel (no accumulator: a smooth output, no burst FIFO) but feeds a window
    # slower than a word per cycle; b's accumulator emits a pixel's 32 sums back to back: one
    # burst of FIFO behind it; the relu has no window
    assert [(edge, m.memories[0].depth) for edge, m in perf.fifos] == [(("a", "b"), 147), (("b", "r"), 32)]


def test_window_fifos_decouple_padded_windows_from_a_slower_producer():
    # tiny_c3d's shapes: a (3->8, 3x3x3 pad 1 on 4x16x16) at 1024 * 3 * 8 * 27 = 663552
    # cycles plus its window's border stall (216 cycles per window, slack 432; the frame run,
    # 2 planes x 18 rows + 2 rows = 38 rows x 54 words + a lead of 6, less 432 = 1626;
    # lines' and planes' runs stay below the slack): 665178; a max pool (1,2,2)/(1,2,2) to
    # 4x8x8; b (8->8, 3x3x3 pad 1) at 256 * 8 * 8 * 27 = 442368 + (2 x 10 + 2) x 80 + 16 - 432
    # = 443712. Without a buffer the windows of b ending in its trailing padding would come
    # after its input's last word and hold a (RTL: 797432 cycles per frame); a FIFO of each
    # window's fill on the edges into it (the producer is slower than a word per cycle: a
    # 665178 cycles for 8192 words per stream, the pool 665178 for 2048) lets the producer run
    # into the next frame meanwhile (RTL: 664750): the pool's fill is 17 pixels x 8 channels
    # + 1 = 137 words, b's one plane, one row and one pixel = 73 x 8 + 1 = 585; each + 2.
    a = LayerSpec("a", "conv", ((3, 4, 16, 16),), ((8, 4, 16, 16),), kernel=(3, 3, 3),
                  pad=(1,) * 6)
    p = LayerSpec("p", "pool", ((8, 4, 16, 16),), ((8, 4, 8, 8),), kernel=(1, 2, 2),
                  stride=(1, 2, 2), mode="max")
    b = LayerSpec("b", "conv", ((8, 4, 8, 8),), ((8, 4, 8, 8),), kernel=(3, 3, 3), pad=(1,) * 6)
    perf = partition_performance([a, p, b], clock_mhz=125.0)
    assert layer_performance(a).interval == 665_178 and layer_performance(b).interval == 443_712
    assert perf.interval == 665_178 and perf.bottleneck == "a"
    # a's accumulator bursts 8 sums, within the pool's 139-word FIFO on the same edge
    assert [(edge, m.memories[0].depth) for edge, m in perf.fifos] == [(("a", "p"), 139), (("p", "b"), 587)]


def test_pool_before_a_slower_consumer_gets_a_fifo_of_its_longest_run():
    # digits' last partition at 8 bits: relu (32x8x8, 2048 cycles), a 2x2 / 2 max pool
    # (2048 cycles), an inner product 512 -> 10 at fine 1: 512 words x 10 filters = 5120.
    # The pool's window walks runs of words without a window: 32 between a line's windows
    # (12 a frame), and 288 from a window line to the next (the skipped line, 8 x 32, and
    # the next one's first pixel, 32; three a frame, and one to the next frame). It cannot
    # walk a run while its last window waits for the inner product, so through a depth-2
    # stream the inner product idles for each (RTL: 6,080 cycles a frame). Fed at a word a
    # cycle, a run of 288 words lasts 288 cycles, ceil(288 / 10) = 29 of the inner
    # product's words, + 2: a FIFO of 31 hides it (RTL: 5,120).
    r = LayerSpec("r", "activation", ((32, 8, 8),), ((32, 8, 8),), mode="relu")
    p = LayerSpec("p", "pool", ((32, 8, 8),), ((32, 4, 4),), kernel=(2, 2), stride=(2, 2), mode="max")
    ip = LayerSpec("ip", "inner_product", ((32, 4, 4),), ((10,),))
    perf = partition_performance([r, p, ip], clock_mhz=125.0)
    assert perf.interval == 5120 and perf.bottleneck == "ip"
    assert [(edge, m.instances, m.memories[0].depth) for edge, m in perf.fifos] == [(("p", "ip"), 1, 31)]
    # fed a word every 2 cycles the run lasts 576 cycles: ceil(576 / 10) + 2 = 60 words;
    # a consumer of a word a cycle never waits long; an inner product faster than the pool
    # (coarse_out 10: 512 cycles a frame) is not the one that waits: no FIFO
    assert window_gap_depth(p, 2.0, 10.0) == 60 and window_gap_depth(p, 1.0, 1.0) == 0
    fast = LayerSpec("ip", "inner_product", ((32, 4, 4),), ((10,),), coarse_out=10)
    assert partition_performance([r, p, fast], clock_mhz=125.0).fifos == ()


def test_offchip_bandwidth_bounds_the_interval():
    # input 16*1024 words + output 32*1024 words, 16 bits: 786432 bits per frame.
    # 1 Gb/s at 100 MHz = 10 bits/cycle -> ceil(78643.2) = 78644 cycles > 16656 (compute)
    perf = partition_performance([conv(), relu()], platform=slow_board(1.0))
    assert perf.offchip_bits_per_frame == 786_432
    assert perf.bandwidth_interval == 78_644
    assert perf.interval == 78_644 and perf.compute_interval == 16_656
    assert perf.bottleneck == "off-chip bandwidth"


def test_streamed_weights_add_offchip_traffic():
    # AutoWS: 2304 weights * 1024 output pixels * 16 bits = 37748736 bits + 786432 fmaps.
    # ZC706: the stream's master alone on its 64-bit HP port -> 37748736 / 64 = 589824
    # cycles (the DDR's 34.1 Gb/s at 125 MHz, 272.8 bits/cycle, would allow 141258)
    perf = partition_performance([conv(weights_off_chip=0.5), relu()], platform=ZC706)
    assert perf.offchip_bits_per_frame == 38_535_168
    assert perf.bandwidth_interval == 37_748_736 // 64 == 589_824
    assert math.ceil(38_535_168 / 272.8) == 141_258
    assert perf.bottleneck == "off-chip bandwidth"


def test_weights_reloading_runs_the_partition_wr_times():
    # wr=2: interval 8592 per run (conv 8192 + border stall 400, see the layer tests), 2 runs
    # over the batch, one reload of half the weights (the first half ships with the
    # bitstream): 73728 / 2 bits through the conv's weights port, 64 bits a cycle: 576 cycles
    perf = partition_performance([conv(wr_factor=2)], platform=ZC706, batch=10)
    assert perf.runs == 2 and perf.interval == 8592
    assert perf.cycles == 2 * (perf.depth + 8592 * 10)
    assert perf.reload_bits == 4608 * 16
    assert perf.time_s == pytest.approx(perf.cycles / 125e6 + 576 / 125e6)
    # each run writes half the output channels: 262144 in + 524288 / 2 out
    assert perf.offchip_bits_per_frame == 262_144 + 262_144


def test_squeeze_between_mismatched_stream_counts():
    # conv emits 8 streams, relu takes 4: a squeeze buffers lcm(8, 4) = 8 words
    perf = partition_performance([conv(), relu(coarse=4)], platform=ZC706)
    assert len(perf.squeezes) == 1
    edge, squeeze = perf.squeezes[0]
    assert edge == ("conv", "relu")
    assert sum(m.depth * m.copies for m in squeeze.memories) == 8
    assert partition_performance([conv(), relu()], platform=ZC706).squeezes == ()


def test_skip_connection_fifo_covers_the_long_branch():
    # split -> conv(3x3, 32->32, ci=co=8, fine 9) -> add, and split -> add directly.
    # interval: conv 1024 * 4 * 4 = 16384 plus its window's border stall (272, as in the
    # layer tests: same ch_s 4, cout_s 4, 34x34) = 16656. The split delivers a word per cycle
    # per stream (4096 words in its 4096 cycles), as fast as the window reads: no wait for
    # the window's first words, and no window FIFO.
    # conv depth at 16656: pipeline 2 + 1 + 8 + 2 + 2 + 4 = 19, window fill
    #   133 / 4096 * 16656 = 540.8, accum fill 13 / 16384 * 16656 = 13.2 -> ceil(573.1) = 574
    #   cycles of slack on the direct edge; split emits 32*1024/8 = 4096 words per stream per
    #   frame -> FIFO = ceil(574 * 4096 / 16656) + 2 = ceil(141.16) + 2 = 144 words (more than
    #   the join's read order needs: 1088 words over 8 streams, 136 + 2). The conv's output
    #   gets one burst of its accumulator (cout_s = 4 words).
    shape = (32, 32, 32)
    split = LayerSpec("split", "split", (shape,), (shape, shape), coarse_in=8, coarse_out=8)
    body = conv(inputs=(shape,), outputs=(shape,), coarse_in=8, coarse_out=8)
    add = LayerSpec("add", "eltwise", (shape, shape), (shape,), mode="add", coarse_in=8,
                    coarse_out=8)
    edges = (("split", "conv"), ("split", "add"), ("conv", "add"))
    perf = partition_performance([split, body, add], edges, platform=ZC706)
    assert perf.interval == 16656 and perf.bottleneck == "conv"
    fifos = dict(perf.fifos)
    assert fifos[("split", "add")].memories[0].depth == 144
    assert fifos[("conv", "add")].memories[0].depth == 4
    assert ("split", "conv") not in fifos
    assert [lp.name for lp in perf.layers] == ["split", "conv", "add"]


def test_bad_edges_are_rejected():
    with pytest.raises(ValueError, match="unknown layer 'nope'"):
        partition_performance([conv()], (("conv", "nope"),), platform=ZC706)
    a, b = conv(name="a"), relu()
    with pytest.raises(ValueError, match="cycle"):
        partition_performance([a, b], (("a", "relu"), ("relu", "a")), platform=ZC706)
    with pytest.raises(ValueError, match="clock_mhz"):
        partition_performance([conv()])


def test_network_pays_reconfiguration_between_partitions():
    first = Partition.chain([conv(), relu()])
    pool = LayerSpec("pool", "pool", ((32, 32, 32),), ((32, 16, 16),), kernel=(2, 2),
                     stride=(2, 2), mode="max", coarse_in=8, coarse_out=8)
    second = Partition.chain([pool])
    net = network_performance([first, second], ZC706, batch=4)
    parts = net.partitions
    # two partitions: each configured once per batch, 100 ms each on the ZC706
    assert net.reconfigurations == 2
    assert net.time_s == pytest.approx(parts[0].time_s + parts[1].time_s + 0.2)
    assert net.fps == pytest.approx(4 / net.time_s)
    assert net.latency_ms == pytest.approx(net.time_s * 1e3)
    single = network_performance([first], ZC706, batch=4)
    assert single.reconfigurations == 0
    assert single.time_s == pytest.approx(single.partitions[0].time_s)
    # a bare list of layers and a (layers, edges) pair are partitions too
    assert network_performance([[conv(), relu()]], ZC706).fps == pytest.approx(
        network_performance([([conv(), relu()], first.edges)], ZC706).fps)


def test_partition_without_edges_is_a_chain():
    # Partition(layers) defaults to a chain: the relu is fed on chip, so only the conv input
    # (262144 bits) and the relu output (524288 bits) cross the off-chip interface
    perf = partition_performance(*Partition([conv(), relu()]).__dict__.values(), platform=ZC706)
    assert perf.offchip_bits_per_frame == 786_432
    # explicit empty edges: both layers read and write off-chip
    alone = partition_performance([conv(), relu()], (), platform=ZC706)
    assert alone.offchip_bits_per_frame == 786_432 + 2 * 524_288


def test_join_fifo_depth_counts_words_of_p_pixels():
    """A backlog of features is held in words of p pixels: 100 features on 2 streams of 5
    pixels a word are 10 words a stream (+ the register pair), against 50 at one pixel."""
    from fpga_sdf.model.fifo_depths import fifo_depth, stream_depth

    assert stream_depth(100, 2, 1000) == 50 + 2
    assert stream_depth(100, 2, 1000, pixels=5) == 10 + 2
    assert fifo_depth(100, 2, 1000, lag_words=3, pixels=5) == 12
    assert fifo_depth(100, 2, 1000, lag_words=30, pixels=5) == 32


# ---- a residual block cut between its two convolutions (partitions with several streams)

def _block(**conv1):
    """x (16, 32x32) -> fork -> conv1 -> relu1 -> conv2 -> add(skip) -> relu2, 16 bits;
    both convs 16 -> 16 channels, 3x3 pad 1, coarse_in 4, coarse_out 8, fine 9."""
    shape = (16, 32, 32)
    fork = LayerSpec("fork", "split", (shape,), (shape, shape))
    c1 = conv(name="conv1", outputs=(shape,), **conv1)
    r1 = LayerSpec("relu1", "activation", (shape,), (shape,), mode="relu")
    c2 = conv(name="conv2", outputs=(shape,))
    add = LayerSpec("add", "eltwise", (shape, shape), (shape,), mode="add")
    r2 = LayerSpec("relu2", "activation", (shape,), (shape,), mode="relu")
    return fork, c1, r1, c2, add, r2


FMAP = 16 * 32 * 32 * 16  # bits of one (16, 32x32) feature map at 16 bits: 262144


def test_partition_lists_the_tensors_it_reads_and_writes():
    fork, c1, r1, c2, add, r2 = _block()
    first = Partition((fork, c1, r1), (("fork", "conv1"), ("conv1", "relu1")))
    second = Partition((c2, add, r2), (("conv2", "add"), ("add", "relu2")))
    # the fork's second copy (the skip) and relu1's output leave the first partition ...
    assert first.inputs() == (("fork", (16, 32, 32)),)
    assert first.outputs() == (("fork", (16, 32, 32)), ("relu1", (16, 32, 32)))
    # ... and the second reads both: conv2's input and the add's second operand
    assert second.inputs() == (("conv2", (16, 32, 32)), ("add", (16, 32, 32)))
    assert second.outputs() == (("relu2", (16, 32, 32)),)


def test_residual_block_cut_in_the_middle_shares_the_bandwidth():
    # 1 Gb/s at 100 MHz = 10 bits per cycle.
    # first: reads x (262144 bits), writes the skip and relu1's output (2 x 262144): 786432
    #   bits per frame -> ceil(78643.2) = 78644 cycles, above conv1's compute interval.
    # second: reads relu1's output and the skip (2 x 262144), writes relu2's: 786432 bits
    #   -> 78644 cycles as well.
    # The whole block in one partition would move only x and relu2's output: 524288 bits,
    #   52429 cycles: the cut costs the skip tensor's and the main stream's round trips.
    # DDR space over a batch of 4: 786432 x 4 / 8 = 393216 bytes per partition.
    board = slow_board(1.0)
    fork, c1, r1, c2, add, r2 = _block()
    first = partition_performance((fork, c1, r1), (("fork", "conv1"), ("conv1", "relu1")), board, batch=4)
    second = partition_performance((c2, add, r2), (("conv2", "add"), ("add", "relu2")), board, batch=4)
    whole = partition_performance(_block(), (("fork", "conv1"), ("conv1", "relu1"), ("relu1", "conv2"),
                                             ("conv2", "add"), ("fork", "add"), ("add", "relu2")), board, batch=4)
    for perf in (first, second):
        assert perf.offchip_bits_per_frame == 3 * FMAP == 786_432
        assert perf.bandwidth_interval == 78_644 == perf.interval
        assert perf.bottleneck == "off-chip bandwidth"
        assert perf.ddr_bytes == 786_432 * 4 // 8 == 393_216
        # bits moved over the batch at the partition's average rate
        assert perf.bandwidth_gbps == pytest.approx(786_432 * 4 / perf.time_s / 1e9)
    assert first.offchip_tensors == (("fork", "in", FMAP), ("fork", "out", FMAP), ("relu1", "out", FMAP))
    assert second.offchip_tensors == (("conv2", "in", FMAP), ("add", "in", FMAP), ("relu2", "out", FMAP))
    # compute: the fork and the relus move one word per cycle, 16 x 1024 = 16384 cycles, more
    # than the convs (8592, see the wr test above: half of conv()'s filters)
    assert first.compute_interval == second.compute_interval == 16_384
    assert whole.offchip_bits_per_frame == 2 * FMAP and whole.bandwidth_interval == 52_429
    assert whole.ddr_bytes == 2 * FMAP * 4 // 8
    # run one after the other, with one reconfiguration each
    net = network_performance([Partition((fork, c1, r1), (("fork", "conv1"), ("conv1", "relu1"))),
                               Partition((c2, add, r2), (("conv2", "add"), ("add", "relu2")))], board, batch=4)
    assert net.time_s == pytest.approx(first.time_s + second.time_s + 2 * board.reconfiguration_ms / 1e3)


def test_weights_reloading_on_a_layer_whose_output_leaves_the_partition():
    # Cut after conv1 (not the partition's only output: the skip leaves too). wr = 2: two
    # runs; per run the partition reads x whole (262144), writes half of conv1's filters
    # (131072) and the skip whole (262144: every run writes it, as the HLS backend builds it):
    # 655360 bits per run. 10 bits per cycle -> 65536 cycles per run. Reload: conv1's
    # 16 x 16 x 9 = 2304 weights at 16 bits = 36864 bits, half of them reloaded once (the
    # first half ships with the bitstream): 18432 bits at 1 Gb/s.
    board = slow_board(1.0)
    fork, c1, *_ = _block(wr_factor=2)
    perf = partition_performance((fork, c1), (("fork", "conv1"),), board, batch=4)
    assert perf.runs == 2
    assert perf.offchip_bits_per_frame == FMAP + FMAP // 2 + FMAP == 655_360
    assert perf.bandwidth_interval == 65_536 == perf.interval
    assert perf.reload_bits == 2304 * 16 == 36_864
    assert perf.cycles == 2 * (perf.depth + 65_536 * 4)
    assert perf.time_s == pytest.approx(perf.cycles / 100e6 + 18_432 / 1e9)
    # bits moved over the batch: 2 runs x 4 frames x 655360 + the reload
    assert perf.bandwidth_gbps == pytest.approx((2 * 4 * 655_360 + 36_864) / perf.time_s / 1e9)
    # DDR: x, conv1's output and the skip, each a full frame per image
    assert perf.ddr_bytes == 3 * FMAP * 4 // 8
