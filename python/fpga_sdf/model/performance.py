"""Cycles, throughput and latency of layers, partitions and whole networks (SDF model).

A layer's interval is its slowest module; a partition's is its slowest layer (rates are
balanced along the SDF graph: the FIFOs of `fifo_depths` keep adjacent layers from waiting
for each other), unless off-chip bandwidth is slower still; a network runs its partitions one after another,
reconfiguring the device between them, in passes over sub-batches when a batch's off-chip
tensors do not fit the board's memory.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from math import ceil, prod

from ..diagnostics import UserError

from .eviction import dma_buffers, evicted_edges, window_traffic
from .fifo_depths import (chain_fifo_depth, dma_padding_stall, fifo_depth, join_backlogs, window_fill,
                          window_gap_depth)
from .modules import Memory, Module, clog2, edge_converter, expand, pixels_in, pixels_out, window_tail
from .spec import LayerSpec, Partition, pixels_of, sparse_engine
from .workload import layer_ops, layer_weights, streamed_weights

BANDWIDTH_BOTTLENECK = "off-chip bandwidth"
SPARSE_CLOCK_FACTOR = 0.9
"""Clock reachable with PASS's sparse engine against the dense one: its crossbar is on the
critical path (seed 003, Table IV: 200 vs 223 MHz for a 3x3 layer)."""


@dataclass(frozen=True)
class LayerPerf:
    name: str
    kind: str
    interval: int  # cycles per feature map (per weights-reloading run): slowest module
    latency: int  # pipeline depth in cycles, first input to first output, at `interval`
    bottleneck: str  # the module setting the interval
    modules: tuple[Module, ...]
    ops: int  # operations per frame (2 per MAC)
    weights: int  # parameters held
    weights_bits: int
    words_in: int  # data words per frame over all inputs
    words_out: int
    streams_in: int
    streams_out: int
    wr_factor: int
    weights_streamed_words: int  # per frame, AutoWS (all runs together)
    weights_reload_words: int  # per batch pass, weights reloading (0 when wr_factor == 1)
    data_width: int
    weight_width: int
    pipeline_cycles: int  # fixed part of the depth
    fill_per_interval: float  # buffered fraction of a frame: depth grows by this x interval
    clock_factor: float = 1.0  # fraction of the fabric clock the layer's logic reaches

    def depth_at(self, interval: int) -> int:
        """Pipeline depth when the layer is slowed to a partition's interval."""
        return int(-(-(self.pipeline_cycles + self.fill_per_interval * interval) // 1))


@dataclass(frozen=True)
class PartitionPerf:
    interval: int  # cycles per frame per run, bandwidth bound included
    compute_interval: int
    bandwidth_interval: int
    bottleneck: str  # layer name, or "off-chip bandwidth"
    depth: int  # cycles of a run beyond frames x interval: a frame's latency less the interval
    runs: int  # weights-reloading runs over the batch
    batch: int
    clock_mhz: float
    cycles: int  # all runs over the batch, reloads excluded
    time_s: float  # all runs over the batch, reloads included
    fps: float
    latency_ms: float
    ops_per_frame: int
    gops: float
    offchip_bits_per_frame: int  # per run: feature maps in/out + streamed weights
    reload_bits: int  # weights reloaded per batch pass
    bandwidth_gbps: float  # average off-chip traffic while running
    layers: tuple[LayerPerf, ...]
    fifos: tuple[tuple[tuple[str, str], Module], ...]  # skip-connection buffers per edge
    squeezes: tuple[tuple[tuple[str, str], Module], ...]  # stream-count converters per edge
    # AutoWS: (layer, weight bits per frame per run) of every layer streaming weights, each
    # an m_axi master of its own dealt to a memory port beside the tensors' (deal_ports), all
    # of them within the memory's peak (bandwidth_interval).
    weights_streams: tuple[tuple[str, int], ...] = ()
    # Feature maps through off-chip memory: (layer, "in" or "out", bits per frame) of every
    # tensor the partition reads or writes, several where a cut crosses a residual block.
    # They share the memory (bandwidth_interval) with the streamed weights; per run, a reloaded
    # layer's output is its share of filters, any other output is written whole every run.
    # An evicted skip stream (model/eviction.py) is (producer, "evicted", bits): written and
    # read back every run, 2 x bits of traffic, a frame of DDR as its ring buffer. A layer
    # whose window's delay lines are evicted is (layer, "window", bits): the bits its frame
    # is written and its lagged taps read back (window_traffic), a frame of ring.
    offchip_tensors: tuple[tuple[str, str, int], ...] = ()
    ddr_bytes: int = 0  # DDR space of those tensors for the batch (each in/out a full frame x batch)
    frame_ddr_bytes: int = 0  # the same for one frame
    reload_s: float = 0.0  # weights reloading between the runs, included in time_s
    masters: int = 0  # m_axi masters moving data while it runs (tensors, weight streams)
    # the bits each of them moves a frame a run, as dealt to the memory ports (transfer_cycles;
    # on memory banks an evicted stream's write and read as one, the ring's bank)
    master_bits: tuple[int, ...] = ()
    ring_bits: int = 0  # its eviction rings (skip streams, windows): a frame each

    @property
    def ring_bytes(self) -> int:
        """DDR of its eviction rings, a frame each, allocated while it runs (the host's ring
        buffers, runtime.ring_buffers), whatever the batch."""
        return -(-self.ring_bits // 8)


@dataclass(frozen=True)
class NetworkPerf:
    partitions: tuple[PartitionPerf, ...]
    batch: int
    clock_mhz: float
    reconfigurations: int  # over all passes
    reconfiguration_s: float
    time_s: float
    fps: float
    latency_ms: float
    ops_per_frame: int
    gops: float
    bottleneck_partition: int
    # DDR capacity: the batch runs in `passes` passes of `sub_batch` frames (the last one the
    # rest) when its off-chip tensors do not fit beside the weight images; `partitions` are
    # costed over the whole batch in one pass, `partition_time_s` over all the passes.
    sub_batch: int = 0
    passes: int = 1
    ddr_free_bytes: int | None = None  # DDR left for tensors beside the weight images (None: unchecked)
    image_bytes: int = 0  # every layer's weights image, kept in DDR over the batch
    partition_time_s: tuple[float, ...] = ()
    # DDR bytes a frame live while each partition runs: its own tensors, plus with the
    # network's links those passing by it (written before it, read after it)
    live_frame_bytes: tuple[int, ...] = ()
    ddr_partition: int = 0  # the partition whose tensors and rings set the sub-batch


def streams(spec: LayerSpec) -> tuple[int, int]:
    """Parallel streams into and out of a layer (coarse folding)."""
    if spec.kind in ("conv", "inner_product"):
        group = spec.coarse_group if spec.kind == "conv" else 1
        return spec.coarse_in * group, spec.coarse_out * group
    return spec.coarse_in, spec.coarse_in


def depth_terms(modules: tuple[Module, ...]) -> tuple[int, float]:
    """Depth = pipeline + fill x interval: a module's buffer of `fill` words fills at the
    balanced rate words_in / interval, so a slower partition means a longer fill."""
    pipeline = sum(m.pipeline for m in modules)
    fill = sum(m.fill / m.words_in for m in modules if m.fill and m.words_in)
    return pipeline, fill


def depth_at(modules: tuple[Module, ...], interval: int) -> int:
    """Pipeline depth of modules running at `interval`."""
    pipeline, fill = depth_terms(modules)
    return int(-(-(pipeline + fill * interval) // 1))


@lru_cache(maxsize=65536)
def layer_performance(spec: LayerSpec) -> LayerPerf:
    """Interval, latency, work and off-chip traffic of one layer."""
    modules = expand(spec)
    slowest = max(modules, key=lambda m: m.interval)
    s_in, s_out = streams(spec)
    weights = layer_weights(spec)
    pipeline, fill = depth_terms(modules)
    return LayerPerf(
        name=spec.name, kind=spec.kind, interval=slowest.interval,
        latency=depth_at(modules, slowest.interval), bottleneck=slowest.name,
        modules=modules, ops=layer_ops(spec), weights=weights,
        weights_bits=weights * spec.weight_width,
        words_in=sum(prod(shape) for shape in spec.inputs),
        words_out=sum(prod(shape) for shape in spec.outputs),
        streams_in=s_in, streams_out=s_out, wr_factor=spec.wr_factor,
        weights_streamed_words=streamed_weights(spec),
        weights_reload_words=weights if spec.wr_factor > 1 else 0,
        data_width=spec.data_width, weight_width=spec.weight_width,
        pipeline_cycles=pipeline, fill_per_interval=fill,
        clock_factor=SPARSE_CLOCK_FACTOR if sparse_engine(spec) else 1.0)


def partition_performance(layers, edges=None, platform=None, clock_mhz=None,
                          batch: int = 1) -> PartitionPerf:
    """Balanced-rate performance of layers running together on the device.

    `edges` are (producer, consumer) layer names; None means the layers form a chain.
    Without a platform there is no bandwidth bound and clock_mhz must be given.
    """
    layers = tuple(layers)
    if edges is None:
        edges = Partition.chain(layers).edges
    perfs = {spec.name: layer_performance(spec) for spec in layers}
    if len(perfs) != len(layers):
        raise ValueError("layer names in a partition must be unique")
    # One clock per partition: its slowest logic (a sparse engine's crossbar) sets it.
    clock = _clock(platform, clock_mhz) * min((p.clock_factor for p in perfs.values()), default=1.0)
    preds, succs, order = _graph(tuple(perfs), tuple(edges))
    specs = {spec.name: spec for spec in layers}

    squeezes = _squeezes(specs, perfs, edges)
    coupled = _coupled_intervals(order, specs, perfs, preds, squeezes)
    slowest = perfs[max(order, key=lambda name: coupled[name])]
    compute_interval = coupled[slowest.name]
    runs = max(p.wr_factor for p in perfs.values())
    tensors = _offchip_tensors(layers, edges)
    evicted = evicted_edges(layers, edges)
    streamed = tuple((name, perfs[name].weights_streamed_words * specs[name].weight_width // perfs[name].wr_factor)
                     for name in order if perfs[name].weights_streamed_words)
    # one m_axi master per tensor and per weights stream (the HLS backend's DMAs), per run:
    # a layer writes 1 / wr_factor of its output a run (a reloading layer, a share of its
    # filters; any other, all of it every run); an evicted edge's two (its write and read
    # back); a window_evicted layer's write and a read per lagged tap (eviction.window_traffic)
    windows = tuple((name, window_traffic(specs[name])) for name in order if specs[name].window_evicted)
    own = [bits // specs[name].wr_factor if d == "out" else bits for name, d, bits in tensors] + \
        [bits for _, bits in streamed]
    rings = [(bits, bits) for _, bits in evicted] + [traffic for _, traffic in windows]
    masters = own + [bits for ring in rings for bits in ring]
    offchip_bits = sum(masters)
    reload_bits = sum(p.weights_reload_words * p.weight_width for p in perfs.values())
    # on memory banks (Alveo) a ring's masters share one bank, its ring buffer's
    per_port = masters if platform is None or platform.memory_bank is None else own + [sum(r) for r in rings]
    bandwidth_interval = ceil(transfer_cycles(platform, clock, per_port)) if platform else 0
    if bandwidth_interval and bandwidth_interval > _busiest_port_cycles(platform, clock, per_port):
        # the shared rate binds, not a master's own port: the DMA idles where windows walk
        # padding that moves nothing off chip (fifo_depths.dma_padding_stall)
        stall = dma_padding_stall(layers, edges, sum(per_port) / bandwidth_interval)
        if bandwidth_interval + stall > compute_interval:
            bandwidth_interval += stall
    interval = max(compute_interval, bandwidth_interval, 1)
    bottleneck = BANDWIDTH_BOTTLENECK if bandwidth_interval > compute_interval else slowest.name

    fifos = _fifos(order, specs, perfs, preds, interval, squeezes, coupled, {edge for edge, _ in evicted})
    ring_bits = sum(ring[0] for ring in rings)  # a frame each: the write master's
    depth = _beyond_interval(order, specs, perfs, preds, squeezes, bandwidth_interval, interval,
                             max(1.0, bandwidth_interval / max(compute_interval, 1)))
    cycles = runs * (depth + interval * batch)
    # between runs, each reloaded layer's next share through its weights port
    reload_s = (runs - 1) * transfer_cycles(platform, clock, [p.weights_reload_words * p.weight_width // runs
                                                              for p in perfs.values()]) / (clock * 1e6) \
        if platform and runs > 1 else 0.0
    time_s = cycles / (clock * 1e6) + reload_s
    ops = sum(p.ops for p in perfs.values())
    return PartitionPerf(
        interval=interval, compute_interval=compute_interval,
        bandwidth_interval=bandwidth_interval, bottleneck=bottleneck, depth=depth, runs=runs,
        batch=batch, clock_mhz=clock, cycles=cycles, time_s=time_s, fps=batch / time_s,
        latency_ms=time_s * 1e3, ops_per_frame=ops, gops=ops * batch / time_s / 1e9,
        offchip_bits_per_frame=offchip_bits, reload_bits=reload_bits,
        bandwidth_gbps=(offchip_bits * runs * batch + reload_bits) / time_s / 1e9,
        layers=tuple(perfs[name] for name in order), fifos=tuple(fifos),
        squeezes=tuple(squeezes),
        weights_streams=streamed,
        offchip_tensors=tensors + tuple((src, "evicted", bits) for (src, _), bits in evicted) +
        tuple((name, "window", sum(traffic)) for name, traffic in windows),
        ddr_bytes=sum(bits for _, _, bits in tensors) * batch // 8 + ring_bits // 8,
        ring_bits=ring_bits,
        frame_ddr_bytes=-(-sum(bits for _, _, bits in tensors) // 8), reload_s=reload_s,
        masters=sum(1 for bits in masters if bits), master_bits=tuple(bits for bits in per_port if bits))


def transfer_cycles(platform, clock_mhz: float, masters) -> float:
    """Cycles to move `masters` (the bits each m_axi master moves) through off-chip memory:
    all of them at most at the memory's peak, and where the board reaches it through fixed
    ports (`axi_ports`: Zynq PS ports, Alveo memory banks) at most a port's rate
    (`Platform.port_bits`: a beat a cycle, and no more than its bank) on the busiest port,
    the masters dealt to ports as the HLS backend deals them (`deal_ports`)."""
    masters = [bits for bits in masters if bits]
    if not masters:
        return 0.0
    total = sum(masters)
    bits_per_cycle = platform.bandwidth_gbps * 1e3 / clock_mhz
    port = platform.port_bits(clock_mhz)
    if port is None:
        return total / bits_per_cycle
    ports = min(len(masters), platform.axi_ports)
    return max(total / min(bits_per_cycle, ports * port), busiest_port(masters, ports) / port)


def _busiest_port_cycles(platform, clock_mhz: float, masters) -> int:
    """Cycles a frame the busiest fixed port takes (transfer_cycles' second term; 0 without)."""
    masters = [bits for bits in masters if bits]
    port = platform.port_bits(clock_mhz)
    if port is None or not masters:
        return 0
    return ceil(busiest_port(masters, min(len(masters), platform.axi_ports)) / port)


def busiest_port(masters, ports: int) -> int:
    """Bits on the busiest port when `masters` are dealt by `deal_ports`. The DSE prices
    streams with it in its inner loop, on lists that differ in one stream: memoised on the
    sorted list (the deal's loads do not depend on the masters' order)."""
    if len(masters) <= ports:
        return max(masters, default=0)
    return _busiest(tuple(sorted(masters, reverse=True)), ports)


@lru_cache(maxsize=1 << 16)
def _busiest(masters: tuple, ports: int) -> int:
    loads = [0] * ports
    for bits, p in zip(masters, deal_ports(masters, ports)):
        loads[p] += bits
    return max(loads)


def deal_ports(masters, ports: int) -> list[int]:
    """The port (0 .. ports-1) of each master, given the bits each moves a frame: the largest
    first, each to the port carrying the fewest bits so far (the lower port on a tie). One
    master a port while there are ports; beyond, the busiest port carries as little as this
    greedy finds (round-robin could pair the two largest). The model bounds a partition's
    transfer by that port (transfer_cycles); the HLS backend wires its masters by this same
    deal (backend/hls/platform.deal), so the ports it builds are the ones costed."""
    port_of, heap = [0] * len(masters), [(0, p) for p in range(max(ports, 1))]
    for i in sorted(range(len(masters)), key=lambda i: (-masters[i], i)):
        load, port_of[i] = heapq.heappop(heap)  # the least loaded port, the lower on a tie
        heapq.heappush(heap, (load + masters[i], port_of[i]))
    return port_of


def image_bytes(layers) -> int:
    """DDR space of the layers' weights images (the host keeps every partition's over the batch)."""
    return sum(-(-layer_weights(spec) * spec.weight_width // 8) for spec in layers)


def ddr_free(platform, images: int) -> int | None:
    """DDR bytes left for feature maps beside the weights images (None: the board declares
    no capacity)."""
    if not platform or platform.ddr_mb is None:
        return None
    return int(platform.ddr_mb * 2**20) - images


def sub_batch(free: int | None, batch: int, frame_bytes: int) -> int:
    """Frames per pass: the most whose off-chip tensors (`frame_bytes` a frame, the partition
    needing most) fit in `free` DDR bytes; the batch when they all fit or nothing is
    checked; 0 when not even one frame fits."""
    if free is None or not frame_bytes:
        return batch
    return max(min(batch, free // frame_bytes), 0)


def network_performance(partitions, platform, clock_mhz=None, batch: int = 1, links=None) -> NetworkPerf:
    """Partitions run in sequence over the batch; with more than one, every partition is
    configured onto the device once per pass.

    A pass is the whole batch unless its off-chip tensors (each partition's in and out, the
    batch's frames x a frame, and while a partition runs its evicted streams' rings) do not
    fit the board's DDR beside every partition's weights images: then the host runs it in
    passes over sub-batches that fit (`sub_batch`), every
    partition over one sub-batch before the next, paying the reconfigurations once a pass (a
    single partition stays configured, but its weights-reloading runs start again: one more
    reload a pass). A frame that does not fit by itself is a user error."""
    clock = _clock(platform, clock_mhz)
    parts = [as_partition(p) for p in partitions]
    perfs = tuple(partition_performance(layers, edges, platform, clock, batch) for layers, edges in parts)
    if not perfs:
        raise ValueError("a network needs at least one partition")
    images = image_bytes(spec for layers, _ in parts for spec in layers)
    live = live_frame_bytes(parts, links) if links is not None else tuple(p.frame_ddr_bytes for p in perfs)
    free = ddr_free(platform, images)
    sizes = [sub_batch(None if free is None else free - p.ring_bytes, batch, live[i]) for i, p in enumerate(perfs)]
    needs = min(range(len(perfs)), key=lambda i: (sizes[i], -live[i]))
    size = sizes[needs]
    if not size:
        rings = f" and its evicted streams' rings take {perfs[needs].ring_bytes / 2**20:.1f} MiB" \
            if perfs[needs].ring_bytes else ""
        raise UserError(f"one frame does not fit the DDR of {platform.name}: partition {needs} reads and "
                        f"writes {live[needs] / 2**20:.1f} MiB of tensors a frame{rings}, and "
                        f"{max(free, 0) / 2**20:.1f} MiB of the board's {platform.ddr_mb:g} MiB is left beside "
                        f"{images / 2**20:.1f} MiB of weights images")
    passes, rest = -(-batch // size), batch - (-(-batch // size) - 1) * size
    if passes == 1:
        times = tuple(p.time_s for p in perfs)
    else:
        full = [partition_performance(layers, edges, platform, clock, size) for layers, edges in parts]
        last = [partition_performance(layers, edges, platform, clock, rest) for layers, edges in parts]
        rerun = (passes - 1) * perfs[0].reload_s / (perfs[0].runs - 1) \
            if len(perfs) == 1 and perfs[0].runs > 1 else 0.0
        times = tuple((passes - 1) * f.time_s + r.time_s for f, r in zip(full, last))
        times = (times[0] + rerun,) + times[1:]
    reconfigurations = len(perfs) * passes if len(perfs) > 1 else 0
    reconfiguration_s = reconfigurations * platform.reconfiguration_ms / 1e3 if platform else 0.0
    time_s = sum(times) + reconfiguration_s
    ops = sum(p.ops_per_frame for p in perfs)
    slowest = max(range(len(perfs)), key=lambda i: times[i])
    return NetworkPerf(
        partitions=perfs, batch=batch, clock_mhz=clock, reconfigurations=reconfigurations,
        reconfiguration_s=reconfiguration_s, time_s=time_s, fps=batch / time_s,
        latency_ms=time_s * 1e3, ops_per_frame=ops, gops=ops * batch / time_s / 1e9,
        bottleneck_partition=slowest, sub_batch=size, passes=passes, ddr_free_bytes=free,
        image_bytes=images, partition_time_s=times, live_frame_bytes=live, ddr_partition=needs)


def live_frame_bytes(parts, links) -> tuple[int, ...]:
    """Per partition, the bytes a frame of the off-chip tensors live while it runs: each
    tensor from the partition writing it (the host, before the first, for a network input)
    to the partition reading it (the host, after the last, for a network output). A
    partition's own inputs and outputs are live while it runs, so this is at least its
    frame_ddr_bytes.

    A written tensor is its producer's off-chip output, read by the partition holding the
    producer's consumer in `links`; an input no link feeds from another partition is a
    network input. A split writing several outputs off chip writes copies of one tensor:
    they are matched to its readers earliest first (whichever copy each reads), the last
    copy to all readers left."""
    where = {s.name: i for i, (layers, _) in enumerate(parts) for s in layers}
    readers: dict[str, list[int]] = {}
    fed_from_outside: dict[str, int] = {}
    for src, dst in links:
        if src in where and dst in where and where[src] != where[dst]:
            readers.setdefault(src, []).append(where[dst])
            fed_from_outside[dst] = fed_from_outside.get(dst, 0) + 1
    for found in readers.values():
        found.sort()
    live = [0] * len(parts)
    for i, (layers, edges) in enumerate(parts):
        tensors = _offchip_tensors(layers, edges if edges is not None else Partition.chain(layers).edges)
        copies = Counter(name for name, direction, _ in tensors if direction == "out")
        for name, direction, bits in tensors:
            if direction == "out":
                copies[name] -= 1
                pending = readers.get(name, [])
                # the last copy is read by every reader left (one value, several uses)
                end = (pending.pop(0) if copies[name] else max(pending)) if pending else len(parts) - 1
                span = range(i, end + 1)
            elif fed_from_outside.get(name, 0) > 0:
                fed_from_outside[name] -= 1  # written by an earlier partition: counted there
                continue
            else:
                span = range(0, i + 1)  # a network input, written by the host before the pass
            for k in span:
                live[k] += bits
    return tuple(-(-bits // 8) for bits in live)


def as_partition(partition):
    """(layers, edges) from a Partition, a (layers, edges) pair or a bare list of layers
    (a chain: edges None)."""
    if isinstance(partition, Partition):
        return partition.layers, partition.edges
    if isinstance(partition, tuple) and len(partition) == 2 and \
            not isinstance(partition[0], LayerSpec):
        layers, edges = partition
        return tuple(layers), (tuple(edges) if edges is not None else None)
    return tuple(partition), None  # a bare list of layers: a chain


def _clock(platform, clock_mhz) -> float:
    if clock_mhz:
        return float(clock_mhz)
    if platform is None:
        raise ValueError("give a platform or a clock_mhz")
    return float(platform.clock_mhz)


@lru_cache(maxsize=1024)
def _graph(names: tuple[str, ...], edges: tuple[tuple[str, str], ...]):
    """Predecessors, successors and a topological order (cached: the DSE keeps the graph
    fixed while it changes folding)."""
    preds = {name: [] for name in names}
    succs = {name: [] for name in names}
    for src, dst in edges:
        for end in (src, dst):
            if end not in preds:
                raise ValueError(f"edge {src!r} -> {dst!r} names unknown layer {end!r}")
        preds[dst].append(src)
        succs[src].append(dst)
    pending = {name: len(p) for name, p in preds.items()}
    ready = [name for name in names if not pending[name]]
    order = []
    while ready:
        name = ready.pop()
        order.append(name)
        for nxt in succs[name]:
            pending[nxt] -= 1
            if not pending[nxt]:
                ready.append(nxt)
    if len(order) != len(names):
        raise ValueError("partition edges form a cycle; SDF graphs of CNNs must be acyclic")
    return preds, succs, order


def _offchip_tensors(layers, edges) -> tuple[tuple[str, str, int], ...]:
    """(layer, "in"/"out", bits per frame) of the feature maps crossing the off-chip
    interface: `Partition.inputs` at their reader's data width, `Partition.outputs` at their
    format's width (a layer quantized apart may write narrower values than it reads)."""
    part = Partition(tuple(layers), tuple(edges))
    width = {"in": {s.name: s.data_width for s in layers}, "out": {s.name: s.output_width for s in layers}}
    return tuple((name, direction, pixels_of(shape) * shape[0] * width[direction][name])
                 for direction, found in (("in", part.inputs()), ("out", part.outputs()))
                 for name, shape in found)


def _squeezes(specs, perfs, edges):
    """fpgaConvNet's squeeze module where producer and consumer stream counts differ: it
    buffers lcm(a, b) words so both sides see whole words every cycle."""
    found = []
    for src, dst in edges:
        words = perfs[src].words_out // max(len(specs[src].outputs), 1)
        converter = edge_converter(specs[src], specs[dst], perfs[src].streams_out,
                                   perfs[dst].streams_in, words)
        if converter is not None:
            found.append(((src, dst), converter))
    return found


def _coupled_intervals(order, specs, perfs, preds, squeezes) -> dict:
    """Cycles per frame of each layer running behind its producers: the slower of its own
    interval and theirs. A windowed layer and its producer do not wait for each other at
    the frame border (the window's fill, its trailing padding's windows): the FIFO of
    fifo_depths.window_fill_depth between them holds the next frame's first words."""
    squeeze_of = dict(squeezes)
    coupled = {}
    for name in order:
        feed = 0.0  # the producers' frame time
        for src in preds[name]:
            sq = squeeze_of.get((src, name))
            feed = max(feed, coupled[src], sq.interval if sq else 0)
        coupled[name] = max(feed, perfs[name].interval)
    return coupled


@lru_cache(maxsize=65536)
def fifo_module(streams: int, width: int, depth: int) -> Module:
    """A FIFO of `depth` words on each of `streams` streams."""
    return Module("fifo", streams, 0, 0, 0, 1, pipeline=0,
                  memories=(Memory("buffer", width, depth),),
                  logic=(("const", 1), ("counter_bits", 2 * clog2(depth))))


def _fifos(order, specs, perfs, preds, interval, squeezes, coupled, evicted=frozenset()):
    """FIFOs per edge: where branches join, the early branch holds the words it produces
    while the late branch catches up (its balanced-rate lag, and the join's order of reads);
    behind a layer with bursty output, one burst (fifo_depths.chain_fifo_depth); in front of
    a windowed layer fed slower than a word per cycle, its fill (window_fill_depth: the
    producer's pace is its frame time `coupled` over its words per stream); behind a pool
    feeding a slower consumer, the consumer's words during the pool's longest run without a
    window (window_gap_depth). An `evicted` edge holds the DMA buffer pair instead
    (eviction.dma_buffers): its backlog waits in off-chip memory."""
    squeeze_cycles = {edge: depth_at((m,), interval) for edge, m in squeezes}
    # the FIFO depths every backend emits (fifo_depths: words the early branch holds)
    backlogs = join_backlogs(tuple(specs.values()), tuple((s, d) for d in order for s in preds[d]))
    done = {}
    fifos = []
    for name in order:
        arrivals = {src: done[src] + squeeze_cycles.get((src, name), 0) for src in preds[name]}
        start = max(arrivals.values(), default=0)
        for src, arrival in arrivals.items():
            src_perf = perfs[src]
            q = pixels_out(specs[src])  # pixels per word of the edge's streams
            if (src, name) in evicted:
                fifos.append(((src, name), dma_buffers(src_perf.streams_out, specs[src].data_width * q)))
                continue
            per_stream = src_perf.words_out / len(specs[src].outputs) / src_perf.streams_out / q
            fill, behind = window_fill(specs[name], coupled[src] / max(per_stream, 1), perfs[name].modules,
                                       streams=src_perf.streams_out, pixels=q)
            if behind:
                # on the window's streams, behind the squeeze (fifo_depths.window_fill_depth)
                fifos.append(((src, name), fifo_module(perfs[name].streams_in,
                                                       specs[name].data_width * pixels_in(specs[name]), fill)))
                fill = 0
            depth = max(chain_fifo_depth(specs[src], src_perf.modules), fill)
            if coupled[name] > coupled[src]:  # a slower consumer: the pool's runs must not idle it
                feed = max((coupled[s] for s in preds[src]), default=0.0)
                depth = max(depth, window_gap_depth(specs[src], feed / max(src_perf.modules[0].words_in, 1),
                                                    coupled[name] / max(per_stream, 1)))
            if len(arrivals) > 1:
                depth = max(depth, fifo_depth(backlogs.get((src, name), 0), src_perf.streams_out,
                                              src_perf.words_out // len(specs[src].outputs),
                                              int(-(-(start - arrival) * per_stream // interval)),
                                              pixels=q))
            if depth:
                fifos.append(((src, name), fifo_module(src_perf.streams_out,
                                                       specs[src].data_width * q, depth)))
        done[name] = start + perfs[name].depth_at(interval)
    return fifos


def _beyond_interval(order, specs, perfs, preds, squeezes, bandwidth_interval, interval, throttle) -> int:
    """Cycles of a run beyond the batch's frames x interval: a frame's first input word to
    its last output word, less the interval.

    Why: each layer's first output word comes after its buffers fill (fill / words_in x the
    frame time of its input: the DMA at a word per cycle per stream, then each layer as fast
    as its producers deliver), and its last comes either its own frame time after its first
    input word or, when its producers are slower, after their last word plus the windows it
    emits alone (`modules.window_tail`, at its own pace, slowed by `throttle` where the
    off-chip bandwidth binds). A join waits for its latest branch: behind a global pool (a
    squeeze-excitation gate) the rest of the frame passes after the pool's whole frame.
    RTL, the first frame's last word (test_rtl_latency.py): tiny_resnet unrolled 10,314
    cycles against 9,435 with only fills counted; tiny_mobilenet (squeeze-excitation)
    38,234 against 22,296."""
    squeeze_of = dict(squeezes)
    first, last = {}, {}  # a layer's first and last output word
    for name in order:
        spec, perf = specs[name], perfs[name]
        start, end, span = 0.0, 0.0, 0.0  # its first and last input word, the cycles between
        for src in preds[name]:
            sq = squeeze_of.get((src, name))
            start = max(start, first[src] + (sq.pipeline if sq else 0))
            end = max(end, last[src] + (sq.pipeline if sq else 0))
            span = max(span, last[src] - first[src], sq.interval if sq else 0)
        if len(preds[name]) < len(spec.inputs):  # an input from off-chip
            pace = max(bandwidth_interval, -(-perf.words_in // max(perf.streams_in, 1)))
            span, end = max(span, pace), max(end, pace)
        out_first, rate = start, span  # a buffer fills as its input comes: spread over the span
        pipeline = sum(m.pipeline for m in perf.modules)
        for m in perf.modules:
            if m.fill and m.words_in:
                out_first += m.fill / m.words_in * rate
            out_first += m.pipeline
            rate = max(rate, m.interval)
        # its own frame time once its sliding window holds the first window's words (which
        # come at the input's pace); its trailing windows after its producers' last word
        own = perf.interval * throttle
        window = next((m for m in perf.modules if m.name == "sliding_window" and m.words_in), None)
        wait = window.fill / window.words_in * span if window else 0.0
        first[name] = out_first
        last[name] = max(out_first, start + wait + own + pipeline, end + window_tail(spec) * own + pipeline)
    return max(0, int(-(-(max(last.values(), default=0) - interval) // 1)))
