"""sdf_hw.squeeze: re-streams a feature map from N to M parallel streams (fpgaConvNet squeeze).

Word i of the map is on input stream i % N and must leave on output stream i % M. A circular
buffer of lcm(N, M) words is written a row of N words at a time (one word from every input)
and read a row of M words at a time (one to every output), so both sides move whole rows
every cycle (the model's buffer of lcm(a, b) words). A write may use the room a read frees in
the same cycle; the read depends only on registered skid readies.

Between a producer of q-pixel words and a consumer of p-pixel words (multi-pixel layers,
docs/notes/rtl-backend.md) the squeeze re-packs instead (`channels` = ch_s, channels per
stream, N = M): each stream's words come per pixel group, one per channel, so a bank of ch_s
words is filled and then read q / p times, pixels k p .. k p + p - 1 of every channel in
pass k (narrowing, p dividing q); or p / q groups of ch_s words are gathered and every
channel's p / q words leave as one (widening, q dividing p). Two banks let the producer fill
the next group while the last one drains. The model costs it as `modules.edge_converter`.
"""

from __future__ import annotations

from math import lcm

from .streams import ModuleParams, OutputSkid, const, counter_bits, eq, incr, stream_module


def generate(p: ModuleParams):
    if p.inputs[0].lanes != p.outputs[0].lanes:
        return _generate_repack(p)
    from pycde.constructs import Mux, Reg
    from pycde.types import Bits

    n, m = len(p.inputs), len(p.outputs)
    t = p.inputs[0]
    size = lcm(n, m)

    def build(ports):
        clk, rst = ports.clk, ports.rst
        cb = counter_bits(size + 1)
        count = Reg(Bits(cb), clk, rst, 0, name="count")
        wrow = Reg(Bits(counter_bits(size // n)), clk, rst, 0, name="wrow")
        rrow = Reg(Bits(counter_bits(size // m)), clk, rst, 0, name="rrow")
        slots = [Reg(Bits(t.bits), clk, name=f"slot{i}", rst_value=None) for i in range(size)]
        skids = [OutputSkid(ports, j) for j in range(m)]
        out_ready = skids[0].ready
        for sk in skids[1:]:
            out_ready = out_ready & sk.ready
        in_valid = ports.in0_valid
        for k in range(1, n):
            in_valid = in_valid & getattr(ports, f"in{k}_valid")

        def ge(sig, v):  # unsigned sig >= v
            return ~(sig.as_uint(cb + 1) < const(cb + 1, v).as_uint())
        read = ge(count, m) & out_ready
        room = Mux(read, count, (count.as_uint(cb + 1) - m).as_bits(cb))  # words held after the read
        write = in_valid & ~ge(room, size - n + 1)
        for k in range(n):
            setattr(ports, f"in{k}_ready", write)
        for i, slot in enumerate(slots):
            here = write & eq(wrow, i // n)
            slot.assign(Mux(here, slot, getattr(ports, f"in{i % n}_data")))
        rows = size // m
        for j, sk in enumerate(skids):
            choices = [slots[r * m + j] for r in range(rows)]
            word = choices[0]
            for r in range(1, rows):
                word = Mux(eq(rrow, r), word, choices[r])
            sk.push(read, word)

        def step(row, nrows):
            return Mux(eq(row, nrows - 1), incr(row), const(row.type.width, 0))
        wrow.assign(Mux(write, wrow, step(wrow, size // n)))
        rrow.assign(Mux(read, rrow, step(rrow, rows)))
        added = Mux(write, room, (room.as_uint(cb + 1) + n).as_bits(cb))
        count.assign(added)
    return stream_module(p.name, p.inputs, p.outputs, build)


def _generate_repack(p: ModuleParams):
    """q-pixel words to p-pixel words on every stream (see the module docstring)."""
    from pycde.constructs import Mux, Reg
    from pycde.types import Bits

    from .streams import Unsupported

    t_in, t_out = p.inputs[0], p.outputs[0]
    n, ch = len(p.inputs), int(p.attrs.get("channels", 0))
    q, px = t_in.lanes, t_out.lanes
    if len(p.outputs) != n or (q % px and px % q) or ch < 1:
        raise Unsupported(f"a squeeze from {n} streams of {q}-pixel words to {len(p.outputs)} of "
                          f"{px}-pixel words: only re-packing between pixel counts that divide one "
                          "another, on equal stream counts, is built")
    if px % q == 0:
        return _generate_widen(p, n, ch, px // q)
    passes = q // px
    piece = px * t_in.width

    def build(ports):
        clk, rst = ports.clk, ports.rst
        for k in range(n):
            sk = OutputSkid(ports, k)
            banks = [[Reg(Bits(t_in.bits), clk, name=f"s{k}_b{b}_w{c}", rst_value=None) for c in range(ch)]
                     for b in range(2)]
            full = [Reg(Bits(1), clk, rst, 0, name=f"s{k}_full{b}") for b in range(2)]
            wb = Reg(Bits(1), clk, rst, 0, name=f"s{k}_wbank")
            rb = Reg(Bits(1), clk, rst, 0, name=f"s{k}_rbank")
            wi = Reg(Bits(counter_bits(ch)), clk, rst, 0, name=f"s{k}_wword")
            ri = Reg(Bits(counter_bits(ch)), clk, rst, 0, name=f"s{k}_rword")
            rk = Reg(Bits(counter_bits(passes)), clk, rst, 0, name=f"s{k}_rpass")
            w_full = Mux(wb, full[0], full[1])
            write = getattr(ports, f"in{k}_valid") & ~w_full
            setattr(ports, f"in{k}_ready", ~w_full)
            data = getattr(ports, f"in{k}_data")
            for b in range(2):
                for c in range(ch):
                    here = write & eq(wb, b) & eq(wi, c)
                    banks[b][c].assign(Mux(here, banks[b][c], data))
            w_last = eq(wi, ch - 1)
            r_full = Mux(rb, full[0], full[1])
            read = r_full & sk.ready
            r_last = eq(ri, ch - 1) & eq(rk, passes - 1)
            # the word: channel ri of the read bank, pixels rk p .. rk p + p - 1
            words = [Mux(rb, banks[0][c], banks[1][c]) for c in range(ch)]
            word = words[0]
            for c in range(1, ch):
                word = Mux(eq(ri, c), word, words[c])
            pieces = [word[j * piece:(j + 1) * piece] for j in range(passes)]
            out = pieces[0]
            for j in range(1, passes):
                out = Mux(eq(rk, j), out, pieces[j])
            sk.push(read, out)
            for b in range(2):
                set_ = write & w_last & eq(wb, b)
                clear = read & r_last & eq(rb, b)
                full[b].assign(Mux(set_, Mux(clear, full[b], Bits(1)(0)), Bits(1)(1)))
            wi.assign(Mux(write, wi, Mux(w_last, incr(wi), const(wi.type.width, 0))))
            wb.assign(Mux(write & w_last, wb, ~wb))
            ri_last = eq(ri, ch - 1)
            ri.assign(Mux(read, ri, Mux(ri_last, incr(ri), const(ri.type.width, 0))))
            rk.assign(Mux(read & ri_last, rk, Mux(eq(rk, passes - 1), incr(rk), const(rk.type.width, 0))))
            rb.assign(Mux(read & r_last, rb, ~rb))
    return stream_module(p.name, p.inputs, p.outputs, build)


def _generate_widen(p: ModuleParams, n: int, ch: int, parts: int):
    """q-pixel words to (parts x q)-pixel words: gather `parts` pixel groups of the ch_s
    channels, then emit each channel's words joined (the earliest group in the low lanes)."""
    from pycde.constructs import Mux, Reg
    from pycde.signals import BitsSignal
    from pycde.types import Bits

    t_in = p.inputs[0]

    def build(ports):
        clk, rst = ports.clk, ports.rst
        for k in range(n):
            sk = OutputSkid(ports, k)
            banks = [[[Reg(Bits(t_in.bits), clk, name=f"s{k}_b{b}_w{c}_{j}", rst_value=None)
                       for j in range(parts)] for c in range(ch)] for b in range(2)]
            full = [Reg(Bits(1), clk, rst, 0, name=f"s{k}_full{b}") for b in range(2)]
            wb = Reg(Bits(1), clk, rst, 0, name=f"s{k}_wbank")
            rb = Reg(Bits(1), clk, rst, 0, name=f"s{k}_rbank")
            wi = Reg(Bits(counter_bits(ch)), clk, rst, 0, name=f"s{k}_wword")
            wk = Reg(Bits(counter_bits(parts)), clk, rst, 0, name=f"s{k}_wpart")
            ri = Reg(Bits(counter_bits(ch)), clk, rst, 0, name=f"s{k}_rword")
            w_full = Mux(wb, full[0], full[1])
            write = getattr(ports, f"in{k}_valid") & ~w_full
            setattr(ports, f"in{k}_ready", ~w_full)
            data = getattr(ports, f"in{k}_data")
            for b in range(2):
                for c in range(ch):
                    for j in range(parts):
                        here = write & eq(wb, b) & eq(wi, c) & eq(wk, j)
                        banks[b][c][j].assign(Mux(here, banks[b][c][j], data))
            wi_last = eq(wi, ch - 1)
            w_last = wi_last & eq(wk, parts - 1)
            r_full = Mux(rb, full[0], full[1])
            read = r_full & sk.ready
            r_last = eq(ri, ch - 1)
            words = [Mux(rb, BitsSignal.concat(list(reversed(banks[0][c]))),
                         BitsSignal.concat(list(reversed(banks[1][c])))) for c in range(ch)]
            word = words[0]
            for c in range(1, ch):
                word = Mux(eq(ri, c), word, words[c])
            sk.push(read, word)
            for b in range(2):
                set_ = write & w_last & eq(wb, b)
                clear = read & r_last & eq(rb, b)
                full[b].assign(Mux(set_, Mux(clear, full[b], Bits(1)(0)), Bits(1)(1)))
            wi.assign(Mux(write, wi, Mux(wi_last, incr(wi), const(wi.type.width, 0))))
            wk.assign(Mux(write & wi_last, wk, Mux(eq(wk, parts - 1), incr(wk), const(wk.type.width, 0))))
            wb.assign(Mux(write & w_last, wb, ~wb))
            ri.assign(Mux(read, ri, Mux(r_last, incr(ri), const(ri.type.width, 0))))
            rb.assign(Mux(read & r_last, rb, ~rb))
    return stream_module(p.name, p.inputs, p.outputs, build)
