"""Partition and network performance: balanced SDF rates, bandwidth bound, reloading,
skip-connection FIFOs, squeeze and reconfiguration, against hand computations."""

import math

import pytest

from model_test_specs import conv
from fpga_sdf.model import (LayerSpec, Partition, load_platform, network_performance,
                            partition_performance, platform_from_dict)

ZC706 = load_platform("zc706")


def relu(coarse=8, channels=32):
    return LayerSpec("relu", "activation", ((channels, 32, 32),), ((channels, 32, 32),),
                     mode="relu", coarse_in=coarse, coarse_out=coarse)


def slow_board(bandwidth_gbps):
    data = {f: getattr(ZC706, f) for f in ZC706.__dataclass_fields__ if f != "static_power_w"}
    return platform_from_dict({**data, "bandwidth_gbps": bandwidth_gbps, "clock_mhz": 100})


def test_chain_interval_is_slowest_layer_and_latency_adds_depth():
    # conv interval 16384 (see layer tests), relu 1024*32/8 = 4096 -> partition 16384.
    # depth = conv 1151 + relu 1 (no buffering) = 1152 cycles
    # batch 1 @125 MHz: (1152 + 16384) cycles; batch 100: 1152 + 100 * 16384
    perf = partition_performance([conv(), relu()], platform=ZC706, batch=1)
    assert perf.interval == 16384 and perf.bottleneck == "conv"
    assert perf.depth == 1152
    assert perf.cycles == 1152 + 16384
    assert perf.latency_ms == pytest.approx((1152 + 16384) / 125e6 * 1e3)
    batch = partition_performance([conv(), relu()], platform=ZC706, batch=100)
    assert batch.fps == pytest.approx(100 / ((1152 + 100 * 16384) / 125e6))
    # ops per frame: conv 9437184 + relu 32768
    assert batch.ops_per_frame == 9_437_184 + 32_768
    assert batch.gops == pytest.approx(batch.ops_per_frame * batch.fps / 1e9)


def test_offchip_bandwidth_bounds_the_interval():
    # input 16*1024 words + output 32*1024 words, 16 bits: 786432 bits per frame.
    # 1 Gb/s at 100 MHz = 10 bits/cycle -> ceil(78643.2) = 78644 cycles > 16384
    perf = partition_performance([conv(), relu()], platform=slow_board(1.0))
    assert perf.offchip_bits_per_frame == 786_432
    assert perf.bandwidth_interval == 78_644
    assert perf.interval == 78_644 and perf.compute_interval == 16_384
    assert perf.bottleneck == "off-chip bandwidth"


def test_streamed_weights_add_offchip_traffic():
    # AutoWS: 2304 weights * 1024 output pixels * 16 bits = 37748736 bits + 786432 fmaps.
    # ZC706: 34.1 Gb/s at 125 MHz = 272.8 bits/cycle -> ceil(38535168 / 272.8) = 141258
    perf = partition_performance([conv(weights_off_chip=0.5), relu()], platform=ZC706)
    assert perf.offchip_bits_per_frame == 38_535_168
    assert perf.bandwidth_interval == math.ceil(38_535_168 / 272.8) == 141_258
    assert perf.bottleneck == "off-chip bandwidth"


def test_weights_reloading_runs_the_partition_wr_times():
    # wr=2: interval 8192 per run, 2 runs over the batch, one reload of half the weights
    # (the first half ships with the bitstream): 73728 / 2 bits at 34.1 Gb/s
    perf = partition_performance([conv(wr_factor=2)], platform=ZC706, batch=10)
    assert perf.runs == 2 and perf.interval == 8192
    assert perf.cycles == 2 * (perf.depth + 8192 * 10)
    assert perf.reload_bits == 4608 * 16
    assert perf.time_s == pytest.approx(perf.cycles / 125e6 + 36_864 / 34.1e9)
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
    # interval: conv 1024 * 4 * 4 = 16384. conv depth at 16384:
    #   window 2 + 280 * 16384/4096 = 1122, fork 1, conv 8, weights 2, accum 2 + 13, glue 4
    #   = 1152 cycles of slack on the direct edge; split emits 32*1024/8 = 4096 words per
    #   stream per frame -> FIFO = ceil(1152 * 4096 / 16384) + 2 = 290 words
    shape = (32, 32, 32)
    split = LayerSpec("split", "split", (shape,), (shape, shape), coarse_in=8, coarse_out=8)
    body = conv(inputs=(shape,), outputs=(shape,), coarse_in=8, coarse_out=8)
    add = LayerSpec("add", "eltwise", (shape, shape), (shape,), mode="add", coarse_in=8,
                    coarse_out=8)
    edges = (("split", "conv"), ("split", "add"), ("conv", "add"))
    perf = partition_performance([split, body, add], edges, platform=ZC706)
    assert perf.interval == 16384
    fifos = dict(perf.fifos)
    assert fifos[("split", "add")].memories[0].depth == 290
    assert fifos[("conv", "add")].memories[0].depth == 2
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
