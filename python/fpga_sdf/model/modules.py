"""Expand a layer into the hardware modules fpgaConvNet builds for it.

One expansion serves both models: performance reads each module's words and cycles,
resources read its multipliers, memories and logic features. Shapes are rank-generic: the
same code builds a 2D or a 3D sliding window (line buffers per outer spatial dim).

Words are stream tokens: a window or a vector of `fine` weights counts as one token.

Multi-pixel layers (`pixels = (p, 1)`, seed 004 sec. II-E; the design is written down in
docs/notes/rtl-backend.md "Multi-pixel layers"): a stream word carries p consecutive pixels of
a row, so every module moves 1/p of the words; the sliding window's line buffers are p pixels
wide and W/p words deep; a window with horizontal stride s emits q = p / s windows per word
(the KPUs of the other p - q positions are the ones the stride removes); a conv has q MAC
arrays (`Module.lanes`) sharing one weights read; an inner product has p per-pixel FCUs whose
weights differ (one memory p words wide, 1/p deep) and whose p products an adder tree sums;
accum, glue, bias and the pointwise kinds get q (or p) lanes; `edge_converter` costs the
stream/width converter between layers whose streams or pixels per word differ.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple
from math import lcm, prod

from .eviction import WINDOW_DMA, window_burst, window_evictable
from .dsp import DivPlan, packs, pairs_units, pool_divisors, sums_coarse_in
from .folding import channels_in, channels_out
from .hardware import Memory, Module, clog2
from .spec import LayerSpec, cdiv, kernel_of, padded_spatial, pixels_of, sparse_engine, spatial
from .sparse_engine import crossbar_logic, sparse_buffer, stream_cycles
from .weights_memory import weights_memory

# Multipliers per element for each activation: leaky_relu multiplies by alpha (a Fixed(18, 16)
# constant, interp/kernels.activation_fixed); the others are compares, or a table indexed by
# the input (TABLE_ACTIVATIONS: 2**data_width entries, the RTL and HLS hold exactly f's values).
ACTIVATION_MULTS = {"relu": 0, "relu6": 0, "leaky_relu": 1, "sigmoid": 0,
                    "hard_sigmoid": 0, "hard_swish": 0, "silu": 0}
TABLE_ACTIVATIONS = ("sigmoid", "hard_sigmoid", "hard_swish", "silu")
ALPHA_BITS = 18
# Fixed pipeline stages per module (registers between the stream and the datapath).
MULT_STAGES = 3
WINDOW_SLACK = 2
"""Windows the stream between a sliding window and its consumer holds (depth-2 streams: the
window's output skid buffer), the one being worked on included (a pool reads it there)."""


@lru_cache(maxsize=65536)
def expand(spec: LayerSpec) -> tuple[Module, ...]:
    """The modules of a layer, in stream order, for `pixels_in(spec)` pixels per word."""
    return _EXPANDERS[spec.kind](spec)


def pixels_in(spec: LayerSpec) -> int:
    """Pixels per word of the layer's input streams (p of pixels = (p, 1))."""
    return spec.pixels[0]


def pixels_out(spec: LayerSpec) -> int:
    """Pixels per word of the layer's output streams: p, except that a window of horizontal
    stride s keeps q = p / s of its p positions, and an inner product or a global pool
    reduces every pixel into one vector (1)."""
    p = pixels_in(spec)
    if spec.kind in ("inner_product", "global_pool"):
        return 1
    if spec.kind in ("conv", "pool") and _needs_window(spec):
        stride = spec.stride or (1,) * len(kernel_of(spec))
        return max(1, p // stride[-1])
    return p


def edge_converter(src: LayerSpec, dst: LayerSpec, a: int, b: int, words: int) -> Module | None:
    """The converter on an edge from `a` output streams of `src` to `b` input streams of
    `dst` carrying `words` features per frame (None where streams and pixels per word match).

    fpgaConvNet's squeeze re-streams a -> b; with multi-pixel layers the same block also
    re-packs q pixels per word into p' (a width converter, e.g. after a stride). It moves
    min(a q, b p') features per cycle and buffers lcm(a q, b p') of them.
    """
    q, p = pixels_out(src), pixels_in(dst)
    if dst.kind == "eltwise" and all(pixels_of(s) == 1 for s in src.outputs) and pixels_of(dst.outputs[0]) > 1:
        p = 1  # a broadcast operand stays one value a word per channel at any p (RTL, HLS)
    if a == b and q == p:
        return None
    dw = src.data_width
    side_in, side_out = a * q, b * p
    narrow = min(side_in, side_out)
    buffer = lcm(side_in, side_out)
    return Module("squeeze", 1, words, words, -(-words // narrow), 1, fill=buffer, pipeline=2,
                  memories=(Memory("buffer", dw, buffer // narrow, narrow),),
                  logic=(("const", 1), ("io_bits", dw * (side_in + side_out)),
                         ("counter_bits", clog2(buffer))))


def _needs_window(spec: LayerSpec) -> bool:
    kernel = kernel_of(spec)
    stride = spec.stride or (1,) * len(kernel)
    return prod(kernel) > 1 or any(s > 1 for s in stride) or any(spec.pad)


def window_problem(spec: LayerSpec) -> str | None:
    """Why the layer cannot run with `window_evicted` as folded, or None (eviction's
    window_evictable on its sliding window's streams and channels per stream). The one check
    the verifier (check_folding), both backends and the DSE ask."""
    if spec.kind not in ("conv", "pool"):
        return "only a conv or pool layer has a sliding window"
    window = next((m for m in expand(replace(spec, window_evicted=False)) if m.name == "sliding_window"), None)
    if window is None:
        return "it has no sliding window (a 1x1 kernel of stride 1 without padding reads pixels as they come)"
    return window_evictable(spec, window.instances, window.words_in // pixels_of(spec.inputs[0]))


def _sliding_window(spec: LayerSpec, streams: int, ch_s: int, per_window: float = 1.0,
                    slack: int = WINDOW_SLACK) -> Module:
    """Line/window buffers turning one pixel stream into a window stream.

    For spatial dim i (outermost first) the window keeps (e_i - 1) * prod(e[:i]) buffers of
    prod(S[i+1:]) * ch_s words, e = dilated kernel extent, S = padded input: 2D gives the
    classic (k-1) line buffers plus k(k-1) window buffers, 3D adds (k_d - 1) frame buffers.
    With `window_evicted` dim 0's lines are in DDR (eviction.py): each of its k_0 taps feeds
    its own lines of the inner dims, and k_0 burst buffers (a write, a read per lagged tap)
    stand in for the rest.
    `per_window` is the cycles its consumer takes per window word: the window's frame time
    (`window_cycles`) includes the stalls that consumer causes, less the `slack` windows
    buffered between them (`window_slack`).

    With p pixels per word the buffers hold words of p pixels (`_multi_pixel_window`): line
    buffers p x dw wide and a row of the word grid deep, and the last dim keeps the grid's
    span - 1 previous words; the window emits q = p / s windows per word.
    """
    if pixels_in(spec) > 1:
        return _multi_pixel_window(spec, streams, ch_s, per_window, slack)
    dims = padded_spatial(spec)
    kernel = kernel_of(spec)
    dilation = spec.dilation or (1,) * len(kernel)
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    dw = spec.data_width
    memories = []
    # taps feeding the delay lines of dim i: every position of the outer dims' lines; with
    # window_evicted, dim 0's lines are in DDR and only its kernel's taps come back
    evicted = spec.window_evicted
    feeding = [prod(extent[:i]) for i in range(len(extent))]
    if evicted:
        feeding = [0] + [kernel[0] * prod(extent[1:i]) for i in range(1, len(extent))]
        memories.append(Memory(WINDOW_DMA, dw, window_burst(spec, streams), copies=kernel[0]))
    for i, e in enumerate(extent):
        if e <= 1 or not feeding[i]:
            continue
        depth = prod(dims[i + 1:]) * ch_s
        role = "line_buffer" if i < len(extent) - 1 else "window_buffer"
        memories.append(Memory(role, dw, depth, (e - 1) * feeding[i]))
    fill = _window_fill(spec, extent, ch_s)
    window = prod(kernel)
    words_in = pixels_of(spec.inputs[0]) * ch_s
    interval = window_cycles(*window_walk(spec), ch_s, per_window, slack)
    return Module(
        "sliding_window", streams, words_in, pixels_of(spec.outputs[0]) * ch_s,
        interval=interval, ii=1, fill=fill, pipeline=2, memories=tuple(memories),
        logic=(("const", 1), ("io_bits", dw * (1 + window)), ("window_bits", window * dw),
               ("counter_bits", sum(clog2(d) for d in dims) + clog2(ch_s))))


def _window_fill(spec: LayerSpec, extent, ch_s: int, p: int = 1, row_words: int | None = None) -> int:
    """Input words read before the first window (the window inserts the padding itself, at
    a word per cycle, so only words of the input wait for the producer); p pixels a word,
    `row_words` the input words of the first window's row it needs (p > 1: the grid's)."""
    real = spatial(spec.inputs[0])
    pad = tuple(spec.pad) or (0,) * (2 * len(real))
    last = [min(max(e - 1 - q, 0), d - 1) for e, q, d in zip(extent, pad, real)]
    row = cdiv(real[-1], p)
    outer = sum(c * prod(real[i + 1:-1]) * row for i, c in enumerate(last[:-1]))
    first = last[-1] + 1 if row_words is None else row_words
    return (outer + first - 1) * ch_s + 1


class WordGrid(NamedTuple):
    """Where a p-pixel sliding window's words sit along a row (the RTL walks this grid).

    Input words hold real columns [w p, w p + p); the window walks `lead` padding words, the
    W / p input words and `trail` padding words per row (`row` in all). The q windows of
    output group g (outputs g q .. g q + q - 1) end in the word `emit` words after input word
    g, so they are pushed at walk positions lead + emit .. lead + emit + out_words - 1, and
    their taps reach `span` words back (the newest included)."""

    lead: int
    trail: int
    row: int
    emit: int
    span: int
    out_words: int


def window_word_grid(spec: LayerSpec) -> WordGrid:
    """The word grid of a p-pixel sliding window (p = pixels_in, q = pixels_out windows a
    word, s the row stride, e the dilated row extent, b the row's leading padding): group g's
    last tap is column g p + p - s + e - 1 - b, its first g p - b."""
    p, q = pixels_in(spec), pixels_out(spec)
    kernel = kernel_of(spec)
    n = len(kernel)
    dilation = spec.dilation or (1,) * n
    e = dilation[-1] * (kernel[-1] - 1) + 1
    s = (spec.stride or (1,) * n)[-1]
    b = (tuple(spec.pad) or (0,) * (2 * n))[n - 1]
    width = spatial(spec.inputs[0])[-1]
    lead = cdiv(b, p)
    emit = (p - s + e - 1 - b) // p
    out_words = spatial(spec.outputs[0])[-1] // q
    trail = max(0, emit + out_words - width // p)
    return WordGrid(lead, trail, lead + width // p + trail, emit, emit + lead + 1, out_words)


def _multi_pixel_window(spec: LayerSpec, streams: int, ch_s: int, per_window: float, slack: int) -> Module:
    """The sliding window of a p-pixel layer, on its word grid (`window_word_grid`): every
    padded row is `row` words, an output row `out_words` words of q windows each."""
    p, q = pixels_in(spec), pixels_out(spec)
    grid = window_word_grid(spec)
    dims = padded_spatial(spec)
    kernel = kernel_of(spec)
    dilation = spec.dilation or (1,) * len(kernel)
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    dw = spec.data_width
    word_dims = dims[:-1] + (grid.row,)
    memories = []
    for i, e in enumerate(extent[:-1]):
        if e > 1:
            memories.append(Memory("line_buffer", dw * p, prod(word_dims[i + 1:]) * ch_s,
                                   (e - 1) * prod(extent[:i])))
    if grid.span > 1:
        memories.append(Memory("window_buffer", dw * p, ch_s, (grid.span - 1) * prod(extent[:-1])))
    _, _, _, word_out = walk = window_walk(spec)
    interval = window_cycles(*walk, ch_s, per_window, slack)
    window = prod(kernel)
    real_row = spatial(spec.inputs[0])[-1] // p
    return Module(
        "sliding_window", streams, pixels_of(spec.inputs[0]) * ch_s // p,
        prod(word_out) * ch_s, interval=interval, ii=1,
        fill=_window_fill(spec, extent, ch_s, p, min(grid.emit + 1, real_row)), pipeline=2,
        memories=tuple(memories),
        logic=(("const", 1), ("io_bits", dw * (p + q * window)),
               ("window_bits", grid.span * p * prod(extent[:-1]) * dw),
               ("counter_bits", sum(clog2(d) for d in word_dims) + clog2(ch_s))))


def window_slack(spec: LayerSpec) -> int:
    """Windows buffered between a dense conv's sliding window and its MAC units, the one
    being worked on included: the window's output stream (WINDOW_SLACK), the window the MAC
    unit holds while its filters reuse it (RTL conv.py / fcu.py), and with coarse_out > 1
    the fork's 2-word output buffers. RTL, where a window runs dry at a row or frame
    border: tiny_mobilenet's depthwise conv (no fork, 3 windows of 9 cycles) 19,328 cycles a
    frame measured, 19,368 modelled with 3 (19,440 with 2); digits features.0 at p = 2 and
    coarse_out = 4 (5 windows of 4 cycles cover the 14-word frame border) 128 measured and
    modelled (134 with 2). Used at p > 1; the one-pixel window still counts WINDOW_SLACK
    (moving it changes hand-computed figures across the model's tests)."""
    return WINDOW_SLACK + 1 + (2 if spec.coarse_out > 1 else 0)


def window_walk(spec: LayerSpec) -> tuple[tuple[int, ...], ...]:
    """(dims, extent, stride, out) of the walk a sliding window makes, in words: the padded
    input, kernel extent, stride and output per spatial dim; a p-pixel window walks its word
    grid (`window_word_grid`), where along a row the stride is inside the word and a window
    "extent" is lead + emit + 1 words (the words of a row before its first window, plus that
    one), and an output row is out_words words."""
    kernel = kernel_of(spec)
    dilation = spec.dilation or (1,) * len(kernel)
    extent = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    stride = tuple(spec.stride) or (1,) * len(kernel)
    dims, out = padded_spatial(spec), spatial(spec.outputs[0])
    if pixels_in(spec) == 1:
        return dims, extent, stride, out
    grid = window_word_grid(spec)
    return (dims[:-1] + (grid.row,), extent[:-1] + (grid.lead + grid.emit + 1,),
            stride[:-1] + (1,), out[:-1] + (grid.out_words,))


@lru_cache(maxsize=65536)
def window_tail(spec: LayerSpec) -> float:
    """Fraction of a windowed layer's output windows emitted after its last real input word:
    the windows in row-major order from the first one whose far corner reaches the last real
    position in every dim (those reaching into the trailing padding need no more input). 0
    for a layer without a sliding window.

    Why: behind a partition's bottleneck a layer gets its last input as the bottleneck ends
    its frame, then works these windows alone at its own pace, so they add to a frame's
    latency (RTL, tiny_resnet unrolled, stem.0 the bottleneck: block.conv2's 3x3 pad 1 on
    8 x 8 ends 640 cycles after block.conv1, 10 of its 64 windows at 4,256 cycles a frame)."""
    if spec.kind not in ("conv", "pool") or not _needs_window(spec):
        return 0.0
    kernel = kernel_of(spec)
    n = len(kernel)
    dilation = spec.dilation or (1,) * n
    stride = tuple(spec.stride) or (1,) * n
    pad = spec.pad or (0,) * (2 * n)
    dims, out = spatial(spec.inputs[0]), spatial(spec.outputs[0])
    # per dim, the first output position whose window's far corner reaches the last real row
    first = [min(max(0, -(-(pad[i] + dims[i] - 1 - dilation[i] * (kernel[i] - 1)) // stride[i])), out[i] - 1)
             for i in range(n)]
    index = 0
    for i in range(n):  # row-major index of that window
        index = index * out[i] + first[i]
    return (prod(out) - index) / prod(out)


def window_runs(dims, extent, stride, out, ch_s: int) -> list[tuple[int, int]]:
    """The runs of input words a sliding window walks without emitting a window, per frame,
    as (how many such runs, words each): between the stride phases of a line, from one
    emitting line to the next (the line's tail, the lines a stride or border skips, the next
    line's lead), and from a frame's last window to the next frame's first."""
    n = len(dims)
    line = dims[-1] * ch_s
    lead = (extent[-1] - 1) * ch_s  # words of a line before its first window
    tail = (dims[-1] - extent[-1] - (out[-1] - 1) * stride[-1]) * ch_s  # after its last
    runs = [(prod(out[:-1]) * (out[-1] - 1), (stride[-1] - 1) * ch_s)]
    lines = [prod(dims[i + 1:-1]) for i in range(n - 1)]  # lines per step of outer dim i
    # positions of outer dim i without a window: after the last and before the first
    border = [dims[i] - extent[i] - (out[i] - 1) * stride[i] + extent[i] - 1 for i in range(n - 1)]
    for i in range(n - 1):  # from one emitting line to the next: dim i steps, inner dims wrap
        skipped = (stride[i] - 1) * lines[i] + sum(border[j] * lines[j] for j in range(i + 1, n - 1))
        runs.append((prod(out[:i]) * (out[i] - 1), tail + skipped * line + lead))
    skipped = sum(border[j] * lines[j] for j in range(n - 1))  # last line to the next frame
    runs.append((1, tail + skipped * line + lead))
    return runs


def window_cycles(dims, extent, stride, out, ch_s: int, per_window: float, slack: int = WINDOW_SLACK) -> int:
    """Cycles per frame of a sliding window (one word per cycle, padding included) whose
    consumer takes `per_window` cycles per window, with no buffer between them but `slack`
    windows (the stream's WINDOW_SLACK, more where the consumer holds one, `window_slack`).

    Why: the window emits a window only at positions on the stride grid and stalls its input
    until the consumer takes it, while the words between windows (the other stride phases,
    the borders, the skipped rows of a stride > 1) pass at one per cycle with the consumer
    idle once it has drained the slack. So the frame takes the consumer's windows x
    per_window plus, for every run of n words without a window, max(0, n - slack x
    per_window), and never less than its words (the interval when per_window <= 1).
    A stride-1 window counts its borders too, (e - 1) words of every line and of every
    frame: a MAC of few cycles per window waits for them (RTL: tiny_mobilenet's depthwise
    conv, 9 cycles per window, 19,328 cycles/frame against 19,440 here and 18,432 without
    them; digits features.3 at 16 cycles per window 8,278 against 8,336 and 8,192).
    """
    words = prod(dims) * ch_s
    if per_window <= 1:
        return words
    drain = slack * per_window
    idle = sum(count * max(0.0, run - drain) for count, run in window_runs(dims, extent, stride, out, ch_s))
    busy = prod(out) * ch_s * per_window + idle
    return max(words, -(-int(busy * 1_000_000) // 1_000_000))


def _weights_layer(spec: LayerSpec) -> tuple[Module, ...]:
    """conv and inner_product: sliding window, fork, conv (MAC), weights, glue, accum, bias.

    With p pixels per word a conv unit holds `lanes` = q MAC arrays (one per window of a word)
    reading one weights word together; an inner product holds p FCUs, one per pixel of the
    word, whose weights differ (a p-times wider, p-times shallower memory) and whose products
    an adder tree of p - 1 adders sums into one dot product.
    """
    is_conv = spec.kind == "conv"
    groups = spec.groups if is_conv else 1
    ci, co, cg, f = spec.coarse_in, spec.coarse_out, spec.coarse_group, spec.fine
    dw, ww, aw = spec.data_width, spec.weight_width, spec.acc_width
    kernel = prod(kernel_of(spec)) if is_conv else 1
    filters = cdiv(channels_out(spec), spec.wr_factor)  # filters computed per run
    cin_g = cdiv(channels_in(spec), groups)
    cout_g = cdiv(filters, groups)
    groups_s = cdiv(groups, cg)
    ch_s = cdiv(cin_g, ci) * groups_s  # channels per input stream
    cout_s = cdiv(cout_g, co)  # filters per output stream per group
    in_streams, mac_units, out_streams = ci * cg, ci * co * cg, co * cg
    out_pixels = pixels_of(spec.outputs[0]) if is_conv else 1
    p = pixels_in(spec)
    lanes = pixels_out(spec) if is_conv else p  # MAC arrays (conv) / FCUs (inner product)
    q = lanes if is_conv else 1  # pixels per output word
    # window words per input stream: q windows a word (conv), p features a word (FC)
    windows = cdiv(out_pixels, q) * ch_s if is_conv else cdiv(ch_s, p)
    dots = windows * cout_s  # dot products per MAC unit

    sparse = sparse_engine(spec)
    if sparse:
        # PASS: the slowest stream sets the interval (seed 003, eq. 3).
        ii = max(stream_cycles(spec, in_streams, groups, ci, cg, kernel, f))
        weight_word, weight_depth = kernel * ww, ch_s * cout_s
        crossbar = crossbar_logic(kernel, f, dw, ww)
    else:
        ii = cdiv(kernel, f)
        weight_word, weight_depth = f * ww, ch_s * cout_s * cdiv(kernel, f)
        crossbar = ()
    fcu_adders = 0.0
    if not is_conv and p > 1:  # per-pixel FCUs: their own weights, side by side in one word
        weight_word, weight_depth = weight_word * p, cdiv(weight_depth, p)
        fcu_adders = (p - 1) / p  # per lane: the p - 1 adders summing the FCUs
    conv_interval = -(-int(dots * ii * 1_000_000) // 1_000_000)  # ceil, robust to float fuzz

    modules = []
    if is_conv and _needs_window(spec):  # each window feeds cout_s dot products of ii cycles
        # the multi-pixel window counts the buffered windows the RTL has; the one-pixel one
        # keeps WINDOW_SLACK for now (the same under-count, 0.2-0.7%: see window_slack)
        slack = window_slack(spec) if pixels_in(spec) > 1 and not sparse else WINDOW_SLACK
        modules.append(_sliding_window(spec, in_streams, ch_s, cout_s * ii, slack))
    if sparse and spec.sparse_buffer:
        modules.append(sparse_buffer(spec, in_streams, windows, kernel))
    # units (g, i, j) and (g, i, j + 1) read one window: paired, they are one conv module of
    # 2q MAC arrays whose twin arrays multiply the same taps (dsp.pairs_units), fed by one
    # fork output, with two results (docs/notes/rtl-backend.md "DSP packing")
    paired = 2 if pairs_units(spec) else 1
    # a 1x1 conv's ci units of one output stream (pair) are one module summing their dot
    # products in a registered tree of clog2(ci) levels, no glue (dsp.sums_coarse_in)
    fused = ci if sums_coarse_in(spec) else 1
    forks = co // paired  # fork outputs: one per unit (pair)
    if forks > 1:
        modules.append(Module("fork", in_streams, windows, windows * forks, windows, 1,
                              logic=(("const", 1), ("io_bits", kernel * dw * (1 + forks) * q))))
    # A stream runs up to sparse_buffer windows ahead of a slower one only if those windows'
    # results can wait for the glue too: the sparse engine's output FIFO (RTL sparse_conv.py).
    results = (Memory("buffer", aw, spec.sparse_buffer * cout_s),) if sparse and spec.sparse_buffer else ()
    sharing = lanes if is_conv else 1
    arrays = lanes * paired
    # packed multiplies per module, each with its operand-packing adder (LUTs, not DSPs)
    packed = f * lanes if paired == 2 else f * (lanes // 2) if sharing > 1 and packs(dw, ww) else 0
    summed = (("sum_bits", (fused - 1) * aw),) if fused > 1 else ()
    modules.append(Module(
        "conv", mac_units // paired // fused, windows * fused, dots * paired, conv_interval, ii, fill=0,
        memories=results,
        pipeline=MULT_STAGES + clog2(f) + cdiv(kernel, f) + (clog2(p) if fcu_adders else 0)
        + (clog2(fused) if fused > 1 else 0),
        mults=f * fused, mult_widths=(dw, ww), lanes=arrays, weight_sharing=sharing, input_sharing=paired,
        logic=(("const", 1), ("io_bits", (kernel * dw * lanes * fused + aw * arrays)),
               ("mult_bits", f * fused * (dw + ww)), ("adder_bits", (max(f - 1, 0) + fcu_adders) * aw),
               ("counter_bits", clog2(cdiv(kernel, f))), ("packed_mults", packed * fused)) + summed + crossbar))
    reads = dots if sparse else dots * ii  # the sparse engine reads all K weights per window
    modules.append(weights_memory(spec, mac_units, reads, weight_word, weight_depth))

    acc_in = cdiv(cin_g, ci) if is_conv else windows  # words summed per result
    per_out = cdiv(out_pixels, q) * cout_s * groups_s  # result words per output stream
    # The ci units of one (g, j) emit their dot products in the same (pixel, channel, filter)
    # order, so the glue adds them as they come (seed 004's adder tree over the j parallel
    # products) and one accumulator per output stream sums the channels: co*cg partial-sum
    # memories, not ci*co*cg. Wrapping acc_width sums are associative: the same results.
    if ci > 1 and fused == 1:
        modules.append(Module(
            "glue", out_streams, dots * ci, dots, dots, 1, pipeline=1 + clog2(ci), lanes=q,
            logic=(("const", 1), ("io_bits", aw * (ci + 1) * q), ("adder_bits", (ci - 1) * aw))))
    if acc_in > 1:
        modules.append(Module(
            "accum", out_streams, dots, per_out, dots, 1, fill=(acc_in - 1) * cout_s + 1,
            pipeline=2, memories=(Memory("accumulator", aw * q, cout_s),), lanes=q,
            logic=(("const", 1), ("io_bits", 2 * aw * q), ("adder_bits", aw),
                   ("counter_bits", clog2(acc_in) + clog2(cout_s)))))
    if spec.has_bias:
        modules.append(Module(
            "bias", out_streams, per_out, per_out, per_out, 1, pipeline=2, lanes=q,
            memories=(Memory("parameters", ww, cdiv(filters, out_streams)),),
            logic=(("const", 1), ("io_bits", (aw + dw) * q), ("adder_bits", aw),
                   ("counter_bits", clog2(cout_s)))))
    return tuple(modules)


def _pool(spec: LayerSpec) -> tuple[Module, ...]:
    c, f, dw = spec.coarse_in, spec.fine, spec.data_width
    ch_s = cdiv(spec.inputs[0][0], c)
    kernel = prod(kernel_of(spec))
    q = pixels_out(spec)  # windows per word, each on its own comparator/adder tree
    windows = cdiv(pixels_of(spec.outputs[0]), q) * ch_s
    ii = cdiv(kernel, f)
    averaging = spec.mode == "avg"
    widths = (0, 0)
    if averaging:  # the exact division by the window's in-bounds taps (a shift, or a multiply)
        k = kernel_of(spec)
        pad = tuple(spec.pad) or (0,) * (2 * len(k))
        _, dens = pool_divisors(spatial(spec.inputs[0]), spatial(spec.outputs[0]), k,
                                tuple(spec.stride) or k, pad[:len(k)])
        widths = _divider(dens, dw + clog2(kernel))
    pool = Module(
        "pool", c, windows, windows, windows * ii, ii, pipeline=1 + clog2(kernel),
        mults=1 if widths[0] else 0, mult_widths=widths, lanes=q,
        logic=(("const", 1), ("io_bits", dw * (kernel + 1) * q),
               ("adder_bits" if averaging else "compare_bits", max(f - 1, 1) * dw),
               ("counter_bits", clog2(ii))))
    return (_sliding_window(spec, c, ch_s, ii), pool)


def _global_pool(spec: LayerSpec) -> tuple[Module, ...]:
    c, dw, aw = spec.coarse_in, spec.data_width, spec.acc_width
    ch_s = cdiv(spec.inputs[0][0], c)
    pixels = pixels_of(spec.inputs[0])
    p = pixels_in(spec)  # a word's p pixels are reduced by a tree first: p - 1 more ops
    words = cdiv(pixels, p) * ch_s
    averaging = spec.mode == "avg"
    widths = _divider([pixels], dw + clog2(pixels)) if averaging else (0, 0)
    return (Module(
        "global_pool", c, words, ch_s, words, 1,
        fill=words - ch_s + 1, pipeline=MULT_STAGES + clog2(p) if p > 1 else MULT_STAGES,
        mults=1 if widths[0] else 0, mult_widths=widths,
        memories=(Memory("accumulator", aw, ch_s),),
        logic=(("const", 1), ("io_bits", dw * (p + 1)),
               ("adder_bits" if averaging else "compare_bits", aw * p),
               ("counter_bits", clog2(pixels) + clog2(ch_s)))),)


def _divider(dens, sum_bits: int) -> tuple[int, int]:
    """Multiplier widths of the exact round-half-up division of a sum by one of `dens` ((0, 0)
    when every divisor is a power of two: a shift), as the RTL builds it (dsp.DivPlan)."""
    return DivPlan.of(dens, sum_bits).mult_widths


def _elementwise(spec: LayerSpec, name: str, mults: int, extra: tuple = ()) -> Module:
    """A module that touches every word once: one word per cycle per stream."""
    c, dw, p = spec.coarse_in, spec.data_width, pixels_in(spec)
    words = cdiv(pixels_of(spec.inputs[0]), p) * cdiv(spec.inputs[0][0], c)
    return Module(name, c, words, words, words, 1, pipeline=1 + (MULT_STAGES if mults else 0),
                  mults=mults, mult_widths=(dw, dw), lanes=p,
                  logic=(("const", 1), ("io_bits", 2 * dw * p)) + extra)


def _activation(spec: LayerSpec) -> tuple[Module, ...]:
    mults = ACTIVATION_MULTS.get(spec.mode, 1)
    module = _elementwise(spec, "activation", mults,
                          (("compare_bits", spec.data_width * (2 if spec.mode == "relu6" else 1)),))
    if spec.mode == "leaky_relu":
        module = replace(module, mult_widths=(spec.data_width, ALPHA_BITS))
    if spec.mode in TABLE_ACTIVATIONS:
        # p lookups per word: a table per two lanes (a block RAM ROM has two read ports)
        module = replace(module, memories=(Memory("table", spec.data_width, 1 << spec.data_width,
                                                  cdiv(pixels_in(spec), 2)),))
    return (module,)


def _scale_shift(spec: LayerSpec) -> tuple[Module, ...]:
    module = replace(_elementwise(spec, "scale_shift", 1, (("adder_bits", spec.acc_width),)),
                     mult_widths=(spec.data_width, spec.weight_width))
    params = Memory("parameters", 2 * spec.weight_width, cdiv(spec.inputs[0][0], spec.coarse_in))
    return (replace(module, memories=(params,)),)


def _eltwise(spec: LayerSpec) -> tuple[Module, ...]:
    c, dw, p = spec.coarse_in, spec.data_width, pixels_in(spec)
    words_out = cdiv(pixels_of(spec.outputs[0]), p) * cdiv(spec.outputs[0][0], c)
    # a broadcast operand (one pixel) is one word per channel at any p
    words_in = sum(cdiv(pixels_of(s), p) * cdiv(s[0], c) for s in spec.inputs)
    extra = len(spec.inputs) - 1
    mults = extra if spec.mode == "mul" else 0
    # a broadcast operand (one value per channel) is kept for the frame's other pixels
    ch_s = cdiv(spec.outputs[0][0], c)
    kept = tuple(Memory("buffer", dw, ch_s) for s in spec.inputs[1:]
                 if pixels_of(s) == 1 < pixels_of(spec.outputs[0]))
    return (Module("eltwise", c, words_in, words_out, words_out, 1,
                   pipeline=1 + (MULT_STAGES if mults else 0), mults=mults, mult_widths=(dw, dw),
                   memories=kept, lanes=p,
                   logic=(("const", 1), ("io_bits", dw * (len(spec.inputs) + 1) * p),
                          ("adder_bits", 0 if mults else extra * dw))),)


def _concat(spec: LayerSpec) -> tuple[Module, ...]:
    c, dw, p = spec.coarse_in, spec.data_width, pixels_in(spec)
    pixels = cdiv(pixels_of(spec.outputs[0]), p)  # words of p pixels per channel
    per_input = [cdiv(s[0], c) for s in spec.inputs]
    words_out = pixels * sum(per_input)
    # no buffer of its own: an input waits on its stream while the others drain, and the
    # words that pile up there are the join FIFO of fifo_depths (costed per edge)
    return (Module("concat", c, words_out, words_out, words_out, 1, pipeline=2,
                   logic=(("const", 1), ("io_bits", dw * (len(per_input) + 1) * p),
                          ("counter_bits", sum(clog2(n) for n in per_input)))),)


def _split(spec: LayerSpec) -> tuple[Module, ...]:
    c, dw, p = spec.coarse_in, spec.data_width, pixels_in(spec)
    words = cdiv(pixels_of(spec.inputs[0]), p) * cdiv(spec.inputs[0][0], c)
    n = len(spec.outputs)
    return (Module("split", c, words, words * n, words, 1,
                   logic=(("const", 1), ("io_bits", dw * (n + 1) * p))),)


def _resize(spec: LayerSpec) -> tuple[Module, ...]:
    """Nearest upsampling: an input line is re-emitted once per repeated output line, so the
    buffer holds everything inside the outermost scaled spatial dim. With p pixels a word the
    buffer holds p-pixel words (a row is W / p of them) and an input word becomes s_W output
    words, all of its own pixels (RTL resize.py)."""
    c, dw, p = spec.coarse_in, spec.data_width, pixels_in(spec)
    ch_s = cdiv(spec.inputs[0][0], c)
    dims_in, dims_out = spatial(spec.inputs[0]), spatial(spec.outputs[0])
    scaled = [i for i, (a, b) in enumerate(zip(dims_in, dims_out)) if b > a]
    depth = cdiv(prod(dims_in[scaled[0] + 1:]), p if scaled[0] + 1 < len(dims_in) else 1) * ch_s if scaled else 0
    words_in = pixels_of(spec.inputs[0]) // p * ch_s
    words_out = pixels_of(spec.outputs[0]) // p * ch_s
    memories = (Memory("line_buffer", dw * p, depth),) if depth > 1 else ()
    return (Module("resize", c, words_in, words_out, max(words_in, words_out), 1,
                   fill=depth, pipeline=2, memories=memories, lanes=p,
                   logic=(("const", 1), ("io_bits", 2 * dw * p),
                          ("counter_bits", sum(clog2(d) for d in dims_out) + clog2(ch_s)))),)


_EXPANDERS = {
    "conv": _weights_layer,
    "inner_product": _weights_layer,
    "pool": _pool,
    "global_pool": _global_pool,
    "activation": _activation,
    "scale_shift": _scale_shift,
    "eltwise": _eltwise,
    "concat": _concat,
    "split": _split,
    "resize": _resize,
}
