"""conv on PASS's sparse engine (seed 003): k = `fine` MACs per unit behind the non-zero check
and crossbar, a dot product of n non-zero taps in max(1, ceil(n / k)) cycles
(templates/sparse_conv.hpp).

What differs from the dense chain, and why: the engines of different input streams take
data-dependent, different times per window and must not be held in lock-step (the model's
interval, eq. 3, is the slowest stream's mean, not the mean of the slowest per window). So
the fork, the weights memory and the conv are one process per input stream (its CO units
see the same windows and stay in lock-step); the streams meet at the glue, and the conv's
output FIFO of sparse_buffer x cout_s results (the model's conv "buffer") lets a stream run
that many windows ahead, matching the sparse_buffer FIFO before it (sparse_buffer.py).

The weights memory of a unit holds one word of all K weights per dot product, depth ch_s x
cout_s (the model's `_weights_layer`, the RTL's sparse_weights): the engine does not know in
advance which taps are non-zero. Those words come from ROM literals only; weights loaded from
off-chip memory (reloaded, URAM, above LITERAL_LIMIT) are refused (`refusal`).

Cycles: the loop's trip count depends on the data. Its stated trip count is the model's
expected figure from the layer's measured statistics: windows x cout_s x the stream's mean
cycles per window (`model.sparse_engine.stream_cycles`, the figure the model's conv interval
takes the max of), and cycles.txt / schedule.json mark it "expected". The C-simulation
counts the loop's real iterations per process (the testbench prints `csim: <process> cycles
N` for the frames it ran), so the expectation can be measured on other data.
"""

from __future__ import annotations

import math

from ...model.sparse_engine import stream_cycles
from .context import loop, timed
from .process import MUL, RAM, STAGE, Access, tree
from .weights_memory import LITERAL_LIMIT, banking, bound_to


def streams(ctx) -> tuple[int, int]:
    """(input streams NI, units per stream CO)."""
    v = ctx.values
    return v["ci"] * v["cg"], v["co"]


def offset(stream, first: int) -> str:
    """The top's argument for lanes first.. of a stream array (a pointer into the array)."""
    return stream.name if first == 0 else f"{stream.name} + {first}"


def refusal(ctx, modules) -> str | None:
    """Why this sparse layer cannot be emitted yet (None when it can)."""
    wm = next(m for m in modules if m.name == "weights_memory")
    memory = next(m for m in wm.memories if m.role == "weights")
    words = wm.instances * memory.depth * ctx.values["word"]
    if ctx.reload or bound_to(memory, ctx.has_uram) == "uram" or words > LITERAL_LIMIT:
        return ("the sparse engine's weights from off-chip memory (weights reloading, URAM or more than "
                f"{LITERAL_LIMIT} weights) are modelled, but the HLS backend emits them as ROM literals only")
    return None


def expected_cycles(ctx) -> list[float]:
    """Mean cycles per window (per filter) of each input stream's engines: the model's."""
    spec, v = ctx.spec, ctx.values
    ni, _ = streams(ctx)
    return stream_cycles(spec, ni, spec.groups, v["ci"], v["cg"], v["kvol"], v["fine"])


def weights_memory(ctx, module) -> None:
    """One weights process per input stream: its CO banks, one K-weight word per dot product."""
    v = ctx.values
    ni, co = streams(ctx)
    depth, word = v["depth"], v["word"]
    w_t = ctx.t("w_t")
    memory = next(m for m in module.memories if m.role == "weights")
    kind = "RESHAPE" if banking(module, ctx.has_uram) == "packed" else "PARTITION"
    ctx.weights = []
    for s in range(ni):
        out = ctx.stream(f"sdf::vec<{w_t}, {word}>", co, module.words_out)
        array = ctx.rom(f"weights_s{s}", v["w_fmt"], v["banks"][s * co:(s + 1) * co], (co, depth, word))
        pragmas = (f"#pragma HLS ARRAY_{kind} variable={array} complete dim=1\n"
                   f"#pragma HLS ARRAY_RESHAPE variable={array} complete dim=3\n")
        binding = bound_to(memory, ctx.has_uram)
        if binding in ("bram", "uram"):
            pragmas += f"#pragma HLS BIND_STORAGE variable={array} type=rom_2p impl={binding}\n"
        ctx.process("weights_memory", [f"hls::stream<sdf::vec<{w_t}, {word}> > out[{co}]"], [out.name],
                    f"    sdf::weights_memory<{w_t}, {word}, {depth}, {v['pixels']}, {co}>({array}, out, frames);\n",
                    pragmas, suffix=f"_s{s}",
                    loops=[loop("weights_memory_loop", Access(array, (co, depth, word), (co, 1, word)))],
                    # a word per dot product (ROM read, stream write), paced by the engine
                    timing=[timed("weights_memory_loop", v["pixels"] * depth, RAM + STAGE)])
        ctx.weights.append(out)


def fork(ctx, module) -> None:
    """One fork per input stream: its windows to its CO units (no lock-step across streams)."""
    src = ctx.cur
    ni, co = streams(ctx)
    out = ctx.stream(src.elem, ni * co, src.words)
    for s in range(ni):
        ctx.process("fork", [f"hls::stream<{src.elem}> in[1]", f"hls::stream<{src.elem}> out[{co}]"],
                    [offset(src, s), offset(out, s * co)],
                    f"    sdf::fork<{src.elem}, {src.words}, {co}, 1>(in, out, frames);\n", suffix=f"_s{s}",
                    timing=[timed("fork_loop", src.words, 2 * STAGE)])
    ctx.cur = out


def generate(ctx, module) -> None:
    """The sparse engines: one process per input stream, CO units each."""
    v, src = ctx.values, ctx.cur
    ni, co = streams(ctx)
    acc_t, in_t, w_t = ctx.t("acc_t"), ctx.t("in_t"), ctx.t("w_t")
    fine, kvol, cout_s = v["fine"], v["kvol"], v["cout_s"]
    windows = module.words_in  # per input stream and frame
    out = ctx.stream(acc_t, ni * co, module.words_out)
    run_ahead = ctx.spec.sparse_buffer * cout_s
    if run_ahead > out.depth:
        out.depth = run_ahead
        out.why = (f"sparse engine output FIFO: sparse_buffer {ctx.spec.sparse_buffer} x cout_s {cout_s} "
                   "results (the model's conv buffer)")
    per_window = expected_cycles(ctx)
    for s in range(ni):
        trip = math.ceil(round(windows * cout_s * per_window[s], 6))
        counter = len(ctx.part.counters)  # the process's id for the C-simulation's cycle count
        ctx.part.counters.append(f"{ctx.layer.cname}_conv_s{s}")
        ctx.process("conv",
                    [f"hls::stream<{src.elem}> win[{co}]", f"hls::stream<sdf::vec<{w_t}, {kvol}> > weights[{co}]",
                     f"hls::stream<{acc_t}> out[{co}]"],
                    [offset(src, s * co), ctx.weights[s].name, offset(out, s * co)],
                    f"    sdf::sparse_conv<{src.elem}, {in_t}, {w_t}, {acc_t}, {kvol}, {fine}, {windows}, "
                    f"{cout_s}, {co}, {counter}>(win, weights, out, frames);\n", suffix=f"_s{s}",
                    # a cycle: reads, non-zero check and crossbar, `fine` products, their
                    # adder tree, the running sum, the write
                    timing=[timed("sparse_conv_loop", trip, 2 * STAGE + MUL + tree(fine) + 2 * STAGE,
                                  expected=f"data-dependent: {windows * cout_s} dot products x "
                                           f"{per_window[s]:.4f} mean cycles, the model's stream_cycles "
                                           f"of input stream {s}")])
    ctx.cur = out


__all__ = ["generate", "fork", "weights_memory", "refusal", "expected_cycles"]
