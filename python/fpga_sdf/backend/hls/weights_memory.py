"""weights_memory: the weights of the MAC units, one bank per unit, streamed in address order.

Banked exactly as the resource model costs it: `fpga_sdf.model.resources.weights_packed`
(the function the model's memory_cost uses) says whether the units' banks are separate
memories (ARRAY_PARTITION) or packed side by side into one wide memory (ARRAY_RESHAPE);
either way each bank word is the `fine` taps the unit multiplies in one cycle. Weights that
are reloaded, or too large to be literals, or bound to URAM (which cannot be initialised)
are loaded from an AXI master port into the banks before the batch. On the sparse engine a
word is all K weights of a dot product, one weights process per input stream
(sparse_conv.weights_memory).
"""

from __future__ import annotations

from ...model.resources import weights_packed
from ...model.spec import sparse_engine
from .context import loop, timed
from .process import AXI, RAM, STAGE, Access

LITERAL_LIMIT = 1 << 14  # weights per layer above which they come from off-chip memory (source stays small)


def banking(module, has_uram: bool) -> str:
    """'packed' or 'banked': the layout the resource model costs for this weights memory."""
    memory = next(m for m in module.memories if m.role == "weights")
    return "packed" if weights_packed(memory, module.instances, has_uram) else "banked"


def off_chip(ctx, module) -> bool:
    """Whether the weights are loaded from off-chip memory rather than ROM literals."""
    memory = next(m for m in module.memories if m.role == "weights")
    words = module.instances * memory.depth * ctx.values["fine"] * ctx.values["fcus"]
    return ctx.reload or memory.binding == "uram" or words > LITERAL_LIMIT


def generate(ctx, module) -> None:
    if sparse_engine(ctx.spec):
        from . import sparse_conv  # sparse_conv imports this module

        sparse_conv.weights_memory(ctx, module)
        return
    v = ctx.values
    lanes, depth, fine = module.instances, v["depth"], v["word"]  # a bank word: fine taps (an FCU unit's p weights)
    w_t = ctx.t("w_t")
    out = ctx.stream(f"sdf::vec<{w_t}, {fine}>", lanes, module.words_out)
    memory = next(m for m in module.memories if m.role == "weights")
    params = [f"hls::stream<sdf::vec<{w_t}, {fine}> > out[{lanes}]"]
    args = [out.name]
    loaded = off_chip(ctx, module)
    if loaded:
        array = "banks"
        args.insert(0, ctx.port("weights", v["w_fmt"], v["w_runs"], v["w_source"]))
        params.insert(0, f"const {ctx.port_type()}* mem")
        beat = ctx.port_beat()
    else:
        array = ctx.rom("weights", v["w_fmt"], v["banks"], (lanes, depth, fine))
    pragmas = (f"#pragma HLS ARRAY_{'RESHAPE' if banking(module, ctx.has_uram) == 'packed' else 'PARTITION'} "
               f"variable={array} complete dim=1\n"
               f"#pragma HLS ARRAY_RESHAPE variable={array} complete dim=3\n")
    if memory.binding in ("bram", "uram"):
        pragmas += (f"#pragma HLS BIND_STORAGE variable={array} type={'ram_2p' if loaded else 'rom_2p'} "
                    f"impl={memory.binding}\n")
    body = f"    sdf::weights_memory<{w_t}, {fine}, {depth}, {v['pixels']}, {lanes}>({array}, out, frames);\n"
    if loaded:
        body = (f"    {w_t} banks[{lanes}][{depth}][{fine}];\n{pragmas}"
                f"    sdf::load_banks<{w_t}, {fine}, {depth}, {lanes}, {beat}>(mem, banks);\n" + body)
        pragmas = ""
    # a bank read per unit per cycle (ROM read, stream write); loading: one value per cycle
    timing = [timed("weights_memory_loop", v["pixels"] * depth, RAM + STAGE)]
    if loaded:
        timing.insert(0, timed("load_banks_loop", lanes * depth * fine, AXI + STAGE, "once"))
    ctx.process("weights_memory", params, args, body, pragmas,
                loops=[loop("weights_memory_loop", Access(array, (lanes, depth, fine), (lanes, 1, fine)))],
                timing=timing)
    ctx.weights = out
