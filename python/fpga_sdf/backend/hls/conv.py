"""conv: the MAC units, `fine` multipliers each, one dot product per filter and window
(on the sparse engine: sparse_conv.py). Two products sharing an operand multiply in one
packed DSP exactly where the model counts it (`packing`): a p-pixel unit's MAC arrays share
each weight, a unit pair (coarse_out units j, j + 1 fed by one fork) each tap."""

from __future__ import annotations

from ...model.dsp import packs, sums_coarse_in
from ...model.spec import sparse_engine
from . import sparse_conv
from .context import timed
from .process import MUL, STAGE, multi, tree


def generate(ctx, module) -> None:
    if sparse_engine(ctx.spec):
        sparse_conv.generate(ctx, module)
        return
    v, src = ctx.values, ctx.cur
    units, pairs, q = packing(module)
    if ctx.spec.kind == "inner_product" and q > 1:
        _fcus(ctx, module)
        return
    # a 1x1 conv's module adds its ci units' dot products (dsp.sums_coarse_in): no glue
    fused = v["ci"] if sums_coarse_in(ctx.spec) else 1
    lanes = module.instances * fused  # window streams: a unit's, or a unit pair's (input_sharing 2)
    windows = module.words_in // fused  # per window stream
    acc_t, in_t, w_t = ctx.t("acc_t"), ctx.t("in_t"), ctx.t("w_t")
    if src.lanes != lanes * q or ctx.weights.lanes != lanes * units:
        raise ValueError(f"HLS conv: {src.lanes} window / {ctx.weights.lanes} weights lanes for {lanes} "
                         f"{'unit pairs' if units == 2 else 'units'} of {q} MAC arrays")
    results = lanes * units * q // fused
    out = ctx.stream(acc_t, results, module.words_out // units)
    fine, kvol = v["fine"], v["kvol"]
    if fused > 1:
        packed = f", {q}, {pairs}, {units}, {fused}, {v['co']}"
    else:
        packed = f", {q}, {pairs}, {units}" if units > 1 else f"{multi(q)}{f', {pairs}' if pairs else ''}"
    ctx.process("conv",
                [f"hls::stream<{src.elem}> win[{lanes * q}]",
                 f"hls::stream<sdf::vec<{w_t}, {fine}> > weights[{lanes * units}]",
                 f"hls::stream<{acc_t}> out[{results}]"],
                [src.name, ctx.weights.name, out.name],
                f"    sdf::conv<{src.elem}, {in_t}, {w_t}, {acc_t}, {kvol}, {fine}, {windows}, "
                f"{v['cout_s']}, {lanes}{packed}>(win, weights, out, frames);\n",
                # KVOL/FINE cycles per dot product: reads, FINE products, their adder tree,
                # the running sum (the ci units' sum), the write
                timing=[timed("conv_loop", windows * v["cout_s"] * (kvol // fine),
                              STAGE + MUL + tree(fine) + 2 * STAGE + (tree(fused) if fused > 1 else 0))])
    ctx.cur = out


def packing(module) -> tuple[int, int, int]:
    """(units per window stream, packed lane pairs per unit, MAC arrays per unit): the
    template's UNITS / PAIRS / Q, where model.dsp.mac_dsp counts the packing. A unit pair
    (input_sharing 2, dsp.pairs_units) packs every tap with both units' weights; otherwise
    the `weight_sharing` arrays of a unit, sharing its weight, pair up where `packs` says,
    a lone odd array on its own."""
    units = module.input_sharing
    q = int(module.lanes) // units
    dw, ww = module.mult_widths
    if units == 2:
        if not packs(ww, dw):
            raise ValueError(f"HLS conv: a unit pair of {ww}x{dw}-bit products that do not pack")
        return units, 0, q
    if units != 1:
        raise ValueError(f"HLS conv: {units} units sharing a window is not generated")
    sharing = module.weight_sharing
    if sharing < 2 or not packs(dw, ww):
        return 1, 0, q
    if sharing != q:
        raise ValueError(f"HLS conv: {sharing} of {q} MAC arrays sharing a weight is not generated")
    return 1, q // 2, q


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
