"""sdf_hw.conv of a multi-pixel inner product: p per-pixel FCUs summed by an adder tree.

A p-pixel word of the flattened map holds pixels g p .. g p + p - 1 of one channel c (word m
of the frame: g = m // C, c = m % C; word m on input stream m % coarse_in). FCU x multiplies
pixel g p + x by its own weight, so the p weights of a word differ: the unit's weights memory
is one word of p weights per (input word, filter), p times wider and 1/p as deep as at one
pixel (`FcuPlan.weight_words`, the model's `_weights_layer`). The p products are summed by
the adder tree of `mac_common.multiply_accumulate` (p - 1 adders) into one dot product per
filter per word, which the accumulator sums over the stream's words as at one pixel.

Per input word the unit computes cout_s dot products (one per filter of its output stream),
one a cycle: a frame takes words x cout_s cycles, the model's interval.
"""

from __future__ import annotations

from math import prod

import numpy as np
from pycde.constructs import Reg
from pycde.types import Bits

from fpga_sdf.model.folding import channels_out
from fpga_sdf.model.modules import pixels_in
from fpga_sdf.model.spec import cdiv, spatial

from .mac_common import (MacPlan, OutBuffer, counter, module_name, multiply_accumulate, sel,
                         unit_index)
from .streams import stream_module

LATENCY = 3  # issue -> result pushed: operands, products, tree


def is_fcu(spec) -> bool:
    """A layer whose MAC units are per-pixel FCUs: an inner product at p > 1 pixels a word."""
    return spec is not None and spec.kind == "inner_product" and pixels_in(spec) > 1


def unit_plan(spec, g: int, i: int, j: int, run: int = 0):
    """What MAC unit (g, i, j) computes: an FcuPlan for a multi-pixel inner product, else
    mac_common.MacPlan (accum, bias and the weights memory read this)."""
    return FcuPlan(spec, i, j, run) if is_fcu(spec) else MacPlan(spec, g, i, j, run=run)


class FcuPlan:
    """The words, filters and weights of FCU unit (i, j) of a p-pixel inner product, with
    the fields of MacPlan that accum and bias read (`acc_in`, `cout_s`, `lanes`,
    `out_filters`, `offset`)."""

    def __init__(self, spec, i: int, j: int, run: int = 0):
        if spec.fine != 1:
            raise ValueError(f"RTL: a multi-pixel inner product multiplies a word's p pixels at once "
                             f"(fine = 1, not {spec.fine})")
        dims = spatial(spec.inputs[0])
        self.p, self.c = pixels_in(spec), spec.inputs[0][0]
        ci, co = spec.coarse_in, spec.coarse_out
        words = prod(dims) // self.p * self.c  # p-pixel words of a frame
        filters = cdiv(channels_out(spec), spec.wr_factor)
        if words % ci or filters % co or dims[-1] % self.p:
            raise ValueError(f"RTL: a {self.p}-pixel inner product of {words} words and {filters} filters "
                             f"does not divide into coarse_in={ci} / coarse_out={co}")
        self.words = list(range(i, words, ci))  # the frame's words on input stream i
        self.offset = run * filters
        self.out_filters = list(range(j, filters, co))
        self.cout_s = len(self.out_filters)
        self.acc_in = len(self.words)  # dot products summed per result
        self.lanes = 1  # one dot product a word

    def columns(self, m: int) -> list[int]:
        """The weight columns (the flat streaming order, channels fastest) of word m's lanes."""
        g, c = divmod(m, self.c)
        return [(g * self.p + x) * self.c + c for x in range(self.p)]

    def weight_words(self, weights) -> np.ndarray:
        """The ROM words: per input word, per filter of the stream, the p weights of its
        pixels, as a (words * cout_s, p) int64 array."""
        w = np.asarray(weights, dtype=np.int64)
        return np.array([w[self.offset + f, self.columns(m)] for m in self.words for f in self.out_filters],
                        dtype=np.int64)


def generate(p):
    plan = FcuPlan(p.spec, *unit_index(p.spec, p.instance)[1:])
    x, w, acc = p.inputs[0], p.inputs[1], p.outputs[0]
    if x.lanes != plan.p or w.lanes != plan.p or acc.lanes != 1:
        raise ValueError(f"RTL FCU: {x.lanes} pixels / {w.lanes} weights / {acc.lanes} sums per word, "
                         f"expected {plan.p} / {plan.p} / 1")
    dw, ww, aw, n = x.width, w.width, acc.width, plan.p

    def build(ports):
        clk, rst = ports.clk, ports.rst
        out = OutBuffer(clk, rst, aw, LATENCY)
        held = Reg(Bits(1), clk, rst, rst_value=0, name="held")
        word = Reg(Bits(n * dw), clk, rst_value=None, name="word")
        # a weights word moves when a word is held and the output buffer has a slot
        fire = held & out.credit & ports.in1_valid
        _, last_filter = counter(clk, rst, plan.cout_s, fire, "filter")
        done = fire & last_filter
        in0_fire = ports.in0_valid & (~held | done)
        held.assign(sel(in0_fire, Bits(1)(1), sel(done, Bits(1)(0), held)))
        word.assign(sel(in0_fire, ports.in0_data, word))
        ports.in0_ready = ~held | done
        ports.in1_ready = held & out.credit
        out.issue(fire)
        # stage 1: the word's pixels and this filter's p weights; then products and the tree
        x1, w1 = word.reg(clk, name="pixels"), ports.in1_data.reg(clk, name="weights")
        v1 = fire.reg(clk, rst, rst_value=0)
        push, total = multiply_accumulate(clk, rst, [x1[k * dw:(k + 1) * dw] for k in range(n)],
                                          [w1[k * ww:(k + 1) * ww] for k in range(n)], v1, v1, dw + ww, aw)
        out.push(push, total)
        out.drive(ports)

    return stream_module(module_name(p), p.inputs, p.outputs, build)
