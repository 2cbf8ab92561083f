"""conv: the MAC units, `fine` multipliers each, one dot product per filter and window
(on the sparse engine: sparse_conv.py)."""

from __future__ import annotations

from ...model.spec import sparse_engine
from . import sparse_conv
from .context import timed
from .process import MUL, STAGE, multi, tree


def generate(ctx, module) -> None:
    if sparse_engine(ctx.spec):
        sparse_conv.generate(ctx, module)
        return
    v, src = ctx.values, ctx.cur
    if ctx.spec.kind == "inner_product" and module.lanes > 1:
        _fcus(ctx, module)
        return
    lanes, q = module.instances, module.lanes  # MAC units, q MAC arrays each (multi-pixel)
    acc_t, in_t, w_t = ctx.t("acc_t"), ctx.t("in_t"), ctx.t("w_t")
    out = ctx.stream(acc_t, lanes * q, module.words_out)
    fine, kvol = v["fine"], v["kvol"]
    ctx.process("conv",
                [f"hls::stream<{src.elem}> win[{lanes * q}]",
                 f"hls::stream<sdf::vec<{w_t}, {fine}> > weights[{lanes}]", f"hls::stream<{acc_t}> out[{lanes * q}]"],
                [src.name, ctx.weights.name, out.name],
                f"    sdf::conv<{src.elem}, {in_t}, {w_t}, {acc_t}, {kvol}, {fine}, {module.words_in}, "
                f"{v['cout_s']}, {lanes}{multi(q)}>(win, weights, out, frames);\n",
                # KVOL/FINE cycles per dot product: reads, FINE products, their adder tree,
                # the running sum, the write
                timing=[timed("conv_loop", module.words_in * v["cout_s"] * (kvol // fine),
                              STAGE + MUL + tree(fine) + 2 * STAGE)])
    ctx.cur = out


def _fcus(ctx, module) -> None:
    """An inner product at p pixels a word: each unit's p FCUs multiply the word's p features
    by their own weights (one bank word of p) and a tree sums the p products: one partial dot
    product per word and filter, accumulated over the words as at one pixel."""
    v, src = ctx.values, ctx.cur
    lanes, p = module.instances, module.lanes
    acc_t, in_t, w_t = ctx.t("acc_t"), ctx.t("in_t"), ctx.t("w_t")
    out = ctx.stream(acc_t, lanes, module.words_out)
    ctx.process("conv",
                [f"hls::stream<{in_t}> in[{lanes * p}]", f"hls::stream<sdf::vec<{w_t}, {p}> > weights[{lanes}]",
                 f"hls::stream<{acc_t}> out[{lanes}]"],
                [src.name, ctx.weights.name, out.name],
                f"    sdf::fcu<{in_t}, {w_t}, {acc_t}, {p}, {module.words_in}, {v['cout_s']}, {lanes}>"
                f"(in, weights, out, frames);\n",
                # a cycle per word and filter: reads, p products, their adder tree, the write
                timing=[timed("conv_loop", module.words_in * v["cout_s"], STAGE + MUL + tree(p) + STAGE)])
    ctx.cur = out
