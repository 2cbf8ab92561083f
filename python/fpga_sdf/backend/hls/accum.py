"""accum: sums the channels of one group an output stream sees, per filter (coarse_in < channels).

One per output stream: it sits behind the glue, which has added the coarse_in units' dot
products already (model/modules.py _weights_layer)."""

from __future__ import annotations

from .context import loop, timed
from .process import STAGE, Access


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    lanes, acc_in, cout_s = module.instances * module.lanes, v["acc_in"], v["cout_s"]  # q lanes a unit
    acc_t = ctx.t("acc_t")
    out = ctx.stream(acc_t, lanes, module.words_out)
    outer = module.words_in // (acc_in * cout_s)
    ctx.process("accum", [f"hls::stream<{acc_t}> in[{lanes}]", f"hls::stream<{acc_t}> out[{lanes}]"],
                [src.name, out.name],
                f"    sdf::accum<{acc_t}, {acc_in}, {cout_s}, {outer}, {lanes}>(in, out, frames);\n",
                loops=[loop("accum_loop", Access("buf", (lanes, cout_s), (lanes, 1), writes=1, template="accum"))],
                # read, partial-sum read, add, write
                timing=[timed("accum_loop", outer * acc_in * cout_s, 4 * STAGE)])
    ctx.cur = out
