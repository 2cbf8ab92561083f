"""The latency objective speeds up a layer past the rate-balanced target where a frame waits
for it: a classifier behind a global pool starts only when the pool has the whole frame, so
its own frame time adds to the latency in full (model/performance._beyond_interval, measured
in RTL by test_rtl_latency.py). Rate balancing folds it only as fast as the slowest layer.

Hand-computed: the fc takes 32 inputs x 256 outputs = 8,192 cycles a frame at coarse 1, and
32 / ci x 256 / co at coarse_in ci, coarse_out co."""

from dataclasses import replace

from fpga_sdf.dse import balance
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.model import LayerSpec, layer_performance, load_platform, platform_from_dict

W8 = dict(weight_width=8, data_width=8, acc_width=24)
SPECS = [LayerSpec("conv", "conv", ((16, 16, 16),), ((32, 16, 16),), kernel=(3, 3), pad=(1,) * 4, has_bias=True, **W8),
         LayerSpec("pool", "global_pool", ((32, 16, 16),), ((32, 1, 1),), mode="avg", **W8),
         LayerSpec("fc", "inner_product", ((32, 1, 1),), ((256,),), has_bias=True, **W8)]
EDGES = (("conv", "pool"), ("pool", "fc"))


def small_board():
    """A ZCU102 cut to 48 DSPs: the conv, not the fc, sets the pace."""
    board = load_platform("zcu102")
    fields = {k: v for k, v in board.__dict__.items() if v is not None}
    fields.update(name="small", dsp=48, lut=30000, ff=60000)
    return platform_from_dict(fields)


def _intervals(design):
    return {s.name: layer_performance(s).interval for s in design.specs}


def test_latency_speeds_up_the_classifier_behind_the_global_pool():
    c = Constraints(small_board(), 200.0, 1, 0.9)
    specs = balance._unfolded(SPECS)
    balanced = balance._search("greedy", specs, EDGES, balance._menus(specs, c, False), c, "latency")
    design = balance.fold_partition(SPECS, EDGES, c, "latency")
    before, after = _intervals(balanced), _intervals(design)
    assert before["fc"] == 32 * 256  # cheapest meeting the conv's pace
    assert after["conv"] == before["conv"] == design.perf.interval  # the pace is the conv's
    fc = next(s for s in design.specs if s.name == "fc")
    assert after["fc"] == (32 // fc.coarse_in) * (256 // fc.coarse_out) < before["fc"] // 4
    assert c.fits(design.resources)
    # the frame's latency drops by what the fc no longer takes after the pool's last word
    saved = (balanced.cost - design.cost) * 200e6
    assert abs(saved - (before["fc"] - after["fc"])) <= 8


def test_throughput_keeps_the_balanced_classifier():
    """Over a batch of 256 the frames overlap: the fc's frame time is hidden, a faster fc
    buys nothing and is not built."""
    c = Constraints(small_board(), 200.0, 256, 0.9)
    design = balance.fold_partition(SPECS, EDGES, c, "throughput")
    assert _intervals(design)["fc"] > design.perf.interval // 4
    slower = replace(c, batch=1)
    assert _intervals(balance.fold_partition(SPECS, EDGES, slower, "latency"))["fc"] < _intervals(design)["fc"]
