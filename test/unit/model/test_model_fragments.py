"""AutoWS weight fragmentation (seed 000, eq. 2): memory, streamed bits and shared bandwidth,
each against figures computed by hand from the fragment geometry."""

import math
from dataclasses import replace

import pytest

from model_test_specs import conv
from fpga_sdf.model import LayerSpec, build_report, layer_performance, layer_resources, load_platform
from fpga_sdf.model import partition_performance, partition_resources
from fpga_sdf.model.memory import bram18_blocks
from fpga_sdf.model.weights_memory import (fragment_depth, fragment_problems, fragments_of, geometry,
                                           weights_memory, weights_split, with_fragments)
from fpga_sdf.passes.sdf_fragment_weights import BRAM18_BITS, greedy_fragments, memory_bits

ZC706 = load_platform("zc706")  # no URAM: every weights memory is BRAM


def fragmented(spec, fragments):
    """The spec with (n, u_on, u_off) and the off-chip fraction they imply (as the IR reader sets)."""
    _, u_on, u_off = fragments
    return replace(spec, weights_fragments=fragments, weights_off_chip=u_off / (u_on + u_off))


def fc(**kw):
    """2048 -> 1024 inner product on 4 MAC units: each holds 2048 * 1024 / 4 = 524288 words of 16 bits."""
    base = dict(name="fc", kind="inner_product", inputs=((2048,),), outputs=((1024,),), coarse_out=4,
                has_bias=True, weights_memory="bram")
    base.update(kw)
    return LayerSpec(**base)


def conv1x1(name, size, channels=256):
    """A 1x1 conv, one MAC unit, channels^2 words of weights, size x size output pixels."""
    return LayerSpec(name, "conv", ((channels, size, size),), ((channels, size, size),), kernel=(1, 1),
                     stride=(1, 1), pad=(0, 0, 0, 0), has_bias=True, weights_memory="bram")


def test_geometry_is_the_folded_memory():
    # conv(): 16 -> 32, coarse_in 4, coarse_out 8, fine 9: 32 MAC units, words of 9 x 16 bits,
    # (16/4 channels) x (32/8 filters) = 16 words each
    g = geometry(conv())
    assert (g.mac_units, g.word, g.depth) == (32, 144, 16)
    assert geometry(fc()).depth == 524_288
    assert geometry(LayerSpec("p", "pool", ((4, 8, 8),), ((4, 4, 4),), kernel=(2, 2), mode="max")) is None


def test_memory_is_n_static_regions_plus_a_double_buffered_dynamic_one():
    # M_on = n u_on = 32768 * 12 = 393216 words, M_off = n u_off = 131072 (eq. 2); the
    # dynamic regions share one buffer of 2 u_off = 8 words in dual-port BRAM
    spec = fragmented(fc(), (32768, 12, 4))
    module = weights_memory(spec, 4, 524_288, 16, 524_288)
    memories = {m.role: m for m in module.memories}
    assert (memories["weights"].depth, memories["stream_buffer"].depth) == (393_216, 8)
    assert memories["stream_buffer"].binding == "bram"
    # 16-bit words in 1024 x 18 BRAM18s: 393216 / 1024 = 384 per unit (was 524288 / 1024 =
    # 512), plus one BRAM18 of buffer: 4 units * (512 - 385) = 508 BRAM18 freed
    assert bram18_blocks(16, 393_216) == 384 and bram18_blocks(16, 8) == 1
    freed = layer_resources(fc(), ZC706).bram18 - layer_resources(spec, ZC706).bram18
    assert freed == 4 * (512 - 384 - 1) == 508
    assert weights_split(spec) == (4 * 16 * 393_216, 4 * 16 * 131_072)


def test_all_off_chip_leaves_only_the_buffer():
    # u_on = 0: no static region, per unit a 2 x 16-word buffer (1 BRAM18)
    spec = fragmented(fc(), (32768, 0, 16))
    module = weights_memory(spec, 4, 524_288, 16, 524_288)
    assert [(m.role, m.depth) for m in module.memories] == [("stream_buffer", 32)]


def test_streamed_words_are_n_u_off_per_unit_per_output_pixel():
    # conv(): 32 units x n=4 x u_off=1 words x 9 weights a word, for each of 1024 pixels
    perf = layer_performance(fragmented(conv(), (4, 3, 1)))
    assert perf.weights_streamed_words == 32 * 4 * 1 * 9 * 1024 == 1_179_648
    # an inner product cycles its memory once per frame: a quarter of its 2097152 weights
    assert layer_performance(fragmented(fc(), (32768, 12, 4))).weights_streamed_words == 524_288
    # with weights reloading every run streams its share: wr_factor 2 halves the MAC
    # units' depth, not the words per frame
    half = replace(fc(), wr_factor=2)
    assert geometry(half).depth == 262_144
    assert layer_performance(fragmented(half, (16384, 12, 4))).weights_streamed_words == 524_288


def test_a_multi_pixel_conv_streams_once_per_output_word():
    # at 2 pixels a word conv()'s units hold 2 MAC arrays reading one weights word together
    # (the same 32 units, 16 words each): the memory is cycled 1024 / 2 = 512 times a frame
    two = replace(conv(), pixels=(2, 1))
    assert geometry(two) == geometry(conv())
    assert layer_performance(fragmented(two, (4, 3, 1))).weights_streamed_words == 32 * 4 * 1 * 9 * 512
    # a stride-2 window at 2 pixels in keeps one output pixel a word: no sharing, 16 x 16 pixels
    strided = replace(conv(), stride=(2, 2), outputs=((32, 16, 16),), pixels=(2, 1))
    assert layer_performance(fragmented(strided, (4, 3, 1))).weights_streamed_words == 32 * 4 * 1 * 9 * 256


def test_shared_dma_bounds_the_partition_interval():
    # conv(), u_off = 1 of 4 words: 1179648 weights x 16 bits + fmaps in 16x1024x16 and out
    # 32x1024x16 = 19660800 bits a frame; ZC706 moves 34.1 Gb/s / 125 MHz = 272.8 bits a cycle
    # (72071 cycles), but each master through its own 64-bit HP port: the weights stream's
    # 18874368 bits take 294912 cycles
    spec = fragmented(conv(), (4, 3, 1))
    perf = partition_performance([spec], platform=ZC706)
    assert perf.offchip_bits_per_frame == 18_874_368 + 262_144 + 524_288 == 19_660_800
    assert math.ceil(19_660_800 / 272.8) == 72_071
    assert perf.bandwidth_interval == 18_874_368 // 64 == 294_912
    assert perf.interval == max(perf.compute_interval, 294_912)
    assert perf.bottleneck == "off-chip bandwidth"  # the conv computes a frame in ~1000s of cycles
    assert perf.weights_streams == (("conv", 18_874_368),)


def test_time_multiplexed_dma_serves_every_streaming_layer():
    # two layers stream: through DDR their sum (plus the fmaps) bounds the partition, and
    # through the ZC706's HP ports (a master each, 64 bits a cycle) b's stream alone; the
    # report gives each its share, in proportion to its bits (time-multiplexed)
    a = fragmented(conv(name="a"), (4, 3, 1))
    b = fragmented(conv(name="b", inputs=((32, 32, 32),), coarse_in=8), (4, 2, 2))
    # b: 64 units x 4 x 2 words x 9 x 1024 pixels x 16 bits = 75497472
    perf = partition_performance([a, b], platform=ZC706)
    assert dict(perf.weights_streams) == {"a": 18_874_368, "b": 75_497_472}
    fmaps = 16 * 1024 * 16 + 32 * 1024 * 16  # a's input, b's output
    assert perf.bandwidth_interval == 75_497_472 // 64 == 1_179_648
    uncapped = partition_performance([a, b], platform=replace(ZC706, axi_ports=None, axi_port_bits=None))
    assert uncapped.bandwidth_interval == math.ceil((18_874_368 + 75_497_472 + fmaps) / 272.8)
    report = build_report([[a, b]], "zc706")
    rows = {r["name"]: r for r in report["layers"]}
    assert rows["b"]["weights_streamed_gbps"] == pytest.approx(4 * rows["a"]["weights_streamed_gbps"])
    part = report["partitions"][0]
    assert part["weights_bandwidth_gbps"] == pytest.approx(
        rows["a"]["weights_streamed_gbps"] + rows["b"]["weights_streamed_gbps"])
    # the weights plus the fmaps are what the board moves while bandwidth-bound
    assert part["bandwidth_gbps"] == pytest.approx(
        (18_874_368 + 75_497_472 + fmaps) * report["network"]["fps"] / 1e9)
    assert rows["a"]["weights_fragments"] == [4, 3, 1]


def test_stale_fragments_fall_back_to_the_fraction():
    # the DSE re-folds specs read from fragmented IR: fragments for another depth (or another
    # fraction) no longer describe the memory, and the fraction-only model applies
    spec = fragmented(conv(), (4, 3, 1))
    assert fragments_of(spec, 16) == (4, 3, 1)
    assert fragments_of(replace(spec, coarse_in=2), 32) is None
    assert fragments_of(replace(spec, weights_off_chip=0.5), 16) is None
    legacy = layer_performance(replace(conv(), weights_off_chip=0.25))
    assert layer_performance(replace(spec, coarse_in=2)).weights_streamed_words == \
        layer_performance(replace(conv(), coarse_in=2, weights_off_chip=0.25)).weights_streamed_words
    assert legacy.weights_streamed_words == round(4608 * 0.25) * 1024


def test_fragment_problems_name_the_depth():
    assert fragment_problems(fragmented(conv(), (4, 3, 1))) == []
    (problem,) = fragment_problems(fragmented(conv(), (4, 3, 2)))
    assert "cover 20 words" in problem and "holds 16 at this folding" in problem
    (problem,) = fragment_problems(replace(conv(), weights_fragments=(4, 3, 1), weights_off_chip=0.5))
    assert "disagrees" in problem
    assert fragment_problems(replace(conv(), weights_fragments=(0, 3, 1)))
    assert fragment_problems(replace(conv(), weights_fragments=(4, 3)))


def test_fragment_depth_is_the_smallest_divisor_of_at_least_steps():
    assert fragment_depth(65_536, 16) == 16
    assert fragment_depth(36 * 9, 16) == 18
    assert fragment_depth(9, 16) == 9
    assert fragment_depth(17 * 19, 16) == 17


def test_with_fragments_rounds_a_fraction_up_to_whole_words():
    # conv(): 16 words per unit, one fragment of 16: a quarter is 4 words, 0.3 rounds up to 5
    assert with_fragments(conv(), 0.25).weights_fragments == (1, 12, 4)
    spec = with_fragments(conv(), 0.3)
    assert spec.weights_fragments == (1, 11, 5) and spec.weights_off_chip == 5 / 16
    assert fragments_of(spec, 16) == (1, 11, 5)
    # an fc of 524288 words a unit: 32768 fragments of 16; all of it leaves no static region
    assert with_fragments(fc(), 1.0).weights_fragments == (32768, 0, 16)
    assert with_fragments(conv(), 0.0).weights_fragments == ()


def test_greedy_streams_the_layer_with_fewest_output_pixels_first():
    # Two 1x1 convs with the same 65536-word memory (64 BRAM18 each); a at 16x16 streams its
    # weights 256 times a frame, b at 2x2 only 4 times. Fragments of 16 words (n = 4096):
    # k words off leave 4096 (16 - k) words (4 (16 - k) BRAM18) plus a 2k-word buffer (1
    # BRAM18), freeing 4k - 1 BRAM18 for k x 4096 words streamed per pixel.
    a, b = conv1x1("a", 16), conv1x1("b", 2)
    used = memory_bits(partition_resources([a, b], None, ZC706))
    # 10 BRAM18 over: the cheapest step reaching it is b with k = 3 (frees 11)
    assert greedy_fragments([a, b], None, ZC706, used - 10 * BRAM18_BITS, 16) == {"b": (4096, 13, 3)}
    # 80 over: no step frees it alone; the best ratio, (4k - 1) / k, is b whole (63), then
    # the 17 left by a with k = 5 (frees 19)
    plan = greedy_fragments([a, b], None, ZC706, used - 80 * BRAM18_BITS, 16)
    assert plan == {"b": (4096, 0, 16), "a": (4096, 11, 5)}
    fitted = [fragmented(s, plan[s.name]) for s in (a, b)]
    assert memory_bits(partition_resources(fitted, None, ZC706)) == used - (63 + 19) * BRAM18_BITS
    # nothing left to stream: infeasible
    assert greedy_fragments([a, b], None, ZC706, 10 * BRAM18_BITS, 16) is None
