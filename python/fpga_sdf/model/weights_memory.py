"""The weights memory of a weights layer's MAC units, and AutoWS's on/off-chip split of it.

AutoWS (seed 000, memory fragmentation) cuts each MAC unit's weights memory of depth M into
n fragments; each keeps u_on words on chip (the static region) and streams u_off words from
off-chip memory (the dynamic region), so M = n (u_on + u_off). The dynamic regions of all
fragments share one buffer in dual-port BRAM (the DMA writes one port on its own clock, the
engine reads the other). A layer's decision is `weights_fragments = (n, u_on, u_off)` (the
DSE steps a fraction and writes it as fragments of each folding, `with_fragments`); a bare
`weights_off_chip` fraction written by hand keeps its older model: the off-chip share
streams through a double-buffered fragment of at most 512 words.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from .hardware import Memory, Module, clog2
from .spec import WEIGHT_KINDS, LayerSpec

LEGACY_FRAGMENT = 512
"""Fragment depth of the fraction-only model (`weights_off_chip` without fragments)."""
FRAGMENT_WORDS = 16
"""Words per fragment (at least) when fragments are chosen for a fraction: the resolution
of the on/off split, and a dynamic region small enough that its buffer is one BRAM deep."""


@dataclass(frozen=True)
class Geometry:
    """Each of `mac_units` MAC units reads its own memory of `depth` words of `word` bits."""

    mac_units: int
    word: int
    depth: int


def weights_memory(spec: LayerSpec, mac_units: int, reads: int, word: int,
                   depth: int) -> Module:
    """Weights memory per MAC unit: all on chip, AutoWS fragments (n u_on words on chip plus
    the shared buffer of the dynamic regions), or the fraction-only split."""
    fragments = fragments_of(spec, depth)
    if fragments is not None:
        n, u_on, u_off = fragments
        memories = [Memory("weights", word, n * u_on, binding=spec.weights_memory)] if u_on else []
        if u_off:
            # Double-buffered: the time-multiplexed DMA serves the engines in turn, so the
            # next fragment must be able to land while this one is read.
            memories.append(Memory("stream_buffer", word, 2 * u_off, binding="bram"))
    else:
        off = spec.weights_off_chip
        on_depth = depth - int(depth * off)
        memories = [Memory("weights", word, on_depth, binding=spec.weights_memory)] if on_depth else []
        if off:
            fragment = min(depth - on_depth, LEGACY_FRAGMENT)
            memories.append(Memory("stream_buffer", word, 2 * fragment))
    return Module("weights_memory", mac_units, 0, reads, reads, 1, pipeline=2,
                  memories=tuple(memories),
                  logic=(("const", 1), ("counter_bits", clog2(depth)), ("io_bits", word)))


def fragments_of(spec: LayerSpec, depth: int) -> tuple[int, int, int] | None:
    """The layer's (n, u_on, u_off) when they describe its memory as folded now (n (u_on +
    u_off) = depth) and the off-chip fraction it declares; None otherwise. Why not an error:
    the DSE re-folds and re-steps `weights_off_chip` on specs read from fragmented IR, and
    then the fraction-only model is the right one (the verifier rejects such IR)."""
    if len(spec.weights_fragments) != 3 or spec.kind not in WEIGHT_KINDS:
        return None
    n, u_on, u_off = spec.weights_fragments
    if n < 1 or u_on < 0 or u_off < 0 or n * (u_on + u_off) != depth:
        return None
    if abs(fragments_fraction(spec.weights_fragments) - spec.weights_off_chip) > 1e-9:
        return None
    return n, u_on, u_off


def fragments_fraction(fragments) -> float:
    """Off-chip fraction u_off / (u_on + u_off) of (n, u_on, u_off)."""
    _, u_on, u_off = fragments
    return u_off / (u_on + u_off) if u_on + u_off else 0.0


def fragment_depth(depth: int, steps: int = FRAGMENT_WORDS) -> int:
    """Words per fragment for a memory of `depth`: its smallest divisor of at least `steps`
    words, the whole memory when none is."""
    return next((d for d in range(min(steps, depth), depth + 1) if depth % d == 0), depth)


def with_fragments(spec: LayerSpec, fraction: float, steps: int = FRAGMENT_WORDS) -> LayerSpec:
    """The spec streaming at least `fraction` of its weights memory, as fragments of
    fragment_depth words at its current folding (u_off = ceil(fraction x words)), with the
    fraction they give; all on chip for 0."""
    g = geometry(spec)
    if g is None or fraction <= 0:
        return replace(spec, weights_off_chip=0.0, weights_fragments=())
    words = fragment_depth(g.depth, steps)
    off = min(words, _ceil(fraction * words))
    return replace(spec, weights_fragments=(g.depth // words, words - off, off), weights_off_chip=off / words)


def _ceil(x: float) -> int:
    """Ceiling robust to float fuzz (0.25 x 16 is 4, not 5)."""
    return -int(-(x - 1e-9) // 1)


@lru_cache(maxsize=65536)
def geometry(spec: LayerSpec) -> Geometry | None:
    """MAC units, word and depth of the layer's weights memory at its folding (None for a
    layer without one): what fragments must add up to."""
    if spec.kind not in WEIGHT_KINDS:
        return None
    from .modules import expand  # modules builds its memory with weights_memory above

    plain = replace(spec, weights_off_chip=0.0, weights_fragments=())
    for module in expand(plain):
        if module.name == "weights_memory":
            memory = next(m for m in module.memories if m.role == "weights")
            return Geometry(module.instances, memory.width, memory.depth)
    return None


def fragment_problems(spec: LayerSpec, at_folding: bool = True) -> list[str]:
    """Why the layer's `weights_fragments` are not a valid AutoWS decision (empty if they are
    or there are none); the messages name the attribute as the IR spells it. Without
    `at_folding` only the values are checked (the depth needs a legal folding)."""
    f = spec.weights_fragments
    if not f:
        return []
    if len(f) != 3:
        return [f"weights_fragments needs three values [n, u_on, u_off], got {len(f)}"]
    if spec.kind not in WEIGHT_KINDS:
        return ["weights_fragments only applies to conv and inner_product"]
    n, u_on, u_off = f
    if n < 1 or u_on < 0 or u_off < 0 or u_on + u_off < 1:
        return [f"weights_fragments [n, u_on, u_off] = {list(f)} needs n >= 1, u_on >= 0, "
                "u_off >= 0 and u_on + u_off >= 1"]
    if abs(fragments_fraction(f) - spec.weights_off_chip) > 1e-9:
        return [f"weights_off_chip={spec.weights_off_chip} disagrees with weights_fragments {list(f)} "
                f"(u_off / (u_on + u_off) = {fragments_fraction(f):g}); give one of them"]
    g = geometry(spec) if at_folding else None
    if g is not None and n * (u_on + u_off) != g.depth:
        return [f"weights_fragments [n, u_on, u_off] = {list(f)} cover {n * (u_on + u_off)} words, "
                f"but each MAC unit's weights memory holds {g.depth} at this folding: "
                "n * (u_on + u_off) must equal it (fragment again after re-folding)"]
    return []


def weights_split(spec: LayerSpec) -> tuple[int, int]:
    """(on-chip, off-chip) bits of the layer's weights memory over all its MAC units (one
    weights-reloading run's share): the static regions and the dynamic ones."""
    g = geometry(spec)
    if g is None:
        return 0, 0
    fragments = fragments_of(spec, g.depth)
    if fragments is not None:
        n, u_on, u_off = fragments
        off_depth = n * u_off
    else:
        off_depth = int(g.depth * spec.weights_off_chip)
    return g.mac_units * g.word * (g.depth - off_depth), g.mac_units * g.word * off_depth
