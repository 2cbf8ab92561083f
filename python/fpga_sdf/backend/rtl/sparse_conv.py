"""sdf_hw.conv on PASS's sparse engine (seed 003): k = `fine` MACs behind a crossbar.

Per window (in0, K taps) the unit computes cout_s dot products, one per filter, each over
max(1, ceil(n / k)) cycles where n is the number of non-zero taps: a cycle multiplies the
next k non-zero taps (in tap order) by their weights and adds the products into the
accumulator; zero taps cost nothing. A dot product's weights are one word of K weights (in1,
the sparse weights memory), held while the dot product lasts and consumed on its last cycle.
So a frame takes sum over windows of cout_s * max(1, ceil(n / k)) cycles, the model's
`stream_cycles` per window.

The crossbar is banded: MAC m reads only taps m..m + K - k (K - k + 1 inputs; the full
triangle, taps m..K-1, has k(2K - k + 1)/2 inputs in all, 25% more at k = 4 of 9). A cycle
picks the first k of the remaining non-zero taps (a prefix count, rank r < k); tap t of
rank r goes to MAC max(r, t - (K - k)). That is always in t's band, and two picked taps never
share a MAC (r and t - (K - k) both grow along the picked taps), so the banded crossbar keeps
every cycle count of the full one. The products' order does not matter to the adder tree.

The routing (which tap each MAC takes) is computed a cycle ahead from the next cycle's
remaining taps and registered, one select per mux input: the taps and weights reach the
MAC operand registers through AND-OR muxes on registered selects only. Measured with yosys
(16-bit, k = 4 of 9, 7-series): the full crossbar on combinational selects 766 LUT, on
registered ones 809; the banded one on combinational selects 1060, on registered ones 630
(this design).

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

from fpga_sdf.model.sparse_engine import crossbar_band

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
    run_ahead = p.spec.sparse_buffer * cout_s  # results of the buffered windows
    inputs = [(j, t) for j in range(k) for t in crossbar_band(kernel, k, j)]  # MAC j <- tap t

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, aw, LATENCY + run_ahead)
        held = Reg(Bits(1), clk, rst, rst_value=0, name="held")
        window = Reg(Bits(kernel * dw), clk, rst_value=None, name="window")
        # the held window's non-zero taps not used yet by this dot product, and their routing
        rem = Reg(Bits(kernel), clk, rst, rst_value=0, name="rem")
        hits = Reg(Bits(len(inputs)), clk, rst, rst_value=0, name="hits")
        picked = Reg(Bits(kernel), clk, rst, rst_value=0, name="picked")
        last_step = Reg(Bits(1), clk, rst, rst_value=0, name="last_step")  # <= k taps left

        take = held & (out.credit | ~last_step)
        fire = take & ports.in1_valid
        _, last_dot = counter(clk, rst, cout_s, fire & last_step, "filter")
        done = fire & last_step & last_dot
        in0_fire = ports.in0_valid & (~held | done)
        held.assign(sel(in0_fire, Bits(1)(1), sel(done, Bits(1)(0), held)))
        window.assign(sel(in0_fire, ports.in0_data, window))
        # next cycle's remaining taps: a new window's non-zeros; after a dot product's last
        # cycle, all of the held window's (for its next filter); else these less the picked
        nonzero = _concat([~eq(ports.in0_data[t * dw:(t + 1) * dw], 0) for t in range(kernel)])
        mask = Reg(Bits(kernel), clk, rst, rst_value=0, name="nonzero")
        mask.assign(sel(in0_fire, nonzero, mask))
        left = sel(last_step, mask, rem & ~picked)
        rem_next = sel(in0_fire, nonzero, sel(fire, left, rem))
        rem.assign(rem_next)
        route, pick, last = _route([rem_next[t] for t in range(kernel)], k, inputs)
        hits.assign(_concat(route))
        picked.assign(_concat(pick))
        last_step.assign(last)
        ports.in0_ready = ~held | done
        ports.in1_ready = held & last_step & out.credit
        out.issue(fire & last_step)

        # stage 1, the crossbar: AND-OR muxes of each MAC's band on the registered selects
        taps = [window[t * dw:(t + 1) * dw] for t in range(kernel)]
        weights = [ports.in1_data[t * ww:(t + 1) * ww] for t in range(kernel)]
        xs, ws = [bits(dw, 0)] * k, [bits(ww, 0)] * k
        for i, (j, t) in enumerate(inputs):
            xs[j] = xs[j] | (sext(hits[i], dw) & taps[t])
            ws[j] = ws[j] | (sext(hits[i], ww) & weights[t])
        xs = [v.reg(clk, name=f"x{j}") for j, v in enumerate(xs)]
        ws = [v.reg(clk, name=f"w{j}") for j, v in enumerate(ws)]
        v1 = fire.reg(clk, rst, rst_value=0)
        l1 = (fire & last_step).reg(clk, rst, rst_value=0)
        # stages 2-4: products, adder tree, the sum over the cycles; pushed on the last one
        push, total = multiply_accumulate(clk, rst, xs, ws, v1, l1, pw, aw)
        out.push(push, total)
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)


def _route(rem, k: int, inputs):
    """The crossbar's selects for the remaining taps `rem` (Bits(1) each): one per (MAC j,
    tap t) of `inputs`, the taps this cycle picks (the first k) and whether it is the dot
    product's last (at most k left). Tap t of rank r < k goes to MAC max(r, t - (K - k))."""
    kernel = len(rem)
    band, rb = kernel - k, kernel.bit_length()
    rank = [bits(rb, 0)]  # rank[t]: remaining taps before t
    for t in range(kernel):
        rank.append(add(rank[t], zext(rem[t], rb)))
    mac = [rank[t] if t <= band else sel(ult(rank[t], t - band), bits(rb, t - band), rank[t])
           for t in range(kernel)]
    route = [rem[t] & eq(mac[t], j) for j, t in inputs]
    pick = [rem[t] & ult(rank[t], k) for t in range(kernel)]
    return route, pick, ult(rank[kernel], k + 1)


def _concat(flags):
    """Bits(1) flags -> one Bits(len) signal, flag t at bit t."""
    from pycde.signals import BitsSignal
    return BitsSignal.concat(list(reversed(flags))) if len(flags) > 1 else flags[0]
