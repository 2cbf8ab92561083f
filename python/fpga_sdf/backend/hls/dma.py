"""dma: the partition's feature maps between memory (AXI master) and its streams, on wide
ports: each beat packs `per_beat` values (whole groups of the bundle's lanes), so a burst
moves a bus-width word per cycle instead of one value. One process and one m_axi port per
off-chip tensor (`process.End`): a cut inside a residual block reads or writes several."""

from __future__ import annotations

from .process import AXI, STAGE, Process, Timing, per_beat


def beat_type(part, port: str) -> str:
    return f"{part.name}_{port}_beat_t"


def value_type(part, port: str) -> str:
    return f"{part.name}_{port}_t"


def dma_in(part, end) -> None:
    t, b = value_type(part, end.port), end.bundle
    end.per_beat = per_beat(part.bus, b.fmt.width, b.streams)
    part.add(Process(f"{part.name}_dma_{end.port}", "dma_in", "",
                     [f"const {beat_type(part, end.port)}* mem", f"hls::stream<{t}> out[{b.streams}]"],
                     [end.port, b.expr],
                     f"    sdf::dma_in<{t}, {b.words}, {b.streams}, {end.per_beat}>(mem, out, frames);\n",
                     timing=[Timing("dma_in_loop", b.words // b.streams, AXI + STAGE)]),
             None)


def dma_out(part, end) -> None:
    t, b = value_type(part, end.port), end.bundle
    end.per_beat = per_beat(part.bus, b.fmt.width, b.streams)
    part.add(Process(f"{part.name}_dma_{end.port}", "dma_out", "",
                     [f"hls::stream<{t}> in[{b.streams}]", f"{beat_type(part, end.port)}* mem"],
                     [b.expr, end.port],
                     f"    sdf::dma_out<{t}, {b.words}, {b.streams}, {end.per_beat}>(in, mem, frames);\n",
                     timing=[Timing("dma_out_loop", b.words // b.streams, AXI + STAGE)]),
             None)
