"""sdf_hw.sparse_buffer: PASS's FIFO of `spec.sparse_buffer` windows before the sparse
engines of one input stream (seed 003, sec. buffer sizing).

The engines of different input streams take different times per window (their windows hold
different numbers of non-zeros) but meet again at the glue, and they share their producers
upstream; a FIFO per stream lets a stream run ahead of a momentarily slower one instead of
stalling it, so the layer approaches the model's interval (the slowest stream's mean cycles
per window). Exactly `depth` windows deep (the depth the DSE sized with the back-pressure
metric rho_w), a show-ahead FIFO: in0_ready is a registered "not full", out0_valid
"not empty", so neither depends on the other side's ready. Depth 1 is the 2-word skid
buffer: a 1-word FIFO cannot move a word per cycle without a combinational ready path.
"""

from __future__ import annotations

from pycde.seq import FIFO
from pycde.types import Bits

from .mac_common import module_name
from .streams import Unsupported, skid_buffer, stream_module


def depth_of(p) -> int:
    depth = int(p.attr("depth", 0) or (p.spec.sparse_buffer if p.spec is not None else 0))
    if depth < 1:
        raise Unsupported("a sparse_buffer needs a depth of at least one window")
    return depth


def generate(p):
    depth = depth_of(p)
    t = p.inputs[0]
    if p.outputs[0] != t:
        raise ValueError(f"RTL sparse_buffer: output stream {p.outputs[0]} differs from its input {t}")
    if depth == 1:
        return skid_buffer(t)

    def build(ports):
        fifo = FIFO(Bits(t.bits), depth, ports.clk, ports.rst)
        ready = ~fifo.full
        fifo.push(ports.in0_data, ports.in0_valid & ready)
        valid = ~fifo.empty
        ports.out0_data = fifo.pop(valid & ports.out0_ready)
        ports.out0_valid = valid
        ports.in0_ready = ready

    return stream_module(module_name(p), p.inputs, p.outputs, build)
