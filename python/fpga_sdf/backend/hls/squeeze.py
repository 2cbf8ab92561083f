"""squeeze: re-streams a map between unequal stream counts (and converts its format); between
unequal pixels per word (multi-pixel layers) it is the model's edge converter, a re-pack
(`modules.edge_converter`: min(a q, b p') features a cycle)."""

from __future__ import annotations

import math

from .context import loop
from .process import STAGE, Access, Process, Timing, ctype


def refusal(src, lanes: int, pixels: int) -> str | None:
    """Why a re-pack from `src` to `lanes` streams of `pixels`-pixel words is not emitted."""
    if src.pixels == 1 and pixels == 1:
        return None
    c, width = src.shape[0], src.shape[-1] if len(src.shape) > 1 else 1
    if c % src.ways or c % lanes:
        return (f"a multi-pixel re-pack needs the stream counts ({src.ways}, {lanes}) to divide the "
                f"channels ({c})")
    if width % math.lcm(src.pixels, pixels):
        return f"a re-pack of {src.pixels}- into {pixels}-pixel words needs both to divide the row ({width})"
    return None


def generate(part, src, lanes: int, fmt, consumer: str, pixels: int = 1):
    """A squeeze process in the top file from bundle `src` to a new bundle on `lanes` streams
    of `pixels`-pixel words (check `refusal` first)."""
    out = part.bundle(fmt, src.shape, lanes, src.origin, pixels)
    name = f"{part.name}_squeeze{sum(p.kind == 'squeeze' for p in part.top_processes)}"
    a, b = ctype(src.fmt), ctype(fmt)
    params = [f"hls::stream<{a}> in[{src.streams}]", f"hls::stream<{b}> out[{out.streams}]"]
    if src.pixels == 1 and pixels == 1:
        part.add(Process(name, "squeeze", consumer, params, [src.expr, out.expr],
                         f"    sdf::squeeze<{a}, {b}, {src.streams}, {lanes}, {src.words}>(in, out, frames);\n",
                         timing=[Timing("squeeze_loop", _steps(src.streams, lanes, src.words), 3 * STAGE)]), None)
        return out
    c = src.shape[0]
    image = math.prod(src.shape[1:])
    ni, pi, no, po = src.ways, src.pixels, lanes, pixels
    block = math.lcm(pi, po)
    ri, ro = block * c // (ni * pi), block * c // (no * po)
    part.add(Process(name, "squeeze", consumer, params, [src.expr, out.expr],
                     f"    sdf::repack<{a}, {b}, {c}, {image}, {ni}, {pi}, {no}, {po}>(in, out, frames);\n",
                     loops=[loop("repack_loop", Access("buf", (2, block, c), (1, po, no), writes=1,
                                                       template="repack", symbols={"BANKS": math.lcm(ni, no)}))],
                     # a block of lcm(pi, po) pixels a max(RI, RO) steps; the batch's last block
                     # drains after the loop
                     timing=[Timing("repack_loop", image // block * max(ri, ro), 3 * STAGE),
                             Timing("repack_drain_loop", ro, 2 * STAGE, scope="once")]), None)
    return out


def _steps(ni: int, no: int, words: int) -> int:
    """Iterations per frame of the squeeze loop: max(L/NI, L/NO) per block of L = lcm words."""
    block = math.lcm(ni, no)
    return words // block * max(block // ni, block // no)
