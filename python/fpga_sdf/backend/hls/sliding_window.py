"""sliding_window: line/window buffers, one window token per output position and channel."""

from __future__ import annotations

import math

from .context import loop, timed
from .process import RAM, STAGE, Access


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    lanes, kvol, g = src.lanes, v["kvol"], v["geometry"]
    in_t = ctx.t("in_t")
    out = ctx.stream(f"sdf::vec<{in_t}, {kvol}>", lanes, module.words_out)
    pad = f"sdf::min_value<{in_t}>()" if ctx.spec.kind == "pool" and ctx.spec.mode == "max" else f"{in_t}(0)"
    ch = v["channels_per_stream"]
    nrows, pw, span_w = v["window_rows"], v["padded_width"], v["span_w"]
    kernel = v["kernel3"]
    ctx.process("sliding_window",
                [f"hls::stream<{in_t}> in[{lanes}]", f"hls::stream<sdf::vec<{in_t}, {kvol}> > out[{lanes}]"],
                [src.name, out.name],
                f"    sdf::sliding_window<{in_t}, {g}, {ch}, {lanes}>(in, out, {pad}, frames);\n",
                loops=[loop("sliding_window_loop",
                            Access("buf", (lanes, nrows, pw, ch), (lanes, kernel[0] * kernel[1], kernel[2], 1),
                                   writes=1, template="sliding_window", symbols={"G::SPAN_W": span_w}))],
                # one padded word per cycle: read, ring-buffer write and read, window write
                timing=[timed("sliding_window_loop", math.prod(v["padded3"]) * ch, STAGE + RAM + STAGE)])
    # the loop's geometry, for the coupling of the window to its consumer (cycles.py)
    ctx.layer.window = dict(padded=list(v["padded3"]), span=list(v["span3"]), stride=list(v["stride3"]),
                            out=list(v["out3"]), channels=ch, slack=out.depth)
    ctx.cur = out

