"""dma: the partition's feature maps between memory (AXI master) and its streams, on wide
ports: each beat packs `per_beat` values (whole groups of the bundle's lanes), so a burst
moves a bus-width word per cycle instead of one value."""

from __future__ import annotations

from .process import AXI, STAGE, Process, Timing, per_beat


def beat_type(part, which: str) -> str:
    return f"{part.name}_{which}_beat_t"


def dma_in(part, bundle) -> None:
    t = f"{part.name}_in_t"
    part.in_per_beat = per_beat(part.bus, bundle.fmt.width, bundle.streams)
    part.add(Process(f"{part.name}_dma_in", "dma_in", "",
                     [f"const {beat_type(part, 'in')}* mem", f"hls::stream<{t}> out[{bundle.streams}]"],
                     ["in", bundle.expr],
                     f"    sdf::dma_in<{t}, {bundle.words}, {bundle.streams}, {part.in_per_beat}>(mem, out, frames);\n",
                     timing=[Timing("dma_in_loop", bundle.words // bundle.streams, AXI + STAGE)]),
             None)


def dma_out(part, bundle) -> None:
    t = f"{part.name}_out_t"
    part.out_per_beat = per_beat(part.bus, bundle.fmt.width, bundle.streams)
    part.add(Process(f"{part.name}_dma_out", "dma_out", "",
                     [f"hls::stream<{t}> in[{bundle.streams}]", f"{beat_type(part, 'out')}* mem"],
                     [bundle.expr, "out"],
                     f"    sdf::dma_out<{t}, {bundle.words}, {bundle.streams}, {part.out_per_beat}>(in, mem, frames);\n",
                     timing=[Timing("dma_out_loop", bundle.words // bundle.streams, AXI + STAGE)]),
             None)
