"""sdf_hw.weights_memory of a sparse-engine MAC unit (PASS, seed 003): one ROM word of all K
weights per dot product, depth ch_s * cout_s, as the model costs it (`_weights_layer`).

The sparse conv does not know in advance which taps of a window are non-zero, so it reads
the whole kernel of the current filter at once and its crossbar picks the weights of the
non-zero taps. The word order is the dense memory's with one step per dot product
(MacPlan(sparse=True)): per window, filter-major. The memory streams one word per cycle at
most, ahead of the conv (which holds a word as long as its dot product lasts).
"""

from __future__ import annotations

import numpy as np

from .mac_common import MacPlan, OutBuffer, counter, memory, module_name, pack, ram_style, unit_index
from .streams import Unsupported, stream_module


def image(p) -> np.ndarray:
    """The ROM contents, (ch_s * cout_s, K) integers in address order (lane t = tap t)."""
    plan = MacPlan(p.spec, *unit_index(p.spec, p.instance), sparse=True)
    return plan.weight_words(p.params["weights"])


def generate(p):
    if p.reload:
        raise Unsupported("the sparse weights memory has no weights-reload port (single-top reload mode)")
    rows = image(p)
    if p.outputs[0].lanes != rows.shape[1]:
        raise ValueError(f"RTL sparse weights memory: the weights stream has {p.outputs[0].lanes} lanes, the "
                         f"sparse engine reads one word of K = {rows.shape[1]} weights per dot product")
    words = [pack(row, p.outputs[0].width) for row in rows]
    width, depth = p.outputs[0].bits, len(words)
    style = ram_style("weights", width, depth, p.spec.weights_memory)

    def build(ports):
        clk = ports.clk
        out = OutBuffer(clk, ports.rst, width, latency=1)
        fire = out.credit
        addr, _ = counter(clk, ports.rst, depth, fire, "addr")
        word = memory(clk, width, depth, addr, fire, init=words, name="weights", style=style)
        out.issue(fire)
        out.push(fire.reg(clk, ports.rst, rst_value=0), word)
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
