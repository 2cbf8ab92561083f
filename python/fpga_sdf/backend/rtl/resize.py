"""sdf_hw.resize: nearest-neighbour upsampling by integer factors, one word out per cycle
(the model's interval = words out), as kernels.resize_nearest and the HLS template.

An input word is read the first time its pixel is emitted and kept in a buffer holding
everything inside the outermost scaled spatial dim (a row of pixels for H x W scaling, a plane
when D is scaled too: the model's `line_buffer`); repeats read the buffer.

A multi-pixel word holds p pixels of a row: input word w of a row becomes the s_W output
words k = 0 .. s_W - 1 of output columns w p s_W + k p .. + p - 1, all inside word w (lane x
of output word k is input lane (k p + x) // s_W), so the counters walk words of the row and
a lane multiplexer on k re-arranges the word; the buffer holds p-pixel words.
"""

from __future__ import annotations

from math import prod

from pycde.constructs import Mux, Wire
from pycde.types import Bits

from ...model.spec import cdiv, spatial
from .mac_common import memory, ram_style, zext
from .pointwise import Pipe, _select, sig_name
from .streams import OutputSkid, const, counter_bits, eq, incr, lanes_of, pack_lanes, requantize_hw, stream_module


def generate(p):
    t_in, t_out = p.inputs[0], p.outputs[0]
    spec = p.spec
    ch_s = cdiv(spec.inputs[0][0], spec.coarse_in)
    dims_in, dims_out = spatial(spec.inputs[0]), spatial(spec.outputs[0])
    scale = [o // i for i, o in zip(dims_in, dims_out)]
    if any(o != i * s for i, o, s in zip(dims_in, dims_out, scale)):
        raise ValueError(f"resize {dims_in} -> {dims_out} is not an integer upsampling")
    px = t_in.lanes  # pixels a word
    if t_out.lanes != px or dims_in[-1] % px:
        raise ValueError(f"resize: {px} pixels a word in, {t_out.lanes} out, rows of {dims_in[-1]}")
    dims_in = dims_in[:-1] + (dims_in[-1] // px,)  # the counters walk words along a row
    # per repeat k of the row dim: the input lane of each output lane
    lane_maps = [[(k * px + x) // scale[-1] for x in range(px)] for k in range(scale[-1])]
    scaled = [i for i, s in enumerate(scale) if s > 1]
    first = scaled[0] if scaled else len(dims_in)
    inner = list(range(first + 1, len(dims_in)))  # dims inside the buffer, outermost first
    depth = max(1, prod(dims_in[i] for i in inner) * ch_s)
    name = sig_name(p, "resize", ch_s, "x".join(map(str, dims_in)), "x".join(map(str, scale)),
                    t_in.width, t_in.frac, t_out.width, t_out.frac)

    def build(ports):
        skid = OutputSkid(ports, 0)
        adv = skid.ready
        pipe = Pipe(ports.clk, ports.rst, adv)
        clk, rst = ports.clk, ports.rst
        step = Wire(Bits(1), "step")
        # counters fastest first: c, then per spatial dim from the innermost: repeat, index
        sizes = [(ch_s, "c", None)]
        for i in reversed(range(len(dims_in))):
            sizes += [(scale[i], "r", i), (dims_in[i], "i", i)]
        regs, carry, repeats = [], step, []
        offsets = {}  # dim -> buffer address contribution (index * stride), kept as a counter
        ab = counter_bits(depth)
        stride = {i: prod(dims_in[j] for j in inner if j > i) * ch_s for i in inner}
        for n, role, dim in sizes:
            w = counter_bits(n)
            r = Wire(Bits(w), f"{role}{dim if dim is not None else ''}")
            last = eq(r, n - 1) if n > 1 else Bits(1)(1)
            nxt = Mux(last, incr(r), const(w, 0)) if n > 1 else const(w, 0)
            r.assign(Mux(carry, r, nxt).reg(clk, rst, rst_value=0, name=f"q_{role}{dim if dim is not None else ''}"))
            if role == "i" and dim in stride:
                off = Wire(Bits(ab), f"off{dim}")
                bumped = Mux(last, (off.as_uint() + stride[dim]).as_bits(ab), const(ab, 0))
                off.assign(Mux(carry, off, bumped).reg(clk, rst, rst_value=0, name=f"q_off{dim}"))
                offsets[dim] = off
            if role == "r" and n > 1:
                repeats.append(r)
            regs.append(r)
            carry = carry & last
        fresh = Bits(1)(1)
        for r in repeats:
            fresh = fresh & eq(r, 0)
        addr = zext(regs[0], ab) if ch_s > 1 else const(ab, 0)
        for off in offsets.values():
            addr = (addr.as_uint() + off.as_uint()).as_bits(ab)
        fire = adv & (~fresh | ports.in0_valid)
        step.assign(fire)
        ports.in0_ready = adv & fresh
        kept = memory(clk, t_in.bits, depth, addr, adv, waddr=addr, wdata=ports.in0_data,
                      wen=fire & fresh, name="lines", style=ram_style("line_buffer", t_in.bits, depth))
        x, fresh1 = pipe.stage(ports.in0_data, "x"), pipe.stage(fresh, "fresh")
        valid = pipe.valid(fire)
        lanes = lanes_of(Mux(fresh1, kept, x), t_in)
        if len(lane_maps) > 1 and px > 1:  # re-arrange by the row repeat k (regs[1])
            k = pipe.stage(regs[1], "k")
            word = _select(k, [pack_lanes([lanes[i] for i in m]) for m in lane_maps])
            lanes = lanes_of(word, t_in)
        y = pack_lanes([requantize_hw(v, t_in.frac, t_out.fixed) for v in lanes])
        skid.push(pipe.valid(valid), pipe.stage(y, "y"))

    return stream_module(name, [t_in], [t_out], build)
