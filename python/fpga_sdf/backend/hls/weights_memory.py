"""weights_memory: the weights of the MAC units, one bank per unit, streamed in address order.

Banked exactly as the resource model costs it: `fpga_sdf.model.resources.weights_packed`
(the function the model's memory_cost uses) says whether the units' banks are separate
memories (ARRAY_PARTITION) or packed side by side into one wide memory (ARRAY_RESHAPE);
either way each bank word is the `fine` taps the unit multiplies in one cycle. Weights that
are reloaded, or too large to be literals, or bound to URAM (which cannot be initialised)
are loaded from an AXI master port into the banks before the batch. On the sparse engine a
word is all K weights of a dot product, one weights process per input stream
(sparse_conv.weights_memory).

AutoWS fragments (`weights_fragments = (n, u_on, u_off)`, model/weights_memory.py): the
banks hold only the static regions, n u_on words a unit; the dynamic regions come from an
m_axi port (`mem_<layer>_fragments`, one image: fragment by fragment, word by word, unit by
unit) through a `weights_dma` process and a stream of 2 u_off words a unit, the model's
double-buffered `stream_buffer`, fetched again every time the memory is cycled (templates/
weights_fragments.hpp): n u_off words a unit per output pixel, the model's streamed weights.
"""

from __future__ import annotations

import numpy as np

from ...model.memory import map_memory
from ...model.resources import weights_packed
from ...model.spec import sparse_engine
from ...model.weights_memory import fragments_of, geometry
from .context import loop, timed
from .process import AXI, RAM, STAGE, Access

LITERAL_LIMIT = 1 << 14  # weights per layer above which they come from off-chip memory (source stays small)


def banking(module, has_uram: bool) -> str:
    """'packed' or 'banked': the layout the resource model costs for this weights memory."""
    memory = _on_chip(module)
    return "packed" if memory and weights_packed(memory, module.instances, has_uram) else "banked"


def _on_chip(module):
    """The memory of the weights kept on chip (None when AutoWS streams them all)."""
    return next((m for m in module.memories if m.role == "weights"), None)


def bound_to(memory, has_uram: bool) -> str:
    """The block memory the model maps `memory` to, as BIND_STORAGE must say it so that
    Vivado builds what is costed: its own binding, or "uram" where "auto" maps it there."""
    if memory.binding != "auto":
        return memory.binding
    return "uram" if map_memory(memory.role, memory.width, memory.depth, has_uram)[1] else "auto"


def off_chip(ctx, module) -> bool:
    """Whether the on-chip weights are loaded from off-chip memory rather than ROM literals."""
    memory = _on_chip(module)
    if memory is None:
        return False
    words = module.instances * memory.depth * ctx.values["fine"] * ctx.values["fcus"]
    return ctx.reload or bound_to(memory, ctx.has_uram) == "uram" or words > LITERAL_LIMIT


def fragments(spec) -> tuple[int, int, int] | None:
    """The layer's AutoWS fragments (n, u_on, u_off) with a dynamic region, as the model
    reads them at its folding (`fragments_of`); None when all its weights stay on chip."""
    if not spec.weights_fragments or spec.kind not in ("conv", "inner_product"):
        return None
    found = fragments_of(spec, geometry(spec).depth)
    return found if found and found[2] else None


def fragments_refusal(ctx) -> str | None:
    """Why a layer's weight fragments are not emitted (None if they are or it has none)."""
    found = fragments(ctx.spec)
    if found is None or "depth" not in ctx.values:  # no fragments, or the layer refused already
        return None
    n, u_on, u_off = found
    why = ("on PASS's sparse engine" if sparse_engine(ctx.spec) else
           "with weights reloading (wr_factor > 1)" if ctx.reload else
           "on a multi-pixel inner product (its p FCUs read their own weights)" if ctx.values.get("fcus", 1) > 1 else
           None)
    if why:
        return f"AutoWS weight fragments {why} are modelled and explored, but the HLS backend does not emit them yet"
    if n * (u_on + u_off) != ctx.values["depth"]:
        return (f"internal: weights_fragments {found} do not cover the {ctx.values['depth']} words of a MAC unit's "
                "weights memory as emitted")
    return None


def generate(ctx, module) -> None:
    if sparse_engine(ctx.spec):
        from . import sparse_conv  # sparse_conv imports this module

        sparse_conv.weights_memory(ctx, module)
        return
    v = ctx.values
    lanes, depth, fine = module.instances, v["depth"], v["word"]  # a bank word: fine taps (an FCU unit's p weights)
    n, u_on, u_off = fragments(ctx.spec) or (1, depth, 0)
    banks = np.asarray(v["banks"]).reshape(lanes, n, u_on + u_off, fine)
    static = banks[:, :, :u_on].reshape(lanes, n * u_on, fine) if u_on else np.zeros((lanes, 1, fine), np.int64)
    sdepth = static.shape[1]
    w_t = ctx.t("w_t")
    word_t = f"sdf::vec<{w_t}, {fine}>"
    out = ctx.stream(word_t, lanes, module.words_out)
    memory = _on_chip(module)
    params = [f"hls::stream<{word_t} > out[{lanes}]"]
    args = [out.name]
    loaded = off_chip(ctx, module)
    if loaded:
        array = "banks"
        runs, source = (v["w_runs"], v["w_source"]) if not u_off else (static.reshape(1, -1), None)
        args.insert(0, ctx.port("weights", v["w_fmt"], runs, source))
        params.insert(0, f"const {ctx.port_type()}* mem")
        beat = ctx.port_beat()
    else:
        array = ctx.rom("weights", v["w_fmt"], static, (lanes, sdepth, fine))
    pragmas = (f"#pragma HLS ARRAY_{'RESHAPE' if banking(module, ctx.has_uram) == 'packed' else 'PARTITION'} "
               f"variable={array} complete dim=1\n"
               f"#pragma HLS ARRAY_RESHAPE variable={array} complete dim=3\n")
    binding = bound_to(memory, ctx.has_uram) if memory is not None else "auto"
    if binding in ("bram", "uram"):
        pragmas += (f"#pragma HLS BIND_STORAGE variable={array} type={'ram_2p' if loaded else 'rom_2p'} "
                    f"impl={binding}\n")
    if u_off:
        dynamic = _fragment_dma(ctx, banks[:, :, u_on:], v["pixels"], word_t)
        params.insert(-1, f"hls::stream<{word_t} > dynamic[{lanes}]")
        args.insert(-1, dynamic.name)
        body = (f"    sdf::weights_memory_fragments<{w_t}, {fine}, {n}, {u_on}, {u_off}, {v['pixels']}, {lanes}, "
                f"{sdepth}>({array}, dynamic, out, frames);\n")
    else:
        body = f"    sdf::weights_memory<{w_t}, {fine}, {depth}, {v['pixels']}, {lanes}>({array}, out, frames);\n"
    if loaded:
        body = (f"    {w_t} banks[{lanes}][{sdepth}][{fine}];\n{pragmas}"
                f"    sdf::load_banks<{w_t}, {fine}, {sdepth}, {lanes}, {beat}>(mem, banks);\n" + body)
        pragmas = ""
    # a bank read per unit per cycle (ROM read, stream write); loading: one value per cycle
    timing = [timed("weights_memory_loop", v["pixels"] * depth, RAM + STAGE)]
    if loaded:
        timing.insert(0, timed("load_banks_loop", lanes * sdepth * fine, AXI + STAGE, "once"))
    ctx.process("weights_memory", params, args, body, pragmas,
                loops=[loop("weights_memory_loop", Access(array, (lanes, sdepth, fine), (lanes, 1, fine)))],
                timing=timing)
    ctx.weights = out


def _fragment_dma(ctx, dynamic, repeat: int, word_t: str):
    """The dynamic regions (units, n, u_off, fine) from an m_axi port into the stream the
    weights memory reads them from: 2 u_off words a unit deep, the model's stream_buffer."""
    lanes, n, u_off, fine = dynamic.shape
    stream = ctx.stream(word_t, lanes, repeat * n * u_off)
    stream.depth, stream.why = 2 * u_off, "stream_buffer: the model's double-buffered dynamic regions"
    image = dynamic.transpose(1, 2, 0, 3).reshape(1, -1)  # fragment, word, unit, tap
    port = ctx.port("fragments", ctx.values["w_fmt"], image, None, group=lanes * fine, repeat=repeat)
    ctx.process("weights_dma", [f"const {ctx.port_type()}* mem", f"hls::stream<{word_t} > out[{lanes}]"],
                [port, stream.name],
                f"    sdf::fragment_dma<{ctx.t('w_t')}, {fine}, {n}, {u_off}, {repeat}, {lanes}, {ctx.port_beat()}>"
                f"(mem, out, frames);\n",
                timing=[timed("fragment_dma_loop", repeat * n * u_off, AXI + STAGE)])
    return stream
