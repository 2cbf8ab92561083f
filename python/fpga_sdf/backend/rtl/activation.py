"""sdf_hw.activation: one value in, one out per cycle, bit-exact with kernels.activation_fixed.

relu / relu6 are compares on the integers; leaky_relu multiplies negative inputs by alpha
quantized to Fixed(18, 16) (one multiplier, as the model costs it); sigmoid, hard_sigmoid,
hard_swish and silu are a ROM indexed by the input's bit pattern holding exactly
quantize(f(dequantize(x))), as the HLS template does (no multiplier: the table is the function).
A multi-pixel layer's word holds p values: the compare kinds and leaky_relu are built once per
lane (p multipliers); a table kind reads lanes 2t and 2t + 1 through the two ports of table t
(ceil(p / 2) ROMs, the model's `table` memories).
"""

from __future__ import annotations

import numpy as np

from pycde.constructs import Mux
from pycde.signals import BitsSignal

from ...interp.fixed import Fixed, quantize
from ...interp.kernels import activation_fixed
from .mac_common import ram_style, sext, signed_mul
from .pointwise import Pipe, rom_two_reads, sig_name
from .streams import OutputSkid, const, lanes_of, pack_lanes, requantize_hw, stream_module

TABLE_KINDS = ("sigmoid", "hard_sigmoid", "hard_swish", "silu")
ALPHA_FMT = Fixed(18, 16)
MAX_TABLE_BITS = 20  # 2**20 entries: beyond that a table is not a sensible block


def table(kind: str, t_in, t_out) -> np.ndarray:
    """The ROM contents: entry i (the unsigned bit pattern) is f of the input integer."""
    q = np.arange(1 << t_in.width, dtype=np.int64)
    q = np.where(q >= 1 << (t_in.width - 1), q - (1 << t_in.width), q)
    return activation_fixed(q, t_in.fixed, t_out.fixed, kind)


def generate(p):
    t_in, t_out = p.inputs[0], p.outputs[0]
    kind = p.attr("kind")
    alpha = float(p.layer_attrs.get("alpha", p.attr("alpha", 0.01)))  # the executor's default
    if kind in TABLE_KINDS and t_in.width > MAX_TABLE_BITS:
        raise ValueError(f"activation {kind}: a {t_in.width}-bit input needs a 2**{t_in.width} table "
                         f"(at most {MAX_TABLE_BITS} bits)")
    if kind not in TABLE_KINDS + ("relu", "relu6", "leaky_relu"):
        raise ValueError(f"activation kind {kind!r} has no RTL")
    if t_out.lanes != t_in.lanes:
        raise ValueError(f"activation: {t_in.lanes} lanes in, {t_out.lanes} out")
    aq = int(quantize(alpha, ALPHA_FMT))
    name = sig_name(p, "activation", kind, t_in.width, t_in.frac, t_out.width, t_out.frac,
                    aq if kind == "leaky_relu" else "")

    def build(ports):
        skid = OutputSkid(ports, 0)
        pipe = Pipe(ports.clk, ports.rst, skid.ready)
        ports.in0_ready = skid.ready
        data, valid = ports.in0_data, ports.in0_valid
        w, f = t_in.width, t_in.frac
        if kind in TABLE_KINDS:
            rom = table(kind, t_in, t_out)
            xs = lanes_of(data, t_in)
            ys = []
            for t in range(0, len(xs), 2):  # a table per two lanes
                ys += rom_two_reads(ports.clk, t_out.width, rom, xs[t:t + 2], skid.ready, name=f"table{t // 2}",
                                    style=ram_style("table", t_out.width, len(rom)))
            skid.push(pipe.valid(valid), pack_lanes(ys))
            return
        ys = []
        for lane in range(t_in.lanes):
            x = data[lane * w:(lane + 1) * w] if t_in.lanes > 1 else data
            neg = x[w - 1]
            if kind == "relu":
                y = requantize_hw(Mux(neg, x, const(w, 0)), f, t_out.fixed)
            elif kind == "relu6":
                six = 6 << f if f >= 0 else 6 >> -f
                wide = max(w, six.bit_length() + 1)
                xs = sext(x, wide)
                over = xs.as_sint() > const(wide, six).as_sint()
                clipped = Mux(over, Mux(neg, xs, const(wide, 0)), const(wide, six))
                y = requantize_hw(clipped, f, t_out.fixed)
            else:  # leaky_relu
                pw = w + ALPHA_FMT.width
                product = signed_mul(x, const(ALPHA_FMT.width, aq), pw)
                pos = BitsSignal.concat([sext(x, pw - ALPHA_FMT.frac), const(ALPHA_FMT.frac, 0)])
                product, pos = pipe.stage(product, f"prod{lane}_"), pipe.stage(pos, f"pos{lane}_")
                neg = pipe.stage(neg, f"neg{lane}_")
                y = requantize_hw(Mux(neg, pos, product), f + ALPHA_FMT.frac, t_out.fixed)
            ys.append(y)
        if kind == "leaky_relu":
            valid = pipe.valid(valid)
        skid.push(pipe.valid(valid), pipe.stage(pack_lanes(ys), "y"))

    return stream_module(name, [t_in], [t_out], build)
