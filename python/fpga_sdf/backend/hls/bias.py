"""bias: adds each output lane's own bias ROM to the sums and converts to the output format."""

from __future__ import annotations

from .context import loop, timed
from .process import AXI, RAM, STAGE, Access, multi


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    lanes, depth, q = module.instances, v["bias_depth"], module.lanes  # q pixels a word share a read
    acc_t, b_t, out_t = ctx.t("acc_t"), ctx.t("b_t"), ctx.t("out_t")
    out = ctx.output(lanes)
    params = [f"hls::stream<{acc_t}> in[{lanes * q}]", f"hls::stream<{out_t}> out[{lanes * q}]"]
    args = [src.name, out.expr]
    if ctx.reload:
        array = "lanes"
        args.insert(0, ctx.port("bias", v["b_fmt"], v["b_runs"], v["b_source"]))
        params.insert(0, f"const {ctx.port_type()}* mem")
        beat = ctx.port_beat()
    else:
        array = ctx.rom("bias", v["b_fmt"], v["bias_lanes"], (lanes, depth))
    pragma = f"#pragma HLS ARRAY_PARTITION variable={array} complete dim=1\n"
    body = (f"    sdf::bias<{acc_t}, {b_t}, {out_t}, {depth}, {v['pixels']}, {lanes}{multi(q)}>(in, out, {array}, frames);\n")
    if ctx.reload:
        body = (f"    {b_t} lanes[{lanes}][{depth}];\n{pragma}"
                f"    sdf::load_lanes<{b_t}, {depth}, {lanes}, {beat}>(mem, lanes);\n" + body)
        pragma = ""
    # read and ROM read, add, round / saturate, write
    timing = [timed("bias_loop", v["pixels"] * depth, RAM + 3 * STAGE)]
    if ctx.reload:
        timing.insert(0, timed("load_lanes_loop", lanes * depth, AXI + STAGE, "once"))
    ctx.process("bias", params, args, body, pragma,
                loops=[loop("bias_loop", Access(array, (lanes, depth), (lanes, 1)))], timing=timing)
    ctx.cur = out.stream
