"""sdf_hw.scale_shift: y = x * scale[c] + shift[c] per channel, bit-exact with
kernels.scale_shift_fixed (exact product at x.frac + scale.frac, the shift moved to that frac
as the executor does, a wrapping acc_width-bit sum, then requantized).

The instance on stream s holds the parameters of channels s, s + coarse, ... in a ROM read one
cycle ahead of the multiply (the model's `parameters` memory); one multiplier per lane. A
multi-pixel word holds p pixels of one channel: the lanes share the parameter read.
"""

from __future__ import annotations

import numpy as np

from ...interp.fixed import Fixed, requantize
from ...model.spec import cdiv, pixels_of
from .mac_common import memory, ram_style, sext, signed_mul
from .pointwise import Counters, Pipe, sig_name, signed_const_bits
from .streams import OutputSkid, lanes_of, pack_lanes, requantize_hw, stream_module


def parameters(p):
    """(scale, shift at the product's frac) of this instance's channels, in stream order."""
    t_in = p.inputs[0]
    spec = p.spec
    coarse, stream = spec.coarse_in, p.instance or 0
    scale, shift = np.asarray(p.params["scale"]).ravel(), np.asarray(p.params["shift"]).ravel()
    sf, tf = p.formats["scale"], p.formats["shift"]
    frac = t_in.frac + sf.frac
    shift = requantize(shift, tf.frac, Fixed(spec.acc_width, frac))
    ch_s = cdiv(spec.inputs[0][0], coarse)
    chans = [cl * coarse + stream for cl in range(ch_s)]
    return scale[chans].astype(np.int64), shift[chans].astype(np.int64), frac


def generate(p):
    t_in, t_out = p.inputs[0], p.outputs[0]
    spec = p.spec
    scale, shift, frac = parameters(p)
    ch_s, per_channel = len(scale), cdiv(pixels_of(spec.inputs[0]), t_in.lanes)
    sw = p.formats["scale"].width
    hw = max(signed_const_bits(int(v)) for v in shift)
    acc = spec.acc_width
    name = sig_name(p, "scale_shift", spec.name, p.instance or 0, t_in.width, t_in.frac, t_out.width, t_out.frac)

    def build(ports):
        skid = OutputSkid(ports, 0)
        adv = skid.ready
        pipe = Pipe(ports.clk, ports.rst, adv)
        fire = adv & ports.in0_valid
        ports.in0_ready = adv
        count = Counters(ports.clk, ports.rst, [ch_s, per_channel], fire, "pos")
        words = [(int(s) & ((1 << sw) - 1)) | ((int(t) & ((1 << hw) - 1)) << sw) for s, t in zip(scale, shift)]
        par = memory(ports.clk, sw + hw, ch_s, count.values[0], adv, init=words, name="params",
                     style=ram_style("parameters", sw + hw, ch_s))
        x, valid = pipe.stage(ports.in0_data, "x"), pipe.valid(fire)
        pw = t_in.width + sw
        products = [pipe.stage(signed_mul(v, par[0:sw], pw), f"prod{k}_") for k, v in enumerate(lanes_of(x, t_in))]
        shift_now = pipe.stage(par[sw:sw + hw], "shift")
        valid = pipe.valid(valid)
        w = max(pw, hw) + 1
        ys = []
        for product in products:
            total = (sext(product, w).as_uint() + sext(shift_now, w).as_uint()).as_bits(w)
            wrapped = sext(total, acc)  # the wrapping acc_width-bit accumulator
            ys.append(requantize_hw(wrapped, frac, t_out.fixed))
        skid.push(pipe.valid(valid), pipe.stage(pack_lanes(ys), "y"))

    return stream_module(name, [t_in], [t_out], build)
