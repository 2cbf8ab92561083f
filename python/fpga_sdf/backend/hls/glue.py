"""glue: adds the coarse_in units' dot products of each filter lane (an adder tree), one word
per dot product, in front of the accumulator."""

from __future__ import annotations

from .context import timed
from .process import STAGE, multi, tree


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    ci, co, cg, q = v["ci"], v["co"], v["cg"], module.lanes  # q pixels a word
    acc_t = ctx.t("acc_t")
    out = ctx.stream(acc_t, module.instances * q, module.words_out)
    ctx.process("glue", [f"hls::stream<{acc_t}> in[{src.lanes}]", f"hls::stream<{acc_t}> out[{module.instances * q}]"],
                [src.name, out.name],
                f"    sdf::glue<{acc_t}, {ci}, {co}, {cg}, {module.words_out}{multi(q)}>(in, out, frames);\n",
                timing=[timed("glue_loop", module.words_out, 2 * STAGE + tree(ci))])
    ctx.cur = out
