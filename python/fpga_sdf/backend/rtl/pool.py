"""sdf_hw.pool: max / average of each window of a sliding_window stream (lanes = kernel
volume, padding taps already filled: the format's minimum for max, 0 for avg), bit-exact with
kernels.pool_fixed.

`fine` taps are reduced per cycle, so a window takes ceil(K / fine) cycles (the model's ii):
the word is held on the input while its chunks are folded into a running max or sum. The
average divides by the in-bounds taps of the window's position (or the kernel volume with
count_include_pad), found from output-position counters and per-dim border tables, through
pointwise.div_round (a multiply by a reciprocal, or a shift for powers of two).

A multi-pixel layer's window word holds q = p / stride windows (lane w K + k, the sliding
window's multi-pixel order): a max pool with fine = K reduces each on its own tree into lane w
of the output word; averages and fine < K are refused at p > 1 (not built yet).
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
from .streams import OutputSkid, const, counter_bits, eq, lanes_of, requantize_hw, stream_module


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
    if q > 1 and (mode != "max" or spec.fine < K):
        raise ValueError(f"pool: a multi-pixel {mode} pool with fine={spec.fine} of {K} taps is not built "
                         "yet (max pools with fine = K are)")
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
        fire = adv & ports.in0_valid  # one chunk of the window at the input is folded in
        if q > 1:  # q windows a word, each reduced in one cycle
            ports.in0_ready = adv
            ys = [requantize_hw(reduce(taps[w * K:(w + 1) * K]), t_in.frac, t_out.fixed) for w in range(q)]
            skid.push(pipe.valid(fire), pipe.stage(BitsSignal.concat(list(reversed(ys))), "y"))
            return
        if ii > 1:
            chunk_step = Wire(Bits(1), "chunk_step")
            chunk = Counters(clk, rst, [ii], chunk_step, "chunk")
            chunk_step.assign(fire)
            j, done = chunk.values[0], chunk.last[0]
            pad_tap = const(t_in.width, 1 << (t_in.width - 1) if mode == "max" else 0)
            padded = taps + [pad_tap] * (ii * fine - K)
            part = _select(j, [reduce(padded[c * fine:(c + 1) * fine]) for c in range(ii)])
            acc = Reg(Bits(aw), clk, name="partial")
            first = eq(j, 0)
            both = reduce([acc, part])
            folded = Mux(first, both, part)
            acc.assign(Mux(fire, acc, folded))
        else:
            done = Bits(1)(1)
            folded = reduce(taps)
        ports.in0_ready = adv & done
        window = fire & done
        if mode == "max":
            y = requantize_hw(folded, t_in.frac, t_out.fixed)
            skid.push(pipe.valid(window), pipe.stage(y, "y"))
            return
        index = None
        if len(dens) > 1:
            index = _den_index(clk, rst, window, tables, dens, ch_s)
        total, valid = pipe.stage(folded, "sum"), pipe.valid(window)
        index = pipe.stage(index, "den") if index is not None else None
        y, stages = div_round(total, index, dens, t_in.frac, t_out.width, t_out.frac, pipe)
        for _ in range(stages):
            valid = pipe.valid(valid)
        skid.push(valid, y)

    return stream_module(name, [t_in], [t_out], build)


def _den_index(clk, rst, step, tables, dens, ch_s):
    """Index into `dens` of the divisor of the window at the input: output-position counters
    (channel fastest, then W, H, D) and, per dim, which taps count its position has."""
    sizes = [ch_s] + [len(t) for t in reversed(tables)]
    pos = Counters(clk, rst, sizes, step, "opos")
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
