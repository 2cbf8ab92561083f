"""sdf_hw.global_pool: max / average over all positions of each channel of one stream
(kernels.global_pool_fixed), one input word per cycle; each channel's result leaves as its
last pixel arrives.

Per-channel running sums (or maxima) live in the model's `accumulator` memory, read one cycle
ahead of the add; with a single channel per stream it is one register (a read would race the
write). The average divides exactly with round half up (pointwise.div_round: a multiply by a
reciprocal of 2 * pixels, or a shift when that is a power of two).

A multi-pixel word holds p pixels of one channel: a tree of p - 1 adders (comparators)
reduces them to one value first, then it is accumulated as at one pixel a word.
"""

from __future__ import annotations

from pycde.constructs import Mux, Reg, Wire
from pycde.types import Bits

from ...model.spec import cdiv, pixels_of
from .mac_common import memory, ram_style, sext
from .pointwise import Counters, Pipe, div_round, sig_name, sum_bits
from .streams import OutputSkid, eq, lanes_of, requantize_hw, stream_module


def reduce_lanes(values, mode: str, aw: int):
    """The tree sum (avg) or max of `aw`-bit signed values, the p pixels of a word."""
    while len(values) > 1:
        pairs = [(values[k], values[k + 1]) for k in range(0, len(values) - 1, 2)]
        values = [(a.as_uint() + b.as_uint()).as_bits(aw) if mode == "avg" else Mux(a.as_sint() < b.as_sint(), a, b)
                  for a, b in pairs] + values[len(pairs) * 2:]
    return values[0]


def accumulator_bits(p) -> int:
    """Bits of the running value: the exact sum of every pixel (avg) or one value (max)."""
    spec = p.spec
    return sum_bits(p.inputs[0].width, pixels_of(spec.inputs[0])) if p.attr("mode", "avg") == "avg" else p.inputs[0].width


def generate(p):
    t_in, t_out = p.inputs[0], p.outputs[0]
    spec = p.spec
    mode = p.attr("mode", "avg")
    if mode not in ("avg", "max"):
        raise ValueError(f"global_pool mode {mode!r} has no RTL")
    ch_s, pixels = cdiv(spec.inputs[0][0], spec.coarse_in), pixels_of(spec.inputs[0])
    if t_out.lanes != 1 or pixels % t_in.lanes:
        raise ValueError(f"global_pool: {t_in.lanes} pixels a word of {pixels}, {t_out.lanes} lanes out")
    aw = accumulator_bits(p)
    name = sig_name(p, "global_pool", mode, ch_s, pixels, t_in.width, t_in.frac, t_out.width, t_out.frac)

    def build(ports):
        skid = OutputSkid(ports, 0)
        adv = skid.ready
        pipe = Pipe(ports.clk, ports.rst, adv)
        fire = adv & ports.in0_valid
        ports.in0_ready = adv
        count = Counters(ports.clk, ports.rst, [ch_s, pixels // t_in.lanes], fire, "pos")
        chan = count.values[0]
        first, last = eq(count.values[1], 0), count.last[1]
        x, valid = pipe.stage(ports.in0_data, "x"), pipe.valid(fire)
        chan1, first1, last1 = pipe.stage(chan, "chan"), pipe.stage(first, "first"), pipe.stage(last, "last")
        xs = reduce_lanes([sext(v, aw) for v in lanes_of(x, t_in)], mode, aw)
        new_val = Wire(Bits(aw), "acc_new")
        if ch_s == 1:
            old = Reg(Bits(aw), ports.clk, name="acc")
            old.assign(Mux(valid & adv, old, new_val))
        else:
            old = memory(ports.clk, aw, ch_s, chan, adv, waddr=chan1, wdata=new_val,
                         wen=valid & adv, name="acc", style=ram_style("accumulator", aw, ch_s))
        if mode == "avg":
            new_val.assign(Mux(first1, (old.as_uint() + xs.as_uint()).as_bits(aw), xs))
        else:
            new_val.assign(Mux(first1, Mux(old.as_sint() < xs.as_sint(), old, xs), xs))
        out_valid = valid & last1
        if mode == "avg":
            out_valid = pipe.valid(out_valid)
            y, stages = div_round(pipe.stage(new_val, "sum"), None, [pixels], t_in.frac,
                                  t_out.width, t_out.frac, pipe)
            for _ in range(stages):
                out_valid = pipe.valid(out_valid)
        else:
            y = requantize_hw(new_val, t_in.frac, t_out.fixed)
        skid.push(out_valid, y)

    return stream_module(name, [t_in], [t_out], build)
