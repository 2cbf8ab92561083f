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

AutoWS fragments (`weights_fragments = (n, u_on, u_off)`, model/weights_memory.py): the ROM
holds only the static regions (the first u_on words of each fragment, n u_on words), and the
dynamic ones (its other u_off words) arrive on the module's stream input `in0`, fed from the
partition's weights AXI port of the layer (emit.py), into the model's `stream_buffer`: a
dual-port RAM of 2 u_off words used as a ring (the DMA writes one fragment's region while the
engine reads the previous one). The output is the same word stream in the same order, so the
MAC unit behind it does not change; the image on the port is `fragment_image`.
"""

from __future__ import annotations

import numpy as np
from pycde.types import Bits

from fpga_sdf.model.memory import bram18_tiling
from fpga_sdf.model.modules import clog2

from ..hls.weights_memory import fragments
from .fcu import unit_plan
from .mac_common import OutBuffer, counter, eq, memory, module_name, pack, ram_style, sel, select, ult, unit_index
from .streams import counter_bits, stream_module


def reload_image(p, run: int) -> np.ndarray:
    """The memory contents for run `run`, (depth, fine) integers in address order (lane l of a
    word = kernel tap step * fine + l; a multi-pixel inner product's: (depth, p), lane x the
    weight of pixel x of the word)."""
    plan = unit_plan(p.spec, *unit_index(p.spec, p.instance), run=run)
    return plan.weight_words(p.params["weights"])


def fragment_image(p) -> np.ndarray:
    """The dynamic regions of this unit's memory, (n u_off, word lanes) integers in the order
    it reads them: fragment by fragment, word by word (address f (u_on + u_off) + u_on + w)."""
    n, u_on, u_off = fragments(p.spec)
    words = reload_image(p, 0)
    return words.reshape(n, u_on + u_off, -1)[:, u_on:].reshape(n * u_off, -1)


def generate(p):
    if p.inputs:  # the driver gives a fragmented layer's memories their dynamic regions' stream
        return _generate_fragments(p, *fragments(p.spec))
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


def _generate_fragments(p, n: int, u_on: int, u_off: int):
    """The memory of a fragmented layer's unit: address a of fragment f = a // (u_on + u_off)
    comes from the ROM of static regions (word a % (u_on + u_off) < u_on) or, in order, from
    the 2 u_off-word stream_buffer that in0 fills; a dynamic word not yet arrived holds the
    stream back (the MAC unit waits, as the model's bandwidth bound says)."""
    from pycde.constructs import Reg, Wire
    from pycde.dialects import comb
    from pycde.types import Bits

    t = p.outputs[0]
    width, span, slots = t.bits, u_on + u_off, 2 * u_off
    regions = reload_image(p, 0).reshape(n, span, -1)
    static = [pack(row, t.width) for row in regions[:, :u_on].reshape(n * u_on, regions.shape[2])]
    style = ram_style("weights", width, n * u_on, p.spec.weights_memory) if u_on else None
    buffer_style = ram_style("stream_buffer", width, slots, "bram")

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, width, latency=1)
        fire = Wire(Bits(1), "fire")
        word, _ = counter(clk, rst, span, fire, "word")  # the address within its fragment
        dynamic = ~ult(word, u_on) if u_on else Bits(1)(1)
        cw = counter_bits(slots + 1)
        held = Reg(Bits(cw), clk, rst, rst_value=0, name="held")  # words in the stream_buffer
        push = ports.in0_valid & ult(held, slots)
        ports.in0_ready = ult(held, slots)
        fire.assign(out.credit & (~dynamic | ~eq(held, 0)))
        pop = fire & dynamic
        wptr, _ = counter(clk, rst, slots, push, "wptr")
        rptr, _ = counter(clk, rst, slots, pop, "rptr")
        up = sel(push, comb.AddOp(held, Bits(cw)(1)), held)
        held.assign(sel(pop, comb.SubOp(up, Bits(cw)(1)), up))
        streamed = memory(clk, width, slots, rptr, pop, waddr=wptr, wdata=ports.in0_data, wen=push,
                          name="stream_buffer", style=buffer_style)
        if u_on:
            addr, _ = counter(clk, rst, n * u_on, fire & ~dynamic, "addr")
            kept = tiled_memory(clk, width, n * u_on, addr, fire & ~dynamic, static, style)
            streamed = sel(dynamic.reg(clk, rst, rst_value=0), streamed, kept)
        out.issue(fire)
        out.push(fire.reg(clk, rst, rst_value=0), streamed)
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)


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
