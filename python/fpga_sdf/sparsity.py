"""Post-activation sparsity statistics (PASS, seed 003) and their IR attributes.

What the sparse engine's model and buffer sizing need from data: the mean fraction of
zeros per input channel (the windows a stream carries, padding included, since the
engine skips padded zeros too), its spread, and for every way the input channels can be
split over streams the back-pressure metric rho_w (eqs. 5-6) over FIFO depths w.
Plain numpy; the pass `--sdf-sparsity` measures, the DSE reads.
"""

from __future__ import annotations

import itertools
from math import prod

import numpy as np
from torch_mlir import ir

from .dialects.sdf_attrs import AttrError, get_floats, get_ints, get_str, has

WINDOWS = tuple(2 ** i for i in range(10))  # FIFO depths (windows) rho_w is measured at
SOURCES = ("measured", "assumed")
STAT_ATTRS = ("sparsity", "sparsity_std", "sparsity_hist", "sparsity_source", "sparsity_samples",
              "sparsity_windows", "sparsity_rho")


def window_sparsity(x: np.ndarray, kernel, stride, pad, dilation) -> np.ndarray:
    """Fraction of zeros in every sliding window of x (N, C, *spatial): (N, C, *out)."""
    rank = len(kernel)
    zero = np.pad(x == 0, [(0, 0), (0, 0)] + [(pad[i], pad[rank + i]) for i in range(rank)],
                  constant_values=True)
    out = [(zero.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(rank)]
    count = np.zeros(x.shape[:2] + tuple(out), np.int32)
    for offset in itertools.product(*(range(k) for k in kernel)):
        count += zero[(slice(None), slice(None)) + tuple(
            slice(o * d, o * d + s * (n - 1) + 1, s) for o, d, s, n in zip(offset, dilation, stride, out))]
    return count.astype(np.float32) / prod(kernel)


def nonzero_histogram(s: np.ndarray, window: int) -> np.ndarray:
    """Per channel, the fraction of windows holding n non-zeros, n = 0..window: (C, window + 1).
    What the sparse engine's cycles follow: a window of n non-zeros takes ceil(n / k)."""
    n = np.rint((1 - s) * window).astype(np.int64)
    channels = s.shape[1]
    flat = n.transpose(1, 0, *range(2, n.ndim)).reshape(channels, -1)
    return np.stack([np.bincount(row, minlength=window + 1) / row.size for row in flat])


def stream_series(s: np.ndarray, groups: int, coarse_in: int, coarse_group: int) -> np.ndarray:
    """Per-window sparsity in the order each input stream carries it: (streams, windows).

    Channel c of group g goes to stream (g mod coarse_group, c mod coarse_in) (as the
    model's `_stream_sparsity`); a stream carries, pixel after pixel, its channels in order,
    and frames follow each other.
    """
    n, channels = s.shape[:2]
    flat = s.reshape(n, channels, -1)
    cin_g = channels // groups
    stream_of = [(c // cin_g % coarse_group) * coarse_in + c % cin_g % coarse_in for c in range(channels)]
    rows = []
    for m in range(coarse_in * coarse_group):
        chans = [c for c in range(channels) if stream_of[c] == m]
        rows.append(flat[:, chans, :].transpose(0, 2, 1).reshape(-1))
    return np.stack(rows)


def back_pressure(series: np.ndarray, windows=WINDOWS) -> list[float]:
    """rho_w (eq. 6) of streams (M, T) for each FIFO depth w: the mean spread of the
    w-window moving averages (eq. 5) across streams, less the spread of the streams' means.

    The means are taken over the same windows (a window near the ends of the series weighs
    its samples unevenly), so streams that differ only by a constant give exactly 0.
    """
    csum = np.concatenate([np.zeros((len(series), 1)), np.cumsum(series, axis=1, dtype=np.float64)], axis=1)
    rho = []
    for w in windows:
        w = min(w, series.shape[1])
        psi = (csum[:, w:] - csum[:, :-w]) / w
        means = psi.mean(axis=1)
        rho.append(max(0.0, float((psi.max(axis=0) - psi.min(axis=0)).mean() - (means.max() - means.min()))))
    return rho


def fold_key(coarse_in: int, coarse_group: int) -> str:
    """How a folding's input streams are named in `sparsity_rho`: "coarse_in x coarse_group"."""
    return f"{coarse_in}x{coarse_group}"


# ------------------------------------------------------------------------------ attributes

def _f64s(values) -> ir.Attribute:
    return ir.DenseF64ArrayAttr.get([round(float(v), 4) for v in values])


def _hist(hist: np.ndarray) -> ir.Attribute:
    """Rows rounded to 4 decimals that still sum to 1 (the rounding error goes to the
    largest bin), so a reader can check them."""
    rows = []
    for row in hist:
        r = np.round(row, 4)
        r[np.argmax(r)] += round(1.0 - float(r.sum()), 4)
        rows.extend(round(float(v), 4) for v in r)
    return ir.DenseF64ArrayAttr.get(rows)


def clear(op) -> None:
    """Remove every sparsity statistic (and the buffer sized from them) from an op."""
    for name in STAT_ATTRS + ("sparse_buffer",):
        if name in op.operation.attributes:
            del op.operation.attributes[name]


def write_measured(op, mean, std, hist, samples: int, rho: dict[str, list[float]], windows=WINDOWS) -> None:
    with op.context:
        clear(op)
        attrs = op.operation.attributes
        attrs["sparsity"] = _f64s(mean)
        attrs["sparsity_std"] = _f64s(std)
        attrs["sparsity_hist"] = _hist(hist)
        attrs["sparsity_source"] = ir.StringAttr.get("measured")
        attrs["sparsity_samples"] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), samples)
        if rho:
            attrs["sparsity_windows"] = ir.DenseI64ArrayAttr.get(list(windows))
            attrs["sparsity_rho"] = ir.DictAttr.get({key: _f64s(v) for key, v in rho.items()})


def write_assumed(op, value: float, channels: int) -> None:
    with op.context:
        clear(op)
        op.operation.attributes["sparsity"] = _f64s([value] * channels)
        op.operation.attributes["sparsity_source"] = ir.StringAttr.get("assumed")


def read_rho(op) -> tuple[tuple[int, ...], dict[str, tuple[float, ...]]]:
    """(windows, {fold key: rho per window}) of an op; empty when not measured. Raises
    AttrError with the problem when a hand edit broke them."""
    if not has(op, "sparsity_rho"):
        return (), {}
    windows = get_ints(op, "sparsity_windows") if has(op, "sparsity_windows") else ()
    if not windows or any(w < 1 for w in windows) or list(windows) != sorted(set(windows)):
        raise AttrError("attribute 'sparsity_windows' must list increasing FIFO depths >= 1 "
                        "next to 'sparsity_rho'")
    table = op.operation.attributes["sparsity_rho"]
    if not isinstance(table, ir.DictAttr):
        raise AttrError(f"attribute 'sparsity_rho' must be a dictionary {{\"IxG\" = array<f64: ...>}}, got {table}")
    rho = {}
    for entry in ir.DictAttr(table):
        values = entry.attr
        if not isinstance(values, ir.DenseF64ArrayAttr) or len(values) != len(windows):
            raise AttrError(f"sparsity_rho entry '{entry.name}' must be array<f64: ...> with one value per "
                            f"window ({len(windows)})")
        if any(not (v >= 0.0) or v > 1.0 for v in values):
            raise AttrError(f"sparsity_rho entry '{entry.name}' must lie in [0, 1]")
        rho[entry.name] = tuple(float(v) for v in values)
    return tuple(windows), rho


def check_op(op) -> list[str]:
    """What is wrong with an op's sparsity attributes (the kinds; the model checks ranges)."""
    problems = []
    try:
        if has(op, "sparsity_source") and get_str(op, "sparsity_source") not in SOURCES:
            problems.append(f"attribute 'sparsity_source' must be one of {', '.join(SOURCES)}")
        if has(op, "sparsity_hist"):
            get_floats(op, "sparsity_hist")  # its shape and sums are the model's (check_folding)
        if has(op, "sparsity_std"):
            std = get_floats(op, "sparsity_std")
            if not has(op, "sparsity") or len(std) != len(get_floats(op, "sparsity")):
                problems.append("attribute 'sparsity_std' needs one value per entry of 'sparsity'")
        read_rho(op)
    except AttrError as err:
        problems.append(str(err))
    return problems
