"""Report dict and table: every level present and consistent with the models."""

import json

import pytest

from fpga_sdf.model import (LayerSpec, Partition, build_report, format_table,
                            layer_performance, load_platform, network_performance)


def layers():
    conv = LayerSpec("conv1", "conv", ((16, 32, 32),), ((32, 32, 32),), kernel=(3, 3),
                     stride=(1, 1), pad=(1, 1, 1, 1), coarse_in=4, coarse_out=8, fine=9)
    relu = LayerSpec("relu1", "activation", ((32, 32, 32),), ((32, 32, 32),), mode="relu",
                     coarse_in=8, coarse_out=8)
    pool = LayerSpec("pool1", "pool", ((32, 32, 32),), ((32, 16, 16),), kernel=(2, 2),
                     stride=(2, 2), mode="max", coarse_in=8, coarse_out=8)
    return conv, relu, pool


def test_report_structure_and_consistency():
    conv, relu, pool = layers()
    parts = [Partition.chain([conv, relu]), Partition.chain([pool])]
    report = build_report(parts, "zc706", batch=8, network_name="tiny")
    assert set(report) == {"network", "partitions", "layers", "platform"}
    json.dumps(report)  # JSON-ready
    net = network_performance(parts, load_platform("zc706"), batch=8)
    assert report["network"]["fps"] == pytest.approx(net.fps)
    assert report["network"]["latency_ms"] == pytest.approx(net.latency_ms)
    assert report["network"]["gops"] == pytest.approx(net.gops)
    assert report["network"]["bottleneck"]["layer"] in ("conv1", "pool1")
    assert [p["layers"] for p in report["partitions"]] == [["conv1", "relu1"], ["pool1"]]
    conv_row = report["layers"][0]
    # conv 1024 x 4 x 4 = 16384 + its window's border stall (frame run 2 x 34 x 4 + 8 = 280
    # words less 2 windows of 4 cycles; line runs 8 <= 8): 16656 (see the layer tests)
    assert conv_row["interval"] == layer_performance(conv).interval == 16656
    assert conv_row["resources"]["dsp"] == 288
    assert conv_row["utilisation_pct"]["dsp"] == pytest.approx(32.0)
    assert conv_row["is_partition_bottleneck"]
    assert report["partitions"][0]["resources"]["dsp"] == 288
    assert report["network"]["resources"]["dsp"] == 288  # peak over partitions
    assert report["platform"]["name"] == "zc706"
    for level in (report["network"], *report["partitions"]):
        assert level["power_w"]


def test_format_table_lists_every_layer():
    conv, relu, pool = layers()
    text = format_table(build_report([[conv, relu, pool]], "zcu102"))
    assert "zcu102" in text and "fps" in text
    for name in ("conv1", "relu1", "pool1"):
        assert name in text


def test_report_says_which_weights_go_off_chip():
    # conv1: 32 MAC units of 16 words x 144 bits (9 weights of 16 bits); fragments (4, 3, 1)
    # keep 12 words on chip and stream 4: 32 x 144 x 12 = 55296 bits on, 18432 off, fetched
    # for each of 1024 output pixels: 18874368 bits a frame
    from dataclasses import replace

    conv, relu, pool = layers()
    fragmented = replace(conv, weights_fragments=(4, 3, 1), weights_off_chip=0.25)
    report = build_report([Partition.chain([fragmented, relu, pool])], "zc706", batch=4)
    rows = {r["name"]: r for r in report["layers"]}
    assert rows["conv1"]["weights_fragments"] == [4, 3, 1]
    assert (rows["conv1"]["weights_on_chip_bits"], rows["conv1"]["weights_off_chip_bits"]) == (55_296, 18_432)
    # layers without weights hold none
    assert rows["pool1"]["weights_fragments"] is None and rows["pool1"]["weights_off_chip_bits"] == 0
    fps = report["network"]["fps"]
    assert rows["conv1"]["weights_streamed_gbps"] == pytest.approx(18_874_368 * fps / 1e9)
    assert report["partitions"][0]["weights_bandwidth_gbps"] == pytest.approx(18_874_368 * fps / 1e9)
    table = format_table(report)
    assert "weights off-chip" in table
    assert any(line.split()[:4] == ["conv1", "4,3,1", "55296", "18432"] for line in table.splitlines())
    assert "partition 0: weights stream" in table
    # a bare fraction (what the DSE sets): half of the 16 words of each unit off chip
    legacy = build_report([Partition.chain([replace(conv, weights_off_chip=0.5)])], "zc706")
    row = legacy["layers"][0]
    assert row["weights_fragments"] is None
    assert (row["weights_on_chip_bits"], row["weights_off_chip_bits"]) == (32 * 144 * 8, 32 * 144 * 8)
    assert "fraction 0.5" in format_table(legacy)
    # nothing streamed: no section
    assert "weights off-chip" not in format_table(build_report([Partition.chain([conv])], "zc706"))


def test_report_says_which_feature_maps_go_off_chip_in_a_block_cut_in_the_middle():
    # fork -> conv -> | -> add(conv, skip): the first partition writes the conv's output and
    # the fork's skip copy, the second reads both. (16, 32x32) maps at 16 bits: 262144 bits.
    shape = (16, 32, 32)
    fork = LayerSpec("fork", "split", (shape,), (shape, shape))
    conv = LayerSpec("conv", "conv", (shape,), (shape,), kernel=(3, 3), stride=(1, 1), pad=(1, 1, 1, 1))
    add = LayerSpec("add", "eltwise", (shape, shape), (shape,), mode="add")
    parts = [Partition((fork, conv), (("fork", "conv"),)), Partition((add,), ())]
    report = build_report(parts, "zc706", batch=8, network_name="block")
    first, second = report["partitions"]
    fmap = 262_144
    assert first["offchip_tensors"] == [{"layer": "fork", "direction": "in", "bits_per_frame": fmap},
                                        {"layer": "fork", "direction": "out", "bits_per_frame": fmap},
                                        {"layer": "conv", "direction": "out", "bits_per_frame": fmap}]
    assert [t["direction"] for t in second["offchip_tensors"]] == ["in", "in", "out"]
    assert first["ddr_bytes"] == second["ddr_bytes"] == 3 * fmap * 8 // 8
    table = format_table(report)
    assert (f"partition 0: reads fork.in {fmap}; writes fork.out {fmap}, conv.out {fmap}; "
            f"{first['bandwidth_gbps']:.2f} Gb/s") in table
    assert f"partition 1: reads add.in {fmap}, add.in {fmap}; writes add.out {fmap};" in table


def test_report_gives_the_latency_bound_of_one_partition():
    """model/latency_bound.py in the report: conv1 is the only MAC layer, 1,024 pixels x 32 x 16
    x 9 = 4,718,592 MACs at one DSP slice each (16 bits), so no folding on the ZCU102's 2,520
    DSPs takes less than 4,718,592 / 2,520 cycles; with two partitions there is none."""
    conv, relu, pool = layers()
    report = build_report([[conv, relu, pool]], "zcu102")
    net = report["network"]
    assert net["latency_bound_ms"] == pytest.approx(4_718_592 / 2_520 / (net["clock_mhz"] * 1e3))
    assert net["latency_bound_ms"] < net["latency_ms"]
    assert f"latency bound: no folding of this partition beats {net['latency_bound_ms']:.3f} ms" in format_table(report)
    split = build_report([Partition.chain([conv, relu]), Partition.chain([pool])], "zcu102")
    assert split["network"]["latency_bound_ms"] is None
    assert "latency bound" not in format_table(split)
