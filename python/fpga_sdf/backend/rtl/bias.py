"""sdf_hw.bias: adds the bias and converts the sum to the output format.

The bias integers are at the accumulator frac (x.frac + w.frac), one per filter of this
output stream in stream order, read from a small ROM as the words pass. The conversion is
interp/fixed.py `requantize` (streams.requantize_hw): an arithmetic right shift rounding half
up, or an exact left shift, then saturation to the output width.
"""

from __future__ import annotations

import numpy as np

from .mac_common import (MacPlan, OutBuffer, add, bits, counter, memory, module_name,
                         output_index, ram_style)
from .streams import requantize_hw, stream_module


def bias_values(p) -> list[int]:
    """This stream's bias integers, in the order its filters pass (zeros without a bias)."""
    g, j = output_index(p.spec, p.instance)
    plan = MacPlan(p.spec, g, 0, j)
    b = p.params.get("bias")
    if b is None:
        return [0] * len(plan.out_filters)
    b = np.asarray(b, dtype=np.int64).reshape(-1)
    return [int(b[f]) for f in plan.out_filters]


def generate(p):
    values = bias_values(p)
    x, y = p.inputs[0], p.outputs[0]
    aw, n = x.width, len(values)
    limit = 1 << (aw - 1)
    if any(not -limit <= v < limit for v in values):
        raise ValueError(f"RTL bias: a bias does not fit the {aw}-bit accumulator")

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, y.width, latency=1)
        fire = ports.in0_valid & out.credit
        ports.in0_ready = out.credit
        if n > 1:
            index, _ = counter(clk, rst, n, fire, "filter")
            b = memory(clk, aw, n, index, fire, init=values, name="biases",
                       style=ram_style("parameters", aw, n))
        else:
            b = bits(aw, values[0])
        acc = ports.in0_data.reg(clk, rst_value=None, name="acc")
        out.issue(fire)
        out.push(fire.reg(clk, rst, rst_value=0), requantize_hw(add(acc, b), x.frac, y.fixed))
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
