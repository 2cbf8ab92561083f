"""The least latency any folding reaches on a DSP budget (model/latency_bound.py): hand-computed
on two convs, and below the model's latency of every design the DSE folds.

Hand-computed: a 1x1 conv a (72 -> 8 channels on 8 x 8) then a 3x3 pad-1 conv b (8 -> 8), each
36,864 MACs, at 16 bits one DSP slice a MAC. b's first window needs a's output up to (1, 1),
all its channels: 10 of 64 pixels (its lead); 10 of its 64 windows come after its last input
(its tail). So with frame times t_a, t_b:  L >= t_a + 10/64 t_b  (a's frame, then b's trailing
windows) and  L >= 10/64 t_a + t_b  (b waits for its first window at a's pace), with
36,864 (1/t_a + 1/t_b) <= DSPs. Both bind at t_a = t_b = 2 x 36,864 / DSPs:
L = 2 x 36,864 x 74/64 / DSPs."""

import numpy as np
import pytest

from fpga_sdf.dse import balance
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.model import LayerSpec, load_platform, platform_from_dict
from fpga_sdf.model.latency_bound import dsp_cycles, latency_bound, pixels_needed
from fpga_sdf.model.modules import window_tail

A = LayerSpec("a", "conv", ((72, 8, 8),), ((8, 8, 8),), kernel=(1, 1))
B = LayerSpec("b", "conv", ((8, 8, 8),), ((8, 8, 8),), kernel=(3, 3), pad=(1,) * 4)


def test_two_convs_hand_computed():
    assert dsp_cycles(A, "ultrascale+") == dsp_cycles(B, "ultrascale+") == 36_864
    assert pixels_needed(B, 1) == 10 and window_tail(B) == 10 / 64
    assert pixels_needed(A, 1) == 1 and pixels_needed(A, 7) == 7 and window_tail(A) == 0
    assert pixels_needed(B, 64) == 64  # the last window: the whole map
    bound = latency_bound([A, B], [("a", "b")], 100, "ultrascale+")
    assert bound.path == ("a", "b")
    assert bound.compute_cycles == pytest.approx(2 * 36_864 / 100)
    assert bound.cycles == pytest.approx(2 * 36_864 * 74 / 64 / 100, rel=1e-6)
    # where it is reached: both at 2 x 36,864 / DSPs
    assert bound.frame_times == pytest.approx((2 * 36_864 / 100,) * 2, rel=1e-4)


def test_eight_bit_products_pack_two_a_slice():
    eight = [LayerSpec(s.name, s.kind, s.inputs, s.outputs, kernel=s.kernel, pad=s.pad,
                       weight_width=8, data_width=8, acc_width=24) for s in (A, B)]
    assert dsp_cycles(eight[0], "ultrascale+") == 36_864 / 2
    assert latency_bound(eight, [("a", "b")], 100, "ultrascale+").cycles == pytest.approx(36_864 * 74 / 64 / 100, rel=1e-6)


def test_lut_products_leave_nothing_to_bound():
    four = [LayerSpec(s.name, s.kind, s.inputs, s.outputs, kernel=s.kernel, pad=s.pad,
                      weight_width=4, data_width=4, acc_width=16) for s in (A, B)]
    assert latency_bound(four, [("a", "b")], 100, "ultrascale+") is None


def test_a_global_pool_waits_for_the_whole_frame():
    pool = LayerSpec("pool", "global_pool", ((8, 8, 8),), ((8, 1, 1),), mode="avg")
    fc = LayerSpec("fc", "inner_product", ((8, 1, 1),), ((36_864 // 8,),))
    assert pixels_needed(pool, 1) == 64
    # L >= t_b + t_fc (the fc starts after b's whole frame): both at 2 x 36,864 / DSPs
    bound = latency_bound([B, pool, fc], [("b", "pool"), ("pool", "fc")], 100, "ultrascale+")
    assert bound.path == ("b", "fc")
    assert bound.cycles == pytest.approx(4 * 36_864 / 100, rel=1e-6)


def test_a_strided_window_needs_its_far_corner():
    """3x3 stride 2 pad 1 on 8 x 8 -> 4 x 4: output (0, 0) needs input (1, 1), output (1, 3)
    (the 8th) needs (3, 7), clamped to the map's last column: 3 x 8 + 7 + 1 = 32 pixels."""
    s2 = LayerSpec("s2", "conv", ((8, 8, 8),), ((8, 4, 4),), kernel=(3, 3), stride=(2, 2), pad=(1,) * 4)
    assert pixels_needed(s2, 1) == 10
    assert pixels_needed(s2, 8) == 32


def test_a_depthwise_conv_waits_for_one_channel_of_its_last_pixel():
    """A 3x3 depthwise conv after a: its first output channel needs only channel 0 of a's 10th
    pixel, so a must finish 9 of its 64 pixels: L >= 9/64 t_a + t_dw, a lead of 9/64."""
    dw = LayerSpec("dw", "conv", ((8, 8, 8),), ((8, 8, 8),), kernel=(3, 3), pad=(1,) * 4, groups=8)
    dense = latency_bound([A, B], [("a", "b")], 100, "ultrascale+")
    depthwise = latency_bound([A, dw], [("a", "dw")], 100, "ultrascale+")
    assert dsp_cycles(dw, "ultrascale+") == 64 * 8 * 9
    # by hand: c = (lam + 9/64 (1 - lam), 1 - lam + 10/64 lam), maximised over lam on a grid
    lam = np.linspace(0, 1, 100_001)
    s = np.sqrt((lam + 9 / 64 * (1 - lam)) * 36_864) + np.sqrt((1 - lam + 10 / 64 * lam) * 4_608)
    assert depthwise.cycles == pytest.approx(s.max() ** 2 / 100, rel=1e-4)
    assert depthwise.cycles < dense.cycles


def test_an_off_path_branch_still_costs_its_dsps():
    """A 1x1 branch beside b (a join after both): off the path, it runs at least the whole
    latency, so it takes 36,864 / L DSPs of the budget: L x DSPs >= (path bound x DSPs) + 36,864."""
    skip = LayerSpec("skip", "conv", ((8, 8, 8),), ((8, 8, 8),), kernel=(1, 1))
    c = LayerSpec("c", "conv", ((8, 8, 8),), ((8, 8, 8),), kernel=(1, 1))
    split = LayerSpec("split", "split", ((8, 8, 8),), ((8, 8, 8), (8, 8, 8)))
    join = LayerSpec("join", "eltwise", ((8, 8, 8), (8, 8, 8)), ((8, 8, 8),), mode="add")
    specs = [A, split, B, c, skip, join]
    edges = [("a", "split"), ("split", "b"), ("b", "c"), ("split", "skip"), ("c", "join"), ("skip", "join")]
    with_branch = latency_bound(specs, edges, 100, "ultrascale+")
    assert with_branch.path == ("a", "b", "c")
    without = latency_bound([A, B, c], [("a", "b"), ("b", "c")], 100, "ultrascale+")
    assert with_branch.cycles == pytest.approx(without.cycles + 8 * 8 * 8 * 8 / 100, rel=1e-6)


@pytest.mark.parametrize("dsps", [24, 96, 400])
def test_no_folded_design_beats_the_bound(dsps):
    """The DSE's latency-optimal fold on a board of `dsps` slices: the model's latency of the
    frame (first input word to last output word) is never below the bound at the DSPs it uses."""
    board = load_platform("zcu102")
    fields = {k: v for k, v in board.__dict__.items() if v is not None}
    fields.update(name="cut", dsp=dsps)
    board = platform_from_dict(fields)
    c = Constraints(board, 200.0, 1, 0.9)
    specs = [A, B, LayerSpec("c", "conv", ((8, 8, 8),), ((16, 4, 4),), kernel=(3, 3), stride=(2, 2), pad=(1,) * 4)]
    edges = (("a", "b"), ("b", "c"))
    design = balance.fold_partition(specs, edges, c, "latency")
    bound = latency_bound(design.specs, edges, design.resources.dsp, board.family)
    frame = design.perf.depth + design.perf.interval
    assert bound.cycles <= frame
    assert bound.cycles > 0.4 * frame  # and it is not vacuous
