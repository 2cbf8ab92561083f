"""resize: nearest upsampling by integer factors (a line or plane buffer per lane)."""

from __future__ import annotations

from .context import timed
from .process import RAM, STAGE, multi


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    streams, p = module.instances, ctx.p  # p pixels a word: a unit of p lanes per stream
    lanes = streams * p
    in_t, out_t = ctx.t("in_t"), ctx.t("out_t")
    out = ctx.output(streams)
    x = ctx.inputs[0]
    sp = (1,) * (4 - len(x.shape)) + tuple(x.shape[1:])
    sc = (1,) * (3 - len(v["scale"])) + tuple(v["scale"])
    args = f"{in_t}, {x.shape[0]}, {sp[0]}, {sp[1]}, {sp[2]}, {sc[0]}, {sc[1]}, {sc[2]}, {streams}{multi(p)}"
    if ctx.in_fmt == ctx.out_fmt:
        body = f"    sdf::resize_nearest<{args}>(in, out, frames);\n"
    else:  # the conversion is a squeeze of equal stream counts after the resize
        body = (f"#pragma HLS DATAFLOW\n    hls::stream<{in_t}> tmp[{lanes}];\n    SDF_DATAFLOW_REGION\n"
                f"    SDF_PROCESS(sdf::resize_nearest<{args}>(in, tmp, frames));\n"
                f"    SDF_PROCESS(sdf::squeeze<{in_t}, {out_t}, {lanes}, {lanes}, {module.words_out * lanes}>"
                f"(tmp, out, frames));\n")
    ctx.process("resize", [f"hls::stream<{in_t}> in[{lanes}]", f"hls::stream<{out_t}> out[{lanes}]"],
                [src.name, out.expr], body,
                # one output word per cycle, restarted every frame (the unit's frame loop)
                timing=[timed("resize_loop", module.words_out, 2 * STAGE + RAM, "frame")])
    ctx.cur = out.stream
