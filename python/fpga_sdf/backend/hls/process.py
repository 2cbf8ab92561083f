"""What the HLS module generators build: streams, DATAFLOW processes and the arrays their
pipelined loops touch (which the structural check reads).

A partition's top function is one DATAFLOW region: it declares every stream (with its
`#pragma HLS STREAM depth`) and calls every process once; each process loops over the frames
of the batch itself. Generators (one file per `sdf_hw` module kind, see generators.py) add
processes to a `Partition` and pass `Bundle`s (feature maps on streams) along.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...interp.fixed import Fixed
from ...model.fifo_depths import MIN_FIFO_DEPTH


def ctype(fmt: Fixed) -> str:
    """The typedef name of a format: fx<W>_f<F> (fx<W>_fm<-F> for a negative frac)."""
    return f"fx{fmt.width}_f{fmt.frac}" if fmt.frac >= 0 else f"fx{fmt.width}_fm{-fmt.frac}"


@dataclass
class Stream:
    """One array of `lanes` streams of `elem` tokens in the top function (`groups` > 0: an
    array of that many such arrays, e.g. a window_evicted layer's lagged taps, one reader each)."""

    name: str
    elem: str  # C++ type of a token
    lanes: int
    words: int  # tokens per lane per frame
    depth: int = MIN_FIFO_DEPTH
    why: str = "chain"
    groups: int = 0

    def decl(self) -> str:
        groups = f"[{self.groups}]" if self.groups else ""
        return f"hls::stream<{self.elem}> {self.name}{groups}[{self.lanes}];"


@dataclass
class Bundle:
    """A feature map (C, *spatial) on the lanes of a stream. One pixel a word: value i on lane
    i % lanes. `pixels` p > 1 (docs/notes/rtl-backend.md "Multi-pixel layers"): the map is on
    lanes // p single-pixel streams whose words carry p consecutive pixels of a row, lane
    s * p + x holding pixel x of stream s's word (the order of the AXI beats,
    rtl.sim.pixel_order); each lane is then a one-pixel stream of a map 1/p as wide."""

    stream: Stream
    fmt: Fixed
    shape: tuple
    origin: str  # the layer that produced it ("input" for the partition's input)
    pixels: int = 1

    @property
    def expr(self) -> str:
        return self.stream.name

    @property
    def streams(self) -> int:
        """Lanes (hls::streams in lock-step): single-pixel streams x pixels."""
        return self.stream.lanes

    @property
    def ways(self) -> int:
        """Single-pixel streams (the layer's coarse factor): lanes // pixels."""
        return self.stream.lanes // self.pixels

    @property
    def words(self) -> int:
        return math.prod(self.shape)


@dataclass
class Access:
    """How one pipelined iteration touches an array: per dim, how many distinct consecutive
    indices it reads (all of them in the same cycle), plus `writes` writes to one of the
    banks it reads. The banks come from the array's pragmas: the process's own, or those in
    the `template` function (with `symbols` giving its template constants' values)."""

    array: str
    dims: tuple  # the array's dims
    touched: tuple  # indices read per iteration, per dim
    writes: int = 0
    ports: int = 2  # ports of one bank (BRAM / LUTRAM true dual port)
    template: str = ""
    symbols: dict = field(default_factory=dict)


@dataclass
class Loop:
    """A pipelined loop of a process and the arrays it touches per iteration."""

    label: str
    accesses: list = field(default_factory=list)


# Pipeline depths the timing formulas assume for the operations of a loop body (no Vitis on
# this machine to report them): a stream read or write is a register stage, a BRAM/ROM read
# takes two (address and output registers), a product three (a DSP48 at its default
# latency), an m_axi burst read the interface's default latency of 64 cycles.
STAGE, RAM, MUL, AXI = 1, 2, 3, 64


def multi(n: int) -> str:
    """A template's trailing multi-pixel argument (Q windows or P pixels a word), omitted at
    its default 1, so one-pixel code is emitted as before."""
    return f", {n}" if n != 1 else ""


def tree(n: int) -> int:
    """Stages of a balanced adder / comparator tree over n operands."""
    return max(0, (max(int(n), 1) - 1).bit_length())


@dataclass
class Timing:
    """A pipelined loop of a process as emitted: `trip` iterations at `ii` cycles each, and
    `depth` stages from an iteration's start to its end. `scope` says how often the loop
    runs: "batch" (one loop over frames x trip: the depth is paid once), "frame" (restarted
    inside a per-frame loop: the depth is paid every frame) or "once" (before the batch, e.g.
    loading weights: trip per run). A loop whose trip count depends on the data (the sparse
    engine's) states its expected trip count and says in `expected` where it comes from."""

    label: str
    trip: int
    depth: int
    ii: int = 1
    scope: str = "batch"
    expected: str = ""  # a data-dependent trip count: where the expected figure comes from

    def per_frame(self) -> int:
        """Cycles this loop adds to every frame in steady state."""
        if self.scope == "once":
            return 0
        return self.trip * self.ii + (self.depth if self.scope == "frame" else 0)

    def batch(self, frames: int) -> int:
        """Cycles of the loop alone over a batch of `frames`."""
        if self.scope == "once":
            return self.trip * self.ii + self.depth
        if self.scope == "frame":
            return frames * (self.trip * self.ii + self.depth)
        return frames * self.trip * self.ii + self.depth

    def formula(self) -> str:
        work = f"{self.trip}" + (f" x II {self.ii}" if self.ii != 1 else "")
        if self.expected:
            work += f" expected ({self.expected})"
        if self.scope == "once":
            return f"{self.label}: {work} + {self.depth} once per run"
        if self.scope == "frame":
            return f"{self.label}: frames x ({work} + {self.depth})"
        return f"{self.label}: frames x {work} + {self.depth}"


@dataclass
class Process:
    """A DATAFLOW process: a C++ function of the layer file, called once by the top."""

    name: str  # C++ function name
    kind: str  # sdf_hw module kind
    layer: str  # source layer name
    params: list  # C++ parameter declarations (streams first; `int frames` is added)
    args: list  # the top's arguments, one per parameter
    body: str  # statements (the template call)
    pragmas: str = ""  # array pragmas in the function (partition / reshape / bind)
    loops: list = field(default_factory=list)
    timing: list = field(default_factory=list)  # Timing of each pipelined loop, as emitted

    def interval(self) -> int:
        """Cycles per frame in steady state: the loops of one frame run one after another."""
        return sum(t.per_frame() for t in self.timing)

    def batch(self, frames: int) -> int:
        return sum(t.batch(frames) for t in self.timing)

    def prototype(self) -> str:
        return f"void {self.name}({', '.join(self.params + ['int frames'])})"

    def definition(self) -> str:
        # SDF_PROCESS_NAME: the C-simulation counts the loops' iterations under this name
        return (f"{self.prototype()} {{\n#pragma HLS INLINE off\n    SDF_PROCESS_NAME(\"{self.name}\");\n"
                f"{self.pragmas}{self.body}}}\n")

    def call(self) -> str:
        return f"{self.name}({', '.join(self.args + ['frames'])});"


@dataclass
class Layer:
    """One layer's file: its namespace (typedefs, ROMs) and its processes."""

    cname: str
    name: str
    kind: str
    location: str
    modules: str  # the model's modules, for the file comment
    decls: list = field(default_factory=list)
    processes: list = field(default_factory=list)
    window: dict | None = None  # sliding-window rows, for the burst term of cycles.py
    model_interval: int = 0  # fpga_sdf.model: the layer's own interval and latency
    model_latency: int = 0


@dataclass
class Port:
    """Parameters a process loads from off-chip memory before the batch: one image of
    `words` values per weights-reloading run (bank order), in `<layer>.<role>.bin`. A
    fragments port instead streams its image `repeat` times a frame while frames run."""

    name: str
    fmt: Fixed
    runs: object  # (runs, words) integers
    layer: str
    role: str
    per_beat: int = 1  # values per AXI beat (packed, value k at bits k*width ..)
    source: dict | None = None  # the .npz sidecar the host packs the images from (images.py)
    repeat: int = 0  # times a frame the image streams (0: loaded before the batch or a run)

    @property
    def words(self) -> int:
        return int(self.runs.shape[1])

    @property
    def bits_per_frame(self) -> int:
        """What the port moves while a frame streams (the model's weights stream)."""
        return self.words * self.fmt.width * self.repeat

    @property
    def beat_bits(self) -> int:
        return self.per_beat * self.fmt.width

    @property
    def beats(self) -> int:
        """Beats per run image."""
        return -(-self.words // self.per_beat)


def bus_bits(platform) -> int:
    """Data width of the memory ports a kernel bursts on: the board's fixed memory ports
    (`axi_port_bits`: Zynq HP ports, 64 bits on Zynq-7000, 128 on UltraScale+), else 512
    (Alveo DDR/HBM); the width the model caps a partition's traffic at."""
    return platform.axi_port_bits or 512


def per_beat(bus: int, width: int, lanes: int = 1) -> int:
    """Values per beat of a port: whole groups of `lanes` values (a feature map moves `lanes`
    words per cycle), as many as the bus holds (at least one group)."""
    return lanes * max(1, bus // (lanes * width))


@dataclass
class Reload:
    """A layer whose filters are computed in `runs` runs (wr_factor > 1). It writes the
    partition's output `output` (an index into `Partition.outputs`), a share of its filters a
    run; every other output is written whole in every run (the same values each run)."""

    layer: str
    runs: int
    filters_per_run: int
    channels: int
    output: int = 0


@dataclass
class End:
    """A feature map a partition reads from or writes to off-chip memory: one m_axi port
    (bundle) and one DMA process each. The first input and output are the ports `in` and
    `out`; a cut inside a residual block adds `in1`, `out1`, ... (the skip tensor's)."""

    port: str  # "in", "in1", ..., "out", "out1", ...
    tensor: str  # its name in schedule.json (the host keeps its buffer from writer to readers)
    shape: tuple  # (N, C, *spatial)
    bundle: Bundle | None = None  # None when the layers reading or writing it were refused
    per_beat: int = 1  # values per beat (whole groups of the bundle's lanes)

    @property
    def beats(self) -> int:
        """Beats per frame (each frame starts on a new beat)."""
        return -(-self.bundle.words // self.per_beat)


@dataclass
class Ring:
    """A stream through a ring of one frame in off-chip memory (model/eviction.py), in bursts of
    `burst` beats of `per_beat` values. An evicted skip stream: two m_axi masters, `<name>_w`
    (the producer's side writes it) and `<name>_r` (read back into the join). A window_evicted
    layer's dim-0 delay lines (`reads`: the words, all lanes, each lagged tap reads back a
    frame, a prefix of it): the write master `<name>_w` and a read master `<name>_r<k>` per
    lagged tap. `buffer_depth` is the model's burst buffer (dma_buffers, window_burst: words
    per stream), the depth of the streams into the writer and out of the readers."""

    name: str  # evict0, window1, ...
    edge: tuple  # (producer layer, join layer); a window: (layer, layer)
    bundle: Bundle  # the stream the writer reads (the producer's; the window's input)
    per_beat: int
    burst: int
    buffer_depth: int
    reads: tuple = ()  # a window's lagged taps: words (all lanes) each reads a frame

    @property
    def window(self) -> bool:
        return bool(self.reads)

    @property
    def ports(self) -> tuple:
        if self.window:
            return (f"{self.name}_w",) + tuple(f"{self.name}_r{k}" for k in range(len(self.reads)))
        return f"{self.name}_w", f"{self.name}_r"

    @property
    def beat_bits(self) -> int:
        return self.per_beat * self.bundle.fmt.width

    @property
    def beats(self) -> int:
        """Beats of the ring: one frame, as dma_out packs it."""
        return -(-self.bundle.words // self.per_beat)

    @property
    def bursts(self) -> int:
        return -(-self.beats // self.burst)

    @property
    def bits_per_frame(self) -> int:
        """What the write master moves per frame (the model's evicted tensor, a frame of the
        window's input); a skip stream's read master moves as much."""
        return self.bundle.words * self.bundle.fmt.width

    @property
    def port_bits(self) -> tuple:
        """The bits each of `ports` moves a frame (the model's masters: eviction.window_traffic
        for a window)."""
        if self.window:
            return (self.bits_per_frame,) + tuple(r * self.bundle.fmt.width for r in self.reads)
        return self.bits_per_frame, self.bits_per_frame

    def read_bursts(self, k: int) -> int:
        """Bursts lagged tap k reads a frame (the bursts its prefix touches)."""
        return -(-(-(-self.reads[k] // self.per_beat)) // self.burst)


@dataclass
class Partition:
    """The processes and streams of one partition's top function."""

    index: int
    name: str
    streams: list = field(default_factory=list)
    layers: list = field(default_factory=list)
    top_processes: list = field(default_factory=list)  # dma_in, squeezes, dma_out (top file)
    order: list = field(default_factory=list)  # every process in call order
    formats: set = field(default_factory=set)
    inputs: list = field(default_factory=list)  # End: the feature maps it reads from memory
    outputs: list = field(default_factory=list)  # End: those it writes
    reload: Reload | None = None
    ports: list = field(default_factory=list)  # Port: parameters from off-chip memory
    bus: int = 512  # bits per beat of the memory ports (bus_bits)
    model: dict | None = None  # the model's partition interval and depth (cycles.py compares)
    counters: list = field(default_factory=list)  # sparse engine processes: the csim counts their cycles
    rings: list = field(default_factory=list)  # Ring: evicted skip streams and windows' delay lines

    def memory_args(self) -> list:
        """The top's memory ports in argument order: feature maps in, out, parameters, then
        each ring's write and read masters (all of them given its ring buffer)."""
        return ([e.port for e in self.inputs + self.outputs] + [p.name for p in self.ports]
                + [port for r in self.rings for port in r.ports])

    def stream(self, elem: str, lanes: int, words: int) -> Stream:
        s = Stream(f"s{len(self.streams)}", elem, lanes, words)
        self.streams.append(s)
        return s

    def bundle(self, fmt: Fixed, shape, lanes: int, origin: str, pixels: int = 1) -> Bundle:
        """A map on `lanes` single-pixel streams of `pixels`-pixel words (lanes x pixels lanes)."""
        self.formats.add(fmt)
        n = max(lanes, 1) * pixels
        return Bundle(self.stream(ctype(fmt), n, math.prod(shape) // n), fmt, tuple(shape), origin, pixels)

    def add(self, process: Process, layer: Layer | None) -> Process:
        (layer.processes if layer is not None else self.top_processes).append(process)
        self.order.append(process)
        return process
