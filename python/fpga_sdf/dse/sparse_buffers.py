"""FIFO depths before PASS's sparse engines, from the back-pressure metric (seed 003, IV-B).

Streams of one layer meet at a synchronisation barrier, so a stream that is momentarily
denser than the others stalls them all; a FIFO of w windows per stream absorbs bursts up to
its depth. rho_w (eq. 6, measured by --sdf-sparsity for every folding) says how much
imbalance is left at depth w. Depths grow greedily where rho is largest, until every layer
is below the tolerance or the LUTRAM limit is reached.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..model import LayerSpec, layer_resources
from ..model.spec import sparse_engine
from ..sparsity import fold_key


@dataclass(frozen=True)
class Candidate:
    """A sparse layer's measured rho per FIFO depth for its chosen folding."""

    spec: LayerSpec
    windows: tuple[int, ...]
    rho: tuple[float, ...]


@dataclass(frozen=True)
class Sizing:
    depths: dict[str, int]  # layer -> FIFO depth in windows (0: none)
    rho: dict[str, float]  # layer -> rho at that depth
    lutram: int  # LUTs used as LUTRAM by all the FIFOs


def buffer_lutram(spec: LayerSpec, depth: int, platform) -> tuple[int, int]:
    """(LUTRAM LUTs, BRAM18) the FIFO of `depth` windows adds to the layer."""
    base = layer_resources(replace(spec, sparse_buffer=0), platform)
    with_fifo = layer_resources(replace(spec, sparse_buffer=depth), platform)
    return with_fifo.lutram - base.lutram, with_fifo.bram18 - base.bram18


def size_buffers(candidates: list[Candidate], platform, lutram_limit: float, tolerance: float) -> Sizing:
    """Deepen the FIFO of the layer with the largest rho, one measured depth at a time,
    while rho > tolerance and the FIFOs fit in `lutram_limit` LUTs (as LUTRAM: a depth that
    would need block RAM ends the layer's growth)."""
    level = {c.spec.name: -1 for c in candidates}  # index into windows; -1: no FIFO
    used = {c.spec.name: 0 for c in candidates}
    by_name = {c.spec.name: c for c in candidates}
    open_ = {c.spec.name for c in candidates if c.windows}

    def rho_of(name: str) -> float:
        c = by_name[name]
        return c.rho[max(level[name], 0)]  # no FIFO behaves like a depth of one window

    while True:
        growing = [n for n in open_ if rho_of(n) > tolerance and level[n] + 1 < len(by_name[n].windows)]
        if not growing:
            break
        name = max(sorted(growing), key=rho_of)
        c = by_name[name]
        luts, brams = buffer_lutram(c.spec, c.windows[level[name] + 1], platform)
        if brams or sum(used.values()) - used[name] + luts > lutram_limit:
            open_.discard(name)
            continue
        level[name] += 1
        used[name] = luts
    depths = {n: by_name[n].windows[i] if i >= 0 else 0 for n, i in level.items()}
    return Sizing(depths, {n: rho_of(n) for n in level}, sum(used.values()))


def candidate_of(spec: LayerSpec, windows, rho: dict) -> Candidate | None:
    """The layer's rho row for its folding; None when it needs no FIFO (not a sparse
    engine, or one input stream) or the folding was not measured."""
    if not sparse_engine(spec) or spec.coarse_in * spec.coarse_group == 1:
        return None
    row = rho.get(fold_key(spec.coarse_in, spec.coarse_group))
    if row is None:
        return None
    return Candidate(spec, tuple(windows), tuple(row))
