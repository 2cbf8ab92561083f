"""What every RTL generator shares: stream types, module parameters, the stream port
convention, the skid buffer, the FIFO, a RAM, and fixed-point rounding/saturation in hardware.

The convention (docs/notes/rtl-backend.md): a stream port `P` is `P_data` (lanes * width bits,
lane k at bits [k*width + width-1 : k*width]), `P_valid`, `P_ready`; a word moves when valid and
ready are both high. Inputs are `in0, in1, ...`, outputs `out0, out1, ...`. Every module has
`clk` and a synchronous active-high `rst`.

A generator builds its module with `stream_module(name, inputs, outputs, build)`; inside
`build(ports)` it registers each output behind `OutputSkid(ports, j)`, whose `ready` is a
register (so no module's input ready depends combinationally on its output ready) and whose
`push(valid, data)` is called once with the module's internal valid and data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ...interp.fixed import Fixed

__all__ = [
    "StreamType", "ModuleParams", "Unsupported", "stream_module", "OutputSkid", "skid_buffer", "fifo", "Ram",
    "lanes_of", "pack_lanes", "requantize_hw", "saturate_hw", "shift_round_hw", "incr", "const",
    "counter_bits", "eq", "lt", "port_names", "pack_words", "unpack_words",
]


# ------------------------------------------------------------------------------ types


@dataclass(frozen=True)
class StreamType:
    """One stream: `lanes` values per word, each a two's-complement `width`-bit integer
    standing for q * 2**-frac (`#sdf.fixed<width, frac>`)."""

    width: int
    frac: int
    lanes: int = 1

    @property
    def bits(self) -> int:
        return self.width * self.lanes

    @property
    def fixed(self) -> Fixed:
        return Fixed(self.width, self.frac)

    @staticmethod
    def parse(text: str) -> "StreamType":
        """From the printed `!sdf_hw.stream<#sdf.fixed<W, F>, L>` (refuses f32 streams)."""
        num = r"\s*(-?\d+)(?:\s*:\s*i64)?\s*"
        m = re.search(rf"fixed<{num},{num}>\s*,{num}>", str(text))
        if not m:
            raise ValueError(f"not a fixed-point stream type: {text} (run --sdf-quantize)")
        return StreamType(int(m.group(1)), int(m.group(2)), int(m.group(3)))


@dataclass
class ModuleParams:
    """Everything a generator may read about one `sdf_hw` op (one module instance).

    `params` holds the quantized integers of the whole layer (a generator slices its own
    instance's part): "weights" (the sdf.weights tensor in its format, conv (F, C/g, *k),
    inner product (F, C*pixels) with columns in streaming order), "bias" (already converted to
    the accumulator format x.frac + w.frac, saturated to acc_width), "scale", "shift".
    `formats` names the Fixed of each of those arrays. `reload` is set on the weights_memory
    and bias ops of a layer with wr_factor > 1 (see the contract: weights reloading)."""

    kind: str  # the op name without the dialect: "conv", "sliding_window", ...
    layer: str | None
    instance: int | None
    attrs: dict  # the op's integer / string attributes (words_in, words_out, fine, mode, ...)
    inputs: list[StreamType]
    outputs: list[StreamType]
    spec: object = None  # fpga_sdf.model.LayerSpec of the layer (None for dma/squeeze)
    model: object = None  # fpga_sdf.model.Module of this kind from expand(spec)
    params: dict = field(default_factory=dict)  # name -> np.ndarray of int64
    formats: dict = field(default_factory=dict)  # name -> Fixed of params[name]
    reload: dict | None = None  # {"runs": R, "filters_per_run": F} when wr_factor > 1
    name: str = ""  # a unique, Verilog-safe module name the driver chose
    layer_attrs: dict = field(default_factory=dict)  # the layer op's attributes (stride, alpha, ...)

    def attr(self, key: str, default=None):
        return self.attrs.get(key, default)


class Unsupported(Exception):
    """Raised by a generator for a configuration it does not build; the driver reports the
    message at the op (never emits it wrong)."""


# ------------------------------------------------------------------------------ ports


def port_names(prefix: str) -> tuple[str, str, str]:
    return f"{prefix}_data", f"{prefix}_valid", f"{prefix}_ready"


def stream_module(name: str, inputs: list[StreamType], outputs: list[StreamType],
                  build: Callable, extra_inputs: dict | None = None,
                  extra_outputs: dict | None = None):
    """A PyCDE Module class `name` with clk, rst and the stream ports in0.. / out0..; its
    generator calls `build(ports)`. `extra_inputs` / `extra_outputs` map further port names to
    PyCDE types (e.g. a weights-load port)."""
    from pycde import Clock, Input, Module, Output, Reset, generator
    from pycde.types import Bits

    ns: dict = {"module_name": name, "clk": Clock(), "rst": Reset()}
    for i, t in enumerate(inputs):
        d, v, r = port_names(f"in{i}")
        ns[d], ns[v], ns[r] = Input(Bits(t.bits)), Input(Bits(1)), Output(Bits(1))
    for j, t in enumerate(outputs):
        d, v, r = port_names(f"out{j}")
        ns[d], ns[v], ns[r] = Output(Bits(t.bits)), Output(Bits(1)), Input(Bits(1))
    for k, t in (extra_inputs or {}).items():
        ns[k] = Input(t)
    for k, t in (extra_outputs or {}).items():
        ns[k] = Output(t)

    def construct(ports):
        build(ports)

    ns["construct"] = generator(construct)
    return type(name, (Module,), ns)  # the class name is the .sv file name: keep it unique


def const(width: int, value: int):
    """A Bits(width) constant (value taken modulo 2**width, so negatives are two's complement)."""
    from pycde.types import Bits
    return Bits(width)(int(value) & ((1 << width) - 1))


def counter_bits(n: int) -> int:
    """Bits of a counter over 0..n-1 (at least 1)."""
    return max(1, (int(n) - 1).bit_length())


def eq(sig, value: int):
    """sig == value (Bits(1)); comparing with a bare 0 would make PyCDE build a 0-bit constant."""
    w = sig.type.width
    return sig.as_bits() == const(w, value)


def lt(sig, value: int):
    """Unsigned sig < value (Bits(1))."""
    w = max(sig.type.width, int(value).bit_length())
    return sig.as_uint(w) < const(w, value).as_uint()


def incr(sig, step: int = 1):
    """sig + step, wrapping at its width (Bits in, Bits out)."""
    w = sig.type.width
    step = int(step) % (1 << w)
    return (sig.as_uint() + step).as_bits(w) if step else sig


def lanes_of(data, t: StreamType) -> list:
    """The lanes of a word as Bits(width) signals (lane 0 first)."""
    return [data[k * t.width:(k + 1) * t.width] for k in range(t.lanes)]


def pack_lanes(lanes: list):
    """Lane signals (lane 0 first) into one word."""
    from pycde.signals import BitsSignal
    if len(lanes) == 1:
        return lanes[0]
    return BitsSignal.concat(list(reversed(lanes)))


class OutputSkid:
    """The 2-entry skid buffer behind output stream `out{j}` of a module being built.

    `ready` (a register: "the buffer can take a word this cycle") is usable at once;
    `push(valid, data)` must be called once: a word moves in on a cycle where valid and ready
    are high. The buffer drives out{j}_data / out{j}_valid from registers, so it sustains one
    word per cycle and cuts the combinational path from out{j}_ready back into the module."""

    def __init__(self, ports, j: int, width: int | None = None, name: str | None = None, drive: bool = True):
        from pycde.constructs import Reg
        from pycde.types import Bits

        d, v, r = port_names(f"out{j}")
        self.ports, self.j = ports, j
        if width is None:
            width = next(o.type.width for o in ports._builder.outputs if o.name == d)
        self.width = width
        tag = name or f"out{j}"
        clk, rst = ports.clk, ports.rst
        self.main_valid = Reg(Bits(1), clk, rst, 0, name=f"{tag}_main_valid")
        self.main_data = Reg(Bits(self.width), clk, name=f"{tag}_main_data", rst_value=None)
        self.skid_valid = Reg(Bits(1), clk, rst, 0, name=f"{tag}_skid_valid")
        self.skid_data = Reg(Bits(self.width), clk, name=f"{tag}_skid_data", rst_value=None)
        self.ready = ~self.skid_valid
        self._out_ready = getattr(ports, r)
        self.drive = drive  # False: the caller routes .data / .valid (e.g. a wider word with tlast)
        self.data, self.valid = self.main_data, self.main_valid

    def push(self, valid, data) -> None:
        from pycde.constructs import Mux
        from pycde.types import Bits

        fire_in = valid & self.ready
        free = self._out_ready | ~self.main_valid  # main is empty or moves out this cycle
        self.main_valid.assign(Mux(free, self.main_valid, self.skid_valid | fire_in))
        self.main_data.assign(Mux(free, self.main_data, Mux(self.skid_valid, data, self.skid_data)))
        self.skid_valid.assign(Mux(free, self.skid_valid | fire_in, Bits(1)(0)))
        self.skid_data.assign(Mux(fire_in & ~free, self.skid_data, data))
        if self.drive:
            d, v, _ = port_names(f"out{self.j}")
            setattr(self.ports, d, self.main_data)
            setattr(self.ports, v, self.main_valid)


_MODULE_CACHE: dict = {}


def _cached(key, make):
    """One PyCDE class per parameter set (module names stay unique within a design)."""
    if key not in _MODULE_CACHE:
        _MODULE_CACHE[key] = make()
    return _MODULE_CACHE[key]


def skid_buffer(t: StreamType):
    """A standalone 2-entry skid buffer: in0 -> out0, one word per cycle, registered both ways."""
    def build(p):
        sk = OutputSkid(p, 0)
        p.in0_ready = sk.ready
        sk.push(p.in0_valid, p.in0_data)
    return _cached(("skid", t.bits), lambda: stream_module(f"sdf_skid_w{t.bits}", [t], [t], build))


class Ram:
    """A simple dual-port RAM (one write, one registered read per cycle) written as the
    `reg [W-1:0] mem [0:D-1]` pattern synthesis maps to block RAM (seq.hlmem)."""

    def __init__(self, clk, rst, width: int, depth: int, name: str):
        from pycde.circt import ir
        from pycde.circt.dialects import seq

        self.width, self.depth = width, depth
        self.addr_bits = counter_bits(depth)
        handle_t = seq.HLMemType.get([depth], ir.IntegerType.get_signless(width))
        self._mem = seq.HLMemOp(handle_t, clk.value, rst.value, name)

    def write(self, addr, data, enable) -> None:
        from pycde.circt.dialects import seq
        seq.WritePortOp(self._mem.handle, [addr.value], data.value, enable.value, 1)

    def read(self, addr):
        """The word at `addr`, one cycle later."""
        from pycde.circt import ir
        from pycde.circt.dialects import seq
        from pycde.signals import _FromCirctValue
        r = seq.ReadPortOp(ir.IntegerType.get_signless(self.width), self._mem.handle, [addr.value], 1)
        return _FromCirctValue(r.result)


def fifo(t: StreamType, depth: int):
    """A FIFO of `depth` words (skip-connection buffers, stream depths the model chose).

    Depth <= 2 is the skid buffer. Larger depths keep the words in a `Ram` (block RAM for large
    depths) followed by a 3-word register queue that hides the RAM's read latency: a read is
    issued while the queue holds fewer than 2 words plus the one in flight, so the FIFO moves
    one word per cycle and out0_ready reaches no further than the queue's head. in0_ready is
    a registered "not full". Capacity is depth + 3 words."""
    if depth <= 2:
        return skid_buffer(t)

    def build(p):
        from pycde.constructs import Mux, Reg
        from pycde.types import Bits

        W, ab, cb = t.bits, counter_bits(depth), counter_bits(depth + 1)
        clk, rst = p.clk, p.rst
        count = Reg(Bits(cb), clk, rst, 0, name="count")  # words in the RAM, not yet read
        wp = Reg(Bits(ab), clk, rst, 0, name="wp")
        rp = Reg(Bits(ab), clk, rst, 0, name="rp")
        pending = Reg(Bits(1), clk, rst, 0, name="pending")  # the RAM's read data is valid
        queued = Reg(Bits(2), clk, rst, 0, name="queued")  # words in the output queue (0..3)
        head = Reg(Bits(2), clk, rst, 0, name="head")
        slots = [Reg(Bits(W), clk, name=f"slot{k}", rst_value=None) for k in range(3)]

        in_ready = ~eq(count, depth)
        fire_in = p.in0_valid & in_ready
        ram = Ram(clk, rst, W, depth, "mem")
        ram.write(wp, p.in0_data, fire_in)
        claimed = (queued.as_uint(3) + pending.as_uint(3)).as_bits(3)  # queue words + the one in flight
        issue = ~eq(count, 0) & lt(claimed, 3)
        rdata = ram.read(rp)

        def wrap(r):
            return Mux(eq(r, depth - 1), incr(r), const(ab, 0))
        wp.assign(Mux(fire_in, wp, wrap(wp)))
        rp.assign(Mux(issue, rp, wrap(rp)))
        added = (count.as_uint() + fire_in.as_uint()).as_bits(cb)
        count.assign(Mux(issue, added, (added.as_uint() - 1).as_bits(cb)))
        pending.assign(issue)

        out_valid = ~eq(queued, 0)
        fire_out = out_valid & p.out0_ready
        end = (head.as_uint(3) + queued.as_uint(3)).as_bits(3)  # 0..5
        tail = Mux(lt(end, 3), incr(end, -3 & 7)[0:2], end[0:2])
        for k, s in enumerate(slots):
            s.assign(Mux(pending & eq(tail, k), s, rdata))
        head.assign(Mux(fire_out, head, Mux(eq(head, 2), incr(head), const(2, 0))))
        q_next = claimed[0:2]
        queued.assign(Mux(fire_out, q_next, incr(q_next, 3)))
        p.in0_ready = in_ready
        p.out0_valid = out_valid
        p.out0_data = _select(head, slots)

    return _cached(("fifo", t.bits, depth), lambda: stream_module(f"sdf_fifo_w{t.bits}_d{depth}", [t], [t], build))


def _select(index, values):
    """values[index] for a Bits index (out-of-range indices give the last value)."""
    from pycde.constructs import Mux
    n = 1 << index.type.width
    padded = list(values) + [values[-1]] * (n - len(values))
    return Mux(index, *padded)


# ------------------------------------------------------------------------------ fixed point


def shift_round_hw(q, s: int):
    """q * 2**-s with round-half-up (floor(q / 2**s + 1/2)) as in interp/fixed.shift_round;
    exact left shift when s <= 0. `q` is Bits holding a signed integer; the result is Bits,
    wide enough to hold every value (no saturation)."""
    from pycde.signals import BitsSignal

    w = q.type.width
    if s <= 0:
        return BitsSignal.concat([q, const(-s, 0)]) if s < 0 else q
    if s >= w:  # -1/2 <= q / 2**s < 1/2: every q rounds to 0
        return const(1, 0)
    high = q[s:w].as_sint()  # q >> s (arithmetic)
    bit = q[s - 1:s].as_uint()  # bit s-1 of q: the half
    return (high + bit).as_bits()  # width w - s + 1


def saturate_hw(v, width: int):
    """Clamp Bits `v` (a signed integer) to a signed `width`-bit range (AP_SAT)."""
    from pycde.constructs import Mux

    w = v.type.width
    if w <= width:
        return v.as_sint().as_sint(width).as_bits() if w < width else v
    sign = v[w - 1:w]
    top = v[width - 1:w]  # these bits must all equal the sign for v to fit
    fits = (top == const(w - width + 1, 0)) | (top == const(w - width + 1, -1))
    big = const(width, (1 << (width - 1)) - 1)
    small = const(width, 1 << (width - 1))
    return Mux(fits, Mux(sign, big, small), v[0:width])


def requantize_hw(q, from_frac: int, to: Fixed):
    """interp/fixed.requantize in hardware: move signed Bits `q` with `from_frac` fractional
    bits to `to` (round half up on a right shift, exact left shift), then saturate."""
    return saturate_hw(shift_round_hw(q, from_frac - to.frac), to.width)


# ------------------------------------------------------------------------------ host side


def pack_words(values: np.ndarray, t: StreamType) -> np.ndarray:
    """Integers (n, lanes) -> (n, ceil(bits/32)) uint32 words of the stream's bit layout."""
    v = np.asarray(values, dtype=np.int64).reshape(-1, t.lanes)
    n = v.shape[0]
    mask = np.uint64((1 << t.width) - 1) if t.width < 64 else np.uint64(-1 & 0xFFFFFFFFFFFFFFFF)
    u = v.astype(np.uint64) & mask
    bits = ((u[:, :, None] >> np.arange(t.width, dtype=np.uint64)) & np.uint64(1)).astype(np.uint8)
    bits = bits.reshape(n, t.bits)
    chunks = -(-t.bits // 32)
    pad = chunks * 32 - t.bits
    if pad:
        bits = np.concatenate([bits, np.zeros((n, pad), np.uint8)], axis=1)
    packed = np.packbits(bits.reshape(n, chunks * 4, 8), axis=2, bitorder="little").reshape(n, chunks * 4)
    return np.ascontiguousarray(packed).view("<u4").reshape(n, chunks)


def unpack_words(words: np.ndarray, t: StreamType) -> np.ndarray:
    """Inverse of pack_words: (n, chunks) uint32 -> (n, lanes) signed integers."""
    w = np.ascontiguousarray(np.asarray(words, dtype="<u4"))
    n = w.shape[0]
    bits = np.unpackbits(w.view(np.uint8).reshape(n, -1), axis=1, bitorder="little")[:, :t.bits]
    bits = bits.reshape(n, t.lanes, t.width).astype(np.int64)
    weights = (np.int64(1) << np.arange(t.width, dtype=np.int64))
    if t.width == 64:
        weights[-1] = np.iinfo(np.int64).min
    else:
        weights[-1] = -weights[-1]  # the sign bit
    return (bits * weights).sum(axis=2)
