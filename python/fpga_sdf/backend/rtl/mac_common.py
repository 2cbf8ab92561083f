"""Building blocks shared by the sliding-window and MAC-chain generators (engineer R2's files).

PyCDE has no block-RAM construct, so memories are written as raw `sv` ops: an unpacked `reg`
array with a clocked, registered read (yosys infers BRAM18/36 or LUTRAM from it, Verilator
simulates it). A signed multiplier is a `$signed(a) * $signed(b)` expression: CIRCT's comb.mul
of sign-extended operands would make yosys build a full (a+b)x(a+b) product (3 DSPs for 16x16
instead of 1).

Every module here drives its output through `OutBuffer`: a small FIFO plus a credit counter
(entries in flight + stored). Work is issued only when a credit is free, so the FIFO never
overflows, the datapath never stalls, and `in*_ready` never depends on `out0_ready`.
"""

from __future__ import annotations

import re

from pycde.circt import ir
from pycde.circt.dialects import hw as raw_hw
from pycde.circt.dialects import seq as raw_seq
from pycde.circt.dialects import sv
from pycde.constructs import Mux, Reg
from pycde.dialects import comb
from pycde.seq import FIFO
from pycde.signals import _FromCirctValue
from pycde.types import Bits

from fpga_sdf.model.modules import clog2


def module_name(p) -> str:
    """The driver's unique name for this module, or one made from layer, kind and instance."""
    if p.name:
        return p.name
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{p.layer or 'x'}_{p.kind}_{p.instance or 0}")


def bits(width: int, value: int):
    """A constant of `width` bits (two's complement for negative values)."""
    return Bits(width)(int(value) & ((1 << width) - 1))


def sext(x, width: int):
    """Sign-extend (or truncate) a Bits signal to `width` bits."""
    w = x.type.width
    if width <= w:
        return x[0:width]
    sign = x[w - 1]
    return comb.ConcatOp(*([sign] * (width - w)), x)


def zext(x, width: int):
    w = x.type.width
    if width <= w:
        return x[0:width]
    return comb.ConcatOp(Bits(width - w)(0), x)


def add(a, b):
    """Wrapping sum of two equal-width Bits signals."""
    return comb.AddOp(a, b)


def inc(x):
    return comb.AddOp(x, Bits(x.type.width)(1))


def eq(x, value: int):
    return x.as_bits() == bits(x.type.width, value)


def ult(x, value: int):
    """Unsigned x < value (value may exceed x's range)."""
    w = max(x.type.width, int(value).bit_length())
    return zext(x, w).as_uint() < bits(w, value).as_uint()


def uge(x, value: int):
    return ~ult(x, value)


def slt(a, b):
    return a.as_sint() < b.as_sint()


def sel(cond, if_true, if_false):
    """cond ? if_true : if_false."""
    return Mux(cond, if_false, if_true)


def select(index, values):
    """values[index] as a tree of 2-way muxes on the index bits (an index past the end gives
    the last value). Not PyCDE's n-way Mux: its packed array is beyond what yosys 0.23 reads."""
    level = list(values)
    for b in range(index.type.width):
        if len(level) == 1:
            break
        level = [sel(index[b], level[k + 1], level[k]) if k + 1 < len(level) else level[k]
                 for k in range(0, len(level), 2)]
    return level[0]


def signed_mul(a, b, width: int):
    """The exact signed product of a and b in `width` >= a + b bits, as one DSP-mappable
    `$signed(a) * $signed(b)` (the expression width comes from the assignment context)."""
    op = sv.VerbatimExprOp(ir.IntegerType.get_signless(width),
                           "$signed({{0}}) * $signed({{1}})", [a.value, b.value])
    return _FromCirctValue(op.result)


def counter(clk, rst, n: int, step, name: str):
    """A counter over 0..n-1 advancing when `step` is high; returns (value, at_last)."""
    width = clog2(n)
    value = Reg(Bits(width), clk, rst, rst_value=0, name=name)
    last = eq(value, n - 1) if n > 1 else Bits(1)(1)
    value.assign(sel(step, sel(last, bits(width, 0), inc(value)) if n > 1 else bits(width, 0),
                     value))
    return value, last


def _i(width: int):
    return ir.IntegerType.get_signless(width)


def _const(width: int, value: int):
    return raw_hw.ConstantOp(ir.IntegerAttr.get(_i(width), int(value) & ((1 << width) - 1))).result


def ram_style(role: str, width: int, depth: int, binding: str = "auto") -> str:
    """The primitive the model costs a memory as (model/memory.py map_memory), as a
    synthesis ram_style: "block" (BRAM/URAM), "distributed" (LUTRAM) or "registers"."""
    from fpga_sdf.model.memory import map_memory
    b, u, lut, _ = map_memory(role, width, depth, False, binding)
    return "block" if b or u else "distributed" if lut else "registers"


def memory(clk, width: int, depth: int, raddr, ren, waddr=None, wdata=None, wen=None,
           init=None, name: str = "mem", style: str | None = None):
    """A `depth` x `width` RAM (or ROM with `init`) with one write port and one registered
    read port (read-first when both use one address): the output, after a cycle with `ren`
    high, is the word stored at `raddr` before that cycle's write. `style` is the synthesis
    ram_style (see `ram_style`), so yosys and Vivado build the primitive the model costs."""
    attrs = None
    if style and (wen is not None or style == "block"):  # yosys maps small ROMs to logic itself
        kind = "ram_style" if wen is not None else "rom_style"  # yosys reads the one that applies
        attrs = [ir.Attribute.parse(f'#sv.attribute<"{kind}" = "\\"{style}\\"">')]
    mem = sv.RegOp(raw_hw.InOutType.get(ir.Type.parse(f"!hw.uarray<{depth}xi{width}>")), name)
    if attrs:
        mem.operation.attributes["sv.attributes"] = ir.ArrayAttr.get(attrs)
    q = sv.RegOp(raw_hw.InOutType.get(_i(width)), name + "_q")
    aw = raddr.type.width
    if init is not None:
        # one verbatim statement list, not an op per word: a 2**16-entry activation table
        # as 65,536 MLIR ops took PyCDE minutes to lower; the SystemVerilog is the same
        block = sv.InitialOp().body.blocks.append()
        mask = (1 << width) - 1
        text = "\n".join(f"{{{{0}}}}[{aw}'h{k:X}] = {width}'h{int(v) & mask:X};" for k, v in enumerate(init))
        with ir.InsertionPoint(block):
            sv.VerbatimOp(ir.StringAttr.get(text), [mem.result])
    ff = sv.AlwaysFFOp(ir.IntegerAttr.get(_i(32), 0), raw_seq.FromClockOp(clk.value).result)
    with ir.InsertionPoint(ff.bodyBlk.blocks.append()):
        if wen is not None:
            write = sv.IfOp(wen.value)
            with ir.InsertionPoint(write.thenRegion.blocks.append()):
                sv.PAssignOp(sv.ArrayIndexInOutOp(mem.result, waddr.value).result, wdata.value)
        read = sv.IfOp(ren.value)
        with ir.InsertionPoint(read.thenRegion.blocks.append()):
            word = sv.ReadInOutOp(sv.ArrayIndexInOutOp(mem.result, raddr.value).result).result
            sv.PAssignOp(q.result, word)
    return _FromCirctValue(sv.ReadInOutOp(q.result).result)


class OutBuffer:
    """The registered output of a module: a FIFO of `latency + 2` words and a credit count.

    `credit` is high when one more result may be issued into a datapath of `latency` cycles;
    call `issue(fire)` with the issue strobe, `push(valid, data)` where results leave the
    datapath, and `drive(ports)` to connect out0. `credit` depends on registers only.
    `flush` (optional) empties the buffer and returns the credits, like a reset.
    """

    def __init__(self, clk, rst, width: int, latency: int, flush=None):
        if flush is not None:
            rst = rst | flush
        self.depth = latency + 2
        cw = clog2(self.depth + 1)
        self.fifo = FIFO(Bits(width), self.depth, clk, rst)
        self.used = Reg(Bits(cw), clk, rst, rst_value=0, name="credits_used")
        self.credit = ult(self.used, self.depth)
        self.clk, self.rst, self.cw = clk, rst, cw

    def issue(self, fire):
        self._issue = fire

    def push(self, valid, data):
        self.fifo.push(data, valid)

    def drive(self, ports, port: int = 0):
        valid = ~self.fifo.empty
        pop = valid & getattr(ports, f"out{port}_ready")
        setattr(ports, f"out{port}_data", self.fifo.pop(pop))
        setattr(ports, f"out{port}_valid", valid)
        up = sel(self._issue, inc(self.used), self.used)
        self.used.assign(sel(pop, comb.SubOp(up, bits(self.cw, 1)), up))


def multiply_accumulate(clk, rst, xs, ws, valid, last, pw: int, aw: int):
    """Stages 2-4 of a MAC unit, dense or sparse: exact products of the operand pairs
    (xs[k] x ws[k], registered, one DSP each), then `accumulate`."""
    prods = [signed_mul(x, w, pw).reg(clk, name=f"prod{k}") for k, (x, w) in enumerate(zip(xs, ws))]
    return accumulate(clk, rst, prods, valid, last, aw)


def packed_pair(clk, shared, lo, hi, pw: int, name: str):
    """The exact pw-bit products shared * lo and shared * hi (pw = their width, the sum of the
    operand widths) from one registered multiply of shared by (hi << pw) + lo (Xilinx WP486,
    one DSP where model.dsp.packs): its low pw bits are shared * lo, its high pw bits plus the
    low part's sign bit are shared * hi (a floor shift of a negative low part borrows one)."""
    width = hi.type.width + pw + 1  # model.dsp.packed_width
    packed = add(comb.ConcatOp(sext(hi, width - pw), Bits(pw)(0)), sext(lo, width))
    prod = signed_mul(packed, shared, 2 * pw).reg(clk, name=name)
    return prod[0:pw], add(prod[pw:2 * pw], zext(prod[pw - 1], pw))


def lane_products(clk, lanes, ws, dw: int, ww: int, pack: bool = True):
    """Stage 2 of q MAC arrays multiplying their taps (lanes[l][k], dw bits) by one shared
    weights word (ws[k], ww bits): [lane][k] exact products of dw + ww bits. With `pack`
    (the model's weight_sharing) where model.dsp.packs(dw, ww), lanes 2i and 2i + 1 share one
    `packed_pair` multiply by w; an odd lane multiplies alone."""
    from fpga_sdf.model.dsp import packs

    pw = dw + ww
    if not pack or len(lanes) < 2 or not packs(dw, ww):
        return [[signed_mul(x, w, pw).reg(clk, name=f"prod{l}_{k}") for k, (x, w) in enumerate(zip(xs, ws))]
                for l, xs in enumerate(lanes)]
    out = []
    for l in range(0, len(lanes) - 1, 2):
        pairs = [packed_pair(clk, w, lanes[l][k], lanes[l + 1][k], pw, f"packed{l}_{k}")
                 for k, w in enumerate(ws)]
        out += [[lo for lo, _ in pairs], [hi for _, hi in pairs]]
    if len(lanes) % 2:
        out.append([signed_mul(x, w, pw).reg(clk, name=f"prod{len(lanes) - 1}_{k}")
                    for k, (x, w) in enumerate(zip(lanes[-1], ws))])
    return out


def unit_pair_products(clk, lanes, ws_a, ws_b, dw: int, ww: int):
    """Stage 2 of a unit pair (model.dsp.pairs_units): q MAC arrays' taps (lanes[l][k]) times
    two units' weights words (ws_a[k], ws_b[k]), every tap one `packed_pair` multiply of the
    tap by both weights; returns the [lane][k] products of unit a and of unit b."""
    pw = dw + ww
    a, b = [], []
    for l, xs in enumerate(lanes):
        pairs = [packed_pair(clk, x, wa, wb, pw, f"pair{l}_{k}")
                 for k, (x, wa, wb) in enumerate(zip(xs, ws_a, ws_b))]
        a.append([lo for lo, _ in pairs])
        b.append([hi for _, hi in pairs])
    return a, b


def registered_tree(clk, rst, terms, valid, levels: int):
    """Pairwise sums of equal-width terms, registered after each of `levels` levels (a lone
    term passes up a level); returns the terms left and `valid` delayed alike. Registered
    because yosys maps an unregistered wide tree as one `$macc` of LUT full adders (5x the
    LUTs of carry-chain adders, issue 14)."""
    for level in range(levels):
        terms = [(add(terms[k], terms[k + 1]) if k + 1 < len(terms) else terms[k])
                 .reg(clk, name=f"level{level}_{k // 2}") for k in range(0, len(terms), 2)]
        valid = valid.reg(clk, rst, rst_value=0)
    return terms, valid


def accumulate(clk, rst, prods, valid, last, aw: int):
    """Stages 3-4 of a MAC unit: an adder tree of the registered products in the accumulator
    width (registered) and the sum over the cycles of one dot product. `valid` / `last` are
    the stage-1 flags (a cycle's operands are in, it is the dot product's last); returns the
    push flag and the dot product, the running sum plus this cycle's. `last` None: every
    cycle is a whole dot product (a 1x1 unit at fine 1), so there is no running sum (yosys
    keeps the always-zero accumulator and its adder: 24-bit, ~50 LUTs a unit pair)."""
    v2 = valid.reg(clk, rst, rst_value=0)
    terms = [sext(q, aw) for q in prods]
    while len(terms) > 1:
        terms = [add(terms[k], terms[k + 1]) if k + 1 < len(terms) else terms[k]
                 for k in range(0, len(terms), 2)]
    s3 = terms[0].reg(clk, name="tree")
    v3 = v2.reg(clk, rst, rst_value=0)
    if last is None:
        return v3, s3
    l3 = last.reg(clk, rst, rst_value=0).reg(clk, rst, rst_value=0)
    acc = Reg(Bits(aw), clk, rst, rst_value=0, name="acc")
    total = add(acc, s3)
    acc.assign(sel(v3, sel(l3, bits(aw, 0), total), acc))
    return v3 & l3, total


# ------------------------------------------------------------------ the MAC chain's data order


class MacPlan:
    """What MAC unit (g, i, j) of a conv / inner product computes, in stream order.

    With weights reloading, filter indices are within the run (F / wr_factor filters; the
    run's weights and bias start at `offset`).
    Input stream s = g*ci + i carries channels s, s + N, s + 2N, ... (N = ci*cg streams,
    the flat streaming order); output stream o = g*co + j carries filters o, o + NO, ...
    For each of its `ch_s` channels the unit computes `cout_s` dot products, one per filter
    of that channel's group on output stream o, in ascending filter order. The glue g*co + j
    adds the ci units of (g, j) word by word; the accum g*co + j then sums runs of `acc_in`
    consecutive channels (one group). Foldings whose streams would mix groups are refused (ValueError).
    """

    def __init__(self, spec, g: int, i: int, j: int, run: int = 0, sparse: bool = False):
        from math import prod

        from fpga_sdf.model.folding import channels_in, channels_out
        from fpga_sdf.model.spec import cdiv, kernel_of
        from fpga_sdf.model.modules import pixels_out
        is_conv = spec.kind == "conv"
        if spec.pixels != (1, 1) and (not is_conv or sparse):
            raise ValueError("RTL: a multi-pixel sparse engine is not generated (a multi-pixel "
                             "inner product's units are fcu.FcuPlan)")
        self.lanes = pixels_out(spec)  # windows per word: the unit's MAC arrays
        self.groups = spec.groups if is_conv else 1
        ci, co, cg = spec.coarse_in, spec.coarse_out, spec.coarse_group
        self.ci, self.co, self.cg, self.fine = ci, co, cg, spec.fine
        self.kernel = prod(kernel_of(spec)) if is_conv else 1
        # weight words per dot product; the sparse engine reads all K taps at once (one
        # word of K weights), whatever its k = fine MACs
        self.steps = 1 if sparse else cdiv(self.kernel, self.fine)
        self.word = self.kernel if sparse else self.fine  # weights per ROM word
        c, f = channels_in(spec), cdiv(channels_out(spec), spec.wr_factor)  # filters per run
        if spec.wr_factor > 1 and (self.groups > 1 or channels_out(spec) % spec.wr_factor):
            raise ValueError("RTL: weights reloading of grouped or unevenly split layers "
                             "is not generated")
        self.offset = run * f  # the run's first filter: its weights and bias
        self.cin_g, self.cout_g = c // self.groups, f // self.groups
        n, no = ci * cg, co * cg
        if c % n or f % no or self.cin_g % ci or self.cout_g % co or self.groups % cg:
            raise ValueError(f"RTL: folding ci={ci} co={co} cg={cg} does not divide the layer")
        s, o = g * ci + i, g * co + j
        self.channels = list(range(s, c, n))
        self.filters = []  # per channel: the filters it contributes to on stream o
        for ch in self.channels:
            group = ch // self.cin_g
            self.filters.append([x for x in range(group * self.cout_g, (group + 1) * self.cout_g)
                                 if x % no == o])
        self.cout_s = len(self.filters[0])
        self.acc_in = self.cin_g // ci
        self.ch_s = len(self.channels)
        # the filters output stream o carries per pixel, in the order the chain produces them
        self.out_filters = [x for r in range(0, self.ch_s, self.acc_in) for x in self.filters[r]]
        runs = [{ch // self.cin_g for ch in self.channels[k:k + self.acc_in]}
                for k in range(0, self.ch_s, self.acc_in)]
        same_units = all(ch // self.cin_g == (ch - i) // self.cin_g for ch in self.channels)
        if (self.cout_s == 0 or any(len(x) != self.cout_s for x in self.filters)
                or any(len(r) != 1 for r in runs) or not same_units
                or self.out_filters != list(range(o, f, no))):
            raise ValueError(f"RTL: folding cg={cg} with {self.cin_g} channels and {self.cout_g} "
                             "filters per group mixes groups on a stream (not generated)")

    def weight_words(self, weights):
        """The ROM words of this unit: [channel][filter][step] -> `word` integers (zero taps
        past the kernel), as a (ch_s * cout_s * steps, word) int64 array."""
        import numpy as np
        w = np.asarray(weights, dtype=np.int64)
        w = w.reshape(w.shape[0], self.cin_g, -1)
        padded = np.zeros(w.shape[:2] + (self.steps * self.word,), dtype=np.int64)
        padded[:, :, :w.shape[2]] = w
        rows = []
        for ch, filters in zip(self.channels, self.filters):
            for x in filters:
                rows.append(padded[self.offset + x, ch % self.cin_g].reshape(self.steps, self.word))
        return np.concatenate(rows, axis=0)


def unit_index(spec, instance: int) -> tuple[int, int, int]:
    """(g, i, j) of MAC unit `instance`: the expansion pass numbers them g, then j, then i."""
    ci, co = spec.coarse_in, spec.coarse_out
    gj, i = divmod(instance, ci)
    g, j = divmod(gj, co)
    return g, i, j


def pair_index(spec, instance: int) -> tuple[int, int, int]:
    """(g, i, j) of the first unit of unit pair `instance` (units j and j + 1, model.dsp
    .pairs_units): the expansion pass numbers pairs g, then j / 2, then i."""
    ci, pairs = spec.coarse_in, spec.coarse_out // 2
    gk, i = divmod(instance, ci)
    g, k = divmod(gk, pairs)
    return g, i, 2 * k


def mac_index(spec, instance: int, units: int) -> tuple[int, int, int]:
    """(g, i, j) of the first unit of conv module `instance`: a unit, a unit pair (units = 2),
    or a 1x1 module of the ci units of a stream (pair) (model.dsp.sums_coarse_in: i = 0)."""
    from fpga_sdf.model.dsp import sums_coarse_in
    if sums_coarse_in(spec):
        g, k = divmod(instance, spec.coarse_out // units)
        return g, 0, units * k
    return pair_index(spec, instance) if units == 2 else unit_index(spec, instance)


def output_index(spec, instance: int) -> tuple[int, int]:
    """(g, j) of glue / accum / bias `instance` (output stream g*co + j)."""
    return divmod(instance, spec.coarse_out)


def pack(values, width: int) -> int:
    """Integers -> one word, value k in bits [k*width, (k+1)*width)."""
    word = 0
    for k, v in enumerate(values):
        word |= (int(v) & ((1 << width) - 1)) << (k * width)
    return word
