"""sdf_hw.weights_memory: the weights ROM of one MAC unit (g, i, j).

Shaped as the model counts it (model/modules.py `_weights_memory`): one word of
fine * weight_width bits per cycle, depth ch_s * cout_s * ceil(K / fine), in the order the
`conv` consumes them (per window: filter-major, then the K/fine steps of the kernel). The
ROM is read once per output pixel, over and over, so it streams `reads` words per frame.
It is an initialised reg array with a registered read, which yosys maps to BRAM.
"""

from __future__ import annotations

from .mac_common import (MacPlan, OutBuffer, counter, memory, module_name, pack, ram_style,
                         unit_index)
from .streams import stream_module


def rom_words(p) -> list[int]:
    """The packed ROM words of this instance (lane l of a word = tap step*fine + l)."""
    plan = MacPlan(p.spec, *unit_index(p.spec, p.instance))
    words = plan.weight_words(p.params["weights"])
    return [pack(row, p.outputs[0].width) for row in words]


def generate(p):
    words = rom_words(p)
    width, depth = p.outputs[0].bits, len(words)
    style = ram_style("weights", width, depth, p.spec.weights_memory)

    def build(ports):
        out = OutBuffer(ports.clk, ports.rst, width, latency=1)
        fire = out.credit
        addr, _ = counter(ports.clk, ports.rst, depth, fire, "addr")
        word = memory(ports.clk, width, depth, addr, fire, init=words, name="rom", style=style)
        out.issue(fire)
        out.push(fire.reg(ports.clk, ports.rst, rst_value=0), word)
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
