"""eltwise: add / mul of two maps; a per-channel (C, 1, 1) operand is read once and buffered."""

from __future__ import annotations

import math

from .context import timed
from .process import MUL, STAGE


def generate(ctx, module) -> None:
    v = ctx.values
    lanes = module.instances
    a, b = v["a"], v["b"]
    a_t, b_t, out_t = ctx.t("a_t"), ctx.t("b_t"), ctx.t("out_t")
    out = ctx.output(lanes)
    mode = "sdf::ELT_ADD" if ctx.spec.mode == "add" else "sdf::ELT_MUL"
    broadcast = "true" if v["broadcast"] else "false"
    ctx.process("eltwise", [f"hls::stream<{a_t}> a[{lanes}]", f"hls::stream<{b_t}> b[{lanes}]",
                            f"hls::stream<{out_t}> out[{lanes}]"],
                [a.expr, b.expr, out.expr],
                f"    sdf::eltwise<{a_t}, {b_t}, {out_t}, {a.shape[0]}, {math.prod(a.shape[1:])}, {mode}, "
                f"{broadcast}, {lanes}>(a, b, out, frames);\n",
                timing=_timing(ctx, a, lanes, v["broadcast"]))
    ctx.cur = out.stream


def _timing(ctx, a, lanes: int, broadcast: bool) -> list:
    """One loop over the batch (a broadcast value is read at its first pixel): read, add or
    product, round / saturate, write."""
    op = MUL if ctx.spec.mode == "mul" else STAGE
    return [timed("eltwise_loop", math.prod(a.shape[1:]) * (a.shape[0] // lanes), 3 * STAGE + op)]
