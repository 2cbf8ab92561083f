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
    name = f"{part.name}_squeeze{sum(p.kind == 'squeeze' and not p.name.endswith('_restream') for p in part.top_processes)}"
    a, b = ctype(src.fmt), ctype(fmt)
    params = [f"hls::stream<{a}> in[{src.streams}]", f"hls::stream<{b}> out[{out.streams}]"]
    if src.pixels == 1 and pixels == 1:
        part.add(Process(name, "squeeze", consumer, params, [src.expr, out.expr],
                         f"    sdf::squeeze<{a}, {b}, {src.streams}, {lanes}, {src.words}>(in, out, frames);\n",
                         timing=[Timing("squeeze_loop", _steps(src.streams, lanes, src.words), 3 * STAGE)]), None)
        return out
    c = src.shape[0]
    ni, pi, no, po = src.ways, src.pixels, lanes, pixels
    if fits(c, ni, pi, no, po):
        _repack(part, name, src, out, consumer)
        return out
    # a block of this re-pack would be written out while the next is read (repack_lag):
    # a re-stream and a re-pack of equal stream counts instead (each fits), in the order
    # that keeps the model's rate, min(ni pi, no po) features a cycle
    if pi * min(ni, no) >= min(ni * pi, no * po):  # re-stream at pi pixels, then re-pack
        mid = part.bundle(src.fmt, src.shape, no, src.origin, pi)
        first, second = f"{name}_restream", name
    else:  # re-pack on ni streams, then re-stream at po pixels
        mid = part.bundle(src.fmt, src.shape, ni, src.origin, po)
        first, second = name, f"{name}_restream"
    assert fits(c, ni, pi, mid.ways, mid.pixels) and fits(c, mid.ways, mid.pixels, no, po)
    _repack(part, first, src, mid, consumer)
    _repack(part, second, mid, out, consumer)
    return out


def repack_lag(c: int, ni: int, pi: int, no: int, po: int) -> int:
    """Steps from a re-pack block's first read to its first write (templates/dataflow.hpp
    `repack_lag`): output word w of the block needs input word ((w // co + 1) po - 1) // pi x
    ci + ((w % co + 1) no - 1) // ni; the lag is the most any word's need runs ahead of w."""
    block = math.lcm(pi, po)
    ci, co, ro = c // ni, c // no, block * c // (no * po)
    return max([0] + [((w // co + 1) * po - 1) // pi * ci + ((w % co + 1) * no - 1) // ni - w for w in range(ro)])


def fits(c: int, ni: int, pi: int, no: int, po: int) -> bool:
    """Whether one `sdf::repack` writes each block within its own max(RI, RO) steps (lag + RO
    <= steps), so that no output word waits for the next block's input. Why it matters: the
    next block can be rows away (a strided producer's next output row), and where branches
    join the other branch's FIFO is sized for the layers' needs, not a converter's
    (test_hls_multipixel.py::test_residual_block_at_four_pixels_coarse_two). Equal stream
    counts, and equal pixels per word, always fit; e.g. 1 stream of 2 pixels into 2 streams of
    1 pixel does not (the first word needs the second channel, read a step later)."""
    block = math.lcm(pi, po)
    ri, ro = block * c // (ni * pi), block * c // (no * po)
    return repack_lag(c, ni, pi, no, po) + ro <= max(ri, ro)


def _repack(part, name: str, src, out, consumer: str):
    """One `sdf::repack` process from bundle `src` to bundle `out` (which fits)."""
    c = src.shape[0]
    image = math.prod(src.shape[1:])
    ni, pi, no, po = src.ways, src.pixels, out.ways, out.pixels
    a, b = ctype(src.fmt), ctype(out.fmt)
    params = [f"hls::stream<{a}> in[{src.streams}]", f"hls::stream<{b}> out[{out.streams}]"]
    block = math.lcm(pi, po)
    ri, ro = block * c // (ni * pi), block * c // (no * po)
    part.add(Process(name, "squeeze", consumer, params, [src.expr, out.expr],
                     f"    sdf::repack<{a}, {b}, {c}, {image}, {ni}, {pi}, {no}, {po}>(in, out, frames);\n",
                     loops=[loop("repack_loop", Access("buf", (block, c), (po, no), writes=1,
                                                       template="repack", symbols={"BANKS": math.lcm(ni, no)}))],
                     # a block of lcm(pi, po) pixels a max(RI, RO) steps, written within them
                     timing=[Timing("repack_loop", image // block * max(ri, ro), 3 * STAGE)]), None)


def _steps(ni: int, no: int, words: int) -> int:
    """Iterations per frame of the squeeze loop: max(L/NI, L/NO) per block of L = lcm words."""
    block = math.lcm(ni, no)
    return words // block * max(block // ni, block // no)
