"""The compilation target: a module attribute `sdf.target = {platform, clock_mhz, batch}`.

Set by --sdf-target (or --dse); read by the report, the DSE and the backends, so the board
travels with the IR instead of being repeated on every command line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch_mlir import ir

from .diagnostics import UserError
from .model import Platform, PlatformError, load_platform

ATTR = "sdf.target"
MAX_CLOCK_MHZ = 10_000.0
"""No FPGA fabric runs at 10 GHz; far faster clocks make cycle times round to zero."""
MAX_BATCH = 2 ** 31 - 1
"""Batch sizes are stored as i64 and multiplied by per-frame cycles and words: keep them sane."""


@dataclass(frozen=True)
class Target:
    platform: Platform
    platform_ref: str  # what the user named: a board name or a JSON path
    clock_mhz: float
    batch: int


def resolve(platform: str, clock_mhz: float = 0.0, batch: int = 1) -> Target:
    """Check a target given by a user; errors name the board list or the bad field."""
    try:
        board = load_platform(platform)
    except PlatformError as err:
        raise UserError(str(err)) from None
    clock = clock_mhz or board.clock_mhz
    if not math.isfinite(clock) or not 0 < clock <= MAX_CLOCK_MHZ:
        raise UserError(f"clock must be in (0, {MAX_CLOCK_MHZ}] MHz, got {clock_mhz}")
    if not 1 <= batch <= MAX_BATCH:
        raise UserError(f"batch must be in [1, {MAX_BATCH}], got {batch}")
    return Target(board, platform, float(clock), int(batch))


def write(module, target: Target) -> None:
    with module.context:
        module.operation.attributes[ATTR] = ir.DictAttr.get({
            "platform": ir.StringAttr.get(target.platform_ref),
            "clock_mhz": ir.FloatAttr.get(ir.F64Type.get(), target.clock_mhz),
            "batch": ir.IntegerAttr.get(ir.IntegerType.get_signless(64), target.batch),
        })


def read(module, needed_by: str) -> Target:
    attrs = module.operation.attributes
    if ATTR not in attrs:
        raise UserError(f"--{needed_by}: the module has no target; run --sdf-target=\"platform=NAME\" first")
    entries = ir.DictAttr(attrs[ATTR])
    try:
        platform = ir.StringAttr(entries["platform"]).value
        clock = ir.FloatAttr(entries["clock_mhz"]).value
        batch = ir.IntegerAttr(entries["batch"]).value
    except (KeyError, ValueError, TypeError):
        raise UserError(f"--{needed_by}: malformed 'sdf.target' attribute {attrs[ATTR]} "
                        "(expected {platform = \"NAME\", clock_mhz = F : f64, batch = N : i64})") from None
    return resolve(platform, clock, batch)
