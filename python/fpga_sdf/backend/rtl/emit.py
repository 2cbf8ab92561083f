"""The RTL driver (`fpga-translate --sdf-to-rtl`): layer-level sdf -> SystemVerilog project.

It reads what the generators need from the layer level (specs, quantized parameters, the
model's FIFO depths), runs `--sdf-expand-modules`, builds a `ModuleParams` per `sdf_hw` op,
asks the generator of each kind for its PyCDE module, and wires one top per partition:
one AXI-Stream slave per tensor it reads and one master per tensor it writes (`s_axis_*` /
`m_axis_*` when there is one, `s_axis<k>_*` / `m_axis<k>_*` for a partition cut inside a
residual block; one beat = one word of every stream of that dma), a FIFO on each stream the
model buffers (skip connections), a slave `s_axis_w<k>_*` per layer whose weights are AutoWS
fragments (its dynamic regions, from the image in `<partition>/weights/`), a master
`m_axis_e<k>_*` and a slave `s_axis_e<k>_*` per evicted skip stream (SMOF: written to DDR
through a write burst buffer, read back into a read burst buffer before the join), a master
`m_axis_win<k>_*` and a slave `s_axis_win<k>_<t>_*` per lagged tap t of each window_evicted
layer (its input written to a ring in DDR, each lagged tap's slices read back), and a
`debug_valid` / `debug_ready` pair of vectors (bit k = stream k) the simulator reads to time
every layer and to name stalled streams. See docs/notes/rtl-backend.md.

    <dir>/rtl.json            partitions in order, the tensors each reads (and who wrote them) and
                              writes, formats, word order, streams, per-layer model figures
    <dir>/filelist.f          every .sv file, partition by partition
    <dir>/vivado.tcl          adds the sources to a Vivado project
    <dir>/<partition>/*.sv    the partition top and its modules
    <dir>/<partition>/weights/<layer>_fragments.bin   a fragmented layer's weights image
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace

import numpy as np
from torch_mlir import ir

from ... import network
from ... import weights as weight_store
from ...diagnostics import Diagnostic, Diagnostics, UserError, at
from ...dialects import sdf
from ...interp.fixed import Fixed, quantize, requantize
from ...model import expand
from ...model.eviction import DMA_MODULE, WINDOW_DMA, window_lags, window_reads, window_traffic
from ...model.modules import window_problem
from ...model.performance import partition_performance
from ..hls.emit import value_format
from ..hls.weights_memory import fragments
from . import generators
from .module_sim import elaborate
from .streams import ModuleParams, StreamType, Unsupported, fifo, port_names

__all__ = ["emit", "write_project", "Project"]


@dataclass
class Project:
    files: dict  # relative path -> text
    manifest: dict  # rtl.json
    warning: str | None = None


@dataclass
class _Stream:
    index: int
    type: StreamType
    words: int  # per frame (per run)
    producer: tuple = (None, 0)  # (instance index, output port)
    consumer: tuple = (None, 0)
    origin: str | None = None  # the layer whose data it carries (through squeezes)
    depth: int = 2
    role: str | None = None  # "window_write" / "window_read": a window_evicted layer's DDR streams


@dataclass
class _Instance:
    name: str
    kind: str
    layer: str | None
    params: ModuleParams
    inputs: list = field(default_factory=list)  # stream indices
    outputs: list = field(default_factory=list)
    cls: object = None
    op: object = None
    axis: int = 0  # a dma's AXI port: the partition's input / output index
    port: str | None = None  # a weights dma's AXI port (a fragmented layer's dynamic regions)
    units: list = field(default_factory=list)  # a weights dma's: the weights memory of each output


def ident(text: str) -> str:
    s = re.sub(r"\W", "_", text)
    return s if s and not s[0].isdigit() else f"_{s}"


def _attr_value(attr):
    """A Python value of an MLIR attribute (ints, floats, strings, arrays, #sdf.fixed)."""
    for cast in (ir.IntegerAttr, ir.FloatAttr, ir.StringAttr, ir.BoolAttr):
        try:
            return cast(attr).value
        except (ValueError, TypeError):
            pass
    try:
        return tuple(ir.DenseI64ArrayAttr(attr))
    except (ValueError, TypeError):
        pass
    try:
        return Fixed(*sdf.fixed_value(attr))
    except Exception:  # noqa: BLE001 - anything else is kept as its text
        return str(attr)


def _attrs(op) -> dict:
    attrs = op.operation.attributes
    return {name: _attr_value(attrs[name]) for name in attrs}


# ------------------------------------------------------------------------------ layer level


@dataclass
class _Layer:
    name: str
    kind: str
    spec: object
    attrs: dict
    params: dict
    formats: dict
    partition: int


def _layer_params(op, kind: str, problems: list) -> tuple[dict, dict]:
    """Quantized parameters of a layer, as the HLS backend and interp/kernels.py compute them."""
    operands = list(op.operation.operands)

    def fmt(value, what):
        f = value_format(value)
        if f is None:
            problems.append(at(op.location, f"the RTL backend needs quantized IR: the {what} have no "
                                            "fixed-point format (run --sdf-quantize)"))
        return f

    def read(value):
        owner = value.owner
        if getattr(owner, "name", "") != "sdf.weights":
            problems.append(at(op.location, "parameters must come from sdf.weights ops"))
            return None
        return weight_store.read(owner.opview)

    params, formats = {}, {}
    if kind in ("conv", "inner_product", "scale_shift"):
        x_fmt = fmt(operands[0], "inputs")
        if "acc_width" not in op.operation.attributes:
            problems.append(at(op.location, f"'{op.operation.name}' has no 'acc_width' (run --sdf-quantize)"))
            return params, formats
        acc = ir.IntegerAttr(op.operation.attributes["acc_width"]).value
        names = ("weights", "bias") if kind != "scale_shift" else ("scale", "shift")
        p_fmt, q_fmt = fmt(operands[1], names[0]), fmt(operands[2], names[1])
        w, b = read(operands[1]), read(operands[2])
        if None in (x_fmt, p_fmt, q_fmt) or w is None or b is None:
            return params, formats
        wq = quantize(w, p_fmt)
        acc_fmt = Fixed(acc, x_fmt.frac + p_fmt.frac)
        bq = requantize(quantize(b, q_fmt), q_fmt.frac, acc_fmt)
        if kind == "inner_product":
            # the stream carries the input channels fastest; the weights follow torch's flatten
            x_shape = _shape(operands[0])[1:]
            f_total = wq.shape[0]
            c, pixels = x_shape[0], math.prod(x_shape[1:])
            wq = wq.reshape(f_total, c, pixels).transpose(0, 2, 1).reshape(f_total, c * pixels)
        params = {names[0]: wq, names[1]: bq}
        formats = {names[0]: p_fmt, names[1]: acc_fmt, "input": x_fmt}
    return params, formats


def _collect_layers(module, problems: list) -> dict:
    layers = {}
    parts = network.partitions(module)
    index_of = {p.operation: i for i, p in enumerate(parts)}
    for name, op in network.named_layers(module):
        kind = sdf.LAYER_KINDS[op.operation.name]
        spec = network.layer_spec(name, op)
        # every kind is built at pixels = (p, 1) (docs/notes/rtl-backend.md "Multi-pixel
        # layers"); the sparse engine refuses p > 1 at its generator
        why = _fragments_refusal(spec)
        if why:
            problems.append(at(op.location, why))
        if spec.window_evicted:  # the model's refusal (eviction.window_evictable), at the layer
            why = window_problem(spec)
            if why:
                problems.append(at(op.location, f"window_evicted: {why}"))
        params, formats = _layer_params(op, kind, problems)
        part = network.partition_of(op)
        layers[name] = _Layer(name, kind, spec, _attrs(op), params, formats,
                              index_of.get(part.operation, 0) if part is not None else 0)
    return layers


def _fragments_refusal(spec) -> str | None:
    """Why the layer's off-chip weights are not emitted (None if it has none or they are):
    the RTL builds AutoWS fragments where the HLS backend does, on the dense engine at one
    pixel a word without reloading (docs/notes/rtl-backend.md "AutoWS weight fragments")."""
    from ...model.spec import sparse_engine

    if not spec.weights_off_chip:
        return None
    if fragments(spec) is None:
        return ("streaming weights from off-chip memory (weights_off_chip, AutoWS) is modelled and explored, but "
                "the RTL backend does not emit it yet without weights_fragments (run --sdf-fragment-weights)")
    why = ("on PASS's sparse engine" if sparse_engine(spec) else
           "with weights reloading (wr_factor > 1)" if spec.wr_factor > 1 else
           "on a multi-pixel inner product (its p FCUs read their own weights)"
           if spec.kind == "inner_product" and spec.pixels != (1, 1) else None)
    return why and f"AutoWS weight fragments {why} are modelled and explored, but the RTL backend does not emit them yet"


# ------------------------------------------------------------------------------ driver


class _Emitter:
    def __init__(self, module, source: str, platform: str | None):
        self.module, self.source, self.platform_arg = module, source, platform
        self.problems: list[Diagnostic] = []
        self.warning = None

    def error(self, op, message: str) -> None:
        self.problems.append(at(op.location, message) if op is not None else Diagnostic("error", message))

    def run(self) -> Project:
        funcs = network.functions(self.module)
        if not funcs:
            raise UserError("no function to translate in the module")
        if any(op.operation.name.startswith("sdf_hw.") for op in sdf_ir_walk(self.module)):
            raise UserError("--sdf-to-rtl needs layer-level sdf IR (after --sdf-quantize and folding); this module "
                            "was already expanded to sdf_hw modules, which no longer hold the layer shapes and "
                            "parameters the generators read")
        if not network.layers(self.module):
            raise UserError("--sdf-to-rtl: the module has no sdf layers")
        func = self.func = funcs[0]
        block = func.operation.regions[0].blocks[0]
        if len(block.arguments) != 1:
            raise UserError(at(func.location, f"the RTL backend needs a function with one input, "
                                              f"this one has {len(block.arguments)}"))
        in_fmt = value_format(block.arguments[0])
        if in_fmt is None:
            raise UserError(at(func.location, "the RTL backend needs quantized IR: the input has no sdf.format "
                                              "(run --sdf-quantize)"))
        self.layers = _collect_layers(self.module, self.problems)
        model_parts = network.model_partitions(self.module, needed_by="sdf-to-rtl")
        if self.problems:
            raise UserError(self.problems)
        target = self._target()
        self._refuse_uram(target.platform)
        if self.problems:
            raise UserError(self.problems)
        parts = [op for op in block.operations if op.operation.name == "sdf.partition"]
        self.sources = _tensor_sources(func, parts)
        blocks = [p.operation.regions[0].blocks[0] for p in parts] or [block]
        # which layer reloads and which output it writes are read at the layer level, where
        # a layer's result is the value its partition yields (expansion replaces the layers)
        reloads = [self._reload_plan(b, mp) for b, mp in zip(blocks, model_parts)]
        if self.problems:
            raise UserError(self.problems)
        self._expand()
        groups = []
        for index, (b, mp, reload) in enumerate(zip(blocks, model_parts, reloads)):
            groups.append([self._partition(index, b, mp, target, r, reload)
                           for r in range(reload["runs"] if reload else 1)])
            if self.problems:
                break
        if self.problems:
            raise UserError(self.problems)
        return self._render(groups, in_fmt, target)

    def _refuse_uram(self, platform) -> None:
        """A layer whose memories the model binds to URAM is refused: URAM cannot be
        initialised at configuration, so its weights would have to be loaded from off-chip
        before the batch, which the RTL generators do not build yet (the HLS backend does)."""
        from ...model import layer_resources

        if not platform.uram:
            return
        for name, op in network.named_layers(self.module):
            uram = layer_resources(self.layers[name].spec, platform).uram
            if uram:
                self.problems.append(at(op.location, f"the model binds this layer's memories to {uram} URAM "
                                                     f"blocks on {platform.name}, which the RTL backend does not "
                                                     "build yet (weights in URAM are loaded from off-chip); set "
                                                     "weights_memory = \"bram\" on the layer, or target a board "
                                                     "without URAM"))

    def _reload_plan(self, block, model_part) -> dict | None:
        """The partition's weights reloading, as rtl.json's `weights_reload` says it, or None.
        As in the HLS backend, one ungrouped layer per partition reloads, and its result is one
        of the partition's outputs (`output`, its index in them): each run computes and writes
        `filters_per_run` of its filters there, the host assembles them; every other output is
        written whole in every run. `block` is the partition's, still at the layer level."""
        wr = [s for s in model_part.layers if s.wr_factor > 1]
        if not wr:
            return None
        ops = {name: op for name, op in network.named_layers(self.module) if name in {s.name for s in wr}}
        if len(wr) > 1:
            self.error(ops[wr[1].name], "the RTL backend reloads the weights of one layer per partition")
            return None
        spec, op = wr[0], ops[wr[0].name]
        written = list(list(block.operations)[-1].operation.operands)  # sdf.yield / func.return
        result = op.operation.results[0]
        if spec.kind == "conv" and spec.groups != 1:
            self.error(op, "a layer with wr_factor > 1 must have groups = 1 (each run computes a share of its "
                           "filters)")
            return None
        if result not in written:
            self.error(op, "a layer with wr_factor > 1 must produce one of its partition's outputs "
                           "(each run computes a share of its filters; the host assembles them)")
            return None
        f, runs = spec.outputs[0][0], spec.wr_factor
        return {"layer": spec.name, "runs": runs, "filters_per_run": f // runs, "channels": f,
                "output": written.index(result)}

    def _expand(self) -> None:
        from ...pass_registry import lookup
        from ... import ir as sdf_ir

        diag = Diagnostics()
        with sdf_ir.context():
            lookup("sdf-expand-modules").from_options("").run(self.module, diag)
        if diag.errors:
            raise UserError(diag.errors)

    def _target(self):
        from ... import target as target_mod

        if self.platform_arg:
            return target_mod.resolve(self.platform_arg)
        if target_mod.ATTR in self.module.operation.attributes:
            return target_mod.read(self.module, "sdf-to-rtl")
        self.warning = ("the module has no sdf.target: the model's figures use zcu102's clock "
                        "(run --sdf-target=\"platform=NAME\" or pass --platform)")
        return target_mod.resolve("zcu102")

    # -- one partition -------------------------------------------------------------------

    def _run_view(self, info: _Layer, run: int, runs: int) -> _Layer:
        """The layer as run `run` of `runs` sees it: its share of the filters (weights and
        bias rows r*F/R .. (r+1)*F/R - 1) as a layer of its own, so every generator builds the
        run's ROMs unchanged (one weights image per run)."""
        spec = info.spec
        fr = spec.outputs[0][0] // runs
        view = replace(spec, wr_factor=1, outputs=((fr,) + tuple(spec.outputs[0][1:]),))
        params = dict(info.params)
        for key in ("weights", "bias"):
            if key in params:
                params[key] = params[key][run * fr:(run + 1) * fr]
        return _Layer(info.name, info.kind, view, info.attrs, params, info.formats, info.partition)

    def _partition(self, index: int, block, model_part, target, run_index: int = 0,
                   reload: dict | None = None) -> dict:
        """The plan of run `run_index` of partition `index` (`reload`: its `_reload_plan`)."""
        runs, reload_layer = (reload["runs"], reload["layer"]) if reload else (1, None)
        pname = f"p{index}" if runs == 1 else f"p{index}_r{run_index}"
        streams: list[_Stream] = []
        insts: list[_Instance] = []
        of_value: dict = {}
        plan = {"name": f"p{index}", "tag": pname, "index": index, "streams": streams, "insts": insts,
                "run": run_index, "reload": reload}
        # a partition cut inside a residual block reads and writes several tensors: one
        # dma_in per block argument, one dma_out per yielded value, each its own AXI port
        # (the function's own body, unpartitioned, is one such block ending in func.return)
        ops = list(block.operations)
        yielded = list(ops[-1].operation.operands)
        plan["inputs"], plan["outputs"] = [None] * len(block.arguments), [None] * len(yielded)
        layer_of_partition = [s.name for s in model_part.layers]
        perf = partition_performance(model_part.layers, model_part.edges, None, target.clock_mhz, 1)
        fifo_depth = {edge: m.memories[0].depth for edge, m in perf.fifos}
        for op in ops:
            name = op.operation.name
            if not name.startswith("sdf_hw."):
                if name not in ("sdf.weights", "sdf.yield", "func.return"):
                    self.error(op, f"the RTL backend has no module for '{name}'")
                continue
            kind = name[len("sdf_hw."):]
            attrs = _attrs(op)
            layer = attrs.get("layer")
            instance = attrs.get("instance")
            try:
                ins = [self._stream_type(v) for v in op.operation.operands if _is_stream(v)]
                outs = [self._stream_type(r) for r in op.operation.results if _is_stream(r)]
            except ValueError as err:
                self.error(op, str(err))
                return plan
            info = self.layers.get(layer)
            if info is not None and layer == reload_layer:
                info = self._run_view(info, run_index, runs)
            axis = 0  # a dma's AXI port: which partition input (block argument) or result
            if kind == "dma_in":
                axis = ir.BlockArgument(op.operation.operands[0]).arg_number
            elif kind == "dma_out":
                axis = yielded.index(op.operation.results[0])
            ends = len(plan["inputs"] if kind == "dma_in" else plan["outputs"])
            mname = ident(f"{pname}_{layer}_{kind}{instance}" if layer is not None else
                          f"{pname}_{kind}" if ends == 1 else f"{pname}_{kind}{axis}")
            model = None
            if info is not None:
                model = next((m for m in expand(info.spec) if m.name == kind), None)
            p = ModuleParams(kind=kind, layer=layer, instance=instance, attrs=attrs, inputs=ins, outputs=outs,
                             spec=info.spec if info else None, model=model,
                             params=info.params if info else {}, formats=info.formats if info else {},
                             name=mname, layer_attrs=info.attrs if info else {})
            inst = _Instance(mname, kind, None if kind in ("squeeze", "dma_in", "dma_out") else layer, p, op=op,
                             axis=axis)
            if kind == "weights_memory" and info is not None and info.spec.weights_off_chip:
                self._weights_stream(plan, inst, outs[0], info)
            # inputs
            if kind == "dma_in":
                shp = _shape(op.operation.operands[0])
                n, px = len(outs), outs[0].lanes  # streams, pixels per word
                total = math.prod(shp[1:])
                if total % (n * px):
                    self.error(op, f"a feature map of {total} words cannot be spread evenly over {n} streams")
                    continue
                inst.params.attrs["frame_beats"] = total // (n * px)
                plan["inputs"][axis] = {"shape": list(shp[1:]), "format": [outs[0].width, outs[0].frac], "streams": n,
                                     "words": total, "pixels": px, "from": self.sources[0][index][axis]}
            for v in op.operation.operands:
                if not _is_stream(v):
                    continue
                s = streams[of_value[v]]
                s.consumer = (len(insts), len(inst.inputs))
                inst.inputs.append(s.index)
            if kind == "dma_out":
                shp = _shape(op.operation.results[0])
                total = math.prod(shp[1:])
                if reload and axis == reload["output"]:  # a run carries its share of the filters
                    total //= runs
                n, px = len(inst.inputs), ins[0].lanes
                if total % (n * px):
                    self.error(op, f"a feature map of {total} words cannot be gathered evenly from {n} streams")
                    continue
                inst.params.attrs["frame_beats"] = total // (n * px)
                plan["outputs"][axis] = {"shape": list(shp[1:]), "format": [ins[0].width, ins[0].frac], "streams": n,
                                      "words": total, "pixels": px, "layer": streams[inst.inputs[0]].origin}
            # outputs
            results = [r for r in op.operation.results if _is_stream(r)]
            for j, r in enumerate(results):
                if kind == "dma_in":
                    words = plan["inputs"][inst.axis]["words"] // (len(results) * outs[j].lanes)
                    origin = None
                elif kind == "squeeze":  # the same features in words of outs[j].lanes pixels
                    words = sum(streams[i].words * streams[i].type.lanes for i in inst.inputs) // \
                        (len(results) * outs[j].lanes)
                    origin = streams[inst.inputs[0]].origin
                else:
                    words = int(attrs.get("words_out", 0)) // len(results)
                    origin = layer
                s = _Stream(len(streams), outs[j], words, (len(insts), j), origin=origin)
                streams.append(s)
                of_value[r] = s.index
                inst.outputs.append(s.index)
            if kind == "dma_in":
                inst.params.inputs = [StreamType(outs[0].width, outs[0].frac, len(outs) * outs[0].lanes)]
            insts.append(inst)
        # FIFOs the model chose per edge (skip connections, bursts, window fills), on the
        # producer's streams as the model costs them: in front of a squeeze, not behind it,
        # unless the model's FIFO module has the squeeze's output streams (a window's fill,
        # fifo_depths.window_fill_depth: a squeeze moves words at its narrower side's rate);
        # an evicted edge's streams go through its DMA buffer pair instead
        evicted = {edge: m for edge, m in perf.fifos if m.name == DMA_MODULE}
        fifo_streams = {edge: m.instances for edge, m in perf.fifos}
        through_ddr: dict = {}
        for s in list(streams):
            ci = s.consumer[0]
            if ci is None or s.origin is None:
                continue
            consumer_layer = insts[ci].params.layer if insts[ci].kind != "dma_out" else None
            edge = (s.origin, consumer_layer)
            behind = insts[s.producer[0]].kind == "squeeze"
            if not behind and edge in evicted:
                through_ddr.setdefault(edge, []).append(s)
                continue
            squeeze = insts[s.producer[0]] if behind else insts[ci] if insts[ci].kind == "squeeze" else None
            if squeeze is not None:
                n_in, n_out = len(squeeze.inputs), len(squeeze.outputs)
                if behind and (edge in evicted or n_in == n_out or fifo_streams.get(edge) != n_out):
                    continue
                if not behind and n_in != n_out and fifo_streams.get(edge) != n_in:
                    continue
            depth = fifo_depth.get(edge)
            if depth and depth > 2:
                s.depth = depth
        for edge, group in through_ddr.items():
            self._evict(plan, edge, group, evicted[edge], reload_layer)
        windows: dict = {}  # window_evicted layers: their sliding windows, by instance
        for i, inst in enumerate(insts):
            if inst.kind == "sliding_window" and inst.params.spec is not None and inst.params.spec.window_evicted:
                windows.setdefault(inst.layer, []).append(i)
        for layer, group in windows.items():
            self._evict_window(plan, layer, sorted(group, key=lambda i: insts[i].params.instance or 0))
        for inst in insts:
            gen = generators.generator(inst.kind)
            if gen is None:
                self.error(inst.op, f"sdf_hw.{inst.kind} has no RTL generator yet")
                continue
            try:
                inst.cls = gen(inst.params)
            except (Unsupported, ValueError, NotImplementedError) as err:  # a generator's refusal
                self.error(inst.op, f"sdf_hw.{inst.kind}: {err}")
        plan["model"] = {
            "interval": perf.interval, "depth": perf.depth, "runs": perf.runs,
            "layers": {lp.name: {"interval": lp.interval, "latency": lp.latency} for lp in perf.layers},
        }
        plan["layers"] = layer_of_partition
        reloads = {self.layers[n].spec.wr_factor for n in layer_of_partition}
        plan["runs"] = max(reloads)
        return plan

    def _evict(self, plan, edge, group: list, dma, reload_layer) -> None:
        """Route an evicted edge's streams through off-chip memory (model/eviction.py): each
        stream ends in its write burst buffer (a FIFO of the model's depth) and a `dma_out`
        gathering a beat of all of them onto master `m_axis_e<k>`; a `dma_in` on slave
        `s_axis_e<k>` hands the words read back to the read burst buffers (FIFOs of the same
        depth) in front of the join. The DMA between the two ports is the host's (sim.py
        plays it), so no skip FIFO is left on chip."""
        streams, insts = plan["streams"], plan["insts"]
        join = insts[group[0].consumer[0]]
        if reload_layer is not None:
            if plan["run"] == 0:
                self.error(join.op, f"a skip stream evicted to off-chip memory ('evicted') in a partition whose layer "
                                    f"{reload_layer} reloads its weights (wr_factor > 1) is modelled, but the RTL "
                                    "backend does not emit it yet")
            return
        depth = dma.memories[0].depth
        k = len(plan.setdefault("evictions", []))
        t = group[0].type
        write = ModuleParams(kind="dma_out", layer=None, instance=None, attrs={"frame_beats": group[0].words},
                             inputs=[s.type for s in group], outputs=[], name=ident(f"{plan['tag']}_evict{k}_write"))
        read = ModuleParams(kind="dma_in", layer=None, instance=None, attrs={}, outputs=[s.type for s in group],
                            inputs=[StreamType(t.width, t.frac, len(group) * t.lanes)],
                            name=ident(f"{plan['tag']}_evict{k}_read"))
        w_index, r_index = len(insts), len(insts) + 1
        w = _Instance(write.name, "dma_out", None, write, op=join.op, port=f"m_axis_e{k}")
        r = _Instance(read.name, "dma_in", None, read, op=join.op, port=f"s_axis_e{k}")
        for j, s in enumerate(group):
            back = _Stream(len(streams), s.type, s.words, (r_index, j), s.consumer, s.origin, depth)
            streams.append(back)
            insts[s.consumer[0]].inputs[s.consumer[1]] = back.index
            r.outputs.append(back.index)
            s.consumer, s.depth = (w_index, j), depth
            w.inputs.append(s.index)
        insts += [w, r]
        plan["evictions"].append({
            "write_port": w.port, "read_port": r.port, "layer": edge[0], "join": edge[1],
            "streams": len(group), "format": [t.width, t.frac], "pixels": t.lanes,
            "beat_bits": len(group) * t.bits, "beats_per_frame": group[0].words,
            "bits_per_frame": len(group) * t.bits * group[0].words,
            "buffer_depth": depth, "burst_beats": depth,
            "order": "the early branch's words as the join reads them: beat b = word b of every stream "
                     "(stream j in lanes j*pixels ..), a frame after a frame; the host's DMA stores what "
                     "write_port writes and returns it on read_port in order, in bursts of burst_beats"})

    def _evict_window(self, plan, layer: str, group: list) -> None:
        """Connect a window_evicted layer's sliding windows (`group`: their instance indices,
        one per stream) to off-chip memory (model/eviction.py): each window's write stream
        (out1, every real input word) goes through a write burst buffer (a FIFO of B words)
        into a `dma_out` gathering a beat of all of them onto master `m_axis_win<k>`; per lagged
        tap t (window_lags > 0, kernel order) a `dma_in` on slave `s_axis_win<k>_<t>` hands
        each window its read stream (in{1 + t}) through a read burst buffer of B words. The
        host's DMA serves read port t the first n_j slices of every frame the write port
        wrote (sim.py plays it)."""
        streams, insts = plan["streams"], plan["insts"]
        wins = [insts[i] for i in group]
        spec = wins[0].params.spec
        model = wins[0].params.model
        depth = next(m.depth for m in model.memories if m.role == WINDOW_DMA)
        t = wins[0].params.inputs[0]
        n = len(wins)
        words = streams[wins[0].inputs[0]].words  # per stream a frame
        real = spec.inputs[0][1]  # slices of dim 0
        slice_words = words // real
        lags = [j for j in window_lags(spec) if j > 0]
        reads = window_reads(spec)
        k = len(plan.setdefault("window_evictions", []))
        beat = StreamType(t.width, t.frac, n * t.lanes)
        write = ModuleParams(kind="dma_out", layer=None, instance=None, attrs={"frame_beats": words},
                             inputs=[t] * n, outputs=[], name=ident(f"{plan['tag']}_win{k}_write"))
        w = _Instance(write.name, "dma_out", None, write, op=wins[0].op, port=f"m_axis_win{k}")
        w_index = len(insts)
        insts.append(w)
        for j, (i, win) in enumerate(zip(group, wins)):
            s = _Stream(len(streams), t, words, (i, 1), (w_index, j), layer, depth, "window_write")
            streams.append(s)
            win.outputs.append(s.index)
            win.params.outputs.append(t)
            w.inputs.append(s.index)
        read_ports = []
        for tap, (lag, n_j) in enumerate(zip(lags, reads)):
            read = ModuleParams(kind="dma_in", layer=None, instance=None, attrs={}, outputs=[t] * n,
                                inputs=[beat], name=ident(f"{plan['tag']}_win{k}_read{tap}"))
            r = _Instance(read.name, "dma_in", None, read, op=wins[0].op, port=f"s_axis_win{k}_{tap}")
            r_index = len(insts)
            insts.append(r)
            for j, (i, win) in enumerate(zip(group, wins)):
                s = _Stream(len(streams), t, n_j * slice_words, (r_index, j), (i, 1 + tap), layer, depth,
                            "window_read")
                streams.append(s)
                r.outputs.append(s.index)
                win.inputs.append(s.index)
                win.params.inputs.append(t)
            read_ports.append(r.port)
        traffic = window_traffic(spec)
        plan["window_evictions"].append({
            "layer": layer, "write_port": w.port, "read_ports": read_ports, "lags": lags, "reads": list(reads),
            "streams": n, "format": [t.width, t.frac], "pixels": t.lanes, "beat_bits": beat.bits,
            "slice_beats": slice_words, "beats_per_frame": words,
            "read_beats_per_frame": [n_j * slice_words for n_j in reads],
            "bits_per_frame": [words * beat.bits] + [n_j * slice_words * beat.bits for n_j in reads],
            "model_bits_per_frame": list(traffic), "buffer_depth": depth, "burst_beats": depth,
            "order": "the layer's input as the window reads it: beat b = word b of every stream (stream j in "
                     "lanes j*pixels ..), a frame after a frame; the host's DMA stores what write_port writes "
                     "and returns on read_ports[t], in order and never before it is written, the first "
                     "reads[t] slices of dim 0 (reads[t] * slice_beats beats) of every frame, in bursts of "
                     "burst_beats"})

    def _weights_stream(self, plan, inst: _Instance, word: StreamType, info: _Layer) -> None:
        """Feed a fragmented layer's weights memory `inst` its dynamic regions: a stream from
        the layer's weights dma (a `dma_in` on its own AXI port, one output per MAC unit, one
        beat = a word of every unit), created with the layer's first memory."""
        streams, insts = plan["streams"], plan["insts"]
        ports = plan.setdefault("weights", {})  # layer -> its weights dma's instance index
        dma = ports.get(info.name)
        if dma is None:
            p = ModuleParams(kind="dma_in", layer=None, instance=None, attrs={}, inputs=[], outputs=[],
                             name=ident(f"{plan['tag']}_{info.name}_weights_dma"))
            dma = ports[info.name] = len(insts)
            insts.append(_Instance(p.name, "dma_in", None, p, op=inst.op, port=f"s_axis_w{len(ports) - 1}"))
        d = insts[dma]
        s = _Stream(len(streams), word, 0, (dma, len(d.outputs)), (len(insts), 0))
        streams.append(s)
        d.outputs.append(s.index)
        d.units.append(inst.params)
        d.params.outputs.append(word)
        d.params.inputs = [StreamType(word.width, word.frac, len(d.outputs) * word.lanes)]
        inst.inputs.append(s.index)
        inst.params.inputs = [word]

    def _weights_json(self, plan) -> list:
        """rtl.json's weights ports of the partition: per fragmented layer, its AXI port, the
        image file and its word order, the beats a frame (what the model streams)."""
        entries = []
        for layer, dma in plan.get("weights", {}).items():
            d = plan["insts"][dma]
            units = d.units
            n, u_on, u_off = fragments(units[0].spec)
            model = units[0].model
            repeat = model.words_out // (n * (u_on + u_off))  # memory cycles a frame: output pixels
            entries.append({
                "port": d.port, "layer": layer, "fragments": [n, u_on, u_off], "units": len(units),
                "word": units[0].outputs[0].lanes, "format": [d.params.inputs[0].width, d.params.inputs[0].frac],
                "beat_bits": d.params.inputs[0].bits, "image_beats": n * u_off, "repeat": repeat,
                "beats_per_frame": repeat * n * u_off, "file": f"{plan['name']}/weights/{ident(layer)}_fragments.bin",
                "order": "one memory cycle, sent `repeat` times a frame: beat f*u_off + w is dynamic word w of "
                         "fragment f (address f*(u_on+u_off)+u_on+w) of every MAC unit, unit k (weights_memory "
                         "instance units_order[k]) in lanes k*word .. k*word+word-1, tap t in lane k*word+t",
                "units_order": [u.instance for u in units],
            })
        return entries

    def _weights_files(self, plan) -> dict:
        """The image of each fragmented layer's weights port, packed beats as sim.py streams them."""
        from .streams import pack_words
        from .weights_memory import fragment_image

        files = {}
        for entry in self._weights_json(plan):
            d = plan["insts"][plan["weights"][entry["layer"]]]
            image = np.concatenate([fragment_image(u) for u in d.units], axis=1)
            files[entry["file"]] = pack_words(image, d.params.inputs[0]).astype("<u4").tobytes()
        return files

    def _stream_type(self, value) -> StreamType:
        return StreamType.parse(str(value.type))

    # -- render --------------------------------------------------------------------------

    def _render(self, groups, in_fmt: Fixed, target) -> Project:
        files: dict = {}
        parts_json = []
        filelist = []
        tcl = ["# Adds the RTL of every partition to the current Vivado project (generated by "
               "fpga-translate --sdf-to-rtl).", "set here [file dirname [file normalize [info script]]]"]
        for plans in groups:
            run_tops = []
            for plan in plans:
                top_name = f"{plan['tag']}_top"
                folder = plan["name"] if len(plans) == 1 else f"{plan['name']}/r{plan['run']}"
                top_cls, debug = _top_module(top_name, plan)
                sv = elaborate(top_cls, top_name)
                files.update(self._weights_files(plan))
                for fname, text in sv.items():
                    files[f"{folder}/{fname}"] = text
                    filelist.append(f"{folder}/{fname}")
                tcl.append(f"add_files -norecurse [list {' '.join('$here/' + folder + '/' + f for f in sorted(sv))}]")
                run_tops.append({"top": top_name, "files": [f"{folder}/{f}" for f in sorted(sv)], "debug_bits": debug})
            entry = self._part_json(plans[0], run_tops[0]["top"], [], run_tops[0]["debug_bits"])
            entry["files"] = run_tops[0]["files"]
            entry["run_tops"] = run_tops
            entry["weights_reload"] = plans[0]["reload"]
            parts_json.append(entry)
        tcl.append(f"set_property top {parts_json[0]['top']} [current_fileset]")
        manifest = {
            "generator": "fpga-translate --sdf-to-rtl", "source": self.source,
            "platform": target.platform.name, "part": target.platform.part, "clock_mhz": target.clock_mhz,
            "batch": target.batch, "input_format": [in_fmt.width, in_fmt.frac],
            "word_order": "per frame: channels fastest, then W, H, D; one AXI beat = one word of every "
                          "dma stream (stream k in lane k: words k*N .. k*N+N-1 of the flat order)",
            "partitions": parts_json,
            "output": self.sources[1],  # which partition's output is the network's
        }
        view = network.output_views(self.func)[0]
        if view is not None:
            manifest["output_view"] = list(view)  # the host's shape of the output (sdf.view)
        files["rtl.json"] = json.dumps(manifest, indent=2) + "\n"
        files["filelist.f"] = "\n".join(filelist) + "\n"
        files["vivado.tcl"] = "\n".join(tcl) + "\n"
        return Project(files, manifest, self.warning)

    def _part_json(self, plan, top: str, sv_files, debug) -> dict:
        streams, insts = plan["streams"], plan["insts"]

        def end(inst_index, port, side):
            if inst_index is None:
                return None
            inst = insts[inst_index]
            return f"{inst.name}.{side}{port}"
        stream_json = [{
            "index": s.index, "bits": s.type.bits, "width": s.type.width, "frac": s.type.frac, "lanes": s.type.lanes,
            "words_per_frame": s.words, "depth": s.depth, "layer": s.origin,
            "from": end(*s.producer, "out"), "to": end(*s.consumer, "in"),
            **({"role": s.role} if s.role else {}),
        } for s in streams]
        layers = []
        for name in plan["layers"]:
            outs = [s.index for s in streams
                    if s.producer[0] is not None and insts[s.producer[0]].layer == name
                    and (s.consumer[0] is None or insts[s.consumer[0]].layer != name) and s.role is None]
            info = self.layers[name]
            model = plan["model"]["layers"][name]
            layers.append({"name": name, "kind": info.kind, "streams": outs,
                           "words_per_frame": [streams[i].words for i in outs],
                           "model_interval": model["interval"], "model_latency": model["latency"],
                           "model_cycles_per_frame": plan["model"]["interval"]})
        inputs = [dict(t, port=axis_port("s_axis", k, len(plan["inputs"])), order="channels_last")
                  for k, t in enumerate(plan["inputs"])]
        outputs = [dict(t, port=axis_port("m_axis", k, len(plan["outputs"])), order="channels_last")
                   for k, t in enumerate(plan["outputs"])]
        entry = {
            "name": plan["name"], "index": plan["index"], "top": top, "files": [f"{plan['name']}/{f}" for f in sv_files],
            "inputs": inputs, "outputs": outputs, "input": inputs[0], "output": outputs[0],
            "runs": plan["runs"], "streams": stream_json, "debug_bits": debug, "layers": layers,
            "model": {"cycles_per_frame": plan["model"]["interval"], "depth": plan["model"]["depth"],
                      "runs": plan["model"]["runs"]},
        }
        if plan.get("weights"):  # a fragmented layer's weights port (AutoWS)
            entry["weights"] = self._weights_json(plan)
        if plan.get("evictions"):  # evicted skip streams: a write and a read port each (SMOF)
            entry["evictions"] = plan["evictions"]
        if plan.get("window_evictions"):  # window_evicted layers: a write port, a read per lagged tap
            entry["window_evictions"] = plan["window_evictions"]
        return entry


def axis_port(prefix: str, k: int, n: int) -> str:
    """The AXI-Stream port of a partition's k-th of n inputs (`s_axis`) or outputs (`m_axis`):
    the bare prefix when there is one, so one-stream partitions keep their names."""
    return prefix if n == 1 else f"{prefix}{k}"


def _tensor_sources(func, parts) -> tuple[list, dict]:
    """[per partition, per input: where its tensor comes from], and the network's output.
    A source is {"network_input": i} or {"partition": j, "output": k}: a cut inside a residual
    block writes the skip tensor off-chip, and a later partition (not always the next) reads it."""
    def source(value):
        owner = value.owner
        if isinstance(owner, ir.Block):
            return {"network_input": ir.BlockArgument(value).arg_number}
        j = next(i for i, p in enumerate(parts) if p.operation == owner)
        return {"partition": j, "output": ir.OpResult(value).result_number}

    ret = list(func.operation.regions[0].blocks[0].operations)[-1]
    if not parts:
        return [[{"network_input": 0}]], {"partition": 0, "output": 0}
    return [[source(v) for v in p.operation.operands] for p in parts], source(ret.operation.operands[0])


def sdf_ir_walk(module):
    from ...ir import walk
    return walk(module)


def _is_stream(value) -> bool:
    return str(value.type).startswith("!sdf_hw.stream")


def _shape(value) -> tuple:
    return tuple(ir.RankedTensorType(value.type).shape)


# ------------------------------------------------------------------------------ the top


def _top_module(name: str, plan):
    """The partition top: instances wired stream by stream, FIFOs where the model buffers,
    AXI-Stream ends, and the debug vectors."""
    from pycde import Clock, Input, Module, Output, Reset, generator
    from pycde.constructs import Wire
    from pycde.signals import BitsSignal
    from pycde.types import Bits

    streams, insts = plan["streams"], plan["insts"]
    n_in, n_out = len(plan["inputs"]), len(plan["outputs"])
    n = len(streams)
    ns = {"module_name": name, "clk": Clock(), "rst": Reset()}
    for inst in insts:  # one AXI-Stream port per tensor read or written
        if inst.kind == "dma_in":
            port = inst.port or axis_port("s_axis", inst.axis, n_in)
            ns.update({f"{port}_tdata": Input(Bits(inst.params.inputs[0].bits)), f"{port}_tvalid": Input(Bits(1)),
                       f"{port}_tlast": Input(Bits(1)), f"{port}_tready": Output(Bits(1))})
        elif inst.kind == "dma_out":
            port = inst.port or axis_port("m_axis", inst.axis, n_out)
            ns.update({f"{port}_tdata": Output(Bits(inst.params.inputs[0].bits * len(inst.inputs))),
                       f"{port}_tvalid": Output(Bits(1)), f"{port}_tlast": Output(Bits(1)),
                       f"{port}_tready": Input(Bits(1))})
    ns.update(debug_valid=Output(Bits(n)), debug_ready=Output(Bits(n)))

    def construct(ports):
        data = [Wire(Bits(s.type.bits), f"s{s.index}_data") for s in streams]
        valid = [Wire(Bits(1), f"s{s.index}_valid") for s in streams]
        ready = [Wire(Bits(1), f"s{s.index}_ready") for s in streams]
        # a FIFO splits stream k into producer side (k_p) and consumer side (the wires above)
        prod_data, prod_valid, prod_ready = list(data), list(valid), list(ready)
        for s in streams:
            if s.depth > 2:
                pd, pv = Wire(Bits(s.type.bits), f"s{s.index}_in_data"), Wire(Bits(1), f"s{s.index}_in_valid")
                f = fifo(s.type, s.depth)(clk=ports.clk, rst=ports.rst, in0_data=pd, in0_valid=pv,
                                          out0_ready=ready[s.index], instance_name=f"fifo_s{s.index}")
                data[s.index].assign(f.out0_data)
                valid[s.index].assign(f.out0_valid)
                prod_data[s.index], prod_valid[s.index] = pd, pv
                prod_ready[s.index] = f.in0_ready
        for inst in insts:
            kw = {"clk": ports.clk, "rst": ports.rst}
            s_port = inst.port or axis_port("s_axis", inst.axis, n_in)
            m_port = inst.port or axis_port("m_axis", inst.axis, n_out)
            if inst.kind == "dma_in":
                kw.update(in0_data=getattr(ports, f"{s_port}_tdata"), in0_valid=getattr(ports, f"{s_port}_tvalid"))
            for i, k in enumerate(inst.inputs):
                d, v, _ = port_names(f"in{i}")
                kw[d], kw[v] = data[k], valid[k]
            if inst.kind == "dma_out":
                kw["out0_ready"] = getattr(ports, f"{m_port}_tready")
            for j, k in enumerate(inst.outputs):
                kw[port_names(f"out{j}")[2]] = prod_ready[k]
            m = inst.cls(instance_name=inst.name, **kw)
            if inst.kind == "dma_in":
                setattr(ports, f"{s_port}_tready", m.in0_ready)
            for i, k in enumerate(inst.inputs):
                ready[k].assign(getattr(m, f"in{i}_ready"))
            if inst.kind == "dma_out":
                setattr(ports, f"{m_port}_tdata", m.out0_data)
                setattr(ports, f"{m_port}_tvalid", m.out0_valid)
                setattr(ports, f"{m_port}_tlast", m.out0_last)
            for j, k in enumerate(inst.outputs):
                prod_data[k].assign(getattr(m, f"out{j}_data"))
                prod_valid[k].assign(getattr(m, f"out{j}_valid"))
        ports.debug_valid = BitsSignal.concat(list(reversed(valid))) if n > 1 else valid[0]
        ports.debug_ready = BitsSignal.concat(list(reversed(ready))) if n > 1 else ready[0]

    ns["construct"] = generator(construct)
    return type(name, (Module,), ns), n


# ------------------------------------------------------------------------------ entry points


def emit(module, source: str = "<stdin>", platform: str | None = None) -> Project:
    """The files of the RTL project for `module` (raises UserError with every refusal).
    `module` is expanded in place (--sdf-expand-modules)."""
    return _Emitter(module, source, platform).run()


def write_project(project: Project, out_dir: str) -> None:
    """Write the RTL project as `out_dir`, atomically (cli.write_directory)."""
    from ...cli import write_directory

    write_directory(project.files, out_dir, "fpga-translate")
