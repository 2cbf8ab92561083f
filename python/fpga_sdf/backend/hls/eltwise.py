"""eltwise: add / mul of two maps; a per-channel (C, 1, 1) operand is read once and buffered."""

from __future__ import annotations

import math

from .context import timed
from .process import MUL, STAGE, multi


def generate(ctx, module) -> None:
    v = ctx.values
    lanes, p = module.instances, ctx.p  # p pixels a word; a broadcast operand keeps one
    a, b = v["a"], v["b"]
    a_t, b_t, out_t = ctx.t("a_t"), ctx.t("b_t"), ctx.t("out_t")
    out = ctx.output(lanes)
    mode = "sdf::ELT_ADD" if ctx.spec.mode == "add" else "sdf::ELT_MUL"
    broadcast = "true" if v["broadcast"] else "false"
    ctx.process("eltwise", [f"hls::stream<{a_t}> a[{a.streams}]", f"hls::stream<{b_t}> b[{b.streams}]",
                            f"hls::stream<{out_t}> out[{out.streams}]"],
                [a.expr, b.expr, out.expr],
                f"    sdf::eltwise<{a_t}, {b_t}, {out_t}, {a.shape[0]}, {math.prod(a.shape[1:])}, {mode}, "
                f"{broadcast}, {lanes}{multi(p)}>(a, b, out, frames);\n",
                timing=_timing(ctx, a, lanes, p))
    ctx.cur = out.stream


def _timing(ctx, a, lanes: int, p: int) -> list:
    """One loop over the batch (a broadcast value is read at its first pixel): read, add or
    product, round / saturate, write; words of p pixels."""
    op = MUL if ctx.spec.mode == "mul" else STAGE
    return [timed("eltwise_loop", math.prod(a.shape[1:]) // p * (a.shape[0] // lanes), 3 * STAGE + op)]
