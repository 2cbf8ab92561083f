"""PASS's sparse matrix-vector engine (seed 003) in the model: its cycles per window from the
measured (or assumed) sparsity, its crossbar's logic features and the FIFO before it.

Kept apart from modules.py so the engine's cost can change with its RTL design
(backend/rtl/sparse_conv.py) without touching the dense layers' expansions.
"""

from __future__ import annotations

from .folding import channels_in
from .hardware import Memory, Module, clog2
from .spec import LayerSpec


def _stream_sparsity(spec: LayerSpec, in_streams: int, groups: int, coarse_in: int,
                     coarse_group: int) -> list[float]:
    """Mean zero fraction seen by each input stream (channel c of group g goes to stream
    (c mod coarse_in, g mod coarse_group))."""
    return _per_stream(spec.sparsity, spec, in_streams, groups, coarse_in, coarse_group)


def stream_cycles(spec: LayerSpec, in_streams: int, groups: int, coarse_in: int, coarse_group: int,
                   kernel: int, k: int) -> list[float]:
    """Mean cycles per window of the sparse engines behind each input stream.

    A window with n non-zeros takes max(1, ceil(n / k)) cycles on k MACs. With the measured
    distribution of n per channel that is exact (given buffers deep enough to even out the
    streams); with only a mean sparsity s it is eq. 2's 1 / theta = max(1, (1 - s) K / k),
    which ignores the rounding and so underestimates: a window of k + 1 non-zeros takes 2.
    """
    if not spec.sparsity_hist:
        return [max(1.0, (1.0 - s) * kernel / k)
                for s in _stream_sparsity(spec, in_streams, groups, coarse_in, coarse_group)]
    cost = [max(1, -(-n // k)) for n in range(kernel + 1)]
    per_channel = [sum(p * c for p, c in zip(spec.sparsity_hist[i * (kernel + 1):(i + 1) * (kernel + 1)], cost))
                   for i in range(len(spec.sparsity))]
    return _per_stream(per_channel, spec, in_streams, groups, coarse_in, coarse_group)


def _per_stream(values, spec: LayerSpec, in_streams: int, groups: int, coarse_in: int,
                coarse_group: int) -> list[float]:
    """Mean of a per-channel value over the channels of each input stream."""
    cin_g = channels_in(spec) // groups
    totals = [0.0] * in_streams
    counts = [0] * in_streams
    for channel, value in enumerate(values):
        group, index = divmod(channel, cin_g)
        stream = (group % coarse_group) * coarse_in + index % coarse_in
        totals[stream] += value
        counts[stream] += 1
    return [t / n if n else 0.0 for t, n in zip(totals, counts)]


def crossbar_band(kernel: int, k: int, mac: int) -> range:
    """The window taps MAC `mac` of the S-MVE's banded crossbar can take: mac..mac + K - k.

    Any k of the K taps can go to k distinct MACs (tap t of rank r among the picked ones goes
    to MAC max(r, t - (K - k))), so the band keeps the cycle counts of a full crossbar; the
    RTL (backend/rtl/sparse_conv.py) builds exactly these mux inputs.
    """
    return range(mac, mac + kernel - k + 1)


def crossbar_inputs(kernel: int, k: int) -> int:
    """Mux inputs of the S-MVE's crossbar squeezing K window taps onto k MACs: K - k + 1
    per MAC (`crossbar_band`), k(K - k + 1) in all; each carries a tap and its weight and
    has one registered select (so the FFs follow the inputs too)."""
    return sum(len(crossbar_band(kernel, k, mac)) for mac in range(k))


def crossbar_bits(kernel: int, k: int, width: int) -> int:
    """Mux-input bits of the crossbar: its inputs x the tap and weight bits each carries."""
    return crossbar_inputs(kernel, k) * width


def sparse_buffer(spec: LayerSpec, streams: int, windows: int, kernel: int) -> Module:
    """PASS's FIFO before the sparse engines of one input stream, sized by the back-pressure
    metric (eq. 6): one narrow FIFO per window value, so it maps to LUTRAM. The engines
    behind one stream see the same windows and run in lock-step, so a stream needs one."""
    depth = spec.sparse_buffer
    return Module("sparse_buffer", streams, windows, windows, windows, 1, pipeline=1,
                  memories=(Memory("buffer", spec.data_width, depth, kernel),),
                  logic=(("const", 1), ("counter_bits", 2 * clog2(depth))))


def crossbar_logic(kernel: int, k: int, data_width: int, weight_width: int) -> tuple[tuple[str, float], ...]:
    """The crossbar's named logic features, as the conv module's LUT/FF models read them."""
    return (("crossbar_bits", crossbar_bits(kernel, k, data_width + weight_width)),
            ("crossbar_inputs", crossbar_inputs(kernel, k)))
