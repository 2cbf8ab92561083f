"""sdf_hw.accum: sums an output stream's dot products over the channels of its input streams.

It sits behind the glue (which adds the coarse_in units' products of one filter lane as they
come), so there is one per output stream g*co + j. Per output pixel each unit emits, for
each group the stream carries, acc_in channels x cout_s filters (filter fastest); the
accumulator keeps cout_s partial sums (model: Memory "accumulator", acc_width x cout_s) and
emits the cout_s totals after the group's last channel, one word per cycle in. The partial sums live in a RAM read one word ahead (the
filter order is fixed), so a BRAM-style registered read suffices; one filter needs only a
register. A p-pixel layer's words hold q sums (one per window of the word): the partial sums
are q lanes wide, each lane added on its own.
"""

from __future__ import annotations

from pycde.constructs import Reg, Wire
from pycde.types import Bits

from .fcu import unit_plan
from .mac_common import (OutBuffer, add, bits, counter, eq, memory, module_name,
                         output_index, ram_style, sel)
from .streams import pack_lanes, stream_module


def generate(p):
    g, j = output_index(p.spec, p.instance)
    plan = unit_plan(p.spec, g, 0, j)  # every unit i of (g, j) sums the same acc_in words
    acc_in, cout_s, aw, q = plan.acc_in, plan.cout_s, p.inputs[0].width, plan.lanes
    width = aw * q

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, width, latency=0)
        channel = Reg(Bits(max(1, (acc_in - 1).bit_length())), clk, rst, rst_value=0,
                      name="channel")
        last_channel = eq(channel, acc_in - 1)
        ready = out.credit | ~last_channel
        fire = ports.in0_valid & ready
        t, last_filter = counter(clk, rst, cout_s, fire, "filter")
        channel.assign(sel(fire & last_filter,
                           sel(last_channel, bits(channel.type.width, 0),
                               add(channel, bits(channel.type.width, 1))), channel))
        keep = fire & ~last_channel
        first = eq(channel, 0)
        if cout_s == 1:
            prev = Reg(Bits(width), clk, rst_value=None, name="partial")
        else:
            following = sel(last_filter, bits(t.type.width, 0), add(t, bits(t.type.width, 1)))
            wdata = Wire(Bits(width))
            prev = memory(clk, width, cout_s, following, fire, waddr=t, wdata=wdata, wen=keep,
                          name="partials", style=ram_style("accumulator", width, cout_s))
        x = ports.in0_data
        summed = pack_lanes([add(prev[k * aw:(k + 1) * aw], x[k * aw:(k + 1) * aw]) for k in range(q)]) \
            if q > 1 else add(prev, x)
        partial = sel(first, x, summed)
        if cout_s == 1:
            prev.assign(sel(keep, partial, prev))
        else:
            wdata.assign(partial)
        ports.in0_ready = ready
        out.issue(fire & last_channel)
        out.push(fire & last_channel, partial)
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
