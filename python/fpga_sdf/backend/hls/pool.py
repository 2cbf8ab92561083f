"""pool: max / average of each window the sliding window produces."""

from __future__ import annotations

import math

from .context import timed
from .process import MUL, STAGE, multi, tree


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    lanes, q = module.instances, ctx.q  # q windows a word, each on its own tree
    in_t, out_t = ctx.t("in_t"), ctx.t("out_t")
    out = ctx.output(lanes)
    mode = "sdf::POOL_MAX" if ctx.spec.mode == "max" else "sdf::POOL_AVG"
    kvol = v["kvol"]
    fine = min(max(ctx.spec.fine, 1), kvol)  # taps reduced per cycle, as the model costs it
    ko = -(-kvol // fine)
    windows = math.prod(v["out3"]) // q * v["channels_per_stream"]  # words of q windows
    ctx.process("pool", [f"hls::stream<{src.elem}> win[{lanes * q}]", f"hls::stream<{out_t}> out[{lanes * q}]"],
                [src.name, out.expr],
                f"    sdf::pool<{in_t}, {out_t}, {v['geometry']}, {v['channels_per_stream']}, {mode}, "
                f"{v['count_pad']}, {lanes}, {fine}{multi(q)}>(win, out, frames);\n",
                # ceil(KVOL/FINE) cycles per window: read, FINE-tap max / sum tree, the exact
                # division (avg: a product), write
                timing=[timed("pool_loop", windows * ko,
                              2 * STAGE + tree(fine + 1) + (MUL if ctx.spec.mode == "avg" else 0))])
    ctx.cur = out.stream
