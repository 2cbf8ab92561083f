"""squeeze: re-streams a map between unequal stream counts (and converts its format)."""

from __future__ import annotations

import math

from .process import STAGE, Process, Timing, ctype


def generate(part, src, lanes: int, fmt, consumer: str):
    """A squeeze process in the top file from bundle `src` to a new bundle on `lanes` streams."""
    out = part.bundle(fmt, src.shape, lanes, src.origin)
    name = f"{part.name}_squeeze{sum(p.kind == 'squeeze' for p in part.top_processes)}"
    a, b = ctype(src.fmt), ctype(fmt)
    part.add(Process(name, "squeeze", consumer, [f"hls::stream<{a}> in[{src.streams}]", f"hls::stream<{b}> out[{lanes}]"],
                     [src.expr, out.expr],
                     f"    sdf::squeeze<{a}, {b}, {src.streams}, {lanes}, {src.words}>(in, out, frames);\n",
                     timing=[Timing("squeeze_loop", _steps(src.streams, lanes, src.words), 3 * STAGE)]), None)
    return out


def _steps(ni: int, no: int, words: int) -> int:
    """Iterations per frame of the squeeze loop: max(L/NI, L/NO) per block of L = lcm words."""
    block = math.lcm(ni, no)
    return words // block * max(block // ni, block // no)
