"""global_pool: max / average over all positions, one value per channel."""

from __future__ import annotations

import math

from .context import timed
from .process import MUL, STAGE


def generate(ctx, module) -> None:
    src = ctx.cur
    lanes = module.instances
    in_t, out_t = ctx.t("in_t"), ctx.t("out_t")
    out = ctx.output(lanes)
    x = ctx.inputs[0]
    mode = "sdf::POOL_MAX" if ctx.spec.mode == "max" else "sdf::POOL_AVG"
    ctx.process("global_pool", [f"hls::stream<{in_t}> in[{lanes}]", f"hls::stream<{out_t}> out[{lanes}]"],
                [src.name, out.expr],
                f"    sdf::global_pool<{in_t}, {out_t}, {x.shape[0]}, {math.prod(x.shape[1:])}, {mode}, "
                f"{lanes}>(in, out, frames);\n",
                # read, accumulate, (avg: the exact division, a product), write at the last pixel
                timing=[timed("global_pool_loop", math.prod(x.shape[1:]) * (x.shape[0] // lanes),
                              3 * STAGE + (MUL if ctx.spec.mode == "avg" else 0))])
    ctx.cur = out.stream
