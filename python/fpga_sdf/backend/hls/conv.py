"""conv: the MAC units, `fine` multipliers each, one dot product per filter and window
(on the sparse engine: sparse_conv.py). A p-pixel unit's q MAC arrays share each weight, and
pairs of them multiply in one packed DSP exactly where the model counts it (`lane_pairs`)."""

from __future__ import annotations

from ...model.dsp import packs
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
                f"{v['cout_s']}, {lanes}{multi(q)}{_pairs(lane_pairs(module))}>(win, weights, out, frames);\n",
                # KVOL/FINE cycles per dot product: reads, FINE products, their adder tree,
                # the running sum, the write
                timing=[timed("conv_loop", module.words_in * v["cout_s"] * (kvol // fine),
                              STAGE + MUL + tree(fine) + 2 * STAGE)])
    ctx.cur = out


def lane_pairs(module) -> int:
    """Packed lane pairs per MAC unit (the template's PAIRS): the model's `weight_sharing`
    lanes multiply by one weight, and model.dsp.mac_dsp costs them as pairs in one DSP where
    `packs` says so, a lone odd lane on its own."""
    q, sharing = int(module.lanes), module.weight_sharing
    if sharing < 2 or not packs(*module.mult_widths):
        return 0
    if sharing != q:
        raise ValueError(f"HLS conv: {sharing} of {q} MAC arrays sharing a weight is not generated")
    return q // 2


def _pairs(n: int) -> str:
    return f", {n}" if n else ""


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
