"""scale_shift: per-channel affine y = x * scale[c] + shift[c], a parameter ROM per lane."""

from __future__ import annotations

import math

from .context import loop, timed
from .process import MUL, STAGE, Access, multi


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    lanes, p = module.instances, ctx.p  # p pixels a word share the parameter reads
    in_t, s_t, b_t, acc_t, out_t = (ctx.t(n) for n in ("in_t", "s_t", "b_t", "acc_t", "out_t"))
    out = ctx.output(lanes)
    x = ctx.inputs[0]
    c = x.shape[0]
    scale = ctx.rom("scale", v["s_fmt"], v["scale"], (c,))
    shift = ctx.rom("shift", v["shift_fmt"], v["shift"], (c,))
    pragmas = "".join(f"#pragma HLS ARRAY_PARTITION variable={a} cyclic factor={lanes} dim=1\n" for a in (scale, shift))
    ctx.process("scale_shift", [f"hls::stream<{in_t}> in[{lanes * p}]", f"hls::stream<{out_t}> out[{lanes * p}]"],
                [src.name, out.expr],
                f"    sdf::scale_shift<{in_t}, {s_t}, {b_t}, {acc_t}, {out_t}, {c}, {math.prod(x.shape[1:])}, "
                f"{lanes}{multi(p)}>(in, out, {scale}, {shift}, frames);\n", pragmas,
                loops=[loop("scale_shift_loop", Access(scale, (c,), (lanes,)), Access(shift, (c,), (lanes,)))],
                # read, product, add, round / saturate, write
                timing=[timed("scale_shift_loop", math.prod(x.shape[1:]) // p * (c // lanes), MUL + 4 * STAGE)])
    ctx.cur = out.stream
