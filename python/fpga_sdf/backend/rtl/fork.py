"""sdf_hw.fork: one window stream copied to coarse_out MAC units.

A word moves when every output's skid buffer can take it, so the copies stay in lockstep;
the skid readies are registers, so in0_ready never depends on an out*_ready combinationally.
"""

from __future__ import annotations

from .streams import ModuleParams, OutputSkid, stream_module


def broadcast(name: str, t, n: int):
    """A module copying each word of in0 to out0..out{n-1}, one word per cycle."""
    def build(p):
        skids = [OutputSkid(p, j) for j in range(n)]
        ready = skids[0].ready
        for sk in skids[1:]:
            ready = ready & sk.ready
        p.in0_ready = ready
        for sk in skids:
            sk.push(p.in0_valid & ready, p.in0_data)
    return stream_module(name, [t], [t] * n, build)


def generate(p: ModuleParams):
    return broadcast(p.name, p.inputs[0], len(p.outputs))
