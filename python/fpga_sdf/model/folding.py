"""Which folding factors a layer may take, and what is wrong with the ones it has.

Folding factors must divide the loop they unroll: a stream that got a ragged share of the
channels would idle on the last iteration, breaking the SDF rates the model assumes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from math import gcd, prod

from .spec import (MODES, WEIGHT_KINDS, WEIGHT_MEMORIES, LayerSpec, kernel_of, padded_spatial,
                   sparse_engine, sparsity_applies, spatial)


@dataclass(frozen=True)
class FoldingChoices:
    """Legal values of each folding factor (each tuple ascending, always containing 1)."""

    coarse_in: tuple[int, ...] = (1,)
    coarse_out: tuple[int, ...] = (1,)
    coarse_group: tuple[int, ...] = (1,)
    fine: tuple[int, ...] = (1,)
    wr_factor: tuple[int, ...] = (1,)


@lru_cache(maxsize=4096)
def divisors(n: int) -> tuple[int, ...]:
    """All positive divisors of n, ascending (n < 1 has only the trivial factor 1)."""
    if n < 1:
        return (1,)
    small, large = [], []
    i = 1
    while i * i <= n:
        if n % i == 0:
            small.append(i)
            if i != n // i:
                large.append(n // i)
        i += 1
    return tuple(small + large[::-1])


def channels_in(spec: LayerSpec) -> int:
    """Input channel count; an inner product flattens its whole input into features."""
    if spec.kind == "inner_product":
        return prod(spec.inputs[0])
    return spec.inputs[0][0]


def channels_out(spec: LayerSpec) -> int:
    return spec.outputs[0][0]


def stream_channels(spec: LayerSpec) -> int:
    """The channel count the coarse factor of a weightless layer must divide."""
    if spec.kind == "concat":
        return gcd(*(shape[0] for shape in spec.inputs))
    return spec.inputs[0][0]


@lru_cache(maxsize=65536)
def folding_choices(spec: LayerSpec) -> FoldingChoices:
    """Legal folding factors of a layer (the fields that do not apply are (1,))."""
    if spec.kind in WEIGHT_KINDS:
        groups = spec.groups if spec.kind == "conv" else 1
        filters_per_group = channels_out(spec) // groups
        # Each weights-reloading run computes filters_per_group / wr_factor filters: the
        # output streams must share those evenly.
        per_run = filters_per_group // spec.wr_factor if spec.wr_factor >= 1 and \
            filters_per_group % spec.wr_factor == 0 else filters_per_group
        return FoldingChoices(
            coarse_in=divisors(channels_in(spec) // groups),
            coarse_out=divisors(per_run),
            coarse_group=divisors(groups),
            fine=_fine_choices(spec),
            wr_factor=divisors(filters_per_group),
        )
    coarse = divisors(stream_channels(spec))
    fine = divisors(prod(kernel_of(spec))) if spec.kind == "pool" else (1,)
    return FoldingChoices(coarse_in=coarse, coarse_out=coarse, fine=fine)


def _fine_choices(spec: LayerSpec) -> tuple[int, ...]:
    """MACs per window: a divisor of the window for the dense engine (each window takes
    K / fine cycles); any k <= K for PASS's sparse engine, whose cycles per window follow
    the non-zeros rather than the window."""
    if spec.kind != "conv":
        return (1,)
    window = prod(kernel_of(spec))
    return tuple(range(1, window + 1)) if sparsity_applies(spec) else divisors(window)


def check_folding(spec: LayerSpec) -> list[str]:
    """Human-readable violations of the layer's folding and extensions (empty when legal)."""
    problems = _shape_problems(spec)
    if problems:
        return problems
    legal = folding_choices(spec)
    for name in ("coarse_in", "coarse_out", "coarse_group", "fine", "wr_factor"):
        value = getattr(spec, name)
        allowed = getattr(legal, name)
        if value not in allowed:
            problems.append(f"{spec.name}: {name}={value} is not legal for this {spec.kind} "
                            f"layer; choose one of {list(allowed)}")
    if spec.kind not in WEIGHT_KINDS and spec.coarse_in != spec.coarse_out:
        problems.append(f"{spec.name}: coarse_in={spec.coarse_in} and coarse_out="
                        f"{spec.coarse_out} must be equal for a {spec.kind} layer")
    if spec.kind in WEIGHT_KINDS:
        groups = spec.groups if spec.kind == "conv" else 1
        per_run = channels_out(spec) // groups // max(spec.wr_factor, 1)
        if spec.wr_factor in legal.wr_factor and per_run % spec.coarse_out:
            problems.append(f"{spec.name}: coarse_out={spec.coarse_out} must divide the "
                            f"{per_run} filters per group left by wr_factor={spec.wr_factor}")
    problems += _extension_problems(spec)
    return problems


def _shape_problems(spec: LayerSpec) -> list[str]:
    problems = []
    rank = len(spec.inputs[0]) - 1
    if any(len(shape) != rank + 1 for shape in spec.inputs + spec.outputs) and \
            spec.kind != "inner_product":
        problems.append(f"{spec.name}: all input and output shapes must have the same rank")
    if any(d < 1 for shape in spec.inputs + spec.outputs for d in shape):
        problems.append(f"{spec.name}: shapes must be positive, got {spec.inputs} -> {spec.outputs}")
    for field_name, expected in (("kernel", rank), ("stride", rank), ("dilation", rank),
                                 ("pad", 2 * rank)):
        value = getattr(spec, field_name)
        if value and len(value) != expected:
            problems.append(f"{spec.name}: {field_name} has {len(value)} entries, expected "
                            f"{expected} for a {rank}-D layer")
    if spec.kind in MODES and spec.mode not in MODES[spec.kind]:
        problems.append(f"{spec.name}: mode {spec.mode!r} is not one of {list(MODES[spec.kind])}")
    for field_name in ("data_width", "weight_width", "acc_width"):
        if not 1 <= getattr(spec, field_name) <= 64:
            problems.append(f"{spec.name}: {field_name}={getattr(spec, field_name)} must be 1..64")
    if spec.kind == "conv" and not problems:
        cin, cout = spec.inputs[0][0], channels_out(spec)
        if spec.groups < 1 or cin % spec.groups or cout % spec.groups:
            problems.append(f"{spec.name}: groups={spec.groups} must divide both {cin} input "
                            f"and {cout} output channels")
        expected = conv_output_spatial(spec)
        if expected != spatial(spec.outputs[0]):
            problems.append(f"{spec.name}: output spatial {spatial(spec.outputs[0])} does not "
                            f"match kernel/stride/pad, which give {expected}")
    return problems


def conv_output_spatial(spec: LayerSpec) -> tuple[int, ...]:
    """Output spatial size of a sliding-window layer: floor((S - dil*(k-1) - 1)/stride) + 1."""
    kernel = kernel_of(spec)
    rank = len(kernel)
    stride = spec.stride or (1,) * rank
    dilation = spec.dilation or (1,) * rank
    return tuple((s - d * (k - 1) - 1) // st + 1
                 for s, k, st, d in zip(padded_spatial(spec), kernel, stride, dilation))


def _extension_problems(spec: LayerSpec) -> list[str]:
    problems = []
    if spec.sparsity:
        cin = channels_in(spec)
        if spec.kind != "conv":
            problems.append(f"{spec.name}: sparsity is only modelled for conv layers")
        elif len(spec.sparsity) != cin:
            problems.append(f"{spec.name}: sparsity has {len(spec.sparsity)} entries, expected "
                            f"one per input channel ({cin})")
        if any(not 0.0 <= s <= 1.0 for s in spec.sparsity):
            problems.append(f"{spec.name}: sparsity values must lie in [0, 1]")
    if spec.sparsity_hist:
        bins = prod(kernel_of(spec)) + 1
        rows = [spec.sparsity_hist[i:i + bins] for i in range(0, len(spec.sparsity_hist), bins)]
        if len(spec.sparsity_hist) != len(spec.sparsity) * bins:
            problems.append(f"{spec.name}: sparsity_hist has {len(spec.sparsity_hist)} entries, expected "
                            f"{bins} (non-zeros 0..{bins - 1}) per entry of sparsity ({len(spec.sparsity)})")
        elif any(p < 0 for p in spec.sparsity_hist) or any(abs(sum(r) - 1) > 1e-3 for r in rows):
            problems.append(f"{spec.name}: each channel's row of sparsity_hist must be fractions summing to 1")
    if spec.sparse_buffer < 0:
        problems.append(f"{spec.name}: sparse_buffer={spec.sparse_buffer} must be non-negative")
    elif spec.sparse_buffer and not sparse_engine(spec):
        problems.append(f"{spec.name}: sparse_buffer only applies to the sparse engine: a conv "
                        "with sparsity, a kernel larger than 1x1 and fine below the kernel size")
    if not 0.0 <= spec.weights_off_chip <= 1.0:
        problems.append(f"{spec.name}: weights_off_chip={spec.weights_off_chip} must lie in [0, 1]")
    if spec.weights_memory not in WEIGHT_MEMORIES:
        problems.append(f"{spec.name}: weights_memory={spec.weights_memory!r} must be one of {list(WEIGHT_MEMORIES)}")
    elif spec.weights_memory != "auto" and spec.kind not in WEIGHT_KINDS:
        problems.append(f"{spec.name}: weights_memory only applies to conv and inner_product")
    if spec.weights_off_chip and spec.kind not in WEIGHT_KINDS:
        problems.append(f"{spec.name}: weights_off_chip only applies to conv and inner_product")
    problems += _pixel_problems(spec)
    if spec.window_evicted:
        from .modules import window_problem  # modules builds on this module

        problem = window_problem(spec)
        if problem:
            problems.append(f"{spec.name}: window_evicted: {problem}")
    return problems


def pixel_choices(spec: LayerSpec) -> tuple[int, ...]:
    """Legal p of pixels = (p, 1), ascending (always containing 1): the divisors of the row
    width that pass `_pixel_problems`."""
    dims = spatial(spec.inputs[0])
    if not dims:
        return (1,)
    return tuple(p for p in divisors(dims[-1])
                 if p == 1 or not _pixel_problems(replace(spec, pixels=(p, 1))))


def _pixel_problems(spec: LayerSpec) -> list[str]:
    """What is wrong with a layer's pixels = (p, h): the multi-pixel design of
    docs/notes/rtl-backend.md, p consecutive pixels of a row in every word.

    h > 1 (a unit time-shared over h filters) is not a second knob: it is coarse_out =
    filters / h, so only (p, 1) is accepted. A window of horizontal stride s keeps every s-th
    of a word's positions, so s must divide p (q = p / s windows per word, and q must divide
    the output row)."""
    p, h = spec.pixels
    if p < 1 or h < 1:
        return [f"{spec.name}: pixels=(p, h)={spec.pixels} must be positive"]
    problems = []
    if h != 1:
        problems.append(f"{spec.name}: pixels=(p, h)={spec.pixels}: h > 1 duplicates folding (a unit "
                        f"cycling through h filters is coarse_out = filters / h); use pixels=({p}, 1) "
                        "and coarse_out")
    if p == 1:
        return problems
    dims = spatial(spec.inputs[0])
    if not dims:
        return problems + [f"{spec.name}: pixels p={p} needs a spatial input (a row to take p "
                           f"pixels of); this {spec.kind} reads a vector"]
    if dims[-1] % p:
        problems.append(f"{spec.name}: pixels p={p} must divide the row width {dims[-1]}")
    if spec.kind in ("conv", "pool"):
        stride = spec.stride or (1,) * len(dims)
        out_row = spatial(spec.outputs[0])[-1]
        if p % stride[-1]:
            problems.append(f"{spec.name}: pixels p={p} must be a multiple of the row stride "
                            f"{stride[-1]} (a word keeps p / stride windows)")
        elif out_row % max(1, p // stride[-1]):
            problems.append(f"{spec.name}: pixels p={p} gives {p // stride[-1]} windows per word, "
                            f"which must divide the output row {out_row}")
    return problems
