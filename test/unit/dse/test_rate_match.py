"""Data-rate-matched folding (seed 004): the (j, h) choice against a brute force over the
seed's definitions, the KPU folding below one unit, more than one pixel per cycle, and every
layer of a real network keeping up with the input rate."""

from fractions import Fraction
from math import prod

from dataclasses import replace

import pytest

from fpga_sdf import api, network
from fpga_sdf.dse.rate_match import choose, frame_cycles
from fpga_sdf.model import LayerSpec
from fpga_sdf.model.folding import divisors
from fpga_sdf.model.performance import layer_performance


def _conv(cin=16, cout=32, size=16, kernel=3, groups=1, stride=1, pad=None):
    pad = kernel // 2 if pad is None else pad
    out = (size + 2 * pad - kernel) // stride + 1
    return LayerSpec(name="c", kind="conv", inputs=((cin, size, size),), outputs=((cout, out, out),),
                     kernel=(kernel, kernel), stride=(stride, stride), pad=(pad,) * 4, groups=groups)


def _seed_choice(cin, cout, rate):
    """Eqs. 7-11 by brute force: j | d_in, h | d_out, j / h >= r; the smallest j / h, then the
    largest h. None when no pair is fast enough."""
    pairs = [(j, h) for j in divisors(cin) for h in divisors(cout) if Fraction(j, h) >= rate]
    if not pairs:
        return None
    best = min(Fraction(j, h) for j, h in pairs)
    return max((p for p in pairs if Fraction(*p) == best), key=lambda p: p[1])


@pytest.mark.parametrize("features, cycles", [(1, 1), (3, 2), (1, 2), (2, 1), (4, 1), (1, 16)])
@pytest.mark.parametrize("cin, cout", [(16, 32), (12, 20), (32, 8)])
def test_pointwise_conv_takes_the_seeds_j_h(features, cycles, cin, cout):
    """The seed's FCU case (a 1x1 conv reads each input feature once): the choice is eqs.
    7-11 exactly, and the interval is d_in x h / j cycles per pixel."""
    spec = _conv(cin, cout, kernel=1)
    frame = frame_cycles(prod(spec.inputs[0]), features, cycles)
    choice = choose(spec, frame)
    rate = Fraction(256 * cin) / frame
    expected = _seed_choice(cin, cout, rate)
    assert choice.meets and choice.rate == rate
    assert (choice.j, choice.h) == expected
    assert choice.spec.coarse_in == expected[0] and choice.spec.coarse_out == cout // expected[1]
    assert choice.spec.fine == 1 and choice.spec.pixels == (1, 1)
    assert layer_performance(choice.spec).interval == 256 * cin * expected[1] // expected[0]


def test_slower_than_one_unit_folds_the_kpu():
    spec = _conv(16, 32)
    # one MAC unit at 3 cycles per dot product: 256 x 16 x 32 x 3 cycles, plus its window's
    # border stall: the frame's first 2 padded rows and 2 pixels (2 x 18 x 16 + 2 x 16 = 608
    # words) outlast the 2 windows of 32 x 3 cycles on the stream by 416
    frame = Fraction(256 * 16 * 32 * 3 + 416)
    choice = choose(spec, frame)
    assert (choice.spec.coarse_in, choice.spec.coarse_out) == (1, 1)
    assert choice.spec.fine == 3  # K / fine = 3 cycles per window, the frame's budget exactly
    assert layer_performance(choice.spec).interval <= frame


def test_more_than_a_pixel_per_cycle():
    spec = _conv(4, 8, size=16)
    # 64 cycles for 256 windows of 4 channels: 4 pixels a cycle at least, and the window's
    # 18 padded rows of grid words must fit too (modules.window_word_grid: a row is a leading
    # padding word, 16 / p input words and a trailing one): p = 4 walks 18 x 6 = 108 words,
    # p = 8 18 x 4 = 72, p = 16 18 x 3 = 54. At p = 16 the 16 windows a word leave 64 / 16 = 4
    # cycles per word: h = 4 filters per unit suffice (coarse_out 2). (A valid conv, 16 -> 14,
    # could not take p = 4: 4 windows a word must divide its output row.)
    frame = frame_cycles(4 * 16 * 16, 16, 1)
    choice = choose(spec, frame)
    assert choice.spec.pixels == (16, 1)
    assert (choice.spec.coarse_in, choice.spec.coarse_out) == (4, 2)
    assert choice.meets and layer_performance(choice.spec).interval <= frame
    # the valid conv at one pixel a cycle: its 256 words fill the frame exactly
    narrower = choose(_conv(4, 8, size=16, pad=0), frame_cycles(4 * 16 * 16, 4, 1))
    assert narrower.spec.pixels == (1, 1) and narrower.meets


def test_a_stride_divides_the_rate():
    """A stride-2 conv computes a quarter of the windows: a quarter of the rate, fewer units."""
    same, strided = _conv(16, 32, kernel=1), _conv(16, 32, kernel=1, stride=2, pad=0)
    frame = frame_cycles(16 * 16 * 16, 2, 1)
    a, b = choose(same, frame), choose(strided, frame)
    assert b.rate == a.rate / 4 and a.meets and b.meets
    assert Fraction(b.j, b.h) < Fraction(a.j, a.h)


def test_depthwise_takes_groups_in_parallel():
    """A depthwise conv's j counts groups (coarse_group); the window reads the padded map, so
    18 x 18 x 32 words in 1296 cycles need 8 of them."""
    spec = _conv(32, 32, groups=32)
    frame = frame_cycles(32 * 16 * 16, 32 * 256, 1296)
    choice = choose(spec, frame)
    assert choice.spec.coarse_group == 8 and choice.spec.coarse_in == choice.spec.coarse_out == 1
    assert choice.meets and layer_performance(choice.spec).interval == 1296


def test_every_lenet_layer_keeps_up_with_one_pixel_per_cycle():
    from fpga_sdf.frontend import zoo
    from fpga_sdf.frontend.importer import import_model

    model, x = zoo.build("lenet")
    module = import_model(model, x)
    api.run_pass(module, "sdf-rate-match", features=1, cycles=1)
    frame = prod(x.shape[1:])
    intervals = {name: layer_performance(network.layer_spec(name, op)).interval
                 for name, op in network.named_layers(module)}
    assert max(intervals.values()) <= frame, intervals
    # the seed's point: later layers are sized down, not for the first layer's rate
    first = network.layer_spec(*network.named_layers(module)[0])
    last = network.layer_spec(*network.named_layers(module)[-1])
    assert first.coarse_out * first.fine > last.coarse_in * last.coarse_out


def test_dse_takes_lenet_past_its_input_bound():
    """LeNet on the ZC706 at one pixel per cycle is bound by its input: 1,024 cycles per 32x32
    frame, 195,312 fps at 200 MHz, with DSPs to spare. Both strategies may now give a layer
    p pixels per cycle (`pixels = (p, 1)`, built by the RTL for the dense conv and ReLU), and
    both go past that bound (`--dse="pixels=true"`): the first conv takes p > 1 and runs
    faster than 1,024 cycles; without it the design stays at one pixel per cycle."""
    from fpga_sdf.dse.explore import explore
    from fpga_sdf.dse.ir_bridge import problem_of
    from fpga_sdf.dse.problem import Constraints
    from fpga_sdf.frontend import zoo
    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.model import load_platform

    model, x = zoo.build("lenet")
    problem, _ = problem_of(import_model(model, x, weights="inline"))
    # a batch of 256: the frames' interval, not one frame's latency through the pipeline
    c = Constraints(load_platform("zc706"), 200.0, 256, 0.9, pixels=True)
    input_bound_fps = 200e6 / 1024
    for strategy in ("rate", "greedy"):
        design = explore(problem, c, "throughput", strategy, progress=False)
        (part,) = design.partitions
        assert c.fits(part.resources)
        first = part.specs[0]
        assert first.kind == "conv" and first.pixels[0] > 1
        assert layer_performance(first).interval < 1024
        assert design.perf.fps > 1.05 * input_bound_fps
    plain = explore(problem, replace(c, pixels=False), "throughput", "greedy", progress=False)
    assert all(s.pixels == (1, 1) for p in plain.partitions for s in p.specs)
    assert plain.perf.fps <= input_bound_fps


def test_pixel_options_for_the_dse():
    """The p a DSE may pick: the legal ones for every kind the backends build at p > 1 (a dense
    conv, activations, pools: windows per word must divide the output row), 1 for PASS's
    sparse engine and for a valid conv whose output row no p > 1 divides into whole words of
    windows."""
    from dataclasses import replace

    from fpga_sdf.dse.rate_match import pixel_options

    assert pixel_options(_conv(16, 32, size=16)) == (1, 2, 4, 8, 16)
    # 16 -> 14 valid: 2 windows a word divide 14, 4 do not
    assert pixel_options(_conv(4, 8, size=16, pad=0)) == (1, 2)
    relu = LayerSpec("r", "activation", ((8, 12, 12),), ((8, 12, 12),), mode="relu")
    assert pixel_options(relu) == (1, 2, 3, 4, 6, 12)
    assert pixel_options(replace(relu, mode="sigmoid")) == (1, 2, 3, 4, 6, 12)
    pool = LayerSpec("p", "pool", ((8, 12, 12),), ((8, 6, 6),), kernel=(2, 2), stride=(2, 2), mode="max")
    assert pixel_options(pool) == (1, 2, 4, 6, 12)  # p / 2 windows a word: an odd p leaves half a window
    sparse = replace(_conv(16, 32, size=16), sparsity=(0.5,) * 16, fine=3)
    assert pixel_options(sparse) == (1,)
    # what p buys: LeNet's first conv (1 -> 6, 5x5 on 32x32) at every filter and a window a
    # cycle is bound by its 1,024 input pixels at p = 1 and by 256 words at p = 4
    lenet = LayerSpec("c1", "conv", ((1, 32, 32),), ((6, 28, 28),), kernel=(5, 5), coarse_out=6, fine=25)
    assert layer_performance(lenet).interval == 1024
    assert layer_performance(replace(lenet, pixels=(4, 1))).interval == 256


def test_packing_halves_a_pointwise_convs_dsps_at_8_bits_and_keeps_one_pixel():
    """Given the device, the selection weighs p pixels against DSPs. A 1x1 conv 32 -> 64 on
    16 x 16 at 4 features a cycle needs j / h >= 256 x 32 / 2048 = 4: at p = 1 the seed's
    (32, 8), 32 x 8 = 256 multipliers, whose 8 coarse_out units pair two by two on each window
    (x times two packed weights), so at 8 bits they take 128 DSPs. p = 2 at (32, 16) has the same
    256 multipliers with lanes sharing each weight, also 128 DSPs: the tie goes to fewer pixels,
    so the device does not change the seed's choice. At 16 bits nothing packs: 256 DSPs."""
    from fpga_sdf.model import layer_resources

    spec = replace(_conv(32, 64, kernel=1), data_width=8, weight_width=8)
    frame = frame_cycles(32 * 256, 4, 1)
    seed, packed = choose(spec, frame), choose(spec, frame, "xcvu37p")
    assert seed.spec.pixels == (1, 1) and (seed.spec.coarse_in, seed.spec.coarse_out) == (32, 8)
    assert layer_resources(seed.spec, "xcvu37p").dsp == 128
    assert packed.spec == seed.spec and packed.meets
    two = replace(spec, pixels=(2, 1), coarse_in=32, coarse_out=4)
    assert layer_resources(two, "xcvu37p").dsp == 128
    assert layer_performance(packed.spec).interval == 2048 == frame
    wide = replace(spec, data_width=16, weight_width=16)
    assert choose(wide, frame, "xcvu37p").spec == choose(wide, frame).spec
    assert choose(wide, frame).spec.pixels == (1, 1)
    assert layer_resources(choose(wide, frame).spec, "xcvu37p").dsp == 256


def test_dse_offers_two_pixels_where_lanes_pack():
    """A layer far wider than the board (1x1, 256 -> 256 on 56 x 56: 65,536 multipliers
    unrolled, the ZC706 has 900 DSPs) is offered p = 2 only at 8 bits, where p = 2 at half
    the coarse folding costs half the DSPs; at 16 bits it keeps one pixel a cycle."""
    from fpga_sdf.dse.options import pixel_counts
    from fpga_sdf.model import load_platform

    zc706 = load_platform("zc706")
    spec = replace(_conv(256, 256, size=56, kernel=1), data_width=8, weight_width=8)
    assert pixel_counts(spec, zc706) == (1, 2)
    assert pixel_counts(replace(spec, data_width=16, weight_width=16), zc706) == (1,)


def test_packed_lanes_with_a_folded_kpu():
    """Given the device, a p-pixel unit may also fold its KPU (fine < K). A depthwise 3x3
    conv, 32 channels on 16 x 16, at a feature a cycle (8,192 cycles a frame): the seed takes
    2 groups at once with whole windows, 2 x 9 = 18 DSPs (one group would need the frame's
    8,192 window cycles plus the border stall). At p = 2 two windows a word share each
    weight: 2 groups x 3 multipliers x 2 lanes, packed two a DSP, are 6 DSPs, and 16
    channels x 128 words x 3 cycles = 6,144 cycles plus the border stall still fit."""
    from fpga_sdf.model import layer_resources

    spec = replace(_conv(32, 32, size=16, groups=32), data_width=8, weight_width=8)
    frame = frame_cycles(32 * 256, 1, 1)
    seed, packed = choose(spec, frame), choose(spec, frame, "xcvu37p")
    assert (seed.spec.pixels, seed.spec.coarse_group, seed.spec.fine) == ((1, 1), 2, 9)
    assert layer_resources(seed.spec, "xcvu37p").dsp == 18
    assert (packed.spec.pixels, packed.spec.coarse_group, packed.spec.fine) == ((2, 1), 2, 3)
    assert layer_resources(packed.spec, "xcvu37p").dsp == 6
    assert packed.meets and 6144 < layer_performance(packed.spec).interval <= frame


@pytest.mark.parametrize("cin, cout, features", [(16, 32, 1), (12, 20, 2), (32, 8, 4), (16, 24, 3)])
def test_fewest_dsps_pair_the_units_at_one_pixel(cin, cout, features):
    """At 8 bits on a device, a pointwise conv fed faster than one unit keeps up at one pixel a
    word with an even coarse_out: its units pair two products a DSP (model/dsp.py
    `pairs_units`), as few DSPs as p = 2 with packed lanes, and fewer pixels win the tie."""
    from fpga_sdf.model import layer_resources

    spec = replace(_conv(cin, cout, kernel=1), data_width=8, weight_width=8, acc_width=24)
    choice = choose(spec, frame_cycles(prod(spec.inputs[0]), features, 1), "xcvu37p")
    s = choice.spec
    assert choice.meets and s.pixels == (1, 1) and s.coarse_out % 2 == 0
    assert layer_resources(s, "xcvu37p").dsp == s.coarse_in * s.coarse_out // 2
