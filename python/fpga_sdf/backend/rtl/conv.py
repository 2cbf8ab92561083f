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

A 1x1 conv's module (model.dsp.sums_coarse_in) holds the ci units (g, i, j) of one output
stream (or unit pair) behind one handshake: windows in0 .. in{ci-1}, then each window's
weights stream(s), and adds the ci products in clog2(ci) registered levels (the glue's sum,
without a glue or a unit's control and output buffer per unit).
"""

from __future__ import annotations

from pycde.constructs import Reg
from pycde.types import Bits

from fpga_sdf.model.spec import cdiv

from fpga_sdf.model.dsp import sums_coarse_in

from .mac_common import (MacPlan, OutBuffer, accumulate, bits, counter, eq, inc, lane_products, mac_index,
                         module_name, registered_tree, sel, select, sext, unit_pair_products, zext)
from .streams import pack_lanes, stream_module

LATENCY = 3  # issue -> result pushed: operands, products, tree (the accumulator is the push)


def generate(p):
    units = p.model.input_sharing if p.model is not None else 1
    n = len(p.inputs) // (1 + units)  # windows: one, or the ci of a summing 1x1 module
    if (units not in (1, 2) or len(p.inputs) != n * (1 + units) or len(p.outputs) != units
            or (n > 1) != (p.spec is not None and sums_coarse_in(p.spec))):
        raise ValueError(f"RTL conv: {len(p.inputs)} inputs / {len(p.outputs)} outputs for "
                         f"{units} units sharing a window")
    plan = MacPlan(p.spec, *mac_index(p.spec, p.instance, units))
    x, w, acc = p.inputs[0], p.inputs[n], p.outputs[0]
    q = plan.lanes
    if (any(t.lanes != q * plan.kernel for t in p.inputs[:n]) or any(t.lanes != plan.fine for t in p.inputs[n:])
            or any(t.lanes != q for t in p.outputs)):
        raise ValueError(f"RTL conv: {x.lanes} taps / {w.lanes} weights / {acc.lanes} sums per word, "
                         f"expected {q * plan.kernel} / {plan.fine} / {q}")
    kernel, fine, cout_s = plan.kernel, plan.fine, plan.cout_s
    sharing = p.model.weight_sharing if p.model is not None else q
    if sharing not in (1, q):
        raise ValueError(f"RTL conv: {sharing} of {q} MAC arrays sharing a weight is not generated")
    dw, ww, aw = x.width, w.width, acc.width
    steps = cdiv(kernel, fine)
    levels = (n - 1).bit_length()  # registered levels of the tree over the n windows' products
    weights_in = [[n + i * units + u for u in range(units)] for i in range(n)]  # port of (window, unit)

    def build(ports):
        clk, rst = ports.clk, ports.rst
        outs = [OutBuffer(clk, rst, aw * q, LATENCY + levels) for _ in range(units)]
        credit = outs[0].credit if units == 1 else outs[0].credit & outs[1].credit
        held = Reg(Bits(1), clk, rst, rst_value=0, name="held")
        windows = [Reg(Bits(q * kernel * dw), clk, rst_value=None, name=f"window{i}") for i in range(n)]

        def all_valid(ports_, skip=None):
            v = Bits(1)(1)
            for k in ports_:
                if k != skip:
                    v = v & getattr(ports, f"in{k}_valid")
            return v

        # a weights word (of each unit) moves when the windows are held; the last step of a
        # dot product needs a free slot in the output buffer(s). Every window, and every
        # weights word, moves only with all the others (one handshake for the module).
        weight_ports = [k for ks in weights_in for k in ks]
        ko = Reg(Bits(max(1, (steps - 1).bit_length())), clk, rst, rst_value=0, name="ko")
        last_step = eq(ko, steps - 1)
        take = held & (credit | ~last_step)
        fire = take & all_valid(weight_ports)
        ko.assign(sel(fire, sel(last_step, bits(ko.type.width, 0), inc(ko)), ko))
        _, last_dot = counter(clk, rst, cout_s, fire & last_step, "filter")
        done = fire & last_step & last_dot
        free = ~held | done
        in0_fire = all_valid(range(n)) & free
        held.assign(sel(in0_fire, Bits(1)(1), sel(done, Bits(1)(0), held)))
        for i, window in enumerate(windows):
            window.assign(sel(in0_fire, getattr(ports, f"in{i}_data"), window))
            setattr(ports, f"in{i}_ready", free & all_valid(range(n), skip=i))
        for k in weight_ports:
            setattr(ports, f"in{k}_ready", take & all_valid(weight_ports, skip=k))
        for out in outs:
            out.issue(fire & last_step)

        # stage 1: the `fine` taps of this step (of each window) and the weights word(s)
        v1 = fire.reg(clk, rst, rst_value=0)
        l1 = (fire & last_step).reg(clk, rst, rst_value=0)
        per_unit = [[] for _ in range(units)]  # [unit][window] -> [lane][k] products
        for i, window in enumerate(windows):
            weights = []
            for u, port in enumerate(weights_in[i]):
                word = getattr(ports, f"in{port}_data").reg(clk, name=f"weights{i}_{u}")
                weights.append([word[k * ww:(k + 1) * ww] for k in range(fine)])
            taps = []
            for lane in range(q):
                one = window[lane * kernel * dw:(lane + 1) * kernel * dw] if q > 1 else window
                padded = zext(one, steps * fine * dw)  # zero taps past the kernel
                groups = [padded[k * fine * dw:(k + 1) * fine * dw] for k in range(steps)]
                a1 = select(ko, groups).reg(clk, name=f"taps{i}_{lane}")
                taps.append([a1[k * dw:(k + 1) * dw] for k in range(fine)])
            # stage 2: products (a pair's units, or lanes, paired in one DSP where they pack)
            if units == 2:
                products = unit_pair_products(clk, taps, weights[0], weights[1], dw, ww)
            else:
                products = [lane_products(clk, taps, weights[0], dw, ww, pack=sharing > 1)]
            for u in range(units):
                per_unit[u].append(products[u])
        # stages 3-4: adder tree, the sum over the steps, pushed on the last step; n windows'
        # products first meet in `levels` registered levels (a 1x1 unit: one product each)
        for u, out in enumerate(outs):
            sums = []
            for lane in range(q):
                prods = [prod for products in per_unit[u] for prod in products[lane]]
                valid, last = v1, l1
                if levels:
                    prods, valid = registered_tree(clk, rst, [sext(t, aw) for t in prods], valid, levels)
                    last = None
                push, total = accumulate(clk, rst, prods, valid, last if steps > 1 else None, aw)
                sums.append(total)
            out.push(push, pack_lanes(sums))
            out.drive(ports, u)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
