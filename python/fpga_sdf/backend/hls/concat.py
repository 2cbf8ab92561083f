"""concat: per position, the channels of the first map then those of the second (per lane)."""

from __future__ import annotations

import math

from .context import timed
from .process import STAGE


def generate(ctx, module) -> None:
    v = ctx.values
    streams, p = module.instances, ctx.p
    a, b = v["a"], v["b"]
    lanes, pixels = streams * p, math.prod(a.shape[1:]) // p  # p pixels a word: each lane one pixel of it
    a_t, b_t, out_t = ctx.t("a_t"), ctx.t("b_t"), ctx.t("out_t")
    out = ctx.output(streams)
    ctx.process("concat", [f"hls::stream<{a_t}> a[{lanes}]", f"hls::stream<{b_t}> b[{lanes}]",
                           f"hls::stream<{out_t}> out[{lanes}]"],
                [a.expr, b.expr, out.expr],
                f"    sdf::concat<{a_t}, {b_t}, {out_t}, {a.shape[0] // streams}, {b.shape[0] // streams}, "
                f"{pixels}, {lanes}>(a, b, out, frames);\n",
                timing=[timed("concat_loop", pixels * (a.shape[0] + b.shape[0]) // streams, 3 * STAGE)])
    ctx.cur = out.stream
