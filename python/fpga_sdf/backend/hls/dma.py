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
    _dma(part, end, "dma_in", reads_memory=True)


def dma_out(part, end) -> None:
    _dma(part, end, "dma_out", reads_memory=False)


def _dma(part, end, kind: str, reads_memory: bool) -> None:
    """One DMA process between the port's memory and the bundle's streams, one direction."""
    t, b = value_type(part, end.port), end.bundle
    end.per_beat = per_beat(part.bus, b.fmt.width, b.streams)
    mem = f"{'const ' if reads_memory else ''}{beat_type(part, end.port)}* mem"
    streams = f"hls::stream<{t}> {'out' if reads_memory else 'in'}[{b.streams}]"
    args, names = ([mem, streams], [end.port, b.expr]) if reads_memory else ([streams, mem], [b.expr, end.port])
    call = "mem, out" if reads_memory else "in, mem"
    part.add(Process(f"{part.name}_dma_{end.port}", kind, "", args, names,
                     f"    sdf::{kind}<{t}, {b.words}, {b.streams}, {end.per_beat}>({call}, frames);\n",
                     timing=[Timing(f"{kind}_loop", b.words // b.streams, AXI + STAGE)]),
             None)
