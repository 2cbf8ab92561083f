"""sdf_hw.dma_in / dma_out: the partition's AXI-Stream ends.

dma_in takes one beat (one word of each of its N streams, stream k in lane k: words k*N..k*N+N-1
of the flat streaming order) and hands lane k to out{k}; the beat moves when every output
can take its word. dma_out is the reverse: a beat leaves when every input has a word, with
`out0_last` high on a frame's last beat (AXI tlast). Both move one beat per cycle. A
multi-pixel stream's word is p pixels wide, so a beat is N words of p lanes (stream k's word
in bits [k p w, (k + 1) p w)).
"""

from __future__ import annotations

from .streams import (ModuleParams, OutputSkid, StreamType, const, counter_bits, eq, incr,
                      pack_lanes, stream_module)


def beat_type(t: StreamType, n: int) -> StreamType:
    return StreamType(t.width, t.frac, n * t.lanes)


def generate_dma_in(p: ModuleParams):
    t_out = p.outputs[0]
    n = len(p.outputs)

    def build(ports):
        skids = [OutputSkid(ports, k) for k in range(n)]
        ready = skids[0].ready
        for sk in skids[1:]:
            ready = ready & sk.ready
        ports.in0_ready = ready
        words = [ports.in0_data[k * t_out.bits:(k + 1) * t_out.bits] for k in range(n)] if n > 1 \
            else [ports.in0_data]
        for sk, word in zip(skids, words):
            sk.push(ports.in0_valid & ready, word)
    return stream_module(p.name, [beat_type(t_out, n)], p.outputs, build)


def generate_dma_out(p: ModuleParams):
    """`p.attrs["frame_beats"]`: beats per frame (for tlast)."""
    from pycde.constructs import Mux, Reg
    from pycde.signals import BitsSignal
    from pycde.types import Bits

    n = len(p.inputs)
    beats = int(p.attrs["frame_beats"])
    t_beat = beat_type(p.inputs[0], n)

    def build(ports):
        sk = OutputSkid(ports, 0, width=t_beat.bits + 1, drive=False)  # the beat and its tlast
        count = Reg(Bits(counter_bits(beats)), ports.clk, ports.rst, 0, name="beat")
        valid = ports.in0_valid
        for k in range(1, n):
            valid = valid & getattr(ports, f"in{k}_valid")
        fire = valid & sk.ready
        for k in range(n):
            setattr(ports, f"in{k}_ready", fire)
        last = eq(count, beats - 1)
        count.assign(Mux(fire, count, Mux(last, incr(count), const(count.type.width, 0))))
        data = pack_lanes([getattr(ports, f"in{k}_data") for k in range(n)])
        sk.push(valid, BitsSignal.concat([last, data]))
        ports.out0_data = sk.data[0:t_beat.bits]
        ports.out0_last = sk.data[t_beat.bits:t_beat.bits + 1]
        ports.out0_valid = sk.valid
    return stream_module(p.name, p.inputs, [t_beat], build, extra_outputs={"out0_last": Bits(1)})
