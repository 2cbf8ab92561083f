"""The weights memory of a weights layer's MAC units, and AutoWS's on/off-chip split of it."""

from __future__ import annotations

from .hardware import Memory, Module, clog2
from .spec import LayerSpec


def weights_memory(spec: LayerSpec, mac_units: int, reads: int, word: int,
                   depth: int) -> Module:
    """Weights ROM per MAC unit; AutoWS keeps (1 - off) of it on chip and streams the rest
    through a double-buffered fragment (seed 000, memory fragmentation)."""
    off = spec.weights_off_chip
    on_depth = depth - int(depth * off)
    memories = [Memory("weights", word, on_depth, binding=spec.weights_memory)] if on_depth else []
    if off:
        fragment = min(depth - on_depth, 512)
        memories.append(Memory("stream_buffer", word, 2 * fragment))
    return Module("weights_memory", mac_units, 0, reads, reads, 1, pipeline=2,
                  memories=tuple(memories),
                  logic=(("const", 1), ("counter_bits", clog2(depth)), ("io_bits", word)))
