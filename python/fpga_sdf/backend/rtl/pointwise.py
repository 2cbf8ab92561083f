"""Pieces shared by the point-wise and pooling generators (pool, global_pool, activation,
scale_shift, eltwise, concat, resize).

These modules are *stalled pipelines*: every stage register advances together when the output
skid buffer can take a word (`OutputSkid.ready`, itself a register), so a module sustains one
word per cycle, never drops a word under back-pressure, and its `in*_ready` depends only on
registers. `div_round` is the exact round-half-up division of pool_fixed / global_pool_fixed by
a multiply with a reciprocal, sized so that it is exact for every numerator the module can see.
"""

from __future__ import annotations

import math

from pycde.constructs import Mux, Reg
from pycde.signals import BitsSignal
from pycde.types import Bits

from ...model.dsp import DivPlan
from .mac_common import sext, signed_mul, zext
from .streams import const, counter_bits, eq, incr


def sig_name(p, kind: str, *parts) -> str:
    """The module name the driver chose, else one built from the parameters."""
    if getattr(p, "name", ""):
        return p.name
    text = "_".join(str(x).replace("-", "m") for x in parts)
    return f"sdf_{kind}_{text}"


class Pipe:
    """Registers of a stalled pipeline: `stage(x)` delays x by one cycle when `adv` is high."""

    def __init__(self, clk, rst, adv):
        self.clk, self.rst, self.adv = clk, rst, adv
        self.n = 0

    def valid(self, v):
        self.n += 1
        return v.reg(self.clk, self.rst, rst_value=0, ce=self.adv, name=f"v{self.n}")

    def stage(self, x, name: str = "s"):
        self.n += 1
        return x.reg(self.clk, ce=self.adv, name=f"{name}{self.n}")


class Counters:
    """Nested counters (fastest first) that step when `step` is high; `at_last(i)` says
    counters 0..i are all at their last value (the carry into counter i + 1)."""

    def __init__(self, clk, rst, sizes, step, name: str = "c"):
        self.values, self.last = [], []
        carry = step
        for i, n in enumerate(sizes):
            w = counter_bits(n)
            r = Reg(Bits(w), clk, rst, 0, name=f"{name}{i}")
            at_end = eq(r, n - 1) if n > 1 else Bits(1)(1)
            nxt = Mux(at_end, incr(r), const(w, 0)) if n > 1 else const(w, 0)
            r.assign(Mux(carry, r, nxt))
            self.values.append(r)
            self.last.append(at_end)
            carry = carry & at_end

    def at_last(self, i: int):
        out = self.last[0]
        for x in self.last[1:i + 1]:
            out = out & x
        return out


def sat_bits(v, width: int):
    """Signed `v` clamped to `width` bits (as streams.saturate_hw, but also for narrow v)."""
    from .streams import saturate_hw
    return saturate_hw(v, width)


def signed_const_bits(value: int) -> int:
    """Bits of the smallest two's-complement field holding `value`."""
    return max(1, int(value).bit_length() + 1)


# ------------------------------------------------------------------------------ division


# The sizes of the division are the model's (fpga_sdf.model.dsp.DivPlan), so the multiplier the
# model costs is the one built here.


def div_round(n, den_index, dens, from_frac: int, out_width: int, out_frac: int, pipe: Pipe):
    """round_half_up(n * 2**-from_frac / dens[den_index]) saturated to out_width bits, the
    arithmetic of kernels._div_round (see DivPlan). `n` is a signed Bits sum, `den_index` a
    Bits signal selecting the divisor (None when there is one). Returns (result, stages): the
    pipeline stages it added through `pipe` (two when it shifts, four when it multiplies),
    which the caller's valid must follow."""
    plan = DivPlan.of(dens, n.type.width, from_frac, out_frac)
    w, pre = plan.w, plan.pre
    nn = sext(n, w)
    if plan.up > 0:
        nn = BitsSignal.concat([nn[0:w - plan.up], const(plan.up, 0)])
    dsel = _select(den_index, [const(w, d << pre) for d in dens])
    m = (BitsSignal.concat([nn[0:w - 1], const(1, 0)]).as_uint() + dsel.as_uint()).as_bits(w)  # 2n' + d'
    x = m[pre:w] if pre else m  # M >> pre, arithmetic (the sign bit stays on top)
    mw = w - pre
    neg = x[mw - 1]
    x = pipe.stage(x, "x")
    if plan.recs is None:
        shifts = [d.bit_length() - 1 for d in plan.den2]
        idx = pipe.stage(den_index, "di") if den_index is not None else None
        options = [sext(x[s:mw], mw) if s < mw else Mux(x[mw - 1], const(mw, 0), const(mw, -1))
                   for s in shifts]
        return sat_bits(pipe.stage(_select(idx, options), "q"), out_width), 2
    neg = pipe.stage(neg, "neg")
    idx = pipe.stage(den_index, "di") if den_index is not None else None
    a_bits, b_bits = plan.a_bits, plan.b_bits
    minus = (const(a_bits, 0).as_uint() - sext(x, a_bits).as_uint()).as_bits(a_bits)
    corr = _select(idx, [const(a_bits, d - 1) for d in plan.den2])
    mag = Mux(neg, zext(x, a_bits), (minus.as_uint() + corr.as_uint()).as_bits(a_bits))
    magic = _select(idx, [const(b_bits, r.magic) for r in plan.recs])
    mag, magic, neg = pipe.stage(mag, "mag"), pipe.stage(magic, "magic"), pipe.stage(neg, "neg")
    prod_bits = a_bits + b_bits
    product = pipe.stage(signed_mul(mag, magic, prod_bits), "prod")
    neg = pipe.stage(neg, "neg")
    qmag = product[plan.recs[0].shift:prod_bits]
    qw = qmag.type.width + 1
    q = Mux(neg, zext(qmag, qw), (const(qw, 0).as_uint() - zext(qmag, qw).as_uint()).as_bits(qw))
    return sat_bits(pipe.stage(q, "q"), out_width), 4


def _select(index, values):
    """values[index] (index None: the only value)."""
    if index is None or len(values) == 1:
        return values[0]
    n = 1 << index.type.width
    padded = list(values) + [values[-1]] * (n - len(values))
    return Mux(index, *padded)


def sum_bits(width: int, terms: int) -> int:
    """Bits of an exact sum of `terms` signed `width`-bit values."""
    return width + max(0, math.ceil(math.log2(terms))) if terms > 1 else width


# ------------------------------------------------------------------------------ tables


def rom_two_reads(clk, width: int, init, addrs, ren, name: str, style: str | None):
    """A ROM of `init` read at one or two addresses (registered, when `ren` is high): the
    reg-array pattern of mac_common.memory with a second read port, as a block RAM's two
    ports serve two lanes of a multi-pixel word from one table (model: a table per two lanes)."""
    from pycde.circt import ir
    from pycde.circt.dialects import hw as raw_hw
    from pycde.circt.dialects import seq as raw_seq
    from pycde.circt.dialects import sv
    from pycde.signals import _FromCirctValue

    if not 1 <= len(addrs) <= 2:
        raise ValueError("a table ROM has one or two read ports")
    depth = len(init)
    mem = sv.RegOp(raw_hw.InOutType.get(ir.Type.parse(f"!hw.uarray<{depth}xi{width}>")), name)
    if style == "block":
        mem.operation.attributes["sv.attributes"] = ir.ArrayAttr.get(
            [ir.Attribute.parse(f'#sv.attribute<"rom_style" = "\\"{style}\\"">')])
    aw = addrs[0].type.width
    mask = (1 << width) - 1
    block = sv.InitialOp().body.blocks.append()
    text = "\n".join(f"{{{{0}}}}[{aw}'h{k:X}] = {width}'h{int(v) & mask:X};" for k, v in enumerate(init))
    with ir.InsertionPoint(block):
        sv.VerbatimOp(ir.StringAttr.get(text), [mem.result])
    outs = [sv.RegOp(raw_hw.InOutType.get(ir.IntegerType.get_signless(width)), f"{name}_q{k}")
            for k in range(len(addrs))]
    ff = sv.AlwaysFFOp(ir.IntegerAttr.get(ir.IntegerType.get_signless(32), 0), raw_seq.FromClockOp(clk.value).result)
    with ir.InsertionPoint(ff.bodyBlk.blocks.append()):
        read = sv.IfOp(ren.value)
        with ir.InsertionPoint(read.thenRegion.blocks.append()):
            for q, addr in zip(outs, addrs):
                word = sv.ReadInOutOp(sv.ArrayIndexInOutOp(mem.result, addr.value).result).result
                sv.PAssignOp(q.result, word)
    return [_FromCirctValue(sv.ReadInOutOp(q.result).result) for q in outs]
