"""sdf_hw.concat: per pixel, this stream's channels of lhs then those of rhs, each requantized
to the output format (kernels.concat_fixed). One word per cycle from whichever input the
channel counter selects; the other input waits (the driver's FIFOs absorb the wait). A
multi-pixel word holds p pixels of one channel: each lane is requantized on its own.
"""

from __future__ import annotations

from pycde.constructs import Mux

from ...model.spec import cdiv
from .pointwise import Counters, Pipe, sig_name
from .streams import OutputSkid, lanes_of, lt, pack_lanes, requantize_hw, stream_module


def generate(p):
    ta, tb, to = p.inputs[0], p.inputs[1], p.outputs[0]
    if not ta.lanes == tb.lanes == to.lanes:
        raise ValueError(f"concat: {ta.lanes} and {tb.lanes} lanes in, {to.lanes} out")
    spec = p.spec
    n1, n2 = (cdiv(s[0], spec.coarse_in) for s in spec.inputs[:2])
    name = sig_name(p, "concat", n1, n2, ta.width, ta.frac, tb.width, tb.frac, to.width, to.frac)

    def build(ports):
        from pycde.constructs import Wire
        from pycde.types import Bits

        skid = OutputSkid(ports, 0)
        adv = skid.ready
        pipe = Pipe(ports.clk, ports.rst, adv)
        step = Wire(Bits(1), "step")
        count = Counters(ports.clk, ports.rst, [n1 + n2], step, "chan")
        from_a = lt(count.values[0], n1)
        fire = adv & Mux(from_a, ports.in1_valid, ports.in0_valid)
        step.assign(fire)
        ports.in0_ready = adv & from_a
        ports.in1_ready = adv & ~from_a
        ya = pack_lanes([requantize_hw(v, ta.frac, to.fixed) for v in lanes_of(ports.in0_data, ta)])
        yb = pack_lanes([requantize_hw(v, tb.frac, to.fixed) for v in lanes_of(ports.in1_data, tb)])
        y = Mux(from_a, yb, ya)
        skid.push(pipe.valid(fire), pipe.stage(y, "y"))

    return stream_module(name, [ta, tb], [to], build)
