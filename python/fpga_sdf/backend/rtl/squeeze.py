"""sdf_hw.squeeze: re-streams a feature map from N to M parallel streams (fpgaConvNet squeeze).

Word i of the map is on input stream i % N and must leave on output stream i % M. A circular
buffer of lcm(N, M) words is written a row of N words at a time (one word from every input)
and read a row of M words at a time (one to every output), so both sides move whole rows
every cycle (the model's buffer of lcm(a, b) words). A write may use the room a read frees in
the same cycle; the read depends only on registered skid readies.
"""

from __future__ import annotations

from math import lcm

from .streams import ModuleParams, OutputSkid, const, counter_bits, eq, incr, stream_module


def generate(p: ModuleParams):
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
