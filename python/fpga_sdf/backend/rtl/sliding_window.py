"""sdf_hw.sliding_window: line buffers turning a pixel stream into a window stream.

One code path for 2D and 3D. The module walks the padded input volume one word per cycle
(channels fastest, then W, H, D), inserting padding words itself, so a frame takes
prod(padded dims) * ch_s cycles when its consumer keeps up; a word that completes a window
waits until the consumer has room for it (no buffer but the stream's), which the model
costs (model/modules.py `window_cycles`, performance.py `_coupled_intervals`; where a pool's
consumer is a slower layer, the FIFO of model/fifo_depths.py `window_gap_depth` lets the window
walk its runs without a window while the consumer works). Every word enters a tree of delay
lines, exactly the buffers model/modules.py `_sliding_window` counts: for spatial dim i
(outermost first) each of the prod(e[:i]) taps of the previous dims feeds a chain of
e_i - 1 delays of prod(S[i+1:]) * ch_s words (e = dilated kernel extent, S = padded dims).
In 2D these are the e_h - 1 line buffers and e_h (e_w - 1) window buffers of ch_s words; 3D
adds e_d - 1 frame buffers in front. A delay of N words is a RAM of N - 1 words plus its
read register (block RAM when large), or plain registers for N <= 2.

With `window_evicted` (model/eviction.py, docs/notes/rtl-backend.md "Evicted window delay
lines") dim 0 has no delay chain: its K0 taps (lags j_k = e_0 - 1 - k d_0) are the live word
and one read stream per lagged tap (in1 .. in{K0-1}, kernel order), which gives a word wherever
the tap's position (p_0 - j, rest) is real (else the tap takes the pad value); each tap feeds
its own delay tree of the inner dims. Every real input word is also pushed to the write stream
out1. The walk advances only when every read stream it needs that cycle has a word and out1
has room, so the walk, its windows and its cycles are those of the window on chip.

After a word at padded position p with p_i >= e_i - 1 and (p_i - e_i + 1) divisible by the
stride in every dim, the taps hold the window ending there; it is pushed one cycle later.
Lane k is the row-major kernel index (kd, kh, kw); padding is 0 (the minimum for max pool).

A p-pixel layer (pixels = (p, 1), docs/notes/rtl-backend.md "Multi-pixel layers") takes words
of p pixels of a row and walks the word grid of `model.modules.window_word_grid`: the same
delay tree on words (line buffers p pixels wide, a grid row deep), the last dim keeping the
grid's span words, and on the words that complete output group g it pushes the q = p / s
windows of outputs g q .. g q + q - 1 in one word (lane i K + k: window i, kernel index k),
each tap a static pick of one pixel of one of the span words.
"""

from __future__ import annotations

from itertools import product
from math import prod

from pycde.constructs import Reg, Wire
from pycde.types import Bits

from fpga_sdf.model.eviction import window_lags
from fpga_sdf.model.modules import pixels_in, pixels_out, window_word_grid
from fpga_sdf.model.spec import kernel_of, padded_spatial, pixels_of, spatial

from .mac_common import (OutBuffer, bits, counter, eq, inc, memory, module_name, ram_style,
                         sel, uge, ult)
from .streams import OutputSkid, pack_lanes, stream_module


class Geometry:
    """The window geometry of a layer, per spatial dim (outermost first)."""

    def __init__(self, spec, ch_s: int):
        self.dims = spatial(spec.inputs[0])
        n = len(self.dims)
        self.kernel = kernel_of(spec)
        self.stride = tuple(spec.stride) or (1,) * n
        self.dilation = tuple(spec.dilation) or (1,) * n
        pad = tuple(spec.pad) or (0,) * (2 * n)
        self.pad_begin = pad[:n]
        self.padded = padded_spatial(spec)
        self.extent = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))
        self.ch_s = ch_s
        # words between taps one step apart in dim i
        self.step = tuple(prod(self.padded[i + 1:]) * ch_s for i in range(n))

    def taps(self) -> list[tuple[int, ...]]:
        """Per window lane (row-major kernel index): how far back the tap is in each dim."""
        return [tuple(e - 1 - k * d for k, d, e in zip(ks, self.dilation, self.extent))
                for ks in product(*(range(k) for k in self.kernel))]


def channels_per_stream(p) -> int:
    words_in = p.model.words_in if p.model is not None else p.attrs["words_in"]
    return words_in * pixels_in(p.spec) // pixels_of(p.spec.inputs[0])


def _position_counters(clk, rst, tick, geo, sizes, stride):
    """The window's walk: a channel counter, then one position counter per dim (innermost
    first, each advancing on the carry of the ones inside it, over `sizes[i]` positions),
    and for a dim of stride s > 1 whether its position is a window's (phase 0: counting
    modulo s from the kernel's extent - 1)."""
    n = len(sizes)
    _, carry = counter(clk, rst, geo.ch_s, tick, "channel")
    pos, phase_ok = [None] * n, [None] * n
    for i in reversed(range(n)):
        step = tick & carry
        pos[i], last = counter(clk, rst, sizes[i], step, f"pos{i}")
        e, s = geo.extent[i], stride[i]
        if s > 1:
            ph = Reg(Bits(max(1, (s - 1).bit_length())), clk, rst, rst_value=0, name=f"phase{i}")
            counting = uge(pos[i], e - 1) & ~last
            nxt = sel(eq(ph, s - 1), bits(ph.type.width, 0), inc(ph))
            ph.assign(sel(step, sel(counting, nxt, bits(ph.type.width, 0)), ph))
            phase_ok[i] = eq(ph, 0)
        else:
            phase_ok[i] = Bits(1)(1)
        carry = carry & last
    return pos, phase_ok


def generate(p):
    if pixels_in(p.spec) > 1:
        return _generate_multi_pixel(p)
    t = p.inputs[0]
    geo = Geometry(p.spec, channels_per_stream(p))
    if p.outputs[0].lanes != prod(geo.kernel):
        raise ValueError(f"RTL sliding_window: {p.outputs[0].lanes} lanes for a "
                         f"{geo.kernel} kernel")
    evicted = bool(getattr(p.spec, "window_evicted", False))
    lags = window_lags(p.spec) if evicted else ()
    lagged = [j for j in lags if j > 0]
    if evicted and (len(p.inputs) != 1 + len(lagged) or len(p.outputs) != 2):
        raise ValueError(f"RTL sliding_window: a window_evicted window takes its input and a read stream per "
                         f"lagged tap ({1 + len(lagged)} inputs) and gives its windows and a write stream "
                         f"(2 outputs), not {len(p.inputs)} and {len(p.outputs)}")
    max_pool = p.spec.kind == "pool" and p.spec.mode == "max"
    pad_value = -(1 << (t.width - 1)) if max_pool else 0
    dw, n = t.width, len(geo.dims)

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, p.outputs[0].bits, latency=1)
        # position counters: channel, then dims innermost first; each advances on a carry
        tick = Wire(Bits(1))  # a word (input or padding) enters: assigned below
        pos, phase_ok = _position_counters(clk, rst, tick, geo, geo.padded, geo.stride)

        def real(i, lag=0):
            """Whether position pos[i] - lag of dim i is a real (not padding) one."""
            b, ok = geo.pad_begin[i] + lag, Bits(1)(1)
            if b:
                ok = ok & uge(pos[i], b)
            if b + geo.dims[i] < geo.padded[i]:
                ok = ok & ult(pos[i], b + geo.dims[i])
            return ok

        inside, window_end = Bits(1)(1), Bits(1)(1)
        for i in range(n):
            inside = inside & real(i)
            if geo.extent[i] > 1:
                window_end = window_end & uge(pos[i], geo.extent[i] - 1)
            window_end = window_end & phase_ok[i]
        go = out.credit | ~window_end
        needed = []
        if evicted:
            # the lagged taps' read streams must have the words the walk needs this cycle
            # (tap j takes one where its position j slices back is real), and the write
            # stream room for the input word
            inner = Bits(1)(1)
            for i in range(1, n):
                inner = inner & real(i)
            needed = [inner & real(0, j) for j in lagged]
            write = OutputSkid(ports, 1)
            go = go & (~inside | write.ready)
            for t_, need in enumerate(needed):
                go = go & (~need | getattr(ports, f"in{1 + t_}_valid"))
        tick.assign(go & (~inside | ports.in0_valid))
        ports.in0_ready = go & inside
        word = sel(inside, ports.in0_data, bits(dw, pad_value))

        # the delay tree: taps[(j0, .., j_{n-1})] lags sum(j_i * step_i) words. With
        # window_evicted, dim 0's taps are the live word and the lagged taps' read streams
        # (their chains are in DDR), each feeding its own delay lines of the inner dims
        root = Reg(Bits(dw), clk, rst_value=None, name="tap")
        root.assign(sel(tick, word, root))
        if evicted:
            write.push(tick & inside, ports.in0_data)
            taps, first = {}, 1
            for t_, (j, need) in enumerate(zip(lagged, needed)):
                ports_in = f"in{1 + t_}"
                setattr(ports, f"{ports_in}_ready", tick & need)
                tap = Reg(Bits(dw), clk, rst_value=None, name=f"tap_lag{j}")
                tap.assign(sel(tick, sel(need, getattr(ports, f"{ports_in}_data"), bits(dw, pad_value)), tap))
                taps[(j,)] = tap
            taps[(0,)] = root
        else:
            taps, first = {(): root}, 0
        for i in range(first, n):
            depth = geo.step[i]
            ptr = None
            if depth > 2 and geo.extent[i] > 1:
                ptr, _ = counter(clk, rst, depth - 1, tick, f"ptr{i}")
            role = "line_buffer" if i < n - 1 else "window_buffer"
            style = ram_style(role, dw, depth)
            grown = {}
            for key, tap in taps.items():
                grown[key + (0,)] = tap
                for j in range(1, geo.extent[i]):
                    tap = _delay(clk, tick, tap, depth, ptr, style,
                                 f"d{i}_{'_'.join(map(str, key + (j,)))}")
                    grown[key + (j,)] = tap
            taps = grown
        lanes = [taps[j] for j in geo.taps()]
        out.issue(tick & window_end)
        out.push((tick & window_end).reg(clk, rst, rst_value=0), pack_lanes(lanes))
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)


def _delay(clk, tick, tap, depth: int, ptr, style: str, name: str):
    """`tap` delayed by `depth` ticks (both are registers updated on a tick)."""
    if depth <= 2:
        for k in range(depth):
            r = Reg(tap.type, clk, rst_value=None, name=f"{name}_r{k}")
            r.assign(sel(tick, tap, r))
            tap = r
        return tap
    return memory(clk, tap.type.width, depth - 1, ptr, tick, waddr=ptr, wdata=tap, wen=tick,
                  name=name, style=style)


def _generate_multi_pixel(p):
    """The p-pixel window (see the module docstring); padding words hold p padding values."""
    spec = p.spec
    t = p.inputs[0]
    px, q = pixels_in(spec), pixels_out(spec)
    geo = Geometry(spec, channels_per_stream(p))
    grid = window_word_grid(spec)
    kvol = prod(geo.kernel)
    if t.lanes != px or p.outputs[0].lanes != q * kvol:
        raise ValueError(f"RTL sliding_window: {t.lanes} pixels in / {p.outputs[0].lanes} lanes out for "
                         f"p = {px}, {q} windows of a {geo.kernel} kernel")
    max_pool = spec.kind == "pool" and spec.mode == "max"
    pad_value = -(1 << (t.width - 1)) if max_pool else 0
    dw, n = t.width, len(geo.dims)
    # the walk: padded outer dims, the grid row last
    walk = geo.padded[:-1] + (grid.row,)
    steps = tuple(prod(walk[i + 1:]) * geo.ch_s for i in range(n))
    spans = geo.extent[:-1] + (grid.span,)
    real_words = geo.dims[-1] // px
    b = geo.pad_begin[-1]

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, p.outputs[0].bits, latency=1)
        tick = Wire(Bits(1))
        # along the row the stride is inside the word: the walk's row stride is 1
        pos, phase_ok = _position_counters(clk, rst, tick, geo, walk, geo.stride[:-1] + (1,))
        inside, window_end = Bits(1)(1), Bits(1)(1)
        for i in range(n - 1):
            bi = geo.pad_begin[i]
            if bi:
                inside = inside & uge(pos[i], bi)
            if bi + geo.dims[i] < geo.padded[i]:
                inside = inside & ult(pos[i], bi + geo.dims[i])
            if geo.extent[i] > 1:
                window_end = window_end & uge(pos[i], geo.extent[i] - 1)
            window_end = window_end & phase_ok[i]
        if grid.lead:
            inside = inside & uge(pos[n - 1], grid.lead)
        if grid.trail:
            inside = inside & ult(pos[n - 1], grid.lead + real_words)
        first = grid.lead + grid.emit
        if first:
            window_end = window_end & uge(pos[n - 1], first)
        if first + grid.out_words < grid.row:
            window_end = window_end & ult(pos[n - 1], first + grid.out_words)
        go = out.credit | ~window_end
        tick.assign(go & (~inside | ports.in0_valid))
        ports.in0_ready = go & inside
        padding = pack_lanes([bits(dw, pad_value)] * px)
        word = sel(inside, ports.in0_data, padding)

        taps = {(): Reg(Bits(dw * px), clk, rst_value=None, name="tap")}
        taps[()].assign(sel(tick, word, taps[()]))
        for i in range(n):
            depth = steps[i]
            ptr = None
            if depth > 2 and spans[i] > 1:
                ptr, _ = counter(clk, rst, depth - 1, tick, f"ptr{i}")
            role = "line_buffer" if i < n - 1 else "window_buffer"
            style = ram_style(role, dw * px, depth)
            grown = {}
            for key, tap in taps.items():
                grown[key + (0,)] = tap
                for j in range(1, spans[i]):
                    tap = _delay(clk, tick, tap, depth, ptr, style, f"d{i}_{'_'.join(map(str, key + (j,)))}")
                    grown[key + (j,)] = tap
            taps = grown
        lanes = []
        for w in range(q):
            for ks in product(*(range(k) for k in geo.kernel)):
                outer = tuple(e - 1 - k * d for k, d, e in zip(ks[:-1], geo.dilation[:-1], geo.extent[:-1]))
                r = w * geo.stride[-1] + ks[-1] * geo.dilation[-1] - b - grid.emit * px
                word_back, lane = -(r // px), r % px
                src = taps[outer + (word_back,)]
                lanes.append(src[lane * dw:(lane + 1) * dw])
        out.issue(tick & window_end)
        out.push((tick & window_end).reg(clk, rst, rst_value=0), pack_lanes(lanes))
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
