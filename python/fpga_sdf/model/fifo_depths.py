"""FIFO depths where branches of the dataflow join: the one function the resource model, the
HLS backend and the RTL backend all size their skip-connection FIFOs with.

Why: a layer that reads two streams (eltwise, concat) takes them in its own order, so while it
waits for the late branch the early branch's words pile up in front of it. Too shallow a FIFO
there deadlocks the whole partition: the split upstream blocks on the full FIFO and so never
feeds the late branch. The depth is a backlog in words, not a time: for every word k the join
needs from branch j, the split must have sent N_j(k) words (what branch j needs to deliver
its k-th word); from those, branch i delivers P_i(N_j(k)) words, of which the join has only
read what it consumes before that k-th word. The largest difference is the FIFO the early
branch needs. Examples: squeeze-excitation multiplies by a vector computed from the whole map,
so the skip FIFO holds the whole map; a dense concat's skip FIFO holds what the conv branch
holds back (about its line buffers); a residual add the same.

Every N is composed layer by layer from the layer's need function: for its k-th output word
(flat, channels fastest), how many words of an input it has read, from its geometry alone (a
window's bottom-right corner, all channels of a position for a convolution, a whole map for a
global pool or an inner product). Words inside a branch's own streams are not counted, so
the depth errs on the safe side. Folding does not change it (lanes run in lock-step), which
keeps it cheap to cache in the design-space exploration.
"""

from __future__ import annotations

from functools import lru_cache
from math import prod

from .spec import LayerSpec, kernel_of, pixels_of, spatial

MIN_FIFO_DEPTH = 2
SAMPLES = 2048  # join positions examined per edge (all of them for smaller maps)

__all__ = ["MIN_FIFO_DEPTH", "join_backlogs", "stream_depth", "fifo_depth", "output_burst",
           "chain_fifo_depth", "window_fill", "window_fill_depth", "window_fill_behind_squeeze", "window_gap_depth",
           "walk_deficit", "DMA_FIFO_BEATS", "dma_idle_cycles", "dma_padding_stall"]


def stream_depth(backlog: int, streams: int, words: int, pixels: int = 1) -> int:
    """Per-stream FIFO depth for a backlog of `backlog` features of a map of `words` features
    on `streams` streams of `pixels` pixels a word (a multi-pixel layer's words hold p
    features of a channel): the backlog per stream plus a register pair, at most the map."""
    lanes = max(streams, 1) * max(pixels, 1)
    per_stream = -(-words // lanes)
    need = -(-max(backlog, 0) // lanes)
    if need <= 1:  # a word in flight: the register pair holds it
        return MIN_FIFO_DEPTH
    return min(need, per_stream) + MIN_FIFO_DEPTH


def fifo_depth(backlog: int, streams: int, words: int, lag_words: int = 0, pixels: int = 1) -> int:
    """The depth of an edge's FIFO, per stream: enough for the backlog the join's order of
    reads builds up (below which the partition deadlocks), and for the words that arrive
    while the other branch's pipeline latency runs (`lag_words` per stream, below which the
    early branch stalls and the partition slows down). `pixels`: pixels per word of the
    stream (modules.pixels_out of the producer)."""
    return max(stream_depth(backlog, streams, words, pixels), lag_words + MIN_FIFO_DEPTH)


def output_burst(spec: LayerSpec, modules=None) -> int:
    """Words per output stream a layer emits back to back before a silent stretch: a MAC
    layer's accumulator emits a pixel's cout_s sums during the last channel's dot products
    and nothing while it sums the other acc_in - 1 channels; other layers emit smoothly (1).
    `modules`: the layer's expansion when the caller has it (modules.expand(spec))."""
    if modules is None:
        from .modules import expand  # modules does not import this file: no cycle
        modules = expand(spec)
    return next((m.memories[0].depth for m in modules if m.name == "accum"), 1)


def chain_fifo_depth(spec: LayerSpec, modules=None) -> int:
    """Per-stream depth of the FIFO on every edge out of `spec` (0: the depth-2 stream).

    Why: with a depth-2 stream a burst longer than two words stalls the accumulator as soon
    as the consumer pauses (a sliding window emitting to a slow MAC, a squeeze to fewer
    streams, a strided window), and a stalled accumulator stalls the MAC in front of it, so
    two stages each fast enough alone run slower together (RTL: +10-15%). A FIFO of one burst
    lets the producer hand over a pixel and go on summing the next while the consumer drains
    it. The resource model costs it (PartitionPerf.fifos), the backends emit it."""
    burst = output_burst(spec, modules)
    return burst if burst > MIN_FIFO_DEPTH else 0


def window_fill_depth(spec: LayerSpec, cycles_per_word: float, modules=None, streams: int | None = None,
                      pixels: int = 1) -> int:
    """Per-stream depth of the FIFO in front of a windowed layer `spec` whose producer
    delivers a word every `cycles_per_word` cycles on each of its `streams` streams of
    `pixels` pixels a word (default: the window's own streams and words; 0: the depth-2
    stream). Where the window is the slower and the producer's streams or pixels differ
    from the window's, the depth is per window stream, in its words, and the FIFO sits
    behind the squeeze (`window_fill_behind_squeeze`): a squeeze moves words at the rate
    of its narrower side, so a FIFO on one stream in front of a squeeze to two windows
    still hands them a word a cycle between them (RTL: 18,800 cycles a frame with one of
    3,042 words there, as without it, in the design below). Otherwise it is per producer
    stream, on the producer's streams.

    Why: a sliding window reads nothing while it walks padding (a frame's bottom padding,
    the next frame's top padding, the padded rows and columns) and a word per cycle per
    stream at the real positions, so a producer delivering less than a word per cycle per
    window stream and a short stream between them wait for each other. Two cases:

    - the producer (its frame time above the window's interval), or the window's MAC (its
      interval above the walk's word a cycle: the MAC paces the windows, and the deficit
      below, taken on the walk at a word a cycle, would be far too deep): the window drains the
      frame's last windows and walks the next frame's top padding while the producer has
      nothing to hand over, then needs `fill` words before its first window. A FIFO of the
      fill lets the producer run into the next frame during the drain, and the window reads
      the fill at a word per cycle (RTL without it: tiny_resnet 158,773 cycles/frame for
      conv2's 147,456, tiny_c3d 797,432 for conv 0's 663,552; with it 147,456 and 664,750,
      and every design of test_rtl_networks within 0.6%).
    - the window (the producer faster over a frame but slower than the window's real
      positions: one stream split over two windows, a word every 2 cycles of each): the
      window's real positions outrun the producer and the padding it walks alone cannot be
      made up, unless the words the producer delivers meanwhile wait in a FIFO. The FIFO
      holds the largest deficit of any stretch of the walk, words read less words delivered
      (`walk_deficit`). RTL, a relu on one stream in front of a 3x3x3 pad-1 conv on 32 x 6 x
      8 x 8 whose window runs on 2 streams (12,800 cycles, the relu 12,288): 18,800 cycles a
      frame without it, 12,800 with it (1,520 + 2 words on each window stream).

    Fed at a word per cycle per window stream or faster, nothing waits. `modules`: the
    layer's expansion when the caller has it."""
    return window_fill(spec, cycles_per_word, modules, streams, pixels)[0]


def window_fill_behind_squeeze(spec: LayerSpec, cycles_per_word: float, modules=None, streams: int | None = None,
                               pixels: int = 1) -> bool:
    """Whether window_fill_depth's FIFO (same arguments) sits on the window's streams, behind
    the squeeze from the producer's (the window-bound case, a producer on other streams or
    pixels per word), rather than on the producer's streams: one FIFO module of the window's
    streams and words, which both backends place behind the squeeze."""
    return window_fill(spec, cycles_per_word, modules, streams, pixels)[1]


def window_fill(spec: LayerSpec, cycles_per_word: float, modules=None, streams: int | None = None,
                pixels: int = 1) -> tuple[int, bool]:
    """(window_fill_depth, window_fill_behind_squeeze) at once: the partition model asks
    both of every edge into a windowed layer, in the DSE's inner loop."""
    if modules is None:
        from .modules import expand  # modules does not import this file: no cycle

        modules = expand(spec)
    window = next((m for m in modules if m.name == "sliding_window"), None)
    if window is None or window.fill <= MIN_FIFO_DEPTH:
        return 0, False
    from .modules import pixels_in  # modules does not import this file: no cycle

    # features a cycle the producer delivers, against a window stream's word a cycle
    lanes_in = max(streams or window.instances, 1) * max(pixels, 1)
    lanes_window = window.instances * pixels_in(spec)
    window_cpw = cycles_per_word * lanes_window / lanes_in  # cycles per word of a window stream
    if window_cpw <= 1:
        return 0, False
    if window_cpw * window.words_in > window.interval or window.interval > _walk_cycles(spec):
        # the producer is the slower, or the MAC paces the window: the fill, on the
        # producer's streams (as measured; fed a word a cycle on its own streams, none)
        return (0, False) if cycles_per_word <= 1 else (window.fill + MIN_FIFO_DEPTH, False)
    need = walk_deficit(spec, 1.0 / window_cpw)
    if need <= 0:
        return 0, False
    return need + MIN_FIFO_DEPTH, lanes_in != lanes_window


def walk_deficit(spec: LayerSpec, rate: float) -> int:
    """Most words a stream of `spec`'s sliding window reads in any stretch of its walk beyond
    what a producer delivering `rate` words a cycle to it (rate < 1) hands over in that
    stretch: the backlog that must wait in front of the window for it never to starve. The
    walk at a word a cycle, padding included (the real positions read a word, the padding
    none), frames back to back: two frames hold every stretch not longer than a frame, and a
    longer one reads no more than it is given (the producer keeps up over a frame)."""
    runs = _walk_runs(spec)
    f = low = worst = 0.0
    for _ in range(2):
        for real, cycles in runs:
            f += (cycles if real else 0) - rate * cycles
            low = min(low, f)
            worst = max(worst, f - low)
    return int(-(-worst // 1))


def _walk_cycles(spec: LayerSpec) -> int:
    return sum(cycles for _, cycles in _walk_runs(spec))


def _walk_runs(spec: LayerSpec, active: tuple[bool, ...] | None = None) -> tuple[tuple[bool, int], ...]:
    """A frame of a sliding window stream's walk as runs of (reads, cycles): a word a cycle
    over the padded input (its word grid at p pixels a word), ch_s words a position; a
    position reads iff its inner coordinates are real and its dim-0 slice is `active`
    (default: the real slices, where it reads its input)."""
    from .modules import expand, pixels_in, window_word_grid  # modules does not import this file

    window = next(m for m in expand(spec) if m.name == "sliding_window")
    real = spatial(spec.inputs[0])
    n = len(real)
    pad = tuple(spec.pad) or (0,) * (2 * n)
    p = pixels_in(spec)
    if p > 1:
        grid = window_word_grid(spec)
        lead, width, trail = grid.lead, real[-1] // p, grid.trail
    else:
        lead, width, trail = pad[n - 1], real[-1], pad[2 * n - 1]
    if active is None:
        active = tuple(pad[0] <= i < pad[0] + real[0] for i in range(pad[0] + real[0] + pad[n]))
    ch_s = window.words_in // (pixels_of(spec.inputs[0]) // p)
    return _runs(tuple(pad[i] for i in range(1, n - 1)), tuple(real[1:-1]), tuple(pad[n + i] for i in range(1, n - 1)),
                 lead, width, trail, ch_s, active)


@lru_cache(maxsize=4096)
def _runs(before, real, after, lead, width, trail, ch_s, active):
    """Runs of (reads, cycles) of a walk over dim-0 slices `active` (whether each reads) of
    the inner dims (before, real, after) padded, rows of lead + width + trail positions."""
    row = lead + width + trail
    runs: list[list] = []

    def add(reads, cycles):
        if cycles <= 0:
            return
        if runs and runs[-1][0] == reads:
            runs[-1][1] += cycles
        else:
            runs.append([reads, cycles])

    def walk(dim: int):
        if dim == len(real):
            add(False, lead * ch_s)
            add(True, width * ch_s)
            add(False, trail * ch_s)
            return
        inner = prod(b + r + a for b, r, a in zip(before[dim + 1:], real[dim + 1:], after[dim + 1:])) * row
        add(False, before[dim] * inner * ch_s)
        for _ in range(real[dim]):
            walk(dim + 1)
        add(False, after[dim] * inner * ch_s)

    slice_cycles = prod(b + r + a for b, r, a in zip(before, real, after)) * row * ch_s
    for reads in active:
        if reads:
            walk(0)
        else:
            add(False, slice_cycles)
    return tuple((r, c) for r, c in runs)


DMA_FIFO_BEATS = 64
"""Beats per AXI port the DMA buffers (prefetched reads, pending writes): bandwidth the
design leaves unused while it stalls is banked that far, then lost. The RTL simulation's DMA
(backend/rtl/module_sim.py) and the model's `dma_idle_cycles` read this one figure."""


def dma_idle_cycles(spec: LayerSpec, from_dma: bool, bits_per_cycle: float, bank_bits: float) -> int:
    """Cycles a frame a DMA sharing `bits_per_cycle` among a partition's ports loses to the
    walk of `spec`'s sliding window where the layer moves nothing through off-chip memory:
    its input (`from_dma`: read from the partition's input port) at the padding, and with
    `window_evicted` its lagged taps where the slice they lag to is padding too.

    Why: the model's bandwidth bound takes the DMA busy every cycle, but while the window
    walks such a run no port of the layer can move (the input has only its skid buffer, the
    write has nothing to send, the reads of the next frame wait for its writes): the DMA
    banks `bank_bits` (DMA_FIFO_BEATS beats of every port) and loses the rest of the run.
    Runs are taken at a word a cycle (the walk crosses padding at that pace), the frame's
    last and the next frame's first as one. RTL, the 3x3x3 pad-1 conv on 32 x 6 x 8 x 8 on
    2 streams: evicted at 40 bits a cycle 21,525 cycles a frame against 19,149 + 2,272; on
    chip at 10.91 bits 22,104 against 19,148 + 3,177; evicted at 13 bits 60,070 against
    58,920 + 1,164."""
    from .eviction import window_lags

    real = spatial(spec.inputs[0])
    pad = tuple(spec.pad) or (0,) * (2 * len(real))
    b0, d0 = pad[0], real[0]
    lags = [j for j in window_lags(spec) if j > 0] if spec.window_evicted else []
    active = tuple((from_dma and b0 <= i < b0 + d0) or any(b0 <= i - j < b0 + d0 for j in lags)
                   for i in range(b0 + d0 + pad[len(real)]))
    if not any(active):
        return 0
    runs = _walk_runs(spec, active)
    idle = [cycles for reads, cycles in runs if not reads]
    if len(runs) > 1 and not runs[0][0] and not runs[-1][0]:  # frames back to back
        idle = [idle[0] + idle[-1]] + idle[1:-1]
    bank = bank_bits / max(bits_per_cycle, 1e-9)
    return int(-(-sum(max(0.0, run - bank) for run in idle) // 1))


def dma_padding_stall(layers, edges, bits_per_cycle: float) -> int:
    """Cycles a frame the partition's DMA, sharing `bits_per_cycle`, loses to its windowed
    layers' padding (`dma_idle_cycles`): those reading the partition's input, and those with
    `window_evicted`. The DMA banks DMA_FIFO_BEATS beats of every port: the tensors'
    (a word of each stream a beat) and the evicted windows' (K0 ports of a word a stream).
    Deeper windowed layers are fed by on-chip layers, not counted (their producers' FIFOs,
    `window_fill_depth`, let them run ahead); nor is a partition streaming weights (AutoWS:
    a weights stream moves while the MAC works through the windows over the padding, so the
    DMA need not idle: 0, not measured)."""
    from .modules import expand, pixels_in, pixels_out
    from .spec import Partition

    layers = tuple(layers)
    if any(s.weights_off_chip or s.weights_fragments for s in layers):
        return 0
    part = Partition(layers, tuple(edges) if edges is not None else Partition.chain(layers).edges)
    specs = {s.name: s for s in layers}
    streams = {}
    for spec in layers:
        modules = expand(spec)
        streams[spec.name] = (modules[0].instances, modules[-1].instances, modules)
    beat_bits = sum(streams[n][0] * specs[n].data_width * pixels_in(specs[n]) for n, _ in part.inputs()) + \
        sum(streams[n][1] * specs[n].output_width * pixels_out(specs[n]) for n, _ in part.outputs())
    windows = []
    from_dma = {n for n, _ in part.inputs()}
    for name, spec in specs.items():
        window = next((m for m in streams[name][2] if m.name == "sliding_window"), None)
        if window is None or not (name in from_dma or spec.window_evicted):
            continue
        windows.append((spec, name in from_dma))
        if spec.window_evicted:
            beat_bits += kernel_of(spec)[0] * window.instances * spec.data_width
    bank = DMA_FIFO_BEATS * beat_bits
    return sum(dma_idle_cycles(spec, fed, bits_per_cycle, bank) for spec, fed in windows)


def window_gap_depth(spec: LayerSpec, in_cycles_per_word: float, out_cycles_per_word: float) -> int:
    """Per-stream depth of the FIFO on the edges out of a pool `spec` into a consumer slower
    than it, which takes `out_cycles_per_word` cycles a word of a stream, while the pool's
    window is fed a word every `in_cycles_per_word` cycles per stream (0: the depth-2 stream).

    Why: the pool's window emits nothing while it walks a run of words without a window (the
    rows and columns a stride skips, the next frame's first row), and cannot walk one ahead
    of the consumer: a word completing a window waits until the window is taken. Through a
    depth-2 stream the consumer idles for every such run (RTL: digits' 2x2 / 2 max pool on
    32x8x8 feeding the 512 -> 10 inner product at 10 cycles a word, four runs of 288 words a
    frame: 6,080 cycles a frame for the inner product's 5,120). A FIFO of the words the
    consumer works through during the longest run lets the window emit a line's windows
    ahead and walk the run meanwhile: the consumer never waits. Other windowed layers' MACs
    take several cycles a window and hold windows of their own; not measured, not sized."""
    from .modules import expand, window_runs, window_walk  # modules does not import this file

    if spec.kind != "pool" or out_cycles_per_word <= 1:
        return 0
    window = next((m for m in expand(spec) if m.name == "sliding_window"), None)
    if window is None:
        return 0
    ch_s = -(-spec.inputs[0][0] // spec.coarse_in)
    run = max(words for count, words in window_runs(*window_walk(spec), ch_s) if count)
    need = -(-int(run * max(in_cycles_per_word, 1.0) * 1_000_000) // int(out_cycles_per_word * 1_000_000))
    if need <= MIN_FIFO_DEPTH:
        return 0
    return min(need, window.words_out) + MIN_FIFO_DEPTH


def join_backlogs(layers: tuple[LayerSpec, ...], edges: tuple[tuple[str, str], ...]) -> dict:
    """Words each edge into a join (a layer with two or more producers) must buffer.
    `edges` list every consumer's producers in operand order."""
    return dict(_join_backlogs(tuple(_key(s) for s in layers), tuple(edges)))


def _key(spec: LayerSpec) -> tuple:
    """What a need function depends on (not the folding): cache key of the DSE."""
    return (spec.name, spec.kind, spec.inputs, spec.outputs, tuple(kernel_of(spec)),
            tuple(spec.stride), tuple(spec.pad), tuple(spec.dilation), spec.groups)


@lru_cache(maxsize=4096)
def _join_backlogs(keys, edges):
    specs = {k[0]: k for k in keys}
    preds: dict[str, list[str]] = {k[0]: [] for k in keys}
    for src, dst in edges:
        if src in preds and dst in preds:
            preds[dst].append(src)
    result = []
    for key in keys:
        name = key[0]
        if len(preds[name]) < 2:
            continue
        region = _region(specs, preds, name)
        for i, src in enumerate(preds[name]):
            result.append(((src, name), _region_backlog(region, i) if region else 0))
    return tuple(result)


def _region(specs, preds, join):
    """What a join's backlogs depend on, as a hashable key: its nearest fork and the layers
    on the paths from there to the join (with the producers whose shapes they read).

    Why: the DSE evaluates many candidate partitions holding the same residual block; keyed
    by the block alone, each join is computed once instead of once per partition."""
    fork = _nearest_fork(preds, join)
    if fork is None:
        return None  # independent inputs (from off-chip): nothing holds one back for the other
    reach = _Branches(specs, preds, fork).reach
    inside, todo = {join}, [join]
    while todo:
        for p in preds[todo.pop()]:
            if p in reach and p not in inside:
                inside.add(p)
                todo.append(p)
    inside.add(fork)
    nodes = []
    for name in sorted(inside | {p for n in inside if n != fork for p in preds[n]}):
        own = tuple(preds[name]) if name in inside and name != fork else ()
        nodes.append((specs[name], own))
    return join, fork, tuple(nodes)


@lru_cache(maxsize=4096)
def _region_backlog(region, i: int) -> int:
    join, fork, nodes = region
    specs = {key[0]: key for key, _ in nodes}
    preds = {key[0]: list(own) for key, own in nodes}
    return _backlog(specs, preds, join, i, fork)


# ------------------------------------------------------------------------- need functions


def _raster_count(dims, coord) -> int:
    """Positions of a (D, H, W) raster up to and including `coord` (clamped to the map)."""
    count, stride = 0, prod(dims)
    for d, c in zip(dims, coord):
        stride //= d
        if c < 0:
            return count
        if c >= d:
            return count + d * stride
        count += c * stride
    return count + 1


@lru_cache(maxsize=4096)
def _window_geometry(key):
    _, kind, inputs, outputs, kernel, stride, pad, dilation, groups = key
    dims = spatial(inputs[0])
    n = len(dims)
    stride = stride or (1,) * n
    pad = pad or (0,) * (2 * n)
    dilation = dilation or (1,) * n
    c_in, c_out = inputs[0][0], outputs[0][0]
    offsets = tuple((kk - 1) * d - p for kk, d, p in zip(kernel, dilation, pad[:n]))
    per_channel = kind == "pool" or (kind == "conv" and groups == c_in == c_out)
    return c_in, c_out, dims, tuple(reversed(spatial(outputs[0]))), stride, offsets, per_channel


def _window_need(key, k: int) -> int:
    """Input words a windowed layer (conv, pool) has read when it emits output word k: all
    positions up to its window's last tap (all channels, or only its own for a per-channel
    layer)."""
    c_in, c_out, dims, out_rev, stride, offsets, per_channel = _window_geometry(key)
    pixel, channel = divmod(k - 1, c_out)
    coord = []
    for size in out_rev:
        pixel, o = divmod(pixel, size)
        coord.append(o)
    last = [o * s + off for o, s, off in zip(reversed(coord), stride, offsets)]
    words = _raster_count(dims, last) * c_in
    if per_channel and words:
        words -= c_in - 1 - channel
    return max(words, 1)


def _layer_need(key, operand: int, k: int, operand_shapes) -> int:
    """Words of input `operand` layer `key` has read when it emits its k-th output word."""
    _, kind, inputs, outputs, *_ = key
    if k <= 0:
        return 0
    if kind == "conv" or kind == "pool":
        return _window_need(key, k)
    if kind == "inner_product":
        return prod(inputs[0])
    if kind == "global_pool":
        c = inputs[0][0]
        return (pixels_of(inputs[0]) - 1) * c + (k - 1) % c + 1
    if kind == "resize":
        c = inputs[0][0]
        pixel, channel = divmod(k - 1, c)
        out_dims, in_dims = spatial(outputs[0]), spatial(inputs[0])
        coord = []
        for o_size, i_size in zip(reversed(out_dims), reversed(in_dims)):
            pixel, o = divmod(pixel, o_size)
            coord.append(o * i_size // o_size)
        coord.reverse()
        return (_raster_count(in_dims, coord) - 1) * c + channel + 1
    if kind == "concat":
        c1, c2 = operand_shapes[0][0], operand_shapes[1][0]
        pixel, c = divmod(k - 1, c1 + c2)
        return pixel * c1 + min(c + 1, c1) if operand == 0 else pixel * c2 + max(0, c + 1 - c1)
    if kind == "eltwise":
        shape = operand_shapes[operand]
        if pixels_of(shape) == 1 and pixels_of(outputs[0]) > 1:
            return shape[0]  # a broadcast vector is read whole before the first word
        return k
    return k  # activation, scale_shift, split: word for word


class _Branches:
    """Need functions N_X(k) of every layer output, in words sent by one fork layer."""

    def __init__(self, specs, preds, fork):
        self.specs, self.preds, self.fork = specs, preds, fork
        self.cache: dict = {}
        self.reach = self._descendants(fork)

    def _descendants(self, fork):
        succs: dict = {}
        for dst, ps in self.preds.items():
            for p in ps:
                succs.setdefault(p, []).append(dst)
        seen, todo = {fork}, [fork]
        while todo:
            for nxt in succs.get(todo.pop(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def need(self, name: str, k: int) -> int:
        """Words the fork has sent when `name` emits its k-th word."""
        if name == self.fork or k <= 0:
            return max(k, 0)
        hit = self.cache.get((name, k))
        if hit is not None:
            return hit
        key = self.specs[name]
        shapes = [self._shape(p) for p in self.preds[name]]
        worst = 0
        for i, p in enumerate(self.preds[name]):
            if p in self.reach:
                worst = max(worst, self.need(p, _layer_need(key, i, k, shapes)))
        self.cache[(name, k)] = worst
        return worst

    def produced(self, name: str, sent: int, start: int = 0) -> int:
        """Words `name` can emit once the fork has sent `sent` words (need is monotone):
        a galloping search up from `start`, a count known to be reachable."""
        total = prod(self._out_shape(name))
        lo, step = start, 1
        while lo + step <= total and self.need(name, lo + step) <= sent:
            lo += step
            step *= 2
        hi = min(lo + step, total + 1) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.need(name, mid) <= sent:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def _out_shape(self, name):
        return self.specs[name][3][0]

    def _shape(self, name):
        return self._out_shape(name)


def _nearest_fork(preds, join) -> str | None:
    """The latest layer every input branch of `join` descends from."""
    def ancestors(name):
        seen, todo = set(), [name]
        while todo:
            for p in preds.get(todo.pop(), []):
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    branch_sets = [ancestors(p) | {p} for p in preds[join]]
    common = set.intersection(*branch_sets)
    if not common:
        return None
    # the latest: a common ancestor none of whose descendants is also common
    return max(common, key=lambda n: len(ancestors(n)))


def _samples(total: int) -> list[int]:
    if total <= SAMPLES:
        return list(range(1, total + 1))
    step = total / (SAMPLES - 256)
    return sorted(set(list(range(1, 257)) + [int(i * step) + 1 for i in range(SAMPLES - 256)] + [total]))


def _backlog(specs, preds, join, i, fork) -> int:
    """Largest number of words of input i waiting in front of `join`, the branches
    starting at `fork`."""
    key = specs[join]
    branches = _Branches(specs, preds, fork)
    shapes = [branches._shape(p) for p in preds[join]]
    src = preds[join][i]
    worst = 0
    out_words = prod(key[3][0])
    for j, other in enumerate(preds[join]):
        if j == i:
            continue
        # the join's output words, sampled, at which it asks input j for a new word
        produced = 0
        for k in _samples(out_words):
            want_j = _layer_need(key, j, k, shapes)
            if want_j <= _layer_need(key, j, k - 1, shapes):
                continue
            sent = branches.need(other, want_j)
            produced = branches.produced(src, sent, produced)
            worst = max(worst, produced - _layer_need(key, i, k - 1, shapes))
    return max(worst, 0)
