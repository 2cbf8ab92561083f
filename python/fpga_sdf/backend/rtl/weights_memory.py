"""sdf_hw.weights_memory: the weights ROM of one MAC unit (g, i, j).

Shaped as the model counts it (model/modules.py `_weights_memory`): one word of
fine * weight_width bits per cycle, depth ch_s * cout_s * ceil(K / fine), in the order the
`conv` consumes them (per window: filter-major, then the K/fine steps of the kernel). The
memory is read once per output pixel, over and over, so it streams `reads` words per frame.
It is an initialised reg array with a registered read, mapped to the primitive the model
costs it as (BRAM above 1 Kb, ram_style). A block ROM deeper than one block is built as the
model's tiling in depth (model/memory.py `bram18_tiling`): one reg array per tile, selected by
the high address bits. As one array, yosys 0.23 maps a 4608 x 8 ROM into a single BRAM36
(4K x 9) and drops the address bit that would select the rest (a wrong netlist with fewer
BRAMs than any correct mapping); as tiles it builds exactly the model's BRAM18s.

A multi-pixel inner product's memory (fcu.py) holds a word of p weights per (input word,
filter): p times wider, 1/p as deep.

With weights reloading (p.reload) the memory is a RAM holding the current run's filters,
written through load_valid / load_addr / load_data (contract: weights reloading); a load
also restarts the stream at address 0 and drops the words read ahead from the old run.
"""

from __future__ import annotations

import numpy as np
from pycde.types import Bits

from fpga_sdf.model.memory import bram18_tiling
from fpga_sdf.model.modules import clog2

from .fcu import unit_plan
from .mac_common import OutBuffer, counter, eq, memory, module_name, pack, ram_style, select, unit_index
from .streams import counter_bits, stream_module


def reload_image(p, run: int) -> np.ndarray:
    """The memory contents for run `run`, (depth, fine) integers in address order (lane l of a
    word = kernel tap step * fine + l; a multi-pixel inner product's: (depth, p), lane x the
    weight of pixel x of the word)."""
    plan = unit_plan(p.spec, *unit_index(p.spec, p.instance), run=run)
    return plan.weight_words(p.params["weights"])


def generate(p):
    words = [pack(row, p.outputs[0].width) for row in reload_image(p, 0)]
    width, depth = p.outputs[0].bits, len(words)
    style = ram_style("weights", width, depth, p.spec.weights_memory)
    load_ports = {"load_valid": Bits(1), "load_addr": Bits(counter_bits(depth)),
                  "load_data": Bits(width)} if p.reload else None

    def build(ports):
        clk = ports.clk
        load = ports.load_valid if p.reload else None
        out = OutBuffer(clk, ports.rst, width, latency=1, flush=load)
        fire = out.credit if load is None else out.credit & ~load
        restart = ports.rst if load is None else ports.rst | load
        addr, _ = counter(clk, restart, depth, fire, "addr")
        write = {} if load is None else {"waddr": ports.load_addr, "wdata": ports.load_data,
                                         "wen": load}
        word = tiled_memory(clk, width, depth, addr, fire, words, style, **write)
        out.issue(fire)
        out.push(fire.reg(clk, ports.rst, rst_value=0), word)
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build, extra_inputs=load_ports)


def tiled_memory(clk, width: int, depth: int, addr, ren, init, style: str, waddr=None, wdata=None,
                 wen=None):
    """`mac_common.memory` as the model's BRAM tiles in depth (one tile unless a block memory
    is deeper than the cheapest tiling's block): tile k holds words [k T, (k + 1) T) and is
    read (written) when the high address bits are k; the read tile is remembered for the
    registered output."""
    tile = bram18_tiling(width, depth)[0] if style == "block" else depth
    if tile >= depth:
        write = {} if wen is None else {"waddr": waddr, "wdata": wdata, "wen": wen}
        return memory(clk, width, depth, addr, ren, init=init, name="weights", style=style, **write)
    low = clog2(tile)  # BRAM tile depths are powers of two
    hi, whi = addr[low:], None if wen is None else waddr[low:]
    words = []
    for k in range(-(-depth // tile)):
        size = min(tile, depth - k * tile)
        bits = max(1, clog2(size))
        write = {} if wen is None else {"waddr": waddr[:bits], "wdata": wdata, "wen": wen & eq(whi, k)}
        words.append(memory(clk, width, size, addr[:bits], ren & eq(hi, k), init=init[k * tile:k * tile + size],
                            name=f"weights_t{k}", style=style, **write))
    return select(hi.reg(clk, ce=ren, name="weights_tile"), words)
