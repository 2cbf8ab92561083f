"""How much work a layer does per frame, independent of how it is folded.

Kept apart from the hardware expansion so GOP/s and weight footprints do not change when
the DSE changes folding.
"""

from __future__ import annotations

from math import prod

from .folding import channels_in, channels_out
from .modules import pixels_out
from .spec import LayerSpec, cdiv, kernel_of, pixels_of
from .weights_memory import fragments_of, geometry


def layer_ops(spec: LayerSpec) -> int:
    """Operations per frame, counting a multiply-accumulate as 2 (plus 1 per bias add)."""
    kind = spec.kind
    out_pixels = pixels_of(spec.outputs[0])
    if kind in ("conv", "inner_product"):
        groups = spec.groups if kind == "conv" else 1
        kernel = prod(kernel_of(spec)) if kind == "conv" else 1
        pixels = out_pixels if kind == "conv" else 1
        macs = pixels * channels_out(spec) * (channels_in(spec) // groups) * kernel
        return 2 * macs + (pixels * channels_out(spec) if spec.has_bias else 0)
    elements_out = out_pixels * spec.outputs[0][0]
    if kind == "pool":
        return elements_out * prod(kernel_of(spec))
    if kind == "global_pool":
        return prod(spec.inputs[0])
    if kind in ("activation",):
        return elements_out
    if kind == "scale_shift":
        return 2 * elements_out
    if kind == "eltwise":
        return (len(spec.inputs) - 1) * elements_out
    return 0  # concat, split, resize only move data


def layer_weights(spec: LayerSpec) -> int:
    """Parameter count (weights, biases, scale/shift pairs) held by the layer."""
    if spec.kind in ("conv", "inner_product"):
        groups = spec.groups if spec.kind == "conv" else 1
        kernel = prod(kernel_of(spec)) if spec.kind == "conv" else 1
        weights = channels_out(spec) * (channels_in(spec) // groups) * kernel
        return weights + (channels_out(spec) if spec.has_bias else 0)
    if spec.kind == "scale_shift":
        return 2 * spec.inputs[0][0]
    return 0


def streamed_weights(spec: LayerSpec) -> int:
    """Weights read per frame from off-chip under AutoWS streaming (all runs together).

    The weights memory is cycled once per output word, so its dynamic regions are fetched
    again for every output word: with fragments, n u_off words per MAC unit per word (the
    words the DMA moves, padding included); with only a fraction, that share of the weights.
    A conv at q output pixels a word has q MAC arrays reading one weights word together
    (modules._weights_layer), so it cycles its memory once per q pixels and streams 1/q of
    the weights a one-pixel conv does; an inner product's p FCUs each read their own weights.
    """
    if not spec.weights_off_chip or spec.kind not in ("conv", "inner_product"):
        return 0
    pixels = cdiv(pixels_of(spec.outputs[0]), pixels_out(spec)) if spec.kind == "conv" else 1
    g = geometry(spec) if spec.weights_fragments else None
    fragments = fragments_of(spec, g.depth) if g else None
    if fragments is not None:
        n, _, u_off = fragments
        return g.mac_units * n * u_off * (g.word // spec.weight_width) * pixels * spec.wr_factor
    groups = spec.groups if spec.kind == "conv" else 1
    kernel = prod(kernel_of(spec)) if spec.kind == "conv" else 1
    weights = channels_out(spec) * (channels_in(spec) // groups) * kernel
    return round(weights * spec.weights_off_chip) * pixels
