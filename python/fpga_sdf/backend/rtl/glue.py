"""sdf_hw.glue: adds the dot products of the coarse_in MAC units of one filter lane.

All coarse_in units emit the same (pixel, channel, filter) order, so one word of each is
summed per cycle, at the conv's dot-product rate (acc_width, wrapping like the accumulator
behind it); lane by lane where a p-pixel layer's words hold several sums.

The adder tree is registered after every level (clog2(ci) levels and the output register:
the model's pipeline of 1 + clog2(ci)). Why: yosys folds an unregistered tree into one
multi-operand `$macc` and maps it to LUT full adders, 10,204 LUTs for 80 x 24 bits against
~2,000 for carry-chain adders (issue 14), and the registered levels meet timing at any ci.
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
        depth = (n - 1).bit_length()  # registered tree levels
        out = OutBuffer(clk, rst, aw * lanes, latency=1 + depth)
        valid = out.credit
        for k in range(n):
            valid = valid & getattr(ports, f"in{k}_valid")
        for k in range(n):
            setattr(ports, f"in{k}_ready", valid)
        words = [getattr(ports, f"in{k}_data") for k in range(n)]
        sums = []
        for lane in range(lanes):
            terms = [w[lane * aw:(lane + 1) * aw] if lanes > 1 else w for w in words]
            for level in range(depth):
                terms = [(add(terms[k], terms[k + 1]) if k + 1 < len(terms) else terms[k])
                         .reg(clk, name=f"tree{lane}_{level}_{k // 2}") for k in range(0, len(terms), 2)]
            sums.append(terms[0])
        pushed = valid
        for _ in range(depth):
            pushed = pushed.reg(clk, rst, rst_value=0)
        out.issue(valid)
        out.push(pushed.reg(clk, rst, rst_value=0), pack_lanes(sums).reg(clk, name="sum"))
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
