"""pool: max / average of each window the sliding window produces."""

from __future__ import annotations


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    lanes = module.instances
    in_t, out_t = ctx.t("in_t"), ctx.t("out_t")
    out = ctx.output(lanes)
    mode = "sdf::POOL_MAX" if ctx.spec.mode == "max" else "sdf::POOL_AVG"
    ctx.process("pool", [f"hls::stream<{src.elem}> win[{lanes}]", f"hls::stream<{out_t}> out[{lanes}]"],
                [src.name, out.expr],
                f"    sdf::pool<{in_t}, {out_t}, {v['geometry']}, {v['channels_per_stream']}, {mode}, "
                f"{v['count_pad']}, {lanes}>(win, out, frames);\n")
    ctx.cur = out.stream
