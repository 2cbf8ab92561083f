"""sdf_hw.conv on PASS's sparse engine (seed 003): k = `fine` MACs behind a crossbar.

Per window (in0, K taps) the unit computes cout_s dot products, one per filter, each over
max(1, ceil(n / k)) cycles where n is the number of non-zero taps: a cycle multiplies the
next k non-zero taps (the crossbar squeezes them onto the k MACs, in tap order) by their
weights and adds the products into the accumulator; zero taps cost nothing. A dot product's
weights are one word of K weights (in1, the sparse weights memory), held while the dot
product lasts and consumed on its last cycle. So a frame takes sum over windows of
cout_s * max(1, ceil(n / k)) cycles, the model's `stream_cycles` per window.

The crossbar: `rem` = non-zero taps not yet used by this dot product; tap t goes to MAC j
when it is non-zero, unused, and j unused taps precede it (a prefix count); those picked
taps are marked used. The last cycle is the one with at most k taps left.

Pipeline as the dense conv: operands, products (one DSP each), adder tree, accumulate.

With a sparse_buffer of D windows before the engines (the layer's `sparse_buffer`), the
unit's output buffer also holds the D * cout_s dot products of those windows: the engines of
different input streams meet again at the glue, so a stream can only run ahead of a slower
one by D windows if its results can wait there too (without it the streams stay in step per
output pixel whatever D is).
"""

from __future__ import annotations

from pycde.constructs import Reg
from pycde.types import Bits

from .mac_common import (MacPlan, OutBuffer, add, bits, counter, eq, module_name,
                         multiply_accumulate, sel, sext, ult, unit_index, zext)
from .streams import stream_module

LATENCY = 3  # issue -> result pushed: operands, products, tree (the accumulator is the push)


def generate(p):
    plan = MacPlan(p.spec, *unit_index(p.spec, p.instance), sparse=True)
    x, w, acc = p.inputs[0], p.inputs[1], p.outputs[0]
    kernel, k, cout_s = plan.kernel, plan.fine, plan.cout_s
    if x.lanes != kernel or w.lanes != plan.word:
        raise ValueError(f"RTL sparse conv: {x.lanes} taps / {w.lanes} weights per word, expected "
                         f"{kernel} / {plan.word} (the sparse engine reads one word of all K weights "
                         "per dot product)")
    dw, ww, aw = x.width, w.width, acc.width
    pw = dw + ww
    rb = kernel.bit_length()  # a prefix count 0..K
    run_ahead = p.spec.sparse_buffer * cout_s  # results of the buffered windows

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, aw, LATENCY + run_ahead)
        held = Reg(Bits(1), clk, rst, rst_value=0, name="held")
        window = Reg(Bits(kernel * dw), clk, rst_value=None, name="window")
        used = Reg(Bits(kernel), clk, rst, rst_value=0, name="used")
        taps = [window[t * dw:(t + 1) * dw] for t in range(kernel)]
        weights = [ports.in1_data[t * ww:(t + 1) * ww] for t in range(kernel)]

        # the non-zero check and the prefix count of the unused non-zero taps
        rem = [~eq(taps[t], 0) & ~used[t] for t in range(kernel)]
        rank = [bits(rb, 0)]
        for t in range(kernel):
            rank.append(add(rank[t], zext(rem[t], rb)))
        picked = [rem[t] & ult(rank[t], k) for t in range(kernel)]
        last_step = _at_most(rank[kernel], k)  # the dot product's last cycle

        take = held & (out.credit | ~last_step)
        fire = take & ports.in1_valid
        _, last_dot = counter(clk, rst, cout_s, fire & last_step, "filter")
        done = fire & last_step & last_dot
        in0_fire = ports.in0_valid & (~held | done)
        held.assign(sel(in0_fire, Bits(1)(1), sel(done, Bits(1)(0), held)))
        window.assign(sel(in0_fire, ports.in0_data, window))
        marked = used | _concat(picked)
        used.assign(sel(fire, sel(last_step, bits(kernel, 0), marked), used))
        ports.in0_ready = ~held | done
        ports.in1_ready = held & last_step & out.credit
        out.issue(fire & last_step)

        # stage 1, the crossbar: MAC j takes the unused non-zero tap with j unused ones before it
        xs, ws = [], []
        for j in range(k):
            xj, wj = bits(dw, 0), bits(ww, 0)
            for t in range(j, kernel):
                hit = rem[t] & eq(rank[t], j)
                xj = xj | (sext(hit, dw) & taps[t])
                wj = wj | (sext(hit, ww) & weights[t])
            xs.append(xj.reg(clk, name=f"x{j}"))
            ws.append(wj.reg(clk, name=f"w{j}"))
        v1 = fire.reg(clk, rst, rst_value=0)
        l1 = (fire & last_step).reg(clk, rst, rst_value=0)
        # stages 2-4: products, adder tree, the sum over the cycles; pushed on the last one
        push, total = multiply_accumulate(clk, rst, xs, ws, v1, l1, pw, aw)
        out.push(push, total)
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)


def _at_most(count, k: int):
    """count <= k (unsigned)."""
    return ult(count, k + 1)


def _concat(flags):
    """Bits(1) flags -> one Bits(len) signal, flag t at bit t."""
    from pycde.signals import BitsSignal
    return BitsSignal.concat(list(reversed(flags))) if len(flags) > 1 else flags[0]
