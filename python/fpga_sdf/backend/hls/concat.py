"""concat: per position, the channels of the first map then those of the second (per lane)."""

from __future__ import annotations

import math

from .context import timed
from .process import STAGE


def generate(ctx, module) -> None:
    v = ctx.values
    lanes = module.instances
    a, b = v["a"], v["b"]
    a_t, b_t, out_t = ctx.t("a_t"), ctx.t("b_t"), ctx.t("out_t")
    out = ctx.output(lanes)
    ctx.process("concat", [f"hls::stream<{a_t}> a[{lanes}]", f"hls::stream<{b_t}> b[{lanes}]",
                           f"hls::stream<{out_t}> out[{lanes}]"],
                [a.expr, b.expr, out.expr],
                f"    sdf::concat<{a_t}, {b_t}, {out_t}, {a.shape[0] // lanes}, {b.shape[0] // lanes}, "
                f"{math.prod(a.shape[1:])}, {lanes}>(a, b, out, frames);\n",
                timing=[timed("concat_loop", math.prod(a.shape[1:]) * (a.shape[0] + b.shape[0]) // lanes, 3 * STAGE)])
    ctx.cur = out.stream
