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
from fpga_sdf.dse.fragments import BRAM18_BITS, URAM_BITS, fit_fragments
from fpga_sdf.dse.options import WEIGHT_BINDINGS
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.model import LayerSpec, folding_choices, layer_resources, load_platform, partition_resources
from fpga_sdf.model import platform_from_dict
from fpga_sdf.model.performance import transfer_cycles
from fpga_sdf.model.weights_memory import with_fragments
from fpga_sdf.model.workload import streamed_weights

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


# URAM full, BRAM idle: the 2 Mbit of 8-bit weights of a 1024 x 256 inner product take at
# least 8 URAM blocks (64 with a bank a MAC unit: a block holds 4096 words of up to 72 bits;
# packed side by side, as the HLS backend builds URAM banks, 8), or about 120 BRAM18. The
# board has 4 URAM.
WIDE_FC = replace(FC, name="wide", inputs=((1024,),))


def uram_board(bram18: int):
    fields = {k: v for k, v in BOARD.__dict__.items() if v is not None}
    return platform_from_dict({**fields, "name": "small_uram", "uram": 4, "bram18": bram18})


def streaming_by_brute_force(c: Constraints, spec: LayerSpec, memories):
    """The model's cheapest fitting design of one layer at wr 1 over every folding, weights
    memory binding in `memories` and fragment split (16 words, k streamed)."""
    best = None
    legal = folding_choices(spec)
    for ci, co, memory in itertools.product(legal.coarse_in, legal.coarse_out, memories):
        folded = replace(spec, coarse_in=ci, coarse_out=co, weights_memory=memory)
        if layer_resources(folded, c.platform).dsp > c.capacity("dsp"):
            continue
        for k in range(17):
            design = evaluate([with_fragments(folded, k / 16)], (), c, "latency")
            if c.fits(design.resources) and (best is None or design.cost < best.cost):
                best = design
    return best


@pytest.mark.parametrize("bram18", [200, 100])
def test_weights_take_idle_bram_before_they_stream(bram18):
    """With 200 BRAM18 the weights fit on chip in BRAM, nothing streams; with 100 part of
    them must stream (stream-first), and the rest stays in BRAM. Without the "bram" binding
    (the bindings offered before: "auto" takes URAM for a memory 2048 words or deeper) a
    memory can only reach BRAM by streaming until its static region is shallower than
    that."""
    c = Constraints(uram_board(bram18), CLOCK, 1, 0.9)
    chosen = fold_partition([WIDE_FC], (), c, "latency")
    best = streaming_by_brute_force(c, WIDE_FC, ("auto", *WEIGHT_BINDINGS))
    before = streaming_by_brute_force(c, WIDE_FC, ("auto", "uram"))
    (spec,) = chosen.specs
    assert spec.weights_memory == "bram" and chosen.resources.uram == 0, "the weights go to the idle BRAM"
    assert best.cost <= chosen.cost <= best.cost * 1.001
    assert spec.wr_factor == 1 and (spec.weights_off_chip > 0) == (bram18 == 100)
    # 200: 9 of every 16 words stream before the static regions leave URAM (46 us against
    # 20.6 us on chip); 100: 13 of 16 words against 12 (66.6 us against 61.5)
    assert before.specs[0].weights_off_chip > spec.weights_off_chip and before.cost > 1.05 * chosen.cost


def test_fragments_step_rebinds_before_it_streams():
    """The fragments greedy given the bindings moves a layer's memory from the full URAM to
    the idle BRAM rather than streaming it: two deep layers that auto-bind to URAM (which
    holds one), against every (binding, k) of both."""
    board = replace(uram_board(200), uram=30)  # 27 usable: a layer takes 16
    c = Constraints(board, CLOCK, 1, 0.9)
    a = replace(FC, name="a", inputs=((256,),), outputs=((256,),), coarse_in=2, coarse_out=2)
    b = replace(a, name="b")
    edges = (("a", "b"),)

    def excess(used):
        return sum(max(getattr(used, r) - c.capacity(r), 0) * bits
                   for r, bits in (("bram18", BRAM18_BITS), ("uram", URAM_BITS)))

    assert excess(partition_resources([a, b], edges, board)) > 0  # both in URAM do not fit
    plain = fit_fragments([a, b], edges, board, excess, 16)
    rebound = fit_fragments([a, b], edges, board, excess, 16, bindings=WEIGHT_BINDINGS)
    streamed = sum(streamed_weights(s) for s in plain.values())
    assert streamed > 0 and all(not s.weights_fragments for s in rebound.values())
    # the brute force: the fewest streamed weights of any placement that fits
    fewest = min(streamed_weights(x) + streamed_weights(y)
                 for x, y in itertools.product(*(
                     [with_fragments(replace(s, weights_memory=m), k / 16) for m in ("auto", *WEIGHT_BINDINGS)
                      for k in range(17)] for s in (a, b)))
                 if excess(partition_resources([x, y], edges, board)) <= 0)
    assert fewest == 0 and [s.weights_memory for s in rebound.values()] == ["bram"]


def test_identical_layers_split_between_uram_and_bram():
    """Two identical 512 x 512 inner products whose fast folding fits with one in URAM and
    one in BRAM, neither memory holding both: the rebalancing rounds pick both layers alike
    (both URAM, then both BRAM) and settle on a design twice as slow; the stream-first
    placement, folded even where every weight fits, rebinds one. The oracle: every
    combination of the two layers' foldings and bindings (the exhaustive strategy)."""
    board = platform_from_dict({**{k: v for k, v in BOARD.__dict__.items() if v is not None},
                                "name": "split", "bram18": 200, "uram": 20, "dsp": 512, "lut": 80000, "ff": 160000})
    c = Constraints(board, CLOCK, 1, 0.9)
    layers = [replace(FC, name=n, inputs=((512,),), outputs=((512,),)) for n in ("a", "b")]
    edges = (("a", "b"),)
    chosen = fold_partition(layers, edges, c, "latency")
    best = fold_partition(layers, edges, c, "latency", strategy="exhaustive")
    assert best.cost <= chosen.cost <= best.cost * 1.01
    assert sorted(s.weights_memory for s in chosen.specs) == ["bram", "uram"]
    assert not any(s.weights_off_chip for s in chosen.specs)


def hbm_board(bram18: int, uram: int):
    """A U50 (32 HBM pseudo-channels of 79 Gb/s, a master each: a stream moves at most 395
    bits a cycle at 200 MHz) cut to `bram18` BRAM18 and `uram` URAM blocks."""
    fields = {k: v for k, v in load_platform("u50").__dict__.items() if v is not None}
    return platform_from_dict({**fields, "name": "hbm", "bram18": bram18, "uram": uram, "dsp": 512, "lut": 80000,
                               "ff": 160000})


@pytest.mark.parametrize("bram18, uram, width, bindings", [(120, 0, 512, ()), (100, 6, 1024, WEIGHT_BINDINGS)])
def test_fragments_spread_streams_over_ports(bram18, uram, width, bindings):
    """Three inner products in a chain (one output pixel: a weight streams once a frame), each
    stream on its own HBM pseudo-channel, so the transfer time is the largest stream's. The
    greedy prices memory per streamed bit, which favours streaming a layer whole: with 120
    BRAM18 it streams l0 whole and half of l1 (2,655 cycles) where half of each of the three
    fits (1,327); with URAM and the bindings, 4,977 cycles against 4,314. The oracle: every
    (binding, k) of every layer ("auto" binds these memories as "uram" does), the least
    transfer that fits the whole partition."""
    board = hbm_board(bram18, uram)
    c = Constraints(board, CLOCK, 1, 0.9)
    layers = [replace(FC, name=f"l{i}", inputs=((n,),), outputs=((m,),))
              for i, (n, m) in enumerate([(width, 256), (256, width), (width, 256)])]
    edges = (("l0", "l1"), ("l1", "l2"))

    def excess(used):
        return sum(max(getattr(used, r) - c.capacity(r), 0) * bits
                   for r, bits in (("bram18", BRAM18_BITS), ("uram", URAM_BITS)))

    def transfer(streams):
        return transfer_cycles(board, CLOCK, streams)

    def streams(placed):
        return [streamed_weights(s) * s.weight_width for s in placed]

    assert excess(partition_resources(layers, edges, board)) > 0
    plan = fit_fragments(layers, edges, board, excess, 16, transfer, bindings)
    placed = [plan.get(s.name, s) for s in layers]
    assert excess(partition_resources(placed, edges, board)) <= 0
    options = [[with_fragments(replace(s, weights_memory=m), k / 16) for m in bindings or ("auto",) for k in range(17)]
               for s in layers]
    by_transfer = sorted(itertools.product(*options), key=lambda xs: transfer(streams(xs)))
    best = next(transfer(streams(xs)) for xs in by_transfer if excess(partition_resources(list(xs), edges, board)) <= 0)
    assert transfer(streams(placed)) == pytest.approx(best)
