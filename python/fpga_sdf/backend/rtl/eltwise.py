"""sdf_hw.eltwise: lhs (op) rhs one word per cycle, bit-exact with kernels.eltwise_fixed.

add aligns both operands to the larger frac exactly; mul forms the exact product (one
multiplier, as the model costs it); both are then requantized. With `broadcast = 1` the rhs
stream carries one value per channel of this stream per frame: it is read together with the
first pixel's lhs words (so no cycle is lost) and kept in a channel buffer for the others.
A multi-pixel word holds p pixels of one channel: each lane is computed on its own (p
multipliers for mul), and a broadcast rhs stays one value a word, applied to every lane.
"""

from __future__ import annotations

from pycde.constructs import Mux, Wire
from pycde.signals import BitsSignal
from pycde.types import Bits

from ...model.spec import cdiv, pixels_of
from .mac_common import memory, ram_style, sext, signed_mul
from .pointwise import Counters, Pipe, sig_name
from .streams import OutputSkid, const, eq, lanes_of, pack_lanes, requantize_hw, stream_module


def _shifted(x, shift: int, width: int):
    """Signed x * 2**shift in `width` bits."""
    x = sext(x, width - shift)
    return BitsSignal.concat([x, const(shift, 0)]) if shift else x


def generate(p):
    ta, tb, to = p.inputs[0], p.inputs[1], p.outputs[0]
    mode = p.attr("mode")
    if mode not in ("add", "mul"):
        raise ValueError(f"eltwise mode {mode!r} has no RTL (add, mul)")
    broadcast = bool(p.attr("broadcast", 0))
    spec = p.spec
    ch_s = cdiv(spec.outputs[0][0], spec.coarse_in)
    if ta.lanes != to.lanes or tb.lanes != (1 if broadcast else ta.lanes):
        raise ValueError(f"eltwise: {ta.lanes} and {tb.lanes} lanes in, {to.lanes} out")
    pixels = cdiv(pixels_of(spec.outputs[0]), ta.lanes)  # words per channel
    name = sig_name(p, "eltwise", mode, int(broadcast), ch_s, pixels, ta.width, ta.frac,
                    tb.width, tb.frac, to.width, to.frac)

    def build(ports):
        skid = OutputSkid(ports, 0)
        adv = skid.ready
        pipe = Pipe(ports.clk, ports.rst, adv)
        a, b = ports.in0_data, ports.in1_data
        if broadcast:
            # first pixel: both streams; later pixels: lhs and the buffered rhs
            step = Wire(Bits(1), "step")
            count = Counters(ports.clk, ports.rst, [ch_s, pixels], step, "pos")
            first = eq(count.values[1], 0)
            fire = adv & ports.in0_valid & (~first | ports.in1_valid)
            step.assign(fire)
            ports.in0_ready = adv & (~first | ports.in1_valid)
            ports.in1_ready = adv & first & ports.in0_valid
            chan = count.values[0]
            kept = memory(ports.clk, tb.width, ch_s, chan, adv, waddr=chan, wdata=b,
                          wen=fire & first, name="rhs", style=ram_style("buffer", tb.width, ch_s))
            b_now, first1 = pipe.stage(b, "b"), pipe.stage(first, "first")
            a = pipe.stage(a, "a")
            valid = pipe.valid(fire)
            b = Mux(first1, kept, b_now)
        else:
            fire = adv & ports.in0_valid & ports.in1_valid
            ports.in0_ready = adv & ports.in1_valid
            ports.in1_ready = adv & ports.in0_valid
            valid = fire
        lhs = lanes_of(a, ta)
        rhs = [b] * ta.lanes if broadcast else lanes_of(b, tb)
        if mode == "add":
            f = max(ta.frac, tb.frac)
            w = max(ta.width + f - ta.frac, tb.width + f - tb.frac) + 1
            ys = [requantize_hw((_shifted(x, f - ta.frac, w).as_uint() + _shifted(r, f - tb.frac, w).as_uint())
                                .as_bits(w), f, to.fixed) for x, r in zip(lhs, rhs)]
        else:
            pw = ta.width + tb.width
            products = [pipe.stage(signed_mul(x, r, pw), f"prod{k}_") for k, (x, r) in enumerate(zip(lhs, rhs))]
            valid = pipe.valid(valid)
            ys = [requantize_hw(product, ta.frac + tb.frac, to.fixed) for product in products]
        skid.push(pipe.valid(valid), pipe.stage(pack_lanes(ys), "y"))

    return stream_module(name, [ta, tb], [to], build)
