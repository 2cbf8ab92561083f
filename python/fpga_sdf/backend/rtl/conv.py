"""sdf_hw.conv: one MAC unit, `fine` multipliers and an adder tree.

Per window (in0, K taps) it computes cout_s dot products, one per filter, each over
ceil(K / fine) cycles: a cycle multiplies `fine` taps by one weights word (in1, `fine`
weights) and adds the products into the accumulator. So a frame takes
windows * cout_s * ceil(K / fine) cycles, the model's interval, and the unit holds a window
while it is reused by its filters. Products are exact (x.width + w.width bits), sums wrap in
acc_width bits like the HLS accumulator; the final sum is exact when it fits.

Pipeline: select taps / register operands, multiply (one DSP each), adder tree, accumulate
and push into the output buffer.

A p-pixel layer's window word holds q windows (lane w K + k): the unit is q such MAC arrays
in lock-step sharing each weights word, and its output word holds their q dot products.
Sharing the weight (the model's `weight_sharing`), two arrays' products go through one DSP
where model.dsp.packs says so (8-bit data and weights: mac_common.lane_products).

A unit pair (model.dsp.pairs_units, the model's input_sharing = 2) is units (g, i, j) and
(g, i, j + 1) in one module: one window (in0), two weights streams (in1, in2), two results
(out0, out1), in lock-step; each tap is multiplied by both units' weights in one packed DSP
(mac_common.unit_pair_products). See docs/notes/rtl-backend.md, "DSP packing".
"""

from __future__ import annotations

from pycde.constructs import Reg
from pycde.types import Bits

from fpga_sdf.model.spec import cdiv

from .mac_common import (MacPlan, OutBuffer, accumulate, bits, counter, eq, inc, lane_products,
                         module_name, pair_index, sel, select, unit_index, unit_pair_products, zext)
from .streams import pack_lanes, stream_module

LATENCY = 3  # issue -> result pushed: operands, products, tree (the accumulator is the push)


def generate(p):
    units = p.model.input_sharing if p.model is not None else 1
    if units not in (1, 2) or len(p.inputs) != 1 + units or len(p.outputs) != units:
        raise ValueError(f"RTL conv: {len(p.inputs)} inputs / {len(p.outputs)} outputs for "
                         f"{units} units sharing a window")
    index = pair_index if units == 2 else unit_index
    plan = MacPlan(p.spec, *index(p.spec, p.instance))
    x, w, acc = p.inputs[0], p.inputs[1], p.outputs[0]
    q = plan.lanes
    if (x.lanes != q * plan.kernel or any(t.lanes != plan.fine for t in p.inputs[1:])
            or any(t.lanes != q for t in p.outputs)):
        raise ValueError(f"RTL conv: {x.lanes} taps / {w.lanes} weights / {acc.lanes} sums per word, "
                         f"expected {q * plan.kernel} / {plan.fine} / {q}")
    kernel, fine, cout_s = plan.kernel, plan.fine, plan.cout_s
    sharing = p.model.weight_sharing if p.model is not None else q
    if sharing not in (1, q):
        raise ValueError(f"RTL conv: {sharing} of {q} MAC arrays sharing a weight is not generated")
    dw, ww, aw = x.width, w.width, acc.width
    steps = cdiv(kernel, fine)

    def build(ports):
        clk, rst = ports.clk, ports.rst
        outs = [OutBuffer(clk, rst, aw * q, LATENCY) for _ in range(units)]
        credit = outs[0].credit if units == 1 else outs[0].credit & outs[1].credit
        held = Reg(Bits(1), clk, rst, rst_value=0, name="held")
        window = Reg(Bits(q * kernel * dw), clk, rst_value=None, name="window")

        # a weights word (of each unit) moves when a window is held; the last step of a dot
        # product needs a free slot in the output buffer(s)
        ko = Reg(Bits(max(1, (steps - 1).bit_length())), clk, rst, rst_value=0, name="ko")
        last_step = eq(ko, steps - 1)
        take = held & (credit | ~last_step)
        fire = take & (ports.in1_valid if units == 1 else ports.in1_valid & ports.in2_valid)
        ko.assign(sel(fire, sel(last_step, bits(ko.type.width, 0), inc(ko)), ko))
        _, last_dot = counter(clk, rst, cout_s, fire & last_step, "filter")
        done = fire & last_step & last_dot
        in0_fire = ports.in0_valid & (~held | done)
        held.assign(sel(in0_fire, Bits(1)(1), sel(done, Bits(1)(0), held)))
        window.assign(sel(in0_fire, ports.in0_data, window))
        ports.in0_ready = ~held | done
        if units == 1:
            ports.in1_ready = take
        else:  # a unit's weights word moves only with its twin's
            ports.in1_ready = take & ports.in2_valid
            ports.in2_ready = take & ports.in1_valid
        for out in outs:
            out.issue(fire & last_step)

        # stage 1: the `fine` taps of this step (of each window) and the weights word(s)
        v1 = fire.reg(clk, rst, rst_value=0)
        l1 = (fire & last_step).reg(clk, rst, rst_value=0)
        weights = []
        for u in range(units):
            word = getattr(ports, f"in{u + 1}_data").reg(clk, name=f"weights{u}")
            weights.append([word[k * ww:(k + 1) * ww] for k in range(fine)])
        taps = []
        for lane in range(q):
            one = window[lane * kernel * dw:(lane + 1) * kernel * dw] if q > 1 else window
            padded = zext(one, steps * fine * dw)  # zero taps past the kernel
            groups = [padded[k * fine * dw:(k + 1) * fine * dw] for k in range(steps)]
            a1 = select(ko, groups).reg(clk, name=f"taps{lane}")
            taps.append([a1[k * dw:(k + 1) * dw] for k in range(fine)])
        # stages 2-4: products (a pair's units, or lanes, paired in one DSP where they pack),
        # adder tree, the sum over the steps; pushed on the last step
        if units == 2:
            per_unit = unit_pair_products(clk, taps, weights[0], weights[1], dw, ww)
        else:
            per_unit = [lane_products(clk, taps, weights[0], dw, ww, pack=sharing > 1)]
        for u, (out, products) in enumerate(zip(outs, per_unit)):
            sums = []
            for prods in products:
                push, total = accumulate(clk, rst, prods, v1, l1 if steps > 1 else None, aw)
                sums.append(total)
            out.push(push, pack_lanes(sums))
            out.drive(ports, u)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
