"""The state one layer's module generators share while they build its processes.

The driver (emit.py) walks a layer's modules in the order of `fpga_sdf.model.expand(spec)`
and hands each to the generator of its kind with this context: `cur` is what the previous
module produced (the next one's input), `weights` the stream a weights_memory made for the
MAC units, and the formats, parameters and folding of the layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...interp.fixed import Fixed
from ...model.modules import pixels_in, pixels_out
from .process import Access, Layer, Loop, Partition, Port, Process, Stream, Timing, ctype, per_beat
from .tables import array_initializer


@dataclass
class LayerContext:
    part: Partition
    layer: Layer
    op: object
    spec: object  # fpga_sdf.model.LayerSpec
    has_uram: bool
    in_fmt: Fixed | None = None
    out_fmt: Fixed | None = None
    cur: object = None  # Bundle or Stream: the running module's input
    inputs: list = field(default_factory=list)  # Bundles of the layer's stream operands
    out_lanes: int = 1
    values: dict = field(default_factory=dict)  # generator parameters (formats, ROM data)
    weights: Stream | None = None  # (a list of them, one per input stream, on the sparse engine)
    reload: bool = False
    result_shapes: list = field(default_factory=list)  # (C, *spatial) of each result
    results: dict = field(default_factory=dict)  # result index -> Bundle

    def output(self, lanes: int, index: int = 0):
        """The Bundle of result `index`: the layer's `lanes` output streams, of the model's
        pixels per word (`modules.pixels_out`)."""
        b = self.part.bundle(self.out_fmt, self.result_shapes[index], lanes, self.layer.cname,
                             pixels_out(self.spec))
        self.results[index] = b
        return b

    def port(self, role: str, fmt: Fixed, runs, source: dict | None = None, group: int = 1,
             repeat: int = 0) -> str:
        """An AXI master port of the top that delivers parameters (one image per run).
        `source`: the sidecar file and key the values come from, when they do (the project
        then names the file instead of carrying the packed image). `group`: values a beat
        holds whole groups of (one cycle's values of a port read at one step a cycle).
        `repeat`: times a frame the image streams while frames run (Port.repeat)."""
        name = f"mem_{self.layer.cname}_{role}"  # not a process name
        self.part.formats.add(fmt)
        if source is not None:
            source = dict(source, image=role, recipe=self.values["recipe"])
        self.part.ports.append(Port(name, fmt, np.asarray(runs), self.layer.cname, role,
                                    per_beat(self.part.bus, fmt.width, group), source, repeat))
        return name

    def port_type(self) -> str:
        """The C++ type of the beats of the port `port()` made last."""
        return f"ap_uint<{self.part.ports[-1].beat_bits}>"

    def port_beat(self) -> int:
        return self.part.ports[-1].per_beat

    types: dict = field(default_factory=dict)  # in_t, w_t, acc_t, ... -> C++ type

    @property
    def p(self) -> int:
        """Pixels per word of the layer's input (`modules.pixels_in`)."""
        return pixels_in(self.spec)

    @property
    def q(self) -> int:
        """Pixels per word of its output: windows per word behind a strided window."""
        return pixels_out(self.spec)

    @property
    def ns(self) -> str:
        return f"ns_{self.layer.cname}"

    def t(self, name: str) -> str:
        """A type of this layer (a partition-wide format typedef, usable in prototypes)."""
        return self.types[name]

    def typedef(self, name: str, fmt: Fixed) -> None:
        self.part.formats.add(fmt)
        self.types[name] = ctype(fmt)

    def acc_type(self, name: str, x: str, w: str, width: int) -> None:
        self.types[name] = f"sdf::acc_fixed<{self.types[x]}, {self.types[w]}, {width}>"

    def stream(self, elem: str, lanes: int, words: int) -> Stream:
        return self.part.stream(elem, lanes, words)

    def process(self, kind: str, params: list, args: list, body: str, pragmas: str = "",
                loops: list | None = None, timing: list | None = None, suffix: str = "") -> Process:
        """A DATAFLOW process of this layer; `timing` states its loops' trip counts, II and
        depth as the template is emitted (cycles.py adds them up per layer). `suffix` tells
        apart several processes of one kind (the sparse engine's, one per input stream)."""
        name = f"{self.layer.cname}_{kind}{suffix}"
        return self.part.add(Process(name, kind, self.layer.name, params, args, body, pragmas,
                                     loops or [], timing or []), self.layer)

    def rom(self, name: str, fmt: Fixed, q, dims: tuple, repeat: int = 1) -> str:
        """A constant array of exact literals in the layer namespace: a brace initialiser for
        synthesis; for g++ the same literals through sdf::rom (a loop, fast to compile).
        `repeat` > 1 stores that many copies (dim 0), one per lane."""
        q = np.asarray(q)
        t, n = ctype(fmt), q.size
        macro = f"{self.layer.cname.upper()}_{name.upper()}_LITERALS"
        literals = array_initializer(q, fmt)[1:-1].replace("\n", " \\\n")  # without the braces
        shape = "".join(f"[{d}]" for d in dims)
        copies = ", ".join([macro] * repeat) if repeat > 1 else macro
        self.layer.decls.append(
            f"#define {macro} {literals}\n"
            f"#ifdef __SYNTHESIS__\n"
            f"static const {t} {name}{shape} = {{{copies}}};\n"
            f"#else\n"
            f"static const double {name}_literals[{n}] = {{{macro}}};\n"
            f"static const sdf::rom<{t}, {n * repeat}> {name}_rom({name}_literals, {n});\n"
            f"static const {t} (&{name}){shape} = *reinterpret_cast<const {t} (*){shape}>({name}_rom.v);\n"
            f"#endif\n#undef {macro}")
        return f"{self.ns}::{name}"


def loop(label: str, *accesses: Access) -> Loop:
    return Loop(label, list(accesses))


def timed(label: str, trip: int, depth: int, scope: str = "batch", expected: str = "") -> Timing:
    """A pipelined loop at II=1 (every template loop is); `expected`: the trip count is
    data-dependent and this is where its expected figure comes from."""
    return Timing(label, int(trip), int(depth), 1, scope, expected)
