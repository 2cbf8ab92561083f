"""activation: relu / relu6 / leaky_relu in logic, the others through a table per lane."""

from __future__ import annotations

from ...interp.fixed import Fixed, quantize
from .context import loop, timed
from .process import MUL, RAM, STAGE, Access, multi
from .tables import TABLE_ACTIVATIONS, activation_table

SUPPORTED = ("relu", "relu6", "leaky_relu") + TABLE_ACTIVATIONS
ALPHA_FMT = Fixed(18, 16)
LOGIC = {"relu": "sdf::ACT_RELU", "relu6": "sdf::ACT_RELU6", "leaky_relu": "sdf::ACT_LEAKY_RELU"}


def check(ctx) -> str | None:
    """Why this activation cannot be emitted (None when it can)."""
    kind = ctx.values["kind"]
    if kind not in SUPPORTED:
        return f"activation '{kind}' has no HLS template"
    width = ctx.in_fmt.width
    if kind in TABLE_ACTIVATIONS and width > 20:
        return (f"'{kind}' is a table activation: its {width}-bit input would need a 2**{width}-entry table "
                "(quantize this layer's input to 20 bits or fewer)")
    return None


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    streams, p, kind = module.instances, ctx.p, v["kind"]
    lanes = streams * p  # p pixels a word: each lane a one-pixel stream
    in_t, out_t = ctx.t("in_t"), ctx.t("out_t")
    out = ctx.output(streams)
    params = [f"hls::stream<{in_t}> in[{lanes}]", f"hls::stream<{out_t}> out[{lanes}]"]
    n = module.words_in
    if kind in TABLE_ACTIVATIONS:
        table = activation_table(kind, ctx.in_fmt, ctx.out_fmt)
        copies = streams * -(-p // 2)  # a ROM copy per stream, or per two pixels of a word
        array = ctx.rom("table", ctx.out_fmt, table, (copies, table.size), repeat=copies)
        ctx.process("activation", params, [src.name, out.expr],
                    f"    sdf::activation_lut<{in_t}, {out_t}, {n}, {streams}{multi(p)}>(in, out, {array}, frames);\n",
                    f"#pragma HLS ARRAY_PARTITION variable={array} complete dim=1\n",
                    loops=[loop("activation_lut_loop",
                                Access(array, (copies, table.size), (copies, min(p, 2))))],
                    timing=[timed("activation_lut_loop", n, 2 * STAGE + RAM)])
    else:
        alpha = int(quantize(v.get("alpha", 0.01), ALPHA_FMT)) if kind == "leaky_relu" else 0
        ctx.process("activation", params, [src.name, out.expr],
                    f"    sdf::activation<{in_t}, {out_t}, {n}, {LOGIC[kind]}, {lanes}, {alpha}LL, "
                    f"{ALPHA_FMT.width}, {ALPHA_FMT.frac}>(in, out, frames);\n",
                    timing=[timed("activation_loop", n, 3 * STAGE + (MUL if kind == "leaky_relu" else 0))])
    ctx.cur = out.stream
