"""The hardware vocabulary of the model: a module (one block of a layer, replicated) and the
memories inside it. Layer expansions (modules.py, weights_memory.py) build them; performance
and resources read them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Memory:
    """A RAM inside a module: `copies` independent memories of width x depth bits."""

    role: str  # weights, stream_buffer, line_buffer, window_buffer, accumulator, parameters, buffer
    width: int
    depth: int
    copies: int = 1
    binding: str = "auto"  # "bram" / "uram" when the design chose the primitive (BIND_STORAGE)


@dataclass(frozen=True)
class Module:
    """One hardware block replicated `instances` times; figures are per instance per frame."""

    name: str
    instances: int
    words_in: int
    words_out: int
    interval: int  # cycles per feature map of this module alone
    ii: float  # cycles per firing (initiation interval)
    fill: int = 0  # input words buffered before the first output
    pipeline: int = 1  # fixed pipeline stages, cycles
    mults: int = 0  # multipliers per instance
    mult_widths: tuple[int, int] = (0, 0)
    lanes: float = 1.0  # copies of the arithmetic side by side: q MAC arrays of a p-pixel conv
    weight_sharing: int = 1  # lanes multiplying by the same weight (a p-pixel conv's q arrays)
    input_sharing: int = 1  # units multiplying the same input by their own weights (2: a unit pair)
    memories: tuple[Memory, ...] = ()
    logic: tuple[tuple[str, float], ...] = ()  # named features of the LUT/FF models

    @property
    def rate_in(self) -> float:
        """Words per cycle per stream when this module runs at full speed."""
        return self.words_in / self.interval if self.interval else 0.0

    @property
    def rate_out(self) -> float:
        return self.words_out / self.interval if self.interval else 0.0


def clog2(n: int) -> int:
    """Bits of a counter over n values (at least 1)."""
    return max(1, (int(n) - 1).bit_length())
