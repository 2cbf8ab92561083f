"""sliding_window: line/window buffers, one window token per output position and channel; at
p pixels a word (multi-pixel), q = p / stride windows per word on the model's word grid."""

from __future__ import annotations

import math

from ...model.fifo_depths import MIN_FIFO_DEPTH
from .context import loop, timed
from .process import RAM, STAGE, Access


def generate(ctx, module) -> None:
    v, src = ctx.values, ctx.cur
    p, q, grid = ctx.p, ctx.q, v["grid"]
    lanes, kvol, g = src.lanes // p, v["kvol"], v["geometry"]
    in_t = ctx.t("in_t")
    win_t = f"sdf::vec<{in_t}, {kvol}>"
    out = ctx.stream(win_t, lanes * q, module.words_out)
    pad = f"sdf::min_value<{in_t}>()" if ctx.spec.kind == "pool" and ctx.spec.mode == "max" else f"{in_t}(0)"
    ch = v["channels_per_stream"]
    nrows = v["window_rows"]
    kernel = v["kernel3"]
    padded, span, stride, out3 = list(v["padded3"]), list(v["span3"]), list(v["stride3"]), list(v["out3"])
    params = [f"hls::stream<{in_t}> in[{lanes * p}]", f"hls::stream<{win_t} > out[{lanes * q}]"]
    if grid is None:
        call = f"sdf::sliding_window<{in_t}, {g}, {ch}, {lanes}>(in, out, {pad}, frames);\n"
        access = Access("buf", (lanes, nrows, v["padded_width"], ch), (lanes, kernel[0] * kernel[1], kernel[2], 1),
                        writes=1, template="sliding_window", symbols={"G::SPAN_W": v["span_w"]})
    else:
        # the word grid: a padded row is grid.row words, and a group of q windows is one
        # position that reaches grid.span words back (window_cycles' word extent)
        call = (f"sdf::sliding_window_mp<{in_t}, {g}, {ch}, {lanes}, {p}, {grid.lead}, {grid.trail}, "
                f"{grid.emit}>(in, out, {pad}, frames);\n")
        access = Access("buf", (lanes, nrows, grid.row, ch, p), (lanes, kernel[0] * kernel[1], grid.span, 1, p),
                        writes=1, template="sliding_window_mp", symbols={"SPAN": grid.span})
        padded[2], span[2], stride[2], out3[2] = grid.row, grid.span, 1, grid.out_words
    ctx.process("sliding_window", params, [src.name, out.name], f"    {call}",
                loops=[loop("sliding_window_loop", access)],
                # one padded word per cycle: read, ring-buffer write and read, window write
                timing=[timed("sliding_window_loop", math.prod(padded) * ch, STAGE + RAM + STAGE)])
    # the loop's geometry, for the coupling of the window to its consumer (cycles.py), and
    # the windows buffered before the unit working on one: the stream; at p > 1 a conv also
    # counts the window its MAC units hold while their filters reuse it and, behind a fork,
    # the fork's streams (the model's modules.window_slack; at one pixel, and for pools, the
    # model counts the stream alone, and so does this formula)
    slack = out.depth
    if grid is not None and ctx.spec.kind == "conv":
        slack += 1 + (MIN_FIFO_DEPTH if v["co"] > 1 else 0)
    ctx.layer.window = dict(padded=padded, span=span, stride=stride, out=out3, channels=ch, slack=slack)
    ctx.cur = out
