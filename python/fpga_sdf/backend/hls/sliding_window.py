"""sliding_window: line/window buffers, one window token per output position and channel; at
p pixels a word (multi-pixel), q = p / stride windows per word on the model's word grid.

window_evicted (model/eviction.py, `window_*`): the window's dim-0 delay lines (frame buffers
in 3D, line buffers in 2D) are a ring of one frame in off-chip memory. The window
(`sdf::sliding_window_evicted`) walks as before and also writes every real input word to the
ring's writer; each lagged tap along dim 0 reads its words back from its own reader (a
prefix of the frame, evict.window); on chip stay, per tap, the inner dims' rows.
"""

from __future__ import annotations

import math

from ...diagnostics import UserError, at
from ...model.eviction import window_burst, window_lags, window_reads
from ...model.fifo_depths import MIN_FIFO_DEPTH
from ...model.modules import window_problem
from ...model.spec import spatial
from . import evict
from .context import loop, timed
from .process import RAM, STAGE, Access


def refusal(ctx, modules=None) -> str | None:
    """Why the layer's window_evicted cannot be built, or None: the model's reason
    (modules.window_problem: eviction.window_evictable on the window's streams), which the
    DSE never picks. `modules`: the layer's (expand), when known."""
    spec = ctx.spec
    if not spec.window_evicted:
        return None
    why = window_problem(spec)
    if why is None and modules is not None and not any(m.name == "sliding_window" for m in modules):
        why = "it has no sliding window"
    return f"window_evicted: {why}" if why else None


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
    args = [src.name, out.name]
    if ctx.spec.window_evicted:
        call, access = _evicted(ctx, lanes, ch, pad, params, args)
    elif grid is None:
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
    ctx.process("sliding_window", params, args, f"    {call}",
                loops=[loop("sliding_window_loop", access)],
                # one padded word per cycle: read, ring-buffer write and read, window write
                timing=[timed("sliding_window_loop", math.prod(padded) * ch, STAGE + RAM + STAGE)])
    if ctx.spec.window_evicted:  # the ring's writer and readers: after the window that feeds the writer
        _ring(ctx, lanes, ch)
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


def _evicted(ctx, lanes: int, ch: int, pad: str, params: list, args: list):
    """The window_evicted window's call and ring access; adds its evict and lag streams to
    `params` / `args` (ctx.values["evicted"] keeps them for `_ring`)."""
    v, spec = ctx.values, ctx.spec
    why = refusal(ctx)  # emit checks it before generating; here for a direct call
    if why:
        raise UserError(at(ctx.op.location, why))
    if ctx.inputs[0].stream is not ctx.cur or ctx.p != 1:
        raise UserError(at(ctx.op.location, "internal: window_evicted's window does not read the layer's input"))
    in_t, g = ctx.t("in_t"), v["geometry"]
    k0 = len(window_lags(spec))
    lagged = k0 - 1
    words = math.prod(ctx.inputs[0].shape) // lanes
    ev = ctx.stream(in_t, lanes, words)
    lag = ctx.stream(in_t, lanes, max(window_reads(spec), default=0) * words // spatial(spec.inputs[0])[0])
    lag.groups = lagged  # one array of lanes per lagged tap, its reader's
    params += [f"hls::stream<{in_t}> evict[{lanes}]", f"hls::stream<{in_t}> lag[{lagged}][{lanes}]"]
    args += [ev.name, lag.name]
    v["evicted"] = (ev, lag)
    three_d = len(spatial(spec.inputs[0])) == 3
    kernel, span, padded = v["kernel3"], v["span3"], v["padded3"]
    rows = span[1] if three_d else 1
    cols = padded[2] if three_d and span[1] > 1 else span[2]  # evicted_dim's ROWS and COLS
    touched_rows = kernel[1] if three_d else 1
    call = f"sdf::sliding_window_evicted<{in_t}, {g}, {ch}, {lanes}>(in, out, evict, lag, {pad}, frames);\n"
    access = Access("buf", (lanes, k0, rows, cols, ch), (lanes, k0, touched_rows, kernel[2], 1), writes=1,
                    template="sliding_window_evicted", symbols={"G::SPAN_W": v["span_w"]})
    return call, access


def _ring(ctx, lanes: int, ch: int) -> None:
    """The ring, its writer and a reader per lagged tap (evict.window), at the model's burst
    buffer B (window_burst) and prefixes (window_reads: n_j slices of P words a stream)."""
    spec = ctx.spec
    ev, lag = ctx.values["evicted"]
    depth = window_burst(spec, lanes)
    slice_words = math.prod(spatial(spec.inputs[0])[1:]) * ch  # P: a slice of dim 0, words a stream
    reads = tuple(n * slice_words * lanes for n in window_reads(spec))
    evict.window(ctx.part, ctx.layer.name, ctx.inputs[0], depth, reads, ev, lag)
