"""Where weights do not fit, the DSE folds a reload-first and a stream-first design and keeps
the cheaper: at batch 1 streaming (AutoWS fragments, fetched every frame) beats re-running
the partition per reload; over a large batch reloading (paid once a batch) wins.

The oracle is a brute force over the model: every folding of one inner product with every
weights-reloading factor (all on chip) and every fragment split (wr 1), each evaluated and
kept if it fits; the streamed design's interval is also computed by hand."""

import itertools
from dataclasses import replace

import pytest

from fpga_sdf.dse.balance import evaluate, fold_partition
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.model import LayerSpec, folding_choices, load_platform, platform_from_dict
from fpga_sdf.model.weights_memory import with_fragments

CLOCK = 200.0


def small_board():
    """A ZCU102 (4 HP ports of 128 bits, 136.5 Gb/s) cut to 40 BRAM18, 64 DSPs and 20k LUTs:
    the 512 x 256 x 8-bit weights (1 Mbit, about 58 BRAM18) do not fit on chip."""
    board = load_platform("zcu102")
    fields = {k: v for k, v in board.__dict__.items() if v is not None}
    fields.update(name="small", bram18=40, uram=0, dsp=64, lut=20000, ff=40000)
    return platform_from_dict(fields)


BOARD = small_board()
FC = LayerSpec("fc", "inner_product", ((512,),), ((256,),), has_bias=True, weight_width=8, data_width=8,
               acc_width=24)


def best_by_brute_force(c: Constraints):
    """The model's cheapest fitting design that only reloads, and the one that only streams."""
    best = {"reload": None, "stream": None}

    def keep(kind, spec):
        design = evaluate([spec], (), c, "latency")
        if c.fits(design.resources) and (best[kind] is None or design.cost < best[kind].cost):
            best[kind] = design

    legal = folding_choices(FC)
    for ci, co in itertools.product(legal.coarse_in, legal.coarse_out):
        folded = replace(FC, coarse_in=ci, coarse_out=co)
        for wr in legal.wr_factor:
            if 256 // wr % co == 0:
                keep("reload", replace(folded, wr_factor=wr))
        for k in range(1, 17):  # fragments of 16 words, k streamed
            keep("stream", with_fragments(folded, k / 16))
    return best["reload"], best["stream"]


def test_batch_one_streams():
    c = Constraints(BOARD, CLOCK, 1, 0.9)
    chosen = fold_partition([FC], (), c, "latency")
    reload, stream = best_by_brute_force(c)
    (spec,) = chosen.specs
    assert spec.wr_factor == 1 and spec.weights_fragments, "batch 1: the weights stream"
    assert chosen.cost < reload.cost  # better than any design that reloads
    # and within 0.1% of the best that streams (the brute force's folding fills its
    # pipeline a few cycles sooner: 38.46 against 38.48 us)
    assert stream.cost <= chosen.cost <= stream.cost * 1.001
    # by hand: u_off of every 16 words of the 512 x 256 weights stream once a frame (one
    # output pixel) through one 128-bit HP port; the input and output (4096 and 2048 bits)
    # go through two more, so the weights' port bounds the interval
    n, u_on, u_off = spec.weights_fragments
    streamed_bits = 512 * 256 * u_off // (u_on + u_off) * 8
    assert chosen.perf.interval == chosen.perf.bandwidth_interval == streamed_bits // 128
    assert chosen.cost == pytest.approx((chosen.perf.depth + streamed_bits // 128) / (CLOCK * 1e6))


def test_large_batch_reloads():
    batch = 4096
    c = Constraints(BOARD, CLOCK, batch, 0.9)
    chosen = fold_partition([FC], (), c, "latency")
    _, stream = best_by_brute_force(c)
    (spec,) = chosen.specs
    assert spec.wr_factor > 1 and not spec.weights_off_chip, "a large batch: the weights reload"
    assert chosen.cost < stream.cost
    # by hand: wr runs over the batch, each at its interval, plus the wr - 1 reloads of a
    # share of the (512 + 1) x 256 parameters through the layer's one 128-bit HP port
    perf, wr = chosen.perf, spec.wr_factor
    reloads = (wr - 1) * (513 * 256 * 8 // wr) / 128 / (CLOCK * 1e6)
    assert chosen.cost == pytest.approx(wr * (perf.depth + perf.interval * batch) / (CLOCK * 1e6) + reloads)
