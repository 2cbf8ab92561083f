"""sdf_hw.pool: max / average of each window of a sliding_window stream (lanes = kernel
volume, padding taps already filled: the format's minimum for max, 0 for avg), bit-exact with
kernels.pool_fixed.

`fine` taps are reduced per cycle, so a window takes ceil(K / fine) cycles (the model's ii):
the word is held on the input while its chunks are folded into a running max or sum. The
average divides by the in-bounds taps of the window's position (or the kernel volume with
count_include_pad), found from output-position counters and per-dim border tables, through
pointwise.div_round (a multiply by a reciprocal, or a shift for powers of two).

A multi-pixel layer's window word holds q = p / stride windows (lane w K + k, the sliding
window's multi-pixel order): each is reduced on its own tree (`fine` taps a cycle, the q trees
stepping through their chunks together) into lane w of the output word, and an average
divides lane w by the taps of its own position (output column o q + w of word o), one
divider per lane.
"""

from __future__ import annotations

import zlib
from math import prod

from pycde.constructs import Mux, Reg, Wire
from pycde.signals import BitsSignal
from pycde.types import Bits

from ...model.dsp import pool_divisors
from ...model.spec import cdiv, kernel_of, spatial
from .mac_common import sext
from .pointwise import Counters, Pipe, _select, div_round, sig_name, sum_bits
from .streams import OutputSkid, const, counter_bits, eq, lanes_of, pack_lanes, requantize_hw, stream_module


def geometry(spec):
    """(input dims, output dims, kernel, stride, begin pads) per spatial dim."""
    dims, out = spatial(spec.inputs[0]), spatial(spec.outputs[0])
    kernel = kernel_of(spec)
    stride = tuple(spec.stride) or kernel
    pad = tuple(spec.pad) or (0,) * (2 * len(dims))
    return dims, out, kernel, stride, pad[:len(dims)]


def divisors(spec, count_include_pad: bool):
    """Per dim the taps table, and the distinct window divisors (sorted)."""
    dims, out, kernel, stride, p0 = geometry(spec)
    return pool_divisors(dims, out, kernel, stride, p0, count_include_pad)


def generate(p):
    t_in, t_out = p.inputs[0], p.outputs[0]
    spec = p.spec
    mode = p.attr("mode")
    if mode not in ("max", "avg"):
        raise ValueError(f"pool mode {mode!r} has no RTL")
    include_pad = bool(p.layer_attrs.get("count_include_pad", p.attr("count_include_pad", False)))
    q = t_out.lanes  # windows per word (multi-pixel layers)
    K = t_in.lanes // q
    fine = max(1, min(spec.fine, K))
    ii = cdiv(K, fine)
    ch_s = cdiv(spec.inputs[0][0], spec.coarse_in)
    dims, out, kernel, stride, p0 = geometry(spec)
    if prod(kernel) != K:
        raise ValueError(f"pool: window of {K} taps but kernel {kernel}")
    tables, dens = divisors(spec, include_pad) if mode == "avg" else (None, [1])
    aw = sum_bits(t_in.width, K) if mode == "avg" else t_in.width
    name = sig_name(p, "pool", mode, K, fine, ch_s, "x".join(map(str, out)), len(dens), t_in.width,
                    t_in.frac, t_out.width, t_out.frac, zlib.crc32(repr((dens, tables)).encode()))

    def reduce(values):
        """Tree max / sum of Bits values (sign-extended to aw)."""
        vals = [sext(v, aw) for v in values]
        while len(vals) > 1:
            nxt = []
            for a, b in zip(vals[0::2], vals[1::2]):
                if mode == "max":
                    nxt.append(Mux(a.as_sint() < b.as_sint(), a, b))
                else:
                    nxt.append((a.as_uint() + b.as_uint()).as_bits(aw))
            if len(vals) % 2:
                nxt.append(vals[-1])
            vals = nxt
        return vals[0]

    def build(ports):
        clk, rst = ports.clk, ports.rst
        skid = OutputSkid(ports, 0)
        adv = skid.ready
        pipe = Pipe(clk, rst, adv)
        taps = lanes_of(ports.in0_data, t_in)
        windows = [taps[w * K:(w + 1) * K] for w in range(q)]  # the q windows of the word
        fire = adv & ports.in0_valid  # one chunk of each window at the input is folded in
        if ii > 1:
            chunk_step = Wire(Bits(1), "chunk_step")
            chunk = Counters(clk, rst, [ii], chunk_step, "chunk")
            chunk_step.assign(fire)
            j, done = chunk.values[0], chunk.last[0]
            pad_tap = const(t_in.width, 1 << (t_in.width - 1) if mode == "max" else 0)
            first = eq(j, 0)
            folded = []
            for w, win in enumerate(windows):
                padded = win + [pad_tap] * (ii * fine - K)
                part = _select(j, [reduce(padded[c * fine:(c + 1) * fine]) for c in range(ii)])
                acc = Reg(Bits(aw), clk, name=f"partial{w}")
                value = Mux(first, reduce([acc, part]), part)
                acc.assign(Mux(fire, acc, value))
                folded.append(value)
        else:
            done = Bits(1)(1)
            folded = [reduce(win) for win in windows]
        ports.in0_ready = adv & done
        window = fire & done
        if mode == "max":
            ys = [requantize_hw(v, t_in.frac, t_out.fixed) for v in folded]
            skid.push(pipe.valid(window), pipe.stage(pack_lanes(ys), "y"))
            return
        indices = [None] * q
        if len(dens) > 1:
            indices = _den_index(clk, rst, window, tables, dens, ch_s, q)
        valid = pipe.valid(window)
        ys = []
        for w in range(q):
            index = pipe.stage(indices[w], f"den{w}_") if indices[w] is not None else None
            y, stages = div_round(pipe.stage(folded[w], f"sum{w}_"), index, dens, t_in.frac, t_out.width,
                                  t_out.frac, pipe)
            ys.append(y)
        for _ in range(stages):
            valid = pipe.valid(valid)
        skid.push(valid, pack_lanes(ys))

    return stream_module(name, [t_in], [t_out], build)


def _den_index(clk, rst, step, tables, dens, ch_s, q: int = 1):
    """Per lane of a q-window word, the index into `dens` of its window's divisor:
    output-position counters (channel fastest, then the W / q words of a row, H, D; one set
    for the q lanes) and, per dim, which taps count each lane's position has (lane w of word
    o is output column o q + w)."""
    sizes = [ch_s] + [len(t) for t in reversed(tables[:-1])]
    sizes.insert(1, len(tables[-1]) // q)
    pos = Counters(clk, rst, sizes, step, "opos")
    return [_lane_den_index(pos, tables[:-1] + [tables[-1][w::q]], dens) for w in range(q)]


def _lane_den_index(pos, tables, dens):
    """The divisor index of the window at the counters `pos` under per-dim `tables`."""
    per_dim = []  # (signal selecting among the dim's distinct counts, those counts), outer first
    for d, table in enumerate(tables):
        counter = pos.values[len(tables) - d]
        counts = sorted(set(table))
        common = max(counts, key=table.count)
        w = counter_bits(len(counts))
        sel = const(w, counts.index(common))
        for o, c in enumerate(table):
            if c != common:
                sel = Mux(eq(counter, o), sel, const(w, counts.index(c)))
        per_dim.append((sel, counts))
    # all combinations of the per-dim choices -> index of their product in dens
    bits = BitsSignal.concat([s for s, _ in per_dim]) if len(per_dim) > 1 else per_dim[0][0]
    widths = [s.type.width for s, _ in per_dim]
    options = []
    for code in range(1 << sum(widths)):
        prod_taps, shift = 1, sum(widths)
        for (s, counts), w in zip(per_dim, widths):
            shift -= w
            k = (code >> shift) & ((1 << w) - 1)
            prod_taps *= counts[min(k, len(counts) - 1)]
        options.append(dens.index(prod_taps) if prod_taps in dens else 0)
    iw = counter_bits(len(dens))
    return Mux(bits, *[const(iw, i) for i in options])
