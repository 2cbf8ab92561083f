"""global_pool: max / average over all positions, one value per channel."""

from __future__ import annotations

import math

from .context import timed
from .process import MUL, STAGE, multi, tree


def generate(ctx, module) -> None:
    src = ctx.cur
    lanes, p = module.instances, ctx.p  # p pixels a word: a tree of p - 1 first
    in_t, out_t = ctx.t("in_t"), ctx.t("out_t")
    out = ctx.output(lanes)
    x = ctx.inputs[0]
    mode = "sdf::POOL_MAX" if ctx.spec.mode == "max" else "sdf::POOL_AVG"
    ctx.process("global_pool", [f"hls::stream<{in_t}> in[{lanes * p}]", f"hls::stream<{out_t}> out[{lanes}]"],
                [src.name, out.expr],
                f"    sdf::global_pool<{in_t}, {out_t}, {x.shape[0]}, {math.prod(x.shape[1:])}, {mode}, "
                f"{lanes}{multi(p)}>(in, out, frames);\n",
                # read, the word's tree, accumulate, (avg: the exact division, a product), write
                timing=[timed("global_pool_loop", math.prod(x.shape[1:]) // p * (x.shape[0] // lanes),
                              3 * STAGE + tree(p) + (MUL if ctx.spec.mode == "avg" else 0))])
    ctx.cur = out.stream
