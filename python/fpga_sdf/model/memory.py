"""Map a width x depth memory onto BRAM18, URAM, LUTRAM or registers.

Block RAMs come in fixed aspect ratios, so a memory costs the cheapest tiling over the
configurations, not its bits divided by 18K; the wasted bits are why shallow, wide weight
memories dominate BRAM use in folded designs.
"""

from __future__ import annotations

from functools import lru_cache

from .coefficients import resource_coefficients
from .spec import cdiv

# (depth, width, BRAM18 units): BRAM18 true/simple dual port, then BRAM36 (two units).
BRAM_SHAPES = (
    (16384, 1, 1), (8192, 2, 1), (4096, 4, 1), (2048, 9, 1), (1024, 18, 1), (512, 36, 1),
    (32768, 1, 2), (16384, 2, 2), (8192, 4, 2), (4096, 9, 2), (2048, 18, 2), (1024, 36, 2),
    (512, 72, 2),
)
URAM_DEPTH, URAM_WIDTH = 4096, 72


@lru_cache(maxsize=65536)
def bram18_tiling(width: int, depth: int) -> tuple[int, int, int]:
    """(tile depth, tile width, BRAM18 units) of the cheapest tiling of a width x depth
    memory, the fewest tiles in depth among equally cheap ones. The RTL's weight ROMs are
    built as these depth tiles (backend/rtl/weights_memory.py): yosys 0.23 maps a ROM deeper
    than one block's configuration (4608 x 8) into one BRAM36 and drops the address bit."""
    return min(((d, w, cdiv(depth, d) * cdiv(width, w) * units) for d, w, units in BRAM_SHAPES),
               key=lambda t: (t[2], cdiv(depth, t[0])))


def bram18_blocks(width: int, depth: int) -> int:
    """BRAM18 units of the cheapest tiling of a width x depth memory."""
    if width <= 0 or depth <= 0:
        return 0
    return bram18_tiling(width, depth)[2]


def uram_blocks(width: int, depth: int) -> int:
    """URAM288 blocks (4K x 72) of a width x depth memory."""
    if width <= 0 or depth <= 0:
        return 0
    return cdiv(depth, URAM_DEPTH) * cdiv(width, URAM_WIDTH)


def lutram_luts(width: int, depth: int) -> int:
    """LUTs as distributed RAM: RAM32M gives 32x6 and RAM64M 64x3 per 4 LUTs (simple dual
    port, one write and one read)."""
    if width <= 0 or depth <= 0:
        return 0
    if depth <= 32:
        return cdiv(width, 6) * 4
    return cdiv(depth, 64) * cdiv(width, 3) * 4


@lru_cache(maxsize=65536)
def map_memory(role: str, width: int, depth: int, has_uram: bool, binding: str = "auto") -> tuple[int, int, int, int]:
    """(bram18, uram, lutram_luts, ff) of one memory, choosing the primitive like synthesis
    would: registers when tiny, LUTRAM below a size threshold, URAM for deep weight
    memories where the device has it, BRAM otherwise. A `binding` of "bram" or "uram" is
    the design's own choice of block memory (URAM falls back to BRAM on devices without)."""
    rules = resource_coefficients()["memory"]
    if width <= 0 or depth <= 0:
        return 0, 0, 0, 0
    if binding == "uram" and has_uram:
        return 0, uram_blocks(width, depth), 0, 0
    if binding in ("bram", "uram"):
        return bram18_blocks(width, depth), 0, 0, 0
    if depth <= rules["register_max_depth"]:
        return 0, 0, 0, width * depth
    if width * depth <= rules["lutram_max_bits"]:
        return 0, 0, lutram_luts(width, depth), 0
    if has_uram and role in rules["uram_roles"] and depth >= rules["uram_min_depth"]:
        return 0, uram_blocks(width, depth), 0, 0
    return bram18_blocks(width, depth), 0, 0, 0
