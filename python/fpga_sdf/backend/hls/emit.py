"""Emit a Vitis HLS project from folded, quantized layer-level sdf IR (`--sdf-to-hls`).

Input: layer-level sdf (one op per layer) with `output_format` on every op, `acc_width` on
conv / inner_product / scale_shift, `sdf.format` on the function argument, and folding
attributes (absent = 1). The emitter reads the same per-layer plan as `--sdf-expand-modules`
(`fpga_sdf.backend.hls.plan`), so the module structure a layer file instantiates is the one
the module-level IR shows and the hardware model costs; it does not consume module-level IR.

Output (one directory, written atomically):

    Makefile                 `make csim`: builds and runs every partition's testbench
    schedule.json            host schedule: partitions in order, formats, word orders, reloads
    block_design.tcl         Vivado block design for the board of `sdf.target`
    include/                 the template library (sdf.hpp, dataflow.hpp, tb_io.hpp, ...)
    p<i>/                    one Vitis HLS project per partition:
      p<i>.hpp               formats (typedefs) and the layer functions' prototypes
      src/<layer>.cpp        one file per layer: its ROMs and its template instantiation
      src/p<i>_top.cpp       top: AXI master/AXI-Lite ports, DATAFLOW, streams with depths
      tb/tb.cpp              C++ testbench: raw int64 frames in, raw int64 frames out
      tb/csim_all.cpp        every source in one translation unit (fast g++ build)
      Makefile, hls.tcl      g++ C-simulation; Vitis HLS csim/csynth/cosim/export
      weights/*.bin          reloaded weights (raw int64, run after run), when wr_factor > 1

Every feature map crosses memory in the streaming order (channels fastest, then W, H, D) as
the integers of its fixed-point format; `schedule.json` says which format each port has.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from torch_mlir import ir

from ... import network
from ... import weights as weight_store
from ...diagnostics import Diagnostic, UserError, at
from ...dialects import sdf
from ...dialects.sdf_attrs import get_bool, get_float, get_int, get_ints, get_str, has, shape
from ...interp.fixed import Fixed, quantize, requantize
from ...model import expand
from . import csim
from .tables import TABLE_ACTIVATIONS, activation_table, array_initializer

__all__ = ["emit", "write_project", "Project"]

DEFAULT_STREAM_DEPTH = 2
TB_FLAGS = ("-std=c++14", "-O2", "-Wno-unknown-pragmas")
SUPPORTED_ACTIVATIONS = ("relu", "relu6", "leaky_relu") + TABLE_ACTIVATIONS
ALPHA_FMT = Fixed(18, 16)
TEMPLATE_FILES = ("sdf_common.hpp", "sliding_window.hpp", "conv.hpp", "pool.hpp", "activation.hpp",
                  "streams.hpp", "sdf.hpp", "dataflow.hpp", "tb_io.hpp")


# ------------------------------------------------------------------------------ helpers


def ctype(fmt: Fixed) -> str:
    """The typedef name of a format: fx<W>_f<F> (fx<W>_fm<-F> for a negative frac)."""
    return f"fx{fmt.width}_f{fmt.frac}" if fmt.frac >= 0 else f"fx{fmt.width}_fm{-fmt.frac}"


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


def geometry(spatial, kernel, stride, pad, dilation) -> str:
    nd = len(spatial)
    lift = lambda t, one: (one,) * (3 - nd) + tuple(t)  # noqa: E731
    args = (lift(spatial, 1) + lift(kernel, 1) + lift(stride, 1) + lift(pad[:nd], 0)
            + lift(pad[nd:], 0) + lift(dilation, 1))
    return f"sdf::geometry<{', '.join(map(str, args))}>"


def _fmt_of_attr(attr) -> Fixed:
    return Fixed(*sdf.fixed_value(attr))


def value_format(value) -> Fixed | None:
    """Format of an SSA value: its producer's output_format, or the func arg's sdf.format."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        parent = owner.owner
        parent = getattr(parent, "operation", parent)
        if parent.name == "sdf.partition":
            return value_format(parent.operands[0])
        if parent.name == "func.func" and "arg_attrs" in parent.attributes:
            arg = ir.DictAttr(ir.ArrayAttr(parent.attributes["arg_attrs"])[value.arg_number])
            if "sdf.format" in arg:
                return _fmt_of_attr(arg["sdf.format"])
        return None
    if "output_format" in owner.attributes:
        return _fmt_of_attr(owner.attributes["output_format"])
    if owner.name == "sdf.partition":  # partitioned after quantization: the yielded value's
        body = owner.regions[0].blocks[0]
        return value_format(list(body.operations)[-1].operands[0])
    return None


def _narrow(q: np.ndarray, frac: int, max_width: int) -> Fixed:
    """The narrowest format at `frac` holding the integers q (never wider than max_width)."""
    mag = int(np.max(np.abs(q))) if q.size else 0
    return Fixed(min(max_width, max(2, mag.bit_length() + 1)), frac)


# ------------------------------------------------------------------------------ data model


@dataclass
class Bundle:
    """A feature map on `streams` parallel streams (word i on stream i % streams)."""

    expr: str  # C++ expression naming the stream array
    fmt: Fixed
    shape: tuple  # (C, *spatial) without the batch
    streams: int
    origin: str = ""  # producing layer (for depth bookkeeping)
    depth: int = DEFAULT_STREAM_DEPTH
    depth_source: str = "default"

    @property
    def words(self) -> int:
        return math.prod(self.shape)


@dataclass
class Reload:
    """A layer whose filters are reloaded (wr_factor > 1) through an AXI master port."""

    layer: str
    runs: int
    filters_per_run: int
    channels: int
    w_fmt: Fixed
    b_fmt: Fixed
    w_words: int  # per run
    b_words: int
    w_runs: np.ndarray  # (runs, w_words) integers
    b_runs: np.ndarray


@dataclass
class PartitionPlan:
    index: int
    name: str
    in_bundle: Bundle | None = None
    out_bundle: Bundle | None = None
    in_shape: tuple = ()
    out_shape: tuple = ()
    layers: list = field(default_factory=list)  # (cname, source name, kind, file text, prototype)
    body: list = field(default_factory=list)  # top statements
    decls: list = field(default_factory=list)  # top stream declarations (+ pragmas)
    formats: set = field(default_factory=set)
    reload: Reload | None = None
    modules: list = field(default_factory=list)  # (layer, module, instances) for comments/report
    bundles: list = field(default_factory=list)


@dataclass
class Project:
    files: dict  # relative path -> str | bytes
    schedule: dict


# ------------------------------------------------------------------------------ analysis


class _Emitter:
    def __init__(self, module, source: str, platform: str | None):
        self.module = module
        self.source = source
        self.problems: list[Diagnostic] = []
        self.platform_arg = platform
        named = network.named_layers(module)
        self.names = {op.operation: name for name, op in named}
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

    # -- checks ------------------------------------------------------------------------

    def fmt(self, value, user) -> Fixed | None:
        f = value_format(value)
        if f is None:
            owner = value.owner
            where = user if isinstance(owner, ir.Block) else owner.opview
            self.error(where, "the HLS backend needs quantized IR: this value has no fixed-point format "
                              "(run --sdf-quantize)")
        return f

    def out_fmt(self, op) -> Fixed | None:
        if not has(op, "output_format"):
            self.error(op, f"'{op.operation.name}' has no 'output_format': the HLS backend needs quantized IR "
                           "(run --sdf-quantize)")
            return None
        return _fmt_of_attr(op.operation.attributes["output_format"])

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
        ops = [op for op in block.operations]
        parts = [op for op in ops if op.operation.name == "sdf.partition"]
        loose = [op for op in ops if op.operation.name in sdf.LAYER_KINDS]
        if parts and loose:
            self.error(loose[0], "layer outside any partition in a partitioned function")
            raise UserError(self.problems)
        plans = []
        if parts:
            for i, p in enumerate(parts):
                inner = p.operation.regions[0].blocks[0]
                plans.append(self.partition(i, inner, inner.arguments[0], list(inner.operations)[-1]))
        else:
            plans.append(self.partition(0, block, block.arguments[0], ops[-1]))
        if self.problems:
            raise UserError(self.problems)
        return self.render(func, plans)

    def partition(self, index: int, block, source, terminator) -> PartitionPlan:
        plan = PartitionPlan(index, f"p{index}")
        self.plan = plan
        self.bundles: dict = {}
        self.reads: dict = {}
        self.counter = 0
        fmt = self.fmt(source, terminator)
        plan.in_shape = shape(source)
        layer_ops = [op for op in block.operations if op.operation.name in sdf.LAYER_KINDS]
        for op in block.operations:
            if op.operation.name not in sdf.LAYER_KINDS and op.operation.name not in (
                    "sdf.weights", "func.return", "sdf.yield"):
                self.error(op, f"the HLS backend has no module for '{op.operation.name}'")
        if fmt is None or not layer_ops:
            if not layer_ops:
                self.error(terminator, "a partition without layers has nothing to emit")
            return plan
        first_user = self._first_reader(source, layer_ops)
        n_in = self.needed_streams(first_user) if first_user is not None else 1
        plan.in_bundle = self.new_bundle(fmt, plan.in_shape[1:], n_in, "input")
        self.bundles[source] = plan.in_bundle
        wr_layers = [op for op in layer_ops if get_int(op, "wr_factor", 1) > 1]
        for op in layer_ops:
            if any(v not in self.bundles for v in network.stream_operands(op)):
                self.error(op, "reads a stream that does not come from this partition's input")
                continue
            try:
                self.layer(op, wr=op in wr_layers)
            except UserError as err:
                self.problems.extend(err.diagnostics)
        out_value = terminator.operands[0]
        plan.out_shape = shape(out_value)
        if out_value in self.bundles:
            self.consume(out_value, terminator)
            plan.out_bundle = self.bundles[out_value]
        if len(wr_layers) > 1:
            self.error(wr_layers[1], "the HLS backend reloads the weights of one layer per partition")
        elif wr_layers:
            op = wr_layers[0]
            if op.operation.results[0] != out_value:
                self.error(op, "a layer with wr_factor > 1 must produce its partition's output "
                               "(each run computes a share of its filters; the host assembles them)")
        self.depths(layer_ops)
        return plan

    @staticmethod
    def _first_reader(value, layer_ops):
        for op in layer_ops:
            if any(v == value for v in network.stream_operands(op)):
                return op
        return None

    def needed_streams(self, op) -> int:
        name = op.operation.name
        ci, cg = get_int(op, "coarse_in", 1), get_int(op, "coarse_group", 1)
        return ci * cg if name == "sdf.conv" else ci

    def produced_streams(self, op) -> int:
        name = op.operation.name
        if name == "sdf.conv":
            return get_int(op, "coarse_out", 1) * get_int(op, "coarse_group", 1)
        if name == "sdf.inner_product":
            return get_int(op, "coarse_out", 1)
        return get_int(op, "coarse_out", get_int(op, "coarse_in", 1))

    def new_bundle(self, fmt: Fixed, shp, streams: int, origin: str, extra_dim: int = 0) -> Bundle:
        name = f"s{self.counter}"
        self.counter += 1
        dims = f"[{extra_dim}][{streams}]" if extra_dim else f"[{streams}]"
        self.plan.decls.append((name, f"hls::stream<{ctype(fmt)}> {name}{dims};"))
        self.plan.formats.add(fmt)
        b = Bundle(name, fmt, tuple(shp), streams, origin)
        self.plan.bundles.append((name, b))
        return b

    def consume(self, value, user) -> None:
        if value in self.reads:
            self.error(user.opview if hasattr(user, "opview") else user,
                       "a stream can be read by one layer only: this value already feeds another layer "
                       "(insert an sdf.split)")
        self.reads[value] = user

    def operand(self, op, i: int, streams: int, fmt: Fixed | None = None) -> Bundle:
        """The bundle of operand i with `streams` streams (a squeeze is inserted when needed)."""
        value = op.operation.operands[i]
        self.consume(value, op)
        b = self.bundles[value]
        if b.streams == streams and (fmt is None or fmt == b.fmt):
            return b
        out_fmt = fmt or b.fmt
        nb = self.new_bundle(out_fmt, b.shape, streams, b.origin)
        self.plan.formats.add(b.fmt)
        self.plan.body.append(f"sdf::squeeze<{ctype(b.fmt)}, {ctype(out_fmt)}, {b.streams}, {streams}, "
                              f"{b.words}>({b.expr}, {nb.expr});")
        self.plan.modules.append((self.cnames[op.operation], "squeeze", 1))
        return nb

    # -- layers --------------------------------------------------------------------------

    def layer(self, op, wr: bool) -> None:
        name = op.operation.name
        cname = self.cnames[op.operation]
        out_fmt = self.out_fmt(op)
        formats_ok = out_fmt is not None and all(self.fmt(v, op) is not None for v in op.operation.operands)
        if not formats_ok:
            return
        kind = sdf.LAYER_KINDS[name]
        spec = network.layer_spec(self.names[op.operation], op)
        for what, used in (("streaming weights from off-chip memory (weights_off_chip, AutoWS)", spec.weights_off_chip),
                           ("the sparse engine (sparsity, PASS)", spec.sparsity),
                           ("multi-pixel streams (pixels)", spec.pixels != (1, 1))):
            if used:
                self.error(op, f"{what} is modelled and explored, but the HLS backend does not emit it yet")
                return
        for module in expand(spec):
            self.plan.modules.append((cname, module.name, module.instances))
        handler = getattr(self, f"_{kind}")
        before = len(self.problems)
        result = handler(op, cname, out_fmt, wr)
        if result is None or len(self.problems) > before:
            return
        ins, outs, decls, call = result
        proto_args = ", ".join(
            [f"hls::stream<{ctype(b.fmt)}> {n}[{b.streams}]" for n, b in ins]
            + [f"hls::stream<{ctype(out_fmt)}> {n}{dims}" for n, dims in outs])
        extra = ""
        if wr:
            extra = ", " + ", ".join(f"{t} (&{n})[{size}]" for n, t, size in self._reload_params(op))
        proto = f"void layer_{cname}({proto_args}{extra})"
        loc = op.location
        text = (f"// layer '{self.names[op.operation]}': {name} at {loc}\n"
                f"// modules (hardware model): "
                + ", ".join(f"{m.name} x{m.instances}" for m in expand(spec)) + "\n"
                f"#include \"{self.plan.name}.hpp\"\n\n"
                f"namespace ns_{cname} {{\n{decls}}}  // namespace ns_{cname}\n\n"
                f"{proto} {{\n#pragma HLS INLINE off\n{self._binding(op, cname, spec, wr)}{call}}}\n")
        self.plan.layers.append((cname, self.names[op.operation], kind, text, proto + ";"))

    def _result_bundle(self, op, out_fmt, cname, streams=None, index=0):
        value = op.operation.results[index]
        b = self.new_bundle(out_fmt, shape(value)[1:], streams or self.produced_streams(op), cname)
        self.bundles[value] = b
        return b

    # conv and inner product -----------------------------------------------------------

    def _params(self, op, out_fmt):
        x_fmt = value_format(op.operation.operands[0])
        w_op = op.operation.operands[1].owner
        b_op = op.operation.operands[2].owner
        if getattr(w_op, "name", "") != "sdf.weights" or getattr(b_op, "name", "") != "sdf.weights":
            self.error(op, "parameters must come from sdf.weights ops")
            return None
        w_fmt = self.fmt(op.operation.operands[1], op)
        b_fmt = self.fmt(op.operation.operands[2], op)
        if not has(op, "acc_width"):
            self.error(op, f"'{op.operation.name}' has no 'acc_width' (run --sdf-quantize)")
            return None
        acc = get_int(op, "acc_width")
        wq = quantize(weight_store.read(w_op.opview), w_fmt)
        bq = requantize(quantize(weight_store.read(b_op.opview), b_fmt), b_fmt.frac,
                        Fixed(acc, x_fmt.frac + w_fmt.frac))
        bias_fmt = _narrow(bq, x_fmt.frac + w_fmt.frac, acc)
        for f, what in ((w_fmt, "weights"), (bias_fmt, "bias"), (x_fmt, "input"), (out_fmt, "output")):
            if f.width > 53:
                self.error(op, f"{what} format {f} is wider than 53 bits: no exact C++ literal")
                return None
        return x_fmt, w_fmt, wq, bias_fmt, bq, acc

    def _rom(self, name: str, fmt: Fixed, q) -> str:
        """A ROM of exact literals (tables.array_initializer): a brace-initialised const array
        for synthesis; for g++ C-simulation the same literals through sdf::rom (fast to build)."""
        q = np.asarray(q)
        t, n = ctype(fmt), q.size
        literals = array_initializer(q, fmt).replace("\n", " \\\n")
        return (f"#define {name.upper()}_LITERALS {literals}\n"
                f"#ifdef __SYNTHESIS__\nstatic const {t} {name}[{n}] = {name.upper()}_LITERALS;\n#else\n"
                f"static const double {name}_literals[{n}] = {name.upper()}_LITERALS;\n"
                f"static const sdf::rom<{t}, {n}> {name}_rom({name}_literals);\n"
                f"static const {t} (&{name})[{n}] = {name}_rom.v;\n#endif\n"
                f"#undef {name.upper()}_LITERALS\n")

    @staticmethod
    def _binding(op, cname: str, spec, wr: bool) -> str:
        """The block memory the design chose for the weights ROM (weights_memory)."""
        if spec.weights_memory == "auto" or wr or spec.kind not in ("conv", "inner_product"):
            return ""
        return f"#pragma HLS BIND_STORAGE variable=ns_{cname}::weights type=rom_2p impl={spec.weights_memory}\n"

    def _reload_params(self, op):
        r = self.plan.reload
        return [("weights", ctype(r.w_fmt), r.w_words), ("bias", ctype(r.b_fmt), r.b_words)]

    def _mac_layer(self, op, cname, out_fmt, wr, is_conv):
        params = self._params(op, out_fmt)
        if params is None:
            return None
        x_fmt, w_fmt, wq, bias_fmt, bq, acc = params
        x_shape = shape(op.operation.operands[0])[1:]
        f_total = shape(op.operation.results[0])[1]
        ci, co, cg = get_int(op, "coarse_in", 1), get_int(op, "coarse_out", 1), get_int(op, "coarse_group", 1)
        fine = get_int(op, "fine", 1)
        wr_factor = get_int(op, "wr_factor", 1)
        groups = get_int(op, "groups", 1) if is_conv else 1
        if not is_conv:
            # The stream carries the input in streaming order (channels fastest); the weights
            # follow the torch flatten order (channels slowest): reorder the columns.
            c, pixels = x_shape[0], math.prod(x_shape[1:])
            wq = wq.reshape(f_total, c, pixels).transpose(0, 2, 1).reshape(f_total, c * pixels)
        filters = f_total // wr_factor
        if wr_factor > 1:
            if groups != 1:
                self.error(op, "weights reloading is only emitted for layers with groups = 1")
                return None
            per_filter = wq.size // f_total
            w_runs = wq.reshape(wr_factor, filters * per_filter)
            b_runs = bq.reshape(wr_factor, filters)
            self.plan.reload = Reload(self.cnames[op.operation], wr_factor, filters, f_total, w_fmt, bias_fmt,
                                      filters * per_filter, filters, w_runs, b_runs)
        self.plan.formats.update({x_fmt, w_fmt, bias_fmt, out_fmt})
        decls = (f"typedef {ctype(x_fmt)} in_t;\ntypedef {ctype(w_fmt)} w_t;\ntypedef {ctype(bias_fmt)} b_t;\n"
                 f"typedef sdf::acc_fixed<in_t, w_t, {acc}> acc_t;\ntypedef {ctype(out_fmt)} out_t;\n")
        if wr_factor == 1:
            decls += self._rom("weights", w_fmt, wq) + self._rom("bias", bias_fmt, bq)
            wname, bname = f"ns_{cname}::weights", f"ns_{cname}::bias"
        else:
            wname, bname = "weights", "bias"
        n_in = ci * cg if is_conv else ci
        xb = self.operand(op, 0, n_in)
        yb = self._result_bundle(op, out_fmt, cname)
        if is_conv:
            rank = len(x_shape) - 1
            k = shape(op.operation.operands[1])[2:]
            geom = geometry(x_shape[1:], k, get_ints(op, "stride", (1,) * rank),
                            get_ints(op, "pad", (0,) * (2 * rank)), get_ints(op, "dilation", (1,) * rank))
            decls += f"typedef {geom} geom;\n"
            call = (f"    sdf::conv_layer<ns_{cname}::in_t, ns_{cname}::w_t, ns_{cname}::b_t, ns_{cname}::acc_t, "
                    f"ns_{cname}::out_t, ns_{cname}::geom, {x_shape[0]}, {filters}, {groups}, {ci}, {co}, {cg}, "
                    f"{fine}>(in, out, {wname}, {bname});\n")
        else:
            call = (f"    sdf::inner_product<ns_{cname}::in_t, ns_{cname}::w_t, ns_{cname}::b_t, ns_{cname}::acc_t, "
                    f"ns_{cname}::out_t, {math.prod(x_shape)}, {filters}, {ci}, {co}>(in, out, {wname}, {bname});\n")
        if wr_factor > 1:
            yb.shape = (filters,) + yb.shape[1:]
            self.plan.body.append(f"layer_{cname}({xb.expr}, {yb.expr}, wr_weights_buf, wr_bias_buf);")
        else:
            self.plan.body.append(f"layer_{cname}({xb.expr}, {yb.expr});")
        return [("in", xb)], [("out", f"[{yb.streams}]")], decls, call

    def _conv(self, op, cname, out_fmt, wr):
        return self._mac_layer(op, cname, out_fmt, wr, True)

    def _inner_product(self, op, cname, out_fmt, wr):
        return self._mac_layer(op, cname, out_fmt, wr, False)

    # weightless layers ------------------------------------------------------------------

    def _unary(self, op, cname, out_fmt, call_fn):
        c = get_int(op, "coarse_in", 1)
        xb = self.operand(op, 0, c)
        yb = self._result_bundle(op, out_fmt, cname, c)
        self.plan.formats.update({xb.fmt, out_fmt})
        decls = f"typedef {ctype(xb.fmt)} in_t;\ntypedef {ctype(out_fmt)} out_t;\n"
        extra_decls, call = call_fn(xb, c)
        self.plan.body.append(f"layer_{cname}({xb.expr}, {yb.expr});")
        return [("in", xb)], [("out", f"[{c}]")], decls + extra_decls, call

    def _pool(self, op, cname, out_fmt, wr):
        x_shape = shape(op.operation.operands[0])[1:]
        rank = len(x_shape) - 1
        kernel = get_ints(op, "kernel")
        stride = get_ints(op, "stride", kernel)
        pad = get_ints(op, "pad", (0,) * (2 * rank))
        mode = get_str(op, "mode")
        if mode not in ("max", "avg"):
            self.error(op, f"pool mode '{mode}' has no HLS module")
            return None
        geom = geometry(x_shape[1:], kernel, stride, pad, (1,) * rank)
        count_pad = "true" if get_bool(op, "count_include_pad") else "false"
        m = "sdf::POOL_MAX" if mode == "max" else "sdf::POOL_AVG"
        n = f"ns_{cname}"
        return self._unary(op, cname, out_fmt, lambda xb, c: (
            f"typedef {geom} geom;\n",
            f"    sdf::pool_layer<{n}::in_t, {n}::out_t, {n}::geom, {x_shape[0]}, {m}, {count_pad}, {c}>(in, out);\n"))

    def _global_pool(self, op, cname, out_fmt, wr):
        x_shape = shape(op.operation.operands[0])[1:]
        mode = get_str(op, "mode", "avg")
        m = "sdf::POOL_MAX" if mode == "max" else "sdf::POOL_AVG"
        n = f"ns_{cname}"
        return self._unary(op, cname, out_fmt, lambda xb, c: (
            "", f"    sdf::global_pool<{n}::in_t, {n}::out_t, {x_shape[0]}, {math.prod(x_shape[1:])}, {m}, {c}>(in, out);\n"))

    def _activation(self, op, cname, out_fmt, wr):
        kind = get_str(op, "kind")
        x_fmt = value_format(op.operation.operands[0])
        words = math.prod(shape(op.operation.operands[0])[1:])
        n = f"ns_{cname}"
        if kind not in SUPPORTED_ACTIVATIONS:
            self.error(op, f"activation '{kind}' has no HLS template")
            return None
        if kind in TABLE_ACTIVATIONS:
            if x_fmt.width > 20:
                self.error(op, f"'{kind}' is a table activation: its {x_fmt.width}-bit input would need a "
                               f"2**{x_fmt.width}-entry table (quantize this layer's input to 20 bits or fewer)")
                return None
            table = activation_table(kind, x_fmt, out_fmt)
            return self._unary(op, cname, out_fmt, lambda xb, c: (
                self._rom("table", out_fmt, table),
                f"    sdf::activation_lut<{n}::in_t, {n}::out_t, {words // c}, {c}>(in, out, {n}::table);\n"))
        k = {"relu": "sdf::ACT_RELU", "relu6": "sdf::ACT_RELU6", "leaky_relu": "sdf::ACT_LEAKY_RELU"}[kind]
        alpha_q = int(quantize(get_float(op, "alpha", 0.01), ALPHA_FMT)) if kind == "leaky_relu" else 0
        return self._unary(op, cname, out_fmt, lambda xb, c: (
            "", f"    sdf::activation<{n}::in_t, {n}::out_t, {words // c}, {k}, {c}, {alpha_q}LL, "
                f"{ALPHA_FMT.width}, {ALPHA_FMT.frac}>(in, out);\n"))

    def _resize(self, op, cname, out_fmt, wr):
        if get_str(op, "mode", "nearest") != "nearest":
            self.error(op, f"resize mode '{get_str(op, 'mode')}' has no HLS module")
            return None
        x_shape = shape(op.operation.operands[0])[1:]
        scale = get_ints(op, "scale")
        sp = (1,) * (4 - len(x_shape)) + tuple(x_shape[1:])
        sc = (1,) * (3 - len(scale)) + tuple(scale)
        out_words = math.prod(shape(op.operation.results[0])[1:])
        n = f"ns_{cname}"

        def body(xb, c):
            args = f"{n}::in_t, {x_shape[0]}, {sp[0]}, {sp[1]}, {sp[2]}, {sc[0]}, {sc[1]}, {sc[2]}, {c}"
            if xb.fmt == out_fmt:
                return "", f"    sdf::resize_nearest<{args}>(in, out);\n"
            return "", (f"#pragma HLS DATAFLOW\n    hls::stream<{n}::in_t> tmp[{c}];\n"
                        f"    sdf::resize_nearest<{args}>(in, tmp);\n"
                        f"    sdf::squeeze<{n}::in_t, {n}::out_t, {c}, {c}, {out_words}>(tmp, out);\n")
        return self._unary(op, cname, out_fmt, body)

    def _scale_shift(self, op, cname, out_fmt, wr):
        x_fmt = value_format(op.operation.operands[0])
        s_fmt = self.fmt(op.operation.operands[1], op)
        t_fmt = self.fmt(op.operation.operands[2], op)
        if s_fmt is None or t_fmt is None:
            return None
        acc = get_int(op, "acc_width")
        sq = quantize(weight_store.read(op.operation.operands[1].owner.opview), s_fmt)
        tq = requantize(quantize(weight_store.read(op.operation.operands[2].owner.opview), t_fmt), t_fmt.frac,
                        Fixed(acc, x_fmt.frac + s_fmt.frac))
        shift_fmt = _narrow(tq, x_fmt.frac + s_fmt.frac, acc)
        self.plan.formats.update({s_fmt, shift_fmt})
        x_shape = shape(op.operation.operands[0])[1:]
        n = f"ns_{cname}"
        return self._unary(op, cname, out_fmt, lambda xb, c: (
            f"typedef {ctype(s_fmt)} s_t;\ntypedef {ctype(shift_fmt)} b_t;\n"
            f"typedef sdf::acc_fixed<in_t, s_t, {acc}> acc_t;\n"
            + self._rom("scale", s_fmt, sq) + self._rom("shift", shift_fmt, tq),
            f"    sdf::scale_shift<{n}::in_t, {n}::s_t, {n}::b_t, {n}::acc_t, {n}::out_t, {x_shape[0]}, "
            f"{math.prod(x_shape[1:])}, {c}>(in, out, {n}::scale, {n}::shift);\n"))

    def _eltwise(self, op, cname, out_fmt, wr):
        mode = get_str(op, "mode")
        if mode not in ("add", "mul"):
            self.error(op, f"eltwise mode '{mode}' has no HLS module")
            return None
        c = get_int(op, "coarse_in", 1)
        a_shape, b_shape = (shape(v)[1:] for v in op.operation.operands[:2])
        order = (0, 1)
        if a_shape != b_shape:
            if all(d == 1 for d in a_shape[1:]) and a_shape[0] == b_shape[0]:
                order = (1, 0)
                a_shape, b_shape = b_shape, a_shape
            if not (all(d == 1 for d in b_shape[1:]) and b_shape[0] == a_shape[0]):
                self.error(op, f"eltwise broadcast {a_shape} x {b_shape} has no HLS module "
                               "(only a per-channel (C, 1, 1) operand is streamed and buffered)")
                return None
        broadcast = a_shape != b_shape
        ab = self.operand(op, order[0], c)
        bb = self.operand(op, order[1], c)
        yb = self._result_bundle(op, out_fmt, cname, c)
        self.plan.formats.update({ab.fmt, bb.fmt, out_fmt})
        n = f"ns_{cname}"
        decls = f"typedef {ctype(ab.fmt)} a_t;\ntypedef {ctype(bb.fmt)} b_t;\ntypedef {ctype(out_fmt)} out_t;\n"
        m = "sdf::ELT_ADD" if mode == "add" else "sdf::ELT_MUL"
        call = (f"    sdf::eltwise<{n}::a_t, {n}::b_t, {n}::out_t, {a_shape[0]}, {math.prod(a_shape[1:])}, {m}, "
                f"{'true' if broadcast else 'false'}, {c}>(a, b, out);\n")
        self.plan.body.append(f"layer_{cname}({ab.expr}, {bb.expr}, {yb.expr});")
        self.join(op, [ab, bb])
        return [("a", ab), ("b", bb)], [("out", f"[{c}]")], decls, call

    def _concat(self, op, cname, out_fmt, wr):
        c = get_int(op, "coarse_in", 1)
        ab = self.operand(op, 0, c)
        bb = self.operand(op, 1, c)
        yb = self._result_bundle(op, out_fmt, cname, c)
        c1, c2 = ab.shape[0], bb.shape[0]
        pixels = math.prod(ab.shape[1:])
        n = f"ns_{cname}"
        decls = f"typedef {ctype(ab.fmt)} a_t;\ntypedef {ctype(bb.fmt)} b_t;\ntypedef {ctype(out_fmt)} out_t;\n"
        # With C1 and C2 multiples of the stream count, lane s of the output is the concat of
        # lane s of both inputs: one concat unit per lane (the model's instances).
        call = (f"#pragma HLS DATAFLOW\n    for (int s = 0; s < {c}; s++) {{\n#pragma HLS UNROLL\n"
                f"        sdf::concat<{n}::a_t, {n}::b_t, {n}::out_t, {c1 // c}, {c2 // c}, {pixels}>"
                f"(a[s], b[s], out[s]);\n    }}\n")
        self.plan.body.append(f"layer_{cname}({ab.expr}, {bb.expr}, {yb.expr});")
        self.join(op, [ab, bb])
        return [("a", ab), ("b", bb)], [("out", f"[{c}]")], decls, call

    def _split(self, op, cname, out_fmt, wr):
        c = get_int(op, "coarse_in", 1)
        xb = self.operand(op, 0, c)
        n_out = len(op.operation.results)
        if out_fmt != xb.fmt:
            self.error(op, f"a split copies its input: output_format {out_fmt} differs from the input's {xb.fmt}")
            return None
        arr = self.new_bundle(out_fmt, xb.shape, c, cname, extra_dim=n_out)
        for i, r in enumerate(op.operation.results):
            self.bundles[r] = Bundle(f"{arr.expr}[{i}]", out_fmt, xb.shape, c, cname)
            self.plan.bundles.append((f"{arr.expr}[{i}]", self.bundles[r]))
        self.split_arrays = getattr(self, "split_arrays", {})
        n = f"ns_{cname}"
        decls = f"typedef {ctype(xb.fmt)} in_t;\ntypedef {ctype(out_fmt)} out_t;\n"
        call = f"    sdf::split<{n}::in_t, {n_out}, {xb.words // c}, {c}>(in, out);\n"
        self.plan.body.append(f"layer_{cname}({xb.expr}, {arr.expr});")
        return [("in", xb)], [("out", f"[{n_out}][{c}]")], decls, call

    # -- stream depths ----------------------------------------------------------------

    def join(self, op, bundles) -> None:
        self._joins = getattr(self, "_joins", [])
        self._joins.append((op, bundles))

    def depths(self, layer_ops) -> None:
        """Depth of each stream: 2 (a register pair) on a chain; at a join, the branch that
        arrives first must buffer what the other branch holds back: the sum of the model's
        module fills (input words buffered before the first output) along the later branch,
        capped at the whole map (a depth that can never deadlock)."""
        fill_at: dict[str, int] = {"input": 0}
        for op in layer_ops:
            cname = self.cnames[op.operation]
            spec = network.layer_spec(self.names[op.operation], op)
            own = sum(m.fill for m in expand(spec))
            # a MAC layer also reads a whole position's channels before its first result
            if op.operation.name in ("sdf.conv", "sdf.inner_product"):
                own += spec.inputs[0][0] if op.operation.name == "sdf.conv" else math.prod(spec.inputs[0])
            ins = [self.bundles[v].origin for v in network.stream_operands(op) if v in self.bundles]
            fill_at[cname] = max((fill_at.get(o, 0) for o in ins), default=0) + own
        for op, bundles in getattr(self, "_joins", []):
            fills = [fill_at.get(b.origin, 0) for b in bundles]
            late = max(fills)
            for b, f in zip(bundles, fills):
                if f < late:
                    per_stream = -(-b.words // b.streams)
                    b.depth = max(DEFAULT_STREAM_DEPTH, min(per_stream, late - f + 2))
                    b.depth_source = "model"
                    self._set_depth(b)
        self._joins = []

    def _set_depth(self, b: Bundle) -> None:
        base = b.expr.split("[")[0]
        for _, other in self.plan.bundles:
            if other.expr.split("[")[0] == base:
                other.depth = max(other.depth, b.depth)
                other.depth_source = b.depth_source

    # ------------------------------------------------------------------------- render

    def render(self, func, plans) -> Project:
        files: dict = {}
        platform, part, clock, batch = self._target()
        for name in TEMPLATE_FILES:
            files[f"include/{name}"] = (csim.TEMPLATES / name).read_text()
        parts_json = []
        func_fmt = value_format(func.operation.regions[0].blocks[0].arguments[0])
        for plan in plans:
            self._render_partition(plan, files, part, clock)
            entry = {
                "name": plan.name, "top": f"{plan.name}_top", "binary": f"{plan.name}/build/csim_tb",
                "input": {"shape": list(plan.in_shape[1:]), "format": [plan.in_bundle.fmt.width, plan.in_bundle.fmt.frac],
                          "words": plan.in_bundle.words, "order": "channels_last"},
                "output": {"shape": list(plan.out_shape[1:]),
                           "format": [plan.out_bundle.fmt.width, plan.out_bundle.fmt.frac],
                           "words": math.prod(plan.out_shape[1:]), "order": "channels_last"},
                "reconfigure": plan.index > 0 or len(plans) > 1,
                "runs": 1, "weights_reload": None,
            }
            if plan.reload is not None:
                r = plan.reload
                entry["runs"] = r.runs
                entry["weights_reload"] = {
                    "layer": r.layer, "filters_per_run": r.filters_per_run, "channels": r.channels,
                    "weights": {"file": f"{plan.name}/weights/{r.layer}.weights.bin", "words_per_run": r.w_words,
                                "format": [r.w_fmt.width, r.w_fmt.frac]},
                    "bias": {"file": f"{plan.name}/weights/{r.layer}.bias.bin", "words_per_run": r.b_words,
                             "format": [r.b_fmt.width, r.b_fmt.frac]},
                }
            parts_json.append(entry)
        schedule = {
            "generator": "fpga-translate --sdf-to-hls", "source": self.source,
            "platform": platform, "part": part, "clock_mhz": clock, "batch": batch,
            "input_format": [func_fmt.width, func_fmt.frac],
            "word_order": "per frame: channels fastest, then W, H, D (values as integers of the format)",
            "partitions": parts_json,
        }
        files["schedule.json"] = json.dumps(schedule, indent=2) + "\n"
        files["Makefile"] = self._root_makefile(plans)
        files["block_design.tcl"] = self._block_design(plans, platform, part)
        return Project(files, schedule)

    def _target(self):
        from ... import target as target_mod

        if self.platform_arg:
            t = target_mod.resolve(self.platform_arg)
        elif target_mod.ATTR in self.module.operation.attributes:
            t = target_mod.read(self.module, "sdf-to-hls")
        else:
            t = target_mod.resolve("zcu102")
            self.warning = ("the module has no sdf.target: the Tcl scripts use zcu102 "
                            "(run --sdf-target=\"platform=NAME\" or pass --platform)")
        return t.platform.name, t.platform.part, t.clock_mhz, t.batch

    def _render_partition(self, plan: PartitionPlan, files: dict, part: str, clock: float) -> None:
        p = plan.name
        hdr = [f"// {p}: formats and layer prototypes (generated by fpga-translate --sdf-to-hls)",
               f"#ifndef {p.upper()}_HPP", f"#define {p.upper()}_HPP", "", "#include \"sdf.hpp\"",
               "#include \"dataflow.hpp\"", ""]
        for fmt in sorted(plan.formats, key=lambda f: (f.width, f.frac)):
            hdr.append(f"typedef {fmt.hls_type()} {ctype(fmt)};")
        ib, ob = plan.in_bundle, plan.out_bundle
        hdr += ["", f"typedef {ctype(ib.fmt)} {p}_in_t;", f"typedef {ctype(ob.fmt)} {p}_out_t;",
                f"const int {p.upper()}_IN_WORDS = {ib.words};", f"const int {p.upper()}_OUT_WORDS = {ob.words};"]
        r = plan.reload
        if r is not None:
            hdr += [f"const int {p.upper()}_RUNS = {r.runs};", f"const int {p.upper()}_W_WORDS = {r.w_words};",
                    f"const int {p.upper()}_B_WORDS = {r.b_words};",
                    f"typedef {ctype(r.w_fmt)} {p}_w_t;", f"typedef {ctype(r.b_fmt)} {p}_b_t;"]
        hdr.append("")
        for _, _, _, _, proto in plan.layers:
            hdr.append(proto)
        top_sig = f"void {p}_top(const {p}_in_t* in, {p}_out_t* out"
        if r is not None:
            top_sig += f", const {p}_w_t* wr_weights, const {p}_b_t* wr_bias"
        top_sig += ")"
        hdr += [f"{top_sig};", "", f"#endif  // {p.upper()}_HPP", ""]
        files[f"{p}/{p}.hpp"] = "\n".join(hdr)
        for cname, _, _, text, _ in plan.layers:
            files[f"{p}/src/{cname}.cpp"] = text

        top = [f"// {p}: top function (generated by fpga-translate --sdf-to-hls from {self.source})",
               f"#include \"{p}.hpp\"", "", top_sig + " {",
               f"#pragma HLS INTERFACE m_axi port=in offset=slave bundle=gmem_in depth={ib.words}",
               f"#pragma HLS INTERFACE m_axi port=out offset=slave bundle=gmem_out depth={ob.words}"]
        if r is not None:
            top += [f"#pragma HLS INTERFACE m_axi port=wr_weights offset=slave bundle=gmem_w depth={r.w_words}",
                    f"#pragma HLS INTERFACE m_axi port=wr_bias offset=slave bundle=gmem_w depth={r.b_words}"]
        ports = ["in", "out"] + (["wr_weights", "wr_bias"] if r is not None else [])
        top += [f"#pragma HLS INTERFACE s_axilite port={n} bundle=control" for n in ports]
        top += ["#pragma HLS INTERFACE s_axilite port=return bundle=control", "#pragma HLS DATAFLOW"]
        seen = set()
        for name, decl in plan.decls:
            b = next(bb for n, bb in plan.bundles if n == name)
            top.append(f"    {decl}")
            if name not in seen:
                seen.add(name)
                top.append(f"#pragma HLS STREAM variable={name} depth={b.depth}  // {b.depth_source}: "
                           f"{b.streams} x {b.fmt.width}-bit streams, {b.words // max(b.streams, 1)} words each")
        if r is not None:
            top += [f"    static {p}_w_t wr_weights_buf[{r.w_words}];", f"    static {p}_b_t wr_bias_buf[{r.b_words}];",
                    f"    sdf::load_array<{p}_w_t, {r.w_words}>(wr_weights, wr_weights_buf);",
                    f"    sdf::load_array<{p}_b_t, {r.b_words}>(wr_bias, wr_bias_buf);"]
        top.append(f"    sdf::dma_in<{p}_in_t, {ib.words}, {ib.streams}>(in, {ib.expr});")
        top += [f"    {s}" for s in plan.body]
        top.append(f"    sdf::dma_out<{p}_out_t, {ob.words}, {ob.streams}>({ob.expr}, out);")
        top += ["}", ""]
        files[f"{p}/src/{p}_top.cpp"] = "\n".join(top)
        files[f"{p}/tb/tb.cpp"] = self._testbench(plan)
        files[f"{p}/Makefile"] = self._makefile(plan)
        files[f"{p}/tb/csim_all.cpp"] = self._unity(plan)
        files[f"{p}/hls.tcl"] = self._tcl(plan, part, clock)
        if r is not None:
            files[f"{p}/weights/{r.layer}.weights.bin"] = r.w_runs.astype("<i8").tobytes()
            files[f"{p}/weights/{r.layer}.bias.bin"] = r.b_runs.astype("<i8").tobytes()

    def _testbench(self, plan: PartitionPlan) -> str:
        p, P = plan.name, plan.name.upper()
        r = plan.reload
        wr_args = ", w_buf, b_buf" if r is not None else ""
        return f"""// {p}: C-simulation testbench (generated by fpga-translate --sdf-to-hls; not for synthesis).
//
//   csim_tb [in.bin out.bin{' weights.bin bias.bin run' if r is not None else ''}]
//
// in.bin: frames of {P}_IN_WORDS little-endian int64 integers of the input format, in the
// streaming order (channels fastest, then W, H, D); out.bin receives {P}_OUT_WORDS per frame.
// Without arguments one all-zero frame runs (the Vitis HLS csim/cosim smoke test).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "{p}.hpp"

static std::vector<long long> read_raw(const char* path) {{
    std::vector<long long> v;
    FILE* f = std::fopen(path, "rb");
    if (!f) {{ std::fprintf(stderr, "tb: cannot open %s\\n", path); std::exit(2); }}
    int64_t x;
    while (std::fread(&x, sizeof x, 1, f) == 1) v.push_back((long long)x);
    std::fclose(f);
    return v;
}}

static {p}_in_t in_buf[{P}_IN_WORDS];
static {p}_out_t out_buf[{P}_OUT_WORDS];
{f"static {p}_w_t w_buf[{P}_W_WORDS];" if r is not None else ""}
{f"static {p}_b_t b_buf[{P}_B_WORDS];" if r is not None else ""}

int main(int argc, char** argv) {{
    std::vector<long long> in(argc > 2 ? 0 : {P}_IN_WORDS, 0);
    if (argc > 2) in = read_raw(argv[1]);
    if (in.empty() || in.size() % {P}_IN_WORDS) {{
        std::fprintf(stderr, "tb: %zu input words is not a multiple of %d\\n", in.size(), {P}_IN_WORDS);
        return 2;
    }}
{self._tb_reload(plan) if r is not None else ""}
    FILE* out = argc > 2 ? std::fopen(argv[2], "wb") : NULL;
    if (argc > 2 && !out) {{ std::fprintf(stderr, "tb: cannot write %s\\n", argv[2]); return 2; }}
    long long checksum = 0;
    for (size_t frame = 0; frame < in.size() / {P}_IN_WORDS; frame++) {{
        for (int i = 0; i < {P}_IN_WORDS; i++)
            in_buf[i] = sdf::from_raw<{p}_in_t>(ap_int<64>(in[frame * {P}_IN_WORDS + i]));
        {p}_top(in_buf, out_buf{wr_args});
        for (int i = 0; i < {P}_OUT_WORDS; i++) {{
            int64_t q = sdf::raw(out_buf[i]).to_int64();
            checksum += q;
            if (out) std::fwrite(&q, sizeof q, 1, out);
        }}
    }}
    if (out) std::fclose(out);
    std::printf("{p}: %zu frame(s), output checksum %lld\\n", in.size() / {P}_IN_WORDS, checksum);
    return 0;
}}
"""

    def _tb_reload(self, plan) -> str:
        p, P = plan.name, plan.name.upper()
        return f"""    // weights reloading: run R of {P}_RUNS loads its share of the filters
    int run = argc > 5 ? std::atoi(argv[5]) : 0;
    std::vector<long long> wv = argc > 4 ? read_raw(argv[3]) : std::vector<long long>({P}_RUNS * {P}_W_WORDS, 0);
    std::vector<long long> bv = argc > 4 ? read_raw(argv[4]) : std::vector<long long>({P}_RUNS * {P}_B_WORDS, 0);
    if (run < 0 || run >= {P}_RUNS || wv.size() != (size_t){P}_RUNS * {P}_W_WORDS ||
        bv.size() != (size_t){P}_RUNS * {P}_B_WORDS) {{
        std::fprintf(stderr, "tb: bad reload run %d or weights files\\n", run);
        return 2;
    }}
    for (int i = 0; i < {P}_W_WORDS; i++) w_buf[i] = sdf::from_raw<{p}_w_t>(ap_int<64>(wv[run * {P}_W_WORDS + i]));
    for (int i = 0; i < {P}_B_WORDS; i++) b_buf[i] = sdf::from_raw<{p}_b_t>(ap_int<64>(bv[run * {P}_B_WORDS + i]));
"""

    def _makefile(self, plan) -> str:
        p = plan.name
        try:
            ap = str(csim.ap_types_include())
        except csim.CsimError:
            ap = "/path/to/ap_types"
        srcs = " ".join(f"src/{c}.cpp" for c, *_ in plan.layers) + f" src/{p}_top.cpp tb/tb.cpp"
        return f"""# {p}: g++ C-simulation of the HLS sources (generated by fpga-translate --sdf-to-hls).
#   make csim                    build build/csim_tb and run it on one all-zero frame
#   make csim ARGS="in.bin out.bin"
# The binary is one translation unit (tb/csim_all.cpp includes every source): the ap_types
# headers are parsed once, which makes the build several times faster than file by file.
# AP_TYPES: directory of ap_fixed.h / hls_stream.h (found by fpga_sdf.backend.hls.csim).
AP_TYPES ?= {ap}
CXX ?= g++
CXXFLAGS ?= {' '.join(TB_FLAGS)}
INCLUDES = -I. -I../include -isystem $(AP_TYPES)
SRCS = {srcs}

.PHONY: csim build clean
csim: build/csim_tb
\t./build/csim_tb $(ARGS)

build: build/csim_tb

build/csim_tb: tb/csim_all.cpp $(SRCS) {p}.hpp
\t@mkdir -p build
\t$(CXX) $(CXXFLAGS) $(INCLUDES) tb/csim_all.cpp -o $@

clean:
\trm -rf build
"""

    def _unity(self, plan) -> str:
        p = plan.name
        lines = [f"// {p}: every source in one translation unit, for a fast g++ C-simulation build"]
        lines += [f"#include \"../src/{c}.cpp\"" for c, *_ in plan.layers]
        lines += [f"#include \"../src/{p}_top.cpp\"", "#include \"tb.cpp\"", ""]
        return "\n".join(lines)

    def _tcl(self, plan, part: str, clock: float) -> str:
        p = plan.name
        period = 1000.0 / clock
        lines = [f"# {p}: Vitis HLS project (generated by fpga-translate --sdf-to-hls)",
                 f"#   vitis_hls -f hls.tcl     (from this directory)",
                 f"open_project -reset hls_{p}", f"set_top {p}_top"]
        cflags = '-cflags "-std=c++14 -I. -I../include"'
        for c, *_ in plan.layers:
            lines.append(f"add_files src/{c}.cpp {cflags}")
        lines.append(f"add_files src/{p}_top.cpp {cflags}")
        lines.append(f"add_files -tb tb/tb.cpp {cflags}")
        lines += ["open_solution -reset solution1 -flow_target vivado", f"set_part {{{part}}}",
                  f"create_clock -period {period:.3f} -name default",
                  "csim_design", "csynth_design", "cosim_design",
                  f"export_design -format ip_catalog -ipname {p}_top -vendor fpga-sdf -library sdf -version 1.0",
                  "exit", ""]
        return "\n".join(lines)

    def _root_makefile(self, plans) -> str:
        names = " ".join(p.name for p in plans)
        return f"""# C-simulation of every partition (generated by fpga-translate --sdf-to-hls).
#   make csim      build and smoke-run each partition's testbench
#   make build     only build the binaries (fpga-run --backend csim runs them in schedule order)
PARTITIONS = {names}
.PHONY: csim build clean
csim:
\t@for p in $(PARTITIONS); do $(MAKE) -C $$p csim || exit 1; done
build:
\t@for p in $(PARTITIONS); do $(MAKE) -C $$p build || exit 1; done
clean:
\t@for p in $(PARTITIONS); do $(MAKE) -C $$p clean; done
"""

    def _block_design(self, plans, platform: str, part: str) -> str:
        if part.startswith(("xczu", "xck26")):
            ps = ("zynq_ultra_ps_e", "xilinx.com:ip:zynq_ultra_ps_e", "M_AXI_HPM0_FPD", "S_AXI_HP0_FPD",
                  "maxihpm0_fpd_aclk", "saxihp0_fpd_aclk", "pl_clk0", "pl_resetn0")
        elif part.startswith("xc7z"):
            ps = ("processing_system7", "xilinx.com:ip:processing_system7", "M_AXI_GP0", "S_AXI_HP0",
                  "M_AXI_GP0_ACLK", "S_AXI_HP0_ACLK", "FCLK_CLK0", "FCLK_RESET0_N")
        else:
            ps = None
        lines = [f"# Vivado block design for {platform} ({part}) (generated by fpga-translate --sdf-to-hls).",
                 "# Run after `vitis_hls -f hls.tcl` in every partition directory (it exports the IPs).",
                 "# One partition is loaded at a time: each gets its own block design and bitstream;",
                 "# the host reconfigures between them in the order of schedule.json.",
                 "set here [file dirname [file normalize [info script]]]",
                 "foreach p {" + " ".join(p.name for p in plans) + "} {",
                 f"  create_project -force bd_$p $here/vivado/$p -part {part}",
                 "  set_property ip_repo_paths [list $here/$p/hls_$p/solution1/impl/ip] [current_project]",
                 "  update_ip_catalog",
                 "  create_bd_design design_$p",
                 "  set acc [create_bd_cell -type ip -vlnv fpga-sdf:sdf:${p}_top:1.0 ${p}_top_0]"]
        if ps is not None:
            name, vlnv, m_axi, s_axi, m_clk, s_clk, clk, rst = ps
            lines += [f"  set ps [create_bd_cell -type ip -vlnv {vlnv} ps_0]",
                      "  apply_bd_automation -rule xilinx.com:bd_rule:" + name
                      + " -config {apply_board_preset \"1\"} $ps",
                      f"  set_property -dict [list CONFIG.PSU__USE__S_AXI_GP2 {{1}}] $ps" if name == "zynq_ultra_ps_e"
                      else f"  set_property -dict [list CONFIG.PCW_USE_S_AXI_HP0 {{1}}] $ps",
                      "  apply_bd_automation -rule xilinx.com:bd_rule:axi4 -config [list Master /ps_0/" + m_axi
                      + " Clk auto] [get_bd_intf_pins ${p}_top_0/s_axi_control]",
                      "  foreach m [get_bd_intf_pins -filter {MODE == Master && VLNV =~ *aximm*} ${p}_top_0/*] {",
                      "    apply_bd_automation -rule xilinx.com:bd_rule:axi4 -config [list Master $m Slave /ps_0/"
                      + s_axi + " Clk auto] [get_bd_intf_pins ps_0/" + s_axi + "]",
                      "  }"]
        else:
            lines += ["  # no processing system on this part: the control and memory ports become external",
                      "  make_bd_intf_pins_external [get_bd_intf_pins ${p}_top_0/s_axi_control]",
                      "  foreach m [get_bd_intf_pins -filter {MODE == Master && VLNV =~ *aximm*} ${p}_top_0/*] {",
                      "    make_bd_intf_pins_external $m",
                      "  }",
                      "  make_bd_pins_external [get_bd_pins ${p}_top_0/ap_clk] [get_bd_pins ${p}_top_0/ap_rst_n]"]
        lines += ["  assign_bd_address", "  validate_bd_design", "  save_bd_design",
                  "  make_wrapper -files [get_files design_$p.bd] -top",
                  "  add_files -norecurse [glob $here/vivado/$p/bd_$p.gen/sources_1/bd/design_$p/hdl/design_${p}_wrapper.v]",
                  "  set_property top design_${p}_wrapper [current_fileset]",
                  "  launch_runs impl_1 -to_step write_bitstream -jobs 4",
                  "  wait_on_run impl_1",
                  "  close_project",
                  "}", ""]
        return "\n".join(lines)


# ------------------------------------------------------------------------------ public API


def emit(module, source: str = "<stdin>", platform: str | None = None) -> Project:
    """The files of the HLS project for `module` (raises UserError with every refusal)."""
    emitter = _Emitter(module, source, platform)
    project = emitter.run()
    project.warning = getattr(emitter, "warning", None)
    return project


def write_project(project: Project, out_dir: str) -> None:
    """Write the project atomically: build it in a temporary directory beside `out_dir`, then
    swap it in. A failure leaves neither a half-written project nor a damaged old one."""
    from ...cli import check_replaceable, replace_directory

    check_replaceable(out_dir, "fpga-translate")
    out = Path(out_dir).resolve()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as err:
        raise UserError(f"cannot create the output directory '{out_dir}': {err.strerror}") from None
    try:
        for rel, content in project.files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        replace_directory(str(tmp), str(out))
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"cannot write the project '{out_dir}': {err.strerror}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
