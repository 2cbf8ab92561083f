"""Emit a Vitis HLS project from folded, quantized layer-level sdf IR (`--sdf-to-hls`).

Input: layer-level sdf (one op per layer) with `output_format` on every op, `acc_width` on
conv / inner_product / scale_shift, `sdf.format` on the function argument, and folding
attributes (absent = 1).

The driver walks each partition's layers and, for each, the modules the hardware model costs
(`fpga_sdf.model.expand(spec)`: the ops `--sdf-expand-modules` shows), handing every module
to the generator of its kind (generators.py: one file per `sdf_hw` kind). Each module becomes
one DATAFLOW process (on PASS's sparse engine, one per input stream: sparse_conv.py), pipelined at II=1 at its modelled rate, looping over the batch; the
partition's top function declares the streams between them with the FIFO depths the model
costs (`partition_performance(...).fifos`) and calls every process once. Output (render.py) is one
directory, written atomically: see render.py for the layout.

Every feature map crosses memory in the streaming order (channels fastest, then W, H, D) as
the integers of its fixed-point format; `schedule.json` says which format each port has.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from torch_mlir import ir

from ... import network
from ...diagnostics import Diagnostic, UserError, at
from ...dialects import sdf
from ...dialects.sdf_attrs import get_int, get_ints, shape
from ...dse.ir_bridge import network_links
from ...interp.fixed import Fixed
from ...model import expand
from ...model.modules import pixels_in
from ...model.eviction import DMA_MODULE
from ...model.performance import layer_performance, network_performance, partition_performance
from ...model.spec import sparse_engine
from . import cycles, dma, evict, sliding_window, sparse_conv, squeeze, structure, weights_memory
from .context import LayerContext
from .generators import generator
from .layers import PREPARE
from .process import End, Layer, Partition, Reload, bus_bits, ctype
from .render import render

__all__ = ["emit", "write_project", "Project", "value_format", "stream_order", "from_stream_order", "ctype",
           "MULTI_PIXEL_KINDS"]

# The layer kinds built at pixels = (p, 1), p > 1 (docs/notes/rtl-backend.md "Multi-pixel
# layers"); the others are refused at the layer.
MULTI_PIXEL_KINDS = ("conv", "inner_product", "pool", "activation", "global_pool", "scale_shift", "eltwise", "concat",
                     "split", "resize")


class Project:
    """The files of an emitted project (relative path -> str | bytes) and its schedule."""

    def __init__(self, files: dict, schedule: dict, partitions: list):
        self.files, self.schedule, self.partitions = files, schedule, partitions
        self.warning = None
        self.structure: dict = {}  # structure.check: per layer, the II each loop's banking allows


def ident(name: str) -> str:
    s = re.sub(r"\W", "_", name)
    return s if s and not s[0].isdigit() else f"_{s}"


def stream_order(x: np.ndarray) -> np.ndarray:
    """(N, C, *spatial) -> (N, words) in streaming order (channels fastest)."""
    x = np.asarray(x)
    return np.moveaxis(x, 1, -1).reshape(x.shape[0], -1) if x.ndim > 2 else x.reshape(x.shape[0], -1)


def from_stream_order(flat: np.ndarray, shape) -> np.ndarray:
    """Inverse of stream_order for a (N, C, *spatial) result shape."""
    shape = tuple(shape)
    if len(shape) <= 2:
        return flat.reshape(shape)
    n, c, spatial = shape[0], shape[1], shape[2:]
    return np.moveaxis(flat.reshape((n,) + spatial + (c,)), -1, 1)


def _fmt_of_attr(attr) -> Fixed:
    return Fixed(*sdf.fixed_value(attr))


def value_format(value) -> Fixed | None:
    """Format of an SSA value: its producer's output_format, or the func arg's sdf.format."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        parent = owner.owner
        parent = getattr(parent, "operation", parent)
        if parent.name == "sdf.partition":
            return value_format(parent.operands[value.arg_number])
        if parent.name == "func.func" and "arg_attrs" in parent.attributes:
            arg = ir.DictAttr(ir.ArrayAttr(parent.attributes["arg_attrs"])[value.arg_number])
            if "sdf.format" in arg:
                return _fmt_of_attr(arg["sdf.format"])
        return None
    if "output_format" in owner.attributes:
        return _fmt_of_attr(owner.attributes["output_format"])
    if owner.name == "sdf.partition":  # partitioned after quantization: the yielded value's
        body = owner.regions[0].blocks[0]
        return value_format(list(body.operations)[-1].operands[value.result_number])
    return None


def _first_module(m) -> int:
    """Generation order: a MAC unit's weights stream exists before the unit that reads it."""
    return 0 if m.name == "weights_memory" else 1


class _Emitter:
    def __init__(self, module, source: str, platform: str | None):
        self.module, self.source, self.platform_arg = module, source, platform
        self.problems: list[Diagnostic] = []
        self.warning = None
        named = network.named_layers(module)
        self.names = {op.operation: name for name, op in named}
        self.layer_ops = {name: op for name, op in named}
        used: set[str] = set()
        self.cnames = {}
        for name, op in named:
            c = ident(name)
            while c in used:
                c += "_"
            used.add(c)
            self.cnames[op.operation] = c

    def error(self, op, message: str) -> None:
        self.problems.append(at(op.location, message) if op is not None else Diagnostic("error", message))

    def fmt(self, value, user) -> Fixed | None:
        f = value_format(value)
        if f is None:
            where = user if isinstance(value.owner, ir.Block) else value.owner.opview
            self.error(where, "the HLS backend needs quantized IR: this value has no fixed-point format "
                              "(run --sdf-quantize)")
        return f

    # -- top level ---------------------------------------------------------------------

    def run(self) -> Project:
        funcs = network.functions(self.module)
        if not funcs:
            raise UserError("no function to translate in the module")
        func = funcs[0]
        block = func.operation.regions[0].blocks[0]
        if len(block.arguments) != 1:
            raise UserError(at(func.location, f"the HLS backend needs a function with one input, "
                                              f"this one has {len(block.arguments)}"))
        self.target = self._target()
        ops = list(block.operations)
        parts = [op for op in ops if op.operation.name == "sdf.partition"]
        loose = [op for op in ops if op.operation.name in sdf.LAYER_KINDS]
        if parts and loose:
            self.error(loose[0], "layer outside any partition in a partitioned function")
            raise UserError(self.problems)
        plans, tensors = [], {block.arguments[0]: "input"}
        if parts:
            for i, p in enumerate(parts):
                inner = p.operation.regions[0].blocks[0]
                terminator = list(inner.operations)[-1]
                unknown = [v for v in p.operation.operands if v not in tensors]
                if unknown:
                    self.error(p, "a partition reads a tensor that neither the function's input nor an "
                                  "earlier partition gives")
                    continue
                reads = [(arg, tensors[v]) for arg, v in zip(inner.arguments, p.operation.operands)]
                writes = [(v, self._tensor_name(v)) for v in terminator.operands]
                for result, (_, name) in zip(p.operation.results, writes):
                    tensors[result] = name
                plans.append(self.partition(i, inner, reads, writes, terminator))
        else:
            result = ops[-1].operands[0]
            tensors[result] = self._tensor_name(result)
            plans.append(self.partition(0, block, [(block.arguments[0], "input")],
                                        [(result, tensors[result])], ops[-1]))
        if self.problems:
            raise UserError(self.problems)
        network_output = tensors[ops[-1].operands[0]]
        report = structure.check(plans)
        for bad in structure.failures(report):
            op = self.layer_ops.get(bad.layer)
            self.error(op, f"internal: the emitted banking misses II=1: {bad.line()}")
        if self.problems:
            raise UserError(self.problems)
        in_fmt = value_format(block.arguments[0])
        perf = network_performance(network.model_partitions(self.module), self.target.platform,
                                   self.target.clock_mhz, self.target.batch, network_links(self.module))
        files, schedule = render(plans, self.target, self.source, in_fmt, network.output_views(func)[0],
                                 network_output, perf.sub_batch if perf.passes > 1 else None)
        files["structure.txt"] = structure.text(report)
        files["cycles.txt"] = cycles.text(plans, self.target.batch)
        project = Project(files, schedule, plans)
        project.structure = report
        project.warning = self.warning
        return project

    def _target(self):
        from ... import target as target_mod

        if self.platform_arg:
            return target_mod.resolve(self.platform_arg)
        if target_mod.ATTR in self.module.operation.attributes:
            return target_mod.read(self.module, "sdf-to-hls")
        self.warning = ("the module has no sdf.target: the Tcl scripts use zcu102 "
                        "(run --sdf-target=\"platform=NAME\" or pass --platform)")
        return target_mod.resolve("zcu102")

    def _tensor_name(self, value) -> str:
        """A tensor's name in schedule.json: the layer producing it (`layer#k` for result k
        of a layer with several, e.g. a split's skip branch)."""
        owner = value.owner
        if isinstance(owner, ir.Block):
            return "input"
        name = self.names.get(owner, owner.name)
        return f"{name}#{value.result_number}" if len(owner.results) > 1 else name

    def partition(self, index: int, block, reads, writes, terminator) -> Partition:
        """One partition's processes: a DMA in per tensor it reads (`reads`: block argument,
        tensor name), its layers, a DMA out per tensor it writes (`writes`: yielded value,
        tensor name). One of each is the ports `in` / `out` as before a cut inside a block."""
        part = Partition(index, f"p{index}", bus=bus_bits(self.target.platform))
        self.part, self.bundles, self.reads, self.edges = part, {}, {}, {}
        self.squeezed = {}  # edge -> the bundle its squeeze hands the consumer
        fmts = [self.fmt(source, terminator) for source, _ in reads]
        layer_ops = [op for op in block.operations if op.operation.name in sdf.LAYER_KINDS]
        for op in block.operations:
            if op.operation.name not in sdf.LAYER_KINDS and op.operation.name not in (
                    "sdf.weights", "func.return", "sdf.yield"):
                self.error(op, f"the HLS backend has no module for '{op.operation.name}'")
        part.inputs = [End("in" if k == 0 else f"in{k}", name, shape(source)) for k, (source, name) in enumerate(reads)]
        part.outputs = [End("out" if k == 0 else f"out{k}", name, shape(value)) for k, (value, name) in enumerate(writes)]
        if None in fmts or not layer_ops:
            if not layer_ops:
                self.error(terminator, "a partition without layers has nothing to emit")
            return part
        for end, (source, _), fmt in zip(part.inputs, reads, fmts):
            first = next((op for op in layer_ops if source in list(network.stream_operands(op))), None)
            n_in = 1 if first is None else self._needed_streams(first)
            p_in = 1 if first is None else pixels_in(network.layer_spec(self.names[first.operation], first))
            if p_in > 1 and (len(end.shape) < 3 or end.shape[-1] % p_in or end.shape[1] % n_in):
                p_in = 1  # the layer refuses its pixels itself; the DMA moves one pixel a word
            end.bundle = part.bundle(fmt, end.shape[1:], n_in, "input", p_in)
            dma.dma_in(part, end)
            self.bundles[source] = end.bundle
        wr_layers = [op for op in layer_ops if get_int(op, "wr_factor", 1) > 1]
        self.evictions = self._evictions(layer_ops, wr_layers)
        failed: set = set()  # results of refused layers: their readers are not reported again
        for op in layer_ops:
            operands = list(network.stream_operands(op))
            if any(v in failed for v in operands):
                failed.update(op.operation.results)
                continue
            if any(v not in self.bundles for v in operands):
                self.error(op, "reads a stream that does not come from this partition's inputs")
                continue
            try:
                self.layer(op)
            except UserError as err:
                self.problems.extend(err.diagnostics)
            if any(r not in self.bundles for r in op.operation.results):  # refused
                failed.update(op.operation.results)
        for end, (value, _) in zip(part.outputs, writes):
            if value in self.bundles:
                self._consume(value, terminator)
                end.bundle = self.bundles[value]
                dma.dma_out(part, end)
        written = [value for value, _ in writes]
        if len(wr_layers) > 1:
            self.error(wr_layers[1], "the HLS backend reloads the weights of one layer per partition")
        elif wr_layers:
            op = wr_layers[0]
            result = op.operation.results[0]
            if result not in written:
                self.error(op, "a layer with wr_factor > 1 must produce one of its partition's outputs "
                               "(each run computes a share of its filters; the host assembles them)")
            else:
                f, runs = shape(result)[1], get_int(op, "wr_factor")
                part.reload = Reload(self.cnames[op.operation], runs, f // runs, f, written.index(result))
        if not self.problems:
            self._depths(layer_ops)
        return part

    @staticmethod
    def _needed_streams(op) -> int:
        ci, cg = get_int(op, "coarse_in", 1), get_int(op, "coarse_group", 1)
        return ci * cg if op.operation.name == "sdf.conv" else ci

    def _consume(self, value, user) -> None:
        if value in self.reads:
            self.error(user.opview if hasattr(user, "opview") else user,
                       "a stream can be read by one layer only: this value already feeds another layer "
                       "(insert an sdf.split)")
        self.reads[value] = user

    def operand(self, op, i: int, lanes: int, fmt: Fixed | None = None, pixels: int = 1):
        """The bundle of operand i on `lanes` streams of `pixels`-pixel words (through a
        squeeze when it has other streams, pixels per word or another format)."""
        value = op.operation.operands[i]
        self._consume(value, op)
        b = self.bundles[value]
        owner = value.owner
        if not isinstance(owner, ir.Block) and owner in self.names:
            edge = (self.names[owner], self.names[op.operation])
            if (edge, i) in self.evictions:  # through off-chip memory: the model's burst buffers, no FIFO
                depth, on_chip = self.evictions[(edge, i)]
                why = evict.refusal(self.part.bus, b, depth, on_chip)
                if why:
                    raise UserError(at(op.location, f"operand #{i}: {why}"))
                b = evict.generate(self.part, b, edge, depth)
            else:
                self.edges[edge] = b
        if b.ways == lanes and b.pixels == pixels and (fmt is None or fmt == b.fmt):
            return b
        why = squeeze.refusal(b, lanes, pixels)
        if why:
            raise UserError(at(op.location, why))
        out = squeeze.generate(self.part, b, lanes, fmt or b.fmt, self.names[op.operation], pixels)
        if not isinstance(owner, ir.Block) and owner in self.names:
            self.squeezed[(self.names[owner], self.names[op.operation])] = out
        return out

    # -- layers --------------------------------------------------------------------------

    def layer(self, op) -> None:
        name = op.operation.name
        cname = self.cnames[op.operation]
        if not op.operation.results or "output_format" not in op.operation.attributes:
            self.error(op, f"'{name}' has no 'output_format': the HLS backend needs quantized IR "
                           "(run --sdf-quantize)")
            return
        out_fmt = _fmt_of_attr(op.operation.attributes["output_format"])
        if not all(self.fmt(v, op) is not None for v in op.operation.operands):
            return
        kind = sdf.LAYER_KINDS[name]
        spec = network.layer_spec(self.names[op.operation], op)
        multi = spec.pixels != (1, 1)
        bare_fraction = spec.weights_off_chip and weights_memory.fragments(spec) is None
        for what, used in (("streaming weights from off-chip memory (weights_off_chip, AutoWS)", bare_fraction),
                           (f"a multi-pixel {kind} (pixels)", multi and kind not in MULTI_PIXEL_KINDS),
                           ("a multi-pixel layer on PASS's sparse engine (pixels)", multi and sparse_engine(spec))):
            if used:
                self.error(op, f"{what} is modelled and explored, but the HLS backend does not emit it yet")
                return
        modules = expand(spec)
        layer = Layer(cname, self.names[op.operation], kind, str(op.location),
                      ", ".join(f"{m.name} x{m.instances}" for m in modules))
        own = layer_performance(spec)
        layer.model_interval, layer.model_latency = own.interval, own.latency
        ctx = LayerContext(self.part, layer, op, spec, self.target.platform.has_uram,
                           in_fmt=value_format(op.operation.operands[0]), out_fmt=out_fmt,
                           result_shapes=[tuple(shape(r)[1:]) for r in op.operation.results])
        why = PREPARE[kind](ctx, self) or weights_memory.fragments_refusal(ctx) or sliding_window.refusal(ctx, modules)
        if not why and sparse_engine(spec):
            why = sparse_conv.refusal(ctx, modules)
        if why:
            self.error(op, why)
            return
        if len(self.problems):
            return
        for module in sorted(modules, key=_first_module):
            generator(module.name)(ctx, module)
        for i, bundle in ctx.results.items():
            self.bundles[op.operation.results[i]] = bundle
        self.part.layers.append(layer)

    # -- FIFO depths ---------------------------------------------------------------------

    def _model_graph(self, layer_ops) -> tuple:
        """The partition as the model sees it: its layers' specs and on-chip edges (operand order)."""
        specs = tuple(network.layer_spec(self.names[op.operation], op) for op in layer_ops)
        edges = []
        for op in layer_ops:
            for value in network.stream_operands(op):
                owner = value.owner
                if not isinstance(owner, ir.Block) and owner in self.names:
                    edges.append((self.names[owner], self.names[op.operation]))
        return specs, tuple(edges)

    def _evictions(self, layer_ops, wr_layers) -> dict:
        """((producer, join), operand index) -> (the model's burst buffer depth, the FIFO the
        model gives the edge on chip, or None when every input of the join is evicted), for
        every input the model evicts (eviction.evicted_edges: a join with an input from
        off-chip memory keeps its FIFOs, and so does the emitted design)."""
        joins = [op for op in layer_ops if "evicted" in op.operation.attributes]
        if not joins:
            return {}
        specs, edges = self._model_graph(layer_ops)
        platform, clock = self.target.platform, self.target.clock_mhz
        buffers = {edge: f.memories[0].depth for edge, f in partition_performance(specs, edges, platform, clock).fifos
                   if f.name == DMA_MODULE}
        kept = partition_performance(tuple(replace(s, evicted=()) for s in specs), edges, platform, clock)
        on_chip = {edge: f.memories[0].depth for edge, f in kept.fifos}
        found = {}
        for op in joins:
            name, operands = self.names[op.operation], list(op.operation.operands)
            evicted = [i for i in get_ints(op, "evicted") if i < len(operands)]
            if wr_layers:
                self.error(op, "a skip stream evicted to off-chip memory in a partition with weights reloading "
                               "(wr_factor > 1) is modelled, but the HLS backend does not emit it yet")
                continue
            for i in evicted:
                owner = operands[i].owner
                edge = (None if isinstance(owner, ir.Block) else self.names.get(owner), name)
                if edge in buffers:
                    found[(edge, i)] = (buffers[edge], None if len(evicted) == len(operands) else on_chip.get(edge, 0))
        return found

    def _depths(self, layer_ops) -> None:
        """Every FIFO the resource model costs (performance.partition_performance(...).fifos:
        skip FIFOs where branches join, bursts at layer boundaries) is the stream of that edge,
        in front of its squeeze unless the model's FIFO has the squeeze's output streams (a
        window's fill: a squeeze moves words at its narrower side's rate), at exactly the
        model's depth, so the BRAM the model counts is the FIFO Vitis builds;
        the RTL driver reads the same list. Streams the model does not list are register
        pairs."""
        specs, edges = self._model_graph(layer_ops)
        producers = {}
        for src, dst in edges:
            producers[dst] = producers.get(dst, 0) + 1
        perf = partition_performance(specs, edges, self.target.platform, self.target.clock_mhz)
        self.part.model = {"interval": perf.interval, "depth": perf.depth}
        for edge, fifo in perf.fifos:
            bundle = self.edges.get(edge)
            if bundle is None:
                continue
            behind = self.squeezed.get(edge)
            if behind is not None and fifo.instances == behind.ways != bundle.ways:
                bundle = behind  # a window's fill (fifo_depths.window_fill_depth): on its streams
            depth = fifo.memories[0].depth
            kind = "join" if producers.get(edge[1], 0) > 1 else "chain"
            bundle.stream.depth = depth
            bundle.stream.why = f"{kind} {edge[0]} -> {edge[1]}: the model's FIFO"


# ------------------------------------------------------------------------------ public API


def emit(module, source: str = "<stdin>", platform: str | None = None) -> Project:
    """The files of the HLS project for `module` (raises UserError with every refusal)."""
    return _Emitter(module, source, platform).run()


def write_project(project: Project, out_dir: str) -> None:
    """Write the HLS project as `out_dir`, atomically (cli.write_directory). Sidecar files
    the host packs weights from are named relative to `out_dir`, so the project and the
    design's directory can move together (fpga-compile writes hls/ next to the sidecar)."""
    import json
    import os

    from ...cli import write_directory

    files = project.files
    ports = [port for part in project.schedule["partitions"] for port in part["ports"] if "source" in port]
    if ports:
        schedule = json.loads(json.dumps(project.schedule))
        for part in schedule["partitions"]:
            for port in part["ports"]:
                if "source" in port and os.path.isabs(port["source"]["file"]):
                    port["source"]["file"] = os.path.relpath(port["source"]["file"], os.path.abspath(out_dir))
        files = dict(files, **{"schedule.json": json.dumps(schedule, indent=2) + "\n"})
    write_directory(files, out_dir, "fpga-translate")

