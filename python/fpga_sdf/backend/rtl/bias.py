"""sdf_hw.bias: adds the bias and converts the sum to the output format.

The bias integers are at the accumulator frac (x.frac + w.frac), one per filter of this
output stream in stream order, read from a small ROM as the words pass (a RAM with the
load ports of the contract under weights reloading). The conversion is
interp/fixed.py `requantize` (streams.requantize_hw): an arithmetic right shift rounding half
up, or an exact left shift, then saturation to the output width. A p-pixel layer's words
hold several pixels of one filter: each lane gets the same bias, converted on its own.
"""

from __future__ import annotations

import numpy as np
from pycde.types import Bits

from .fcu import unit_plan
from .mac_common import (OutBuffer, add, bits, counter, memory, module_name,
                         output_index, ram_style)
from .streams import counter_bits, pack_lanes, requantize_hw, stream_module


def reload_image(p, run: int) -> np.ndarray:
    """This stream's bias integers for run `run` (at the accumulator frac), in the order its
    filters pass: (filters, 1); zeros for a layer without a bias."""
    g, j = output_index(p.spec, p.instance)
    plan = unit_plan(p.spec, g, 0, j, run=run)
    b = p.params.get("bias")
    if b is None:
        return np.zeros((len(plan.out_filters), 1), dtype=np.int64)
    b = np.asarray(b, dtype=np.int64).reshape(-1)
    return b[[plan.offset + f for f in plan.out_filters]].reshape(-1, 1)


def generate(p):
    values = [int(v) for v in reload_image(p, 0)[:, 0]]
    x, y = p.inputs[0], p.outputs[0]
    aw, n, lanes = x.width, len(values), x.lanes
    if y.lanes != lanes:
        raise ValueError(f"RTL bias: {lanes} lanes in, {y.lanes} out")
    limit = 1 << (aw - 1)
    if any(not -limit <= v < limit for v in values):
        raise ValueError(f"RTL bias: a bias does not fit the {aw}-bit accumulator")
    if p.reload and n == 1:
        n_words = 2  # a loadable bias needs a memory; one spare word keeps the address 1 bit
    else:
        n_words = n
    load_ports = {"load_valid": Bits(1), "load_addr": Bits(counter_bits(n_words)),
                  "load_data": Bits(aw)} if p.reload else None

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, y.bits, latency=1)
        fire = ports.in0_valid & out.credit
        ports.in0_ready = out.credit
        if n_words > 1:
            index, _ = counter(clk, rst, n, fire, "filter")
            write = {} if not p.reload else {"waddr": ports.load_addr, "wdata": ports.load_data,
                                             "wen": ports.load_valid}
            b = memory(clk, aw, n_words, index, fire, init=values + [0] * (n_words - n),
                       name="biases", style=ram_style("parameters", aw, n_words), **write)
        else:
            b = bits(aw, values[0])
        acc = ports.in0_data.reg(clk, rst_value=None, name="acc")
        out.issue(fire)
        converted = [requantize_hw(add(acc[k * aw:(k + 1) * aw] if lanes > 1 else acc, b), x.frac, y.fixed)
                     for k in range(lanes)]
        out.push(fire.reg(clk, rst, rst_value=0), pack_lanes(converted))
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build, extra_inputs=load_ports)
