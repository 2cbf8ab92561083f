"""sdf_hw.glue: adds the dot products of the coarse_in MAC units of one filter lane.

All coarse_in units emit the same (pixel, channel, filter) order, so one word of each is
summed per cycle, at the conv's dot-product rate (acc_width, wrapping like the accumulator
behind it) into a registered output; lane by lane where a p-pixel layer's words hold
several sums.
"""

from __future__ import annotations

from .mac_common import OutBuffer, add, module_name
from .streams import pack_lanes, stream_module


def generate(p):
    aw, lanes = p.outputs[0].width, p.outputs[0].lanes
    if any(s.bits != aw * lanes for s in p.inputs):
        raise ValueError("RTL glue: inputs and output must share the accumulator format")
    n = len(p.inputs)

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, aw * lanes, latency=1)
        valid = out.credit
        for k in range(n):
            valid = valid & getattr(ports, f"in{k}_valid")
        for k in range(n):
            setattr(ports, f"in{k}_ready", valid)
        words = [getattr(ports, f"in{k}_data") for k in range(n)]
        sums = []
        for lane in range(lanes):
            terms = [w[lane * aw:(lane + 1) * aw] if lanes > 1 else w for w in words]
            while len(terms) > 1:
                terms = [add(terms[k], terms[k + 1]) if k + 1 < len(terms) else terms[k]
                         for k in range(0, len(terms), 2)]
            sums.append(terms[0])
        out.issue(valid)
        out.push(valid.reg(clk, rst, rst_value=0), pack_lanes(sums).reg(clk, name="sum"))
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
