"""eltwise: add / mul of two maps; a per-channel (C, 1, 1) operand is read once and buffered."""

from __future__ import annotations

import math


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
                f"{broadcast}, {lanes}>(a, b, out, frames);\n")
    ctx.cur = out.stream
