"""--convert-torch-to-sdf: rewrite a torch-dialect network (vtensors) into sdf layer ops.

The input is what torch-mlir's FX importer or ONNX importer (+ convert-torch-onnx-to-torch)
produces: one `func.func` on `!torch.vtensor` values. The output is the same function on
builtin tensors with one sdf op per hardware layer:

* The conversion is table-driven: `HANDLERS` maps each torch op name to one small function
  for its family (convolution, linear, batch norm, pooling, activations, ...). 2D and 3D ops
  share their handler: the rank comes from the types.
* Values that need no hardware are carried *lazily* and disappear: a flatten/view (`Flat`), a
  zero pad waiting to be folded into the next convolution or average pool (`Padded`), a clamp
  waiting to be recognised as relu/relu6/hard_sigmoid (`Clamped`), and constants (numpy
  arrays, Python scalars and lists), which are evaluated here and become `sdf.weights` only
  where a layer uses them.
* Per-channel affine ops (batch norm, a bias add, a scale) fold into the convolution or inner
  product that produces their input when that layer has no other user; otherwise they become
  `sdf.scale_shift`.
* A stream read by several ops gets an explicit `sdf.split`, so every stream has one consumer.
* Anything else is refused with an error at the op's location that names the torch op and
  lists what is supported. On error the module is left unchanged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
from torch_mlir import ir
from torch_mlir.dialects import func as func_d

from fpga_sdf import network
from fpga_sdf.diagnostics import Diagnostics
from fpga_sdf.dialects import sdf_shapes as shapes
from fpga_sdf.pass_registry import Pass, register

SIDECAR_THRESHOLD = 4 * 1024 * 1024
"""Total weight bytes above which `weights="auto"` stores them in a sidecar .npz."""


@register
@dataclass(frozen=True)
class ConvertTorchToSdf(Pass):
    """Convert torch-dialect functions (from the FX or ONNX importer) into sdf layer ops."""

    name = "convert-torch-to-sdf"

    def run(self, module, diag: Diagnostics) -> None:
        convert(module, diag)


def convert(module, diag: Diagnostics, weights: str = "inline", sidecar: str = "",
            threshold: int = SIDECAR_THRESHOLD, onnx_nodes: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """Convert every torch-dialect function of `module` in place.

    `onnx_nodes` (node name -> op type) names refusals after the ONNX node the user wrote,
    not the torch ops the ONNX importer lowered it to.

    `weights`: "inline" puts every parameter in a `dense<...>` attribute; "sidecar" refers to
    arrays of the file `sidecar` (`file`/`key` attributes) and returns those arrays for the
    caller to save; "auto" chooses sidecar when the total exceeds `threshold` bytes.
    Errors go to `diag`; when there is any, the module is left unchanged.
    """
    if weights not in ("inline", "sidecar", "auto"):
        raise ValueError(f"weights must be inline, sidecar or auto, not {weights!r}")
    arrays: dict[str, np.ndarray] = {}
    for fn in network.functions(module):
        if not _is_torch_function(fn):
            continue
        converter = _Converter(module, fn, diag, onnx_nodes or {})
        new_fn = converter.run()
        if new_fn is None:
            continue
        total = sum(a.nbytes for _, a, _ in converter.pending)
        to_sidecar = weights == "sidecar" or (weights == "auto" and total > threshold)
        converter.attach_weights(sidecar if to_sidecar else None, arrays)
        fn.operation.erase()
    return arrays


def _is_torch_function(fn) -> bool:
    ftype = ir.FunctionType(ir.TypeAttr(fn.operation.attributes["function_type"]).value)
    types = list(ftype.inputs) + list(ftype.results)
    if any(str(t).startswith("!torch.") for t in types):
        return True
    return any(op.operation.name.startswith("torch.") for op in fn.operation.regions[0].blocks[0].operations)


# ------------------------------------------------------------------------------ lazy values


@dataclass
class Flat:
    """A stream seen as (N, features): a flatten/view that needs no hardware."""

    value: ir.Value


@dataclass
class Padded:
    """A zero pad (`begin`, `end` per spatial dim) not yet folded into its consumer."""

    value: ir.Value
    begin: tuple[int, ...]
    end: tuple[int, ...]
    loc: ir.Location


@dataclass
class Clamped:
    """clamp(value, lo, hi), becoming relu / relu6 / hard_sigmoid when it is used."""

    value: ir.Value
    lo: float
    hi: float
    loc: ir.Location
    torch_value: object = None


class _Poison:
    """The result of a refused op: users are not reported again."""


POISON = _Poison()


class Refused(Exception):
    """An op cannot be converted; the message says why (reported at the op)."""


@dataclass
class _Layer:
    """A conv / inner product emitted here whose parameters can still absorb an affine op."""

    op: ir.Operation
    weights: int  # index into pending
    bias: int


# ------------------------------------------------------------------------------ the converter


class _Converter:
    def __init__(self, module, fn, diag: Diagnostics, onnx_nodes: dict[str, str]):
        self.module = module
        self.onnx_nodes = onnx_nodes
        self.refused_nodes: set[str] = set()
        self.fn = fn
        self.diag = diag
        self.values: dict = {}          # torch value -> converted value (ir.Value, lazy, constant)
        self.origin: dict = {}          # sdf stream -> the torch value it computes
        self.layers: dict = {}          # sdf stream -> _Layer (foldable producer)
        self.pending: list = []         # [weights op, array, key stem]
        self.torch_uses: dict = {}
        self.aliased: set = set()
        self.materialized: dict = {}    # id(lazy value) -> (lazy value, emitted stream)
        self.errors = 0
        self.blobs: dict[str, bytes] | None = None

    # -- driver ---------------------------------------------------------------------------

    def run(self):
        old_block = self.fn.operation.regions[0].blocks[0]
        arg_types = [_builtin_type(a.type) for a in old_block.arguments]
        for arg, t in zip(old_block.arguments, arg_types):
            if t is None:
                self.diag.error(self.fn, f"function argument of type {arg.type} is not a statically shaped f32 tensor")
                return None
        name = ir.StringAttr(self.fn.operation.attributes["sym_name"]).value
        with self.fn.location, ir.InsertionPoint(self.fn.operation):
            new_fn = func_d.FuncOp(name, ir.FunctionType.get(arg_types, []))
        block = new_fn.add_entry_block()
        for old, new in zip(old_block.arguments, block.arguments):
            self.values[old] = new
        for op in old_block.operations:
            for value in op.operation.operands:
                self.torch_uses[value] = self.torch_uses.get(value, 0) + 1
        results = None
        with ir.InsertionPoint(block):
            for op in old_block.operations:
                op = op.operation
                if op.name == "func.return":
                    results = self._return(op)
                    break
                self._convert_op(op)
        if self.errors or results is None:
            new_fn.operation.erase()
            return None
        with ir.InsertionPoint(block), self.fn.location:
            func_d.ReturnOp(results)
        new_fn.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(arg_types, [r.type for r in results]))
        network.set_output_views(new_fn, self.views)  # a final flatten keeps PyTorch's shape
        _insert_splits(block)
        return new_fn

    def _convert_op(self, op) -> None:
        key = op.name
        if key == "torch.operator":
            key = ir.StringAttr(op.attributes["name"]).value
        args = [self.values.get(v, POISON) for v in op.operands]
        if any(a is POISON for a in args):
            self._bind(op, [POISON] * len(op.results))
            return
        handler = HANDLERS.get(key)
        if op.operands and key in CONSTANT_EVAL and all(_is_constant(a) for a in args):
            handler = CONSTANT_EVAL[key]
        try:
            if handler is None:
                raise Refused(None)
            outputs = handler(self, op, args)
        except Refused as err:
            self._refuse(op, key, err.args[0])
            self._bind(op, [POISON] * len(op.results))
            return
        self._bind(op, outputs if isinstance(outputs, (list, tuple)) else [outputs])

    def _bind(self, op, outputs) -> None:
        for result, out in zip(op.results, outputs):
            self.values[result] = out
            if isinstance(out, ir.Value):
                if out not in self.origin or self.origin[out] is None:
                    self.origin[out] = result
                else:  # an identity or view: two torch values share the stream, never fold
                    self.aliased.add(out)

    def _refuse(self, op, key: str, reason: str | None) -> None:
        """Report an op that cannot be converted, named as the user knows it: the PyTorch
        layer and source line, or the ONNX node (once per node, whatever it lowered to)."""
        short = key.removeprefix("torch.")
        where = _layer_of(op.location)
        node_type = self.onnx_nodes.get(where) if where else None
        if node_type is not None:
            if where in self.refused_nodes:
                return
            self.refused_nodes.add(where)
            detail = reason or f"it lowers to '{short}', which has no sdf equivalent"
            message = f"ONNX node '{where}' ({node_type}) is not supported: {detail}"
        else:
            origin = f" in layer '{where}'" if where else ""
            message = (f"unsupported operation '{short}'{origin}" if reason is None
                       else f"cannot convert '{short}'{origin}: {reason}")
        self.errors += 1
        self.diag.error(op, message + ("" if reason else " (fpga-import --list-ops lists the supported operations)"))

    def _return(self, op) -> list:
        results = []
        self.views = []  # per result: the flattened per-sample shape PyTorch returns, or None
        for value in op.operands:
            converted = self.values.get(value, POISON)
            if converted is POISON:
                return None
            if _is_constant(converted):
                self._refuse(op, "func.return", "the network output is a constant")
                return None
            try:
                results.append(self.stream(converted))
            except Refused as err:
                self._refuse(op, "func.return", err.args[0])
                return None
            self.views.append(tuple(self.logical_shape(converted)[1:]) if isinstance(converted, Flat) else None)
        return results

    # -- streams and lazy values ----------------------------------------------------------

    def stream(self, value) -> ir.Value:
        """The sdf value of a converted operand, emitting the hardware a lazy value needs."""
        if isinstance(value, ir.Value):
            return value
        if isinstance(value, Flat):
            return value.value
        if isinstance(value, (Padded, Clamped)):
            # Emitted once, however many ops read the lazy value.
            if id(value) not in self.materialized:
                out = self._identity_pad(value) if isinstance(value, Padded) else self._clamp(value)
                self.materialized[id(value)] = (value, out)
            return self.materialized[id(value)][1]
        raise Refused("expected a feature map, got a constant")

    def _identity_pad(self, p: Padded) -> ir.Value:
        """A zero pad no layer absorbed: a depthwise 1x1 identity convolution with padding."""
        x = shape_of(p.value)
        c, rank = x[1], len(x) - 2
        w = np.ones((c, 1) + (1,) * rank, np.float32)
        return self.conv(p.value, w, np.zeros(c, np.float32), p.loc, pad=p.begin + p.end, groups=c)

    def _clamp(self, c: Clamped) -> ir.Value:
        if c.lo == 0 and c.hi == math.inf:
            return self.activation(c.value, "relu", c.loc)
        if c.lo == 0 and c.hi == 6:
            return self.activation(c.value, "relu6", c.loc)
        if c.lo == 0 and c.hi == 1:  # clamp(x, 0, 1) = hard_sigmoid(6x - 3)
            ch = _channels(c.value)
            x = self.affine(c.value, c.torch_value, np.full(ch, 6, np.float32), np.full(ch, -3, np.float32), c.loc)
            return self.activation(x, "hard_sigmoid", c.loc)
        raise Refused(f"clamp to [{c.lo}, {c.hi}] is not an sdf activation "
                      "(supported: [0, inf) relu, [0, 6] relu6, [0, 1] after x/6+1/2 hard_sigmoid)")

    def logical_shape(self, value) -> tuple[int, ...]:
        """The shape PyTorch sees for a converted value."""
        if isinstance(value, ir.Value):
            return shape_of(value)
        if isinstance(value, Flat):
            s = shape_of(value.value)
            return (s[0], math.prod(s[1:]))
        if isinstance(value, Padded):
            s = shape_of(value.value)
            return s[:2] + tuple(d + b + e for d, b, e in zip(s[2:], value.begin, value.end))
        if isinstance(value, Clamped):
            return shape_of(value.value)
        return tuple(np.shape(value))

    # -- emitting sdf ops -----------------------------------------------------------------

    def weights(self, array: np.ndarray, loc, stem: str) -> tuple[ir.Value, int]:
        array = np.ascontiguousarray(array, dtype=np.float32)
        t = ir.RankedTensorType.get(list(array.shape), ir.F32Type.get())
        op = ir.Operation.create("sdf.weights", results=[t], loc=loc)
        self.pending.append([op, array, stem])
        return op.result, len(self.pending) - 1

    def op(self, name: str, operands, result_shape, attrs: dict, loc, results: int = 1) -> ir.Operation:
        t = ir.RankedTensorType.get(list(result_shape), ir.F32Type.get())
        return ir.Operation.create(name, results=[t] * results, operands=list(operands),
                                   attributes={k: v for k, v in attrs.items() if v is not None}, loc=loc)

    def conv(self, x: ir.Value, w: np.ndarray, b: np.ndarray | None, loc, stride=None, pad=None,
             dilation=None, groups: int = 1) -> ir.Value:
        xs = shape_of(x)
        rank = len(xs) - 2
        stride = tuple(stride or (1,) * rank)
        pad = tuple(pad or (0,) * (2 * rank))
        dilation = tuple(dilation or (1,) * rank)
        if b is None:
            b = np.zeros(w.shape[0], np.float32)
        wv, wi = self.weights(w, loc, "weight")
        bv, bi = self.weights(b, loc, "bias")
        out = shapes.conv(xs, w.shape, stride, pad, dilation)
        if any(d < 1 for d in out[2:]):
            raise Refused(f"the convolution has an empty output {out}")
        op = self.op("sdf.conv", [x, wv, bv], out, dict(
            stride=_ints(stride) if any(s != 1 for s in stride) else None,
            pad=_ints(pad) if any(pad) else None,
            dilation=_ints(dilation) if any(d != 1 for d in dilation) else None,
            groups=_i64(groups) if groups != 1 else None), loc)
        self.layers[op.result] = _Layer(op, wi, bi)
        return op.result

    def inner_product(self, x: ir.Value, w: np.ndarray, b: np.ndarray | None, loc) -> ir.Value:
        if b is None:
            b = np.zeros(w.shape[0], np.float32)
        wv, wi = self.weights(w, loc, "weight")
        bv, bi = self.weights(b, loc, "bias")
        op = self.op("sdf.inner_product", [x, wv, bv], shapes.inner_product(shape_of(x), w.shape), {}, loc)
        self.layers[op.result] = _Layer(op, wi, bi)
        return op.result

    def activation(self, x: ir.Value, kind: str, loc, alpha: float | None = None) -> ir.Value:
        attrs = dict(kind=ir.StringAttr.get(kind))
        if alpha is not None:
            attrs["alpha"] = ir.FloatAttr.get(ir.F64Type.get(), float(alpha))
        return self.op("sdf.activation", [x], shape_of(x), attrs, loc).result

    def affine(self, x, torch_value, scale: np.ndarray, shift: np.ndarray, loc) -> ir.Value:
        """x * scale + shift per channel: folded into x's producer layer when it has no other
        user, else an `sdf.scale_shift`."""
        x = self.stream(x)
        layer = self.layers.get(x)
        foldable = (layer is not None and torch_value is not None and x not in self.aliased
                    and self.origin.get(x) == torch_value
                    and self.torch_uses.get(torch_value, 0) == 1 and not list(x.uses))
        if foldable:
            self.origin[x] = None  # the affine op's result takes over the stream
            w, b = self.pending[layer.weights], self.pending[layer.bias]
            w[1] = (w[1] * scale.reshape((-1,) + (1,) * (w[1].ndim - 1))).astype(np.float32)
            b[1] = (b[1] * scale + shift).astype(np.float32)
            return x
        sv, _ = self.weights(scale, loc, "scale")
        tv, _ = self.weights(shift, loc, "shift")
        return self.op("sdf.scale_shift", [x, sv, tv], shape_of(x), {}, loc).result

    def attach_weights(self, sidecar: str | None, arrays: dict) -> None:
        """Give every `sdf.weights` op its `value` (inline) or `file`/`key` (sidecar)."""
        used = set(arrays)
        for op, array, stem in self.pending:
            if sidecar is None:
                op.attributes["value"] = ir.DenseElementsAttr.get(array, context=op.context)
                continue
            base = f"{_layer_of(op.location) or 'layer'}.{stem}"
            key, n = base, 1
            while key in used:
                n += 1
                key = f"{base}_{n}"
            used.add(key)
            arrays[key] = array
            op.attributes["file"] = ir.StringAttr.get(sidecar, context=op.context)
            op.attributes["key"] = ir.StringAttr.get(key, context=op.context)
        self.pending.clear()

    # -- constants ------------------------------------------------------------------------

    def literal(self, attr) -> np.ndarray:
        if isinstance(attr, ir.DenseResourceElementsAttr) or "dense_resource" in str(attr.type) \
                or not isinstance(attr, ir.DenseElementsAttr):
            return self._resource(attr)
        return np.array(attr)

    def _resource(self, attr) -> np.ndarray:
        """Bytes of a `dense_resource` (the bindings cannot read them): from the printed blobs."""
        text = str(attr)
        match = re.match(r"dense_resource<([^>]+)>", text)
        if not match:
            raise Refused(f"cannot read constant {text[:80]}")
        if self.blobs is None:
            asm = self.module.operation.get_asm(large_elements_limit=None)
            self.blobs = {k: bytes.fromhex(h)[4:] for k, h in re.findall(r'^\s*([\w.$-]+): "0x([0-9A-Fa-f]*)"', asm, re.M)}
        blob = self.blobs.get(match.group(1))
        t = ir.RankedTensorType(attr.type)
        dtype = _NUMPY_TYPES.get(str(t.element_type))
        if blob is None or dtype is None:
            raise Refused(f"cannot read constant {match.group(1)}")
        return np.frombuffer(blob, dtype).reshape(t.shape).copy()


# ------------------------------------------------------------------------------ helpers

_NUMPY_TYPES = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "si64": np.int64, "i64": np.int64,
                "si32": np.int32, "i32": np.int32, "i1": np.bool_, "si8": np.int8, "ui8": np.uint8}
_VTENSOR = re.compile(r"^!torch\.vtensor<\[([0-9,\-]*)\],f32>$")


def _builtin_type(t) -> ir.Type | None:
    """`!torch.vtensor<[1,3,8,8],f32>` -> `tensor<1x3x8x8xf32>` (static f32 only)."""
    if isinstance(t, ir.RankedTensorType):
        return t if t.has_static_shape else None
    match = _VTENSOR.match(str(t))
    if not match:
        return None
    dims = [int(d) for d in match.group(1).split(",") if d]
    if any(d < 0 for d in dims):
        return None
    return ir.RankedTensorType.get(dims, ir.F32Type.get())


def shape_of(value) -> tuple[int, ...]:
    return tuple(ir.RankedTensorType(value.type).shape)


def _channels(value) -> int:
    return shape_of(value)[1]


def _ints(values) -> ir.Attribute:
    return ir.DenseI64ArrayAttr.get([int(v) for v in values])


def _i64(v: int) -> ir.Attribute:
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), int(v))


def _is_constant(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_is_constant(v) for v in value)
    return not isinstance(value, (ir.Value, Flat, Padded, Clamped, _Poison))


def _is_stream(value) -> bool:
    return isinstance(value, (ir.Value, Flat, Padded, Clamped))


def _layer_of(location) -> str | None:
    """The layer name of a NameLoc (the module path the importer wrote), if any."""
    try:
        name = location.name_str
    except (ValueError, RuntimeError, AttributeError):
        return None
    return name or None


def _insert_splits(block) -> None:
    """Give every stream read by several ops its own `sdf.split` (a fork)."""
    ops = list(block.operations)
    candidates = [(v, 0, None) for v in block.arguments]
    ops = [op.operation for op in ops]
    for i, op in enumerate(ops):
        if op.name != "sdf.weights" and op.name.startswith("sdf."):
            candidates += [(r, i + 1, op.location) for r in op.results]
    for value, position, loc in candidates:
        uses = [(u.owner, u.operand_number) for u in value.uses][::-1]  # use lists are newest first
        if len(uses) < 2:
            continue
        with ir.InsertionPoint(ops[position]), (loc or ops[position].location):
            split = ir.Operation.create("sdf.split", results=[value.type] * len(uses), operands=[value])
        for result, (user, index) in zip(split.results, uses):
            user.operands[index] = result


def supported_ops() -> list[str]:
    """The supported torch ops by family, for diagnostics: ["pooling: avg_pool2d, ...", ...]."""
    out = []
    for family, ops in FAMILIES.items():
        if family is None:
            continue
        names = sorted({n.removeprefix("torch.aten.").removeprefix("torch.prims.").removeprefix("torch.")
                        for n in ops if n not in _HIDDEN})
        out.append(f"{family}: {', '.join(names)}")
    return out


# ------------------------------------------------------------------------------ argument access


def _int(v) -> int:
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise Refused(f"expected a constant integer, got {type(v).__name__}")
    return int(v)


def _ints_of(v, rank: int | None = None, default=None) -> tuple[int, ...]:
    if v is None:
        return default
    if isinstance(v, (int, np.integer)):
        v = [v] * (rank or 1)
    v = tuple(_int(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v))
    if rank is not None and len(v) == 1 and rank > 1:
        v = v * rank
    if rank is not None and len(v) != rank:
        raise Refused(f"expected {rank} values, got {list(v)}")
    return v


def _stride_of(v, rank: int, default) -> tuple[int, ...]:
    """Strides; the ONNX conversion of 3D pooling appends `rank` ones (dilations) to them."""
    if v is None or (isinstance(v, (list, tuple)) and len(v) == 0):
        return tuple(default)
    values = _ints_of(v)
    if len(values) == 2 * rank and all(d == 1 for d in values[rank:]):
        values = values[:rank]
    return _ints_of(list(values), rank)


def _pads_of(v, rank: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(begin, end) from PyTorch's symmetric padding (rank values) or begin+end (2 * rank)."""
    if isinstance(v, str):
        raise Refused(f"padding='{v}' is not supported; give explicit padding")
    values = _ints_of(v)
    if len(values) == 2 * rank:
        return values[:rank], values[rank:]
    values = _ints_of(list(values), rank)
    return values, values


def _float(v) -> float:
    if isinstance(v, np.ndarray) and v.size == 1:
        v = v.item()
    if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, bool):
        raise Refused(f"expected a constant number, got {type(v).__name__}")
    return float(v)


def _spatial_rank(cv, x) -> int:
    rank = len(cv.logical_shape(x)) - 2
    if rank not in (2, 3):
        raise Refused(f"only 2D and 3D feature maps (N, C, [D,] H, W) are supported, got shape {list(cv.logical_shape(x))}")
    return rank


def _per_channel(cv, value, x) -> np.ndarray:
    """A constant that broadcasts along the channel dim of `x` only, as a (C,) vector."""
    s = cv.logical_shape(x)
    c = s[1]
    a = np.asarray(value, dtype=np.float32)
    if a.ndim > len(s):
        raise Refused(f"constant of shape {list(a.shape)} does not broadcast to {list(s)}")
    full = (1,) * (len(s) - a.ndim) + a.shape
    if any(d != 1 for i, d in enumerate(full) if i != 1) or full[1] not in (1, c):
        raise Refused(f"a constant of shape {list(a.shape)} is not per-channel for a feature map {list(s)}")
    return np.broadcast_to(a.reshape(-1), (c,)).astype(np.float32) if a.size == 1 else a.reshape(c).copy()


# ------------------------------------------------------------------------------ structural ops


def _constant(cv, op, args):
    if "value" not in op.attributes:
        return [None]
    attr = op.attributes["value"]
    if isinstance(attr, ir.BoolAttr):
        return [attr.value]
    if isinstance(attr, ir.IntegerAttr):
        return [attr.value]
    if isinstance(attr, ir.FloatAttr):
        return [attr.value]
    if isinstance(attr, ir.StringAttr):
        return [attr.value]
    raise Refused(f"unknown constant {attr}")


def _literal(cv, op, args):
    return [cv.literal(op.attributes["value"])]


def _list(cv, op, args):
    return [list(args)]


def _identity(cv, op, args):
    return [args[0]]


_STRUCTURAL = (_constant, _literal, _list)
_HIDDEN = ("torch.runtime.assert", "torch.aten.size.int")


# ------------------------------------------------------------------------------ layers


def _conv_family(cv, op, args, x, w, b, stride, padding, dilation, groups):
    rank = _spatial_rank(cv, x)
    if not isinstance(w, np.ndarray):
        raise Refused("the weights must be constants")
    if b is not None and not isinstance(b, np.ndarray):
        raise Refused("the bias must be a constant")
    stride, dilation = _stride_of(stride, rank, (1,) * rank), _ints_of(dilation, rank)
    begin, end = _pads_of(padding, rank)
    if isinstance(x, Padded):
        begin = tuple(p + q for p, q in zip(begin, x.begin))
        end = tuple(p + q for p, q in zip(end, x.end))
    xs = cv.stream(x.value if isinstance(x, Padded) else x)
    return cv.conv(xs, w.astype(np.float32), None if b is None else b.astype(np.float32), op.location,
                   stride, begin + end, dilation, _int(groups))


def _conv_nd(cv, op, args):
    """aten.conv2d / conv3d (x, w, b, stride, padding, dilation, groups)."""
    x, w, b, stride, padding, dilation, groups = args
    return _conv_family(cv, op, args, x, w, b, stride, padding, dilation, groups)


def _convolution(cv, op, args):
    """aten.convolution (x, w, b, stride, padding, dilation, transposed, output_padding, groups)."""
    x, w, b, stride, padding, dilation, transposed, output_padding, groups = args[:9]
    if transposed:
        raise Refused("transposed convolution is not supported")
    return _conv_family(cv, op, args, x, w, b, stride, padding, dilation, groups)


def _linear_from(cv, op, x, w: np.ndarray, b) -> ir.Value:
    """An inner product of `x` (seen as (N, K)) with constant weights (F, K)."""
    shape = cv.logical_shape(x)
    if len(shape) != 2:
        raise Refused(f"a fully connected layer needs a (N, features) input, got shape {list(shape)}")
    if not isinstance(w, np.ndarray) or w.ndim != 2:
        raise Refused("the weights must be a constant matrix")
    if w.shape[1] != shape[1]:
        raise Refused(f"weights {list(w.shape)} do not match {shape[1]} input features")
    if b is not None:
        if not isinstance(b, np.ndarray):
            raise Refused("the bias must be a constant")
        b = np.broadcast_to(np.asarray(b, np.float32).reshape(-1), (w.shape[0],))
    return cv.inner_product(cv.stream(x), w.astype(np.float32), b, op.location)


def _linear(cv, op, args):
    """aten.linear (x, W[out, in], b|None)."""
    x, w, b = args
    return _linear_from(cv, op, x, w, b)


def _mm(cv, op, args):
    """aten.mm / matmul (x, W^T) with a constant right-hand side."""
    x, wt = args[:2]
    if not _is_stream(x) or not isinstance(wt, np.ndarray):
        raise Refused("only (features x constant matrix) products are supported")
    return _linear_from(cv, op, x, np.asarray(wt).T, None)


def _addmm(cv, op, args):
    """aten.addmm (bias, x, W^T, beta, alpha)."""
    b, x, wt = args[:3]
    beta = _float(args[3]) if len(args) > 3 else 1.0
    alpha = _float(args[4]) if len(args) > 4 else 1.0
    if not isinstance(wt, np.ndarray) or not isinstance(b, np.ndarray):
        raise Refused("the weights and bias must be constants")
    return _linear_from(cv, op, x, alpha * np.asarray(wt).T, beta * np.asarray(b, np.float32))


def _batch_norm_affine(cv, op, x, gamma, beta, mean, var, eps):
    c = cv.logical_shape(x)[1]
    for what, v in (("running_mean", mean), ("running_var", var)):
        if not isinstance(v, np.ndarray):
            raise Refused(f"{what} must be a constant (a batch norm in training mode cannot be converted)")
    gamma = np.ones(c, np.float32) if gamma is None else gamma
    beta = np.zeros(c, np.float32) if beta is None else beta
    scale = (np.asarray(gamma, np.float64) / np.sqrt(np.asarray(var, np.float64) + _float(eps)))
    shift = np.asarray(beta, np.float64) - np.asarray(mean, np.float64) * scale
    return cv.affine(x, op.operands[0], scale.astype(np.float32), shift.astype(np.float32), op.location)


def _batch_norm(cv, op, args):
    """aten.batch_norm (x, gamma, beta, mean, var, training, momentum, eps, cudnn)."""
    x, gamma, beta, mean, var, training, _momentum, eps = args[:8]
    if training:
        raise Refused("batch norm in training mode; export the model in eval mode")
    return _batch_norm_affine(cv, op, x, gamma, beta, mean, var, eps)


def _native_batch_norm(cv, op, args):
    """_native_batch_norm_legit_no_training (x, gamma, beta, mean, var, momentum, eps) -> 3 results."""
    x, gamma, beta, mean, var, _momentum, eps = args
    return [_batch_norm_affine(cv, op, x, gamma, beta, mean, var, eps),
            np.zeros(0, np.float32), np.zeros(0, np.float32)]


# ------------------------------------------------------------------------------ pooling


def _ceil_extra(size: int, kernel: int, stride: int, begin: int, end: int) -> int:
    """End padding that makes floor mode give PyTorch's ceil_mode output size.

    PyTorch drops a last window that would start in the end padding.
    """
    floor_out = shapes.sliding_output(size, kernel, stride, begin, end)
    ceil_out = -(-(size + begin + end - kernel) // stride) + 1
    if (ceil_out - 1) * stride >= size + begin:
        ceil_out -= 1
    return max(0, (ceil_out - 1) * stride + kernel - (size + begin + end)) if ceil_out > floor_out else 0


def _pool(cv, op, x, mode: str, kernel, stride, padding, dilation, ceil_mode: bool, count_include_pad: bool):
    rank = _spatial_rank(cv, x)
    kernel = _ints_of(kernel, rank)
    stride = _stride_of(stride, rank, kernel)
    begin, end = (list(p) for p in _pads_of(padding, rank))
    if dilation is not None and any(d != 1 for d in _ints_of(dilation, rank)):
        raise Refused("dilated pooling is not supported")
    if isinstance(x, Padded):
        # A zero pad folds into average pooling when every padded zero is counted, as PyTorch
        # counts the explicit zeros: own padding zero and count_include_pad set.
        if mode != "avg" or any(begin) or any(end):
            x = cv.stream(x)
        else:
            begin = [b + p for b, p in zip(begin, x.begin)]
            end = [e + p for e, p in zip(end, x.end)]
            count_include_pad = True
            x = x.value
    xs = cv.stream(x)
    size = shape_of(xs)[2:]
    extra = [0] * rank
    if ceil_mode:
        extra = [_ceil_extra(size[d], kernel[d], stride[d], begin[d], end[d]) for d in range(rank)]
    if mode == "avg" and count_include_pad and any(extra) and (any(begin) or any(end)):
        raise Refused("average pooling with ceil_mode=True, count_include_pad=True and padding: PyTorch does not "
                      "count the window overhang that ceil_mode adds but counts the padding, which one sdf.pool "
                      "cannot express; use ceil_mode=False or count_include_pad=False")
    if mode == "avg" and count_include_pad and not any(begin) and not any(end):
        count_include_pad = False  # no padding: both divisors are the window volume
    end = [e + x_ for e, x_ in zip(end, extra)]
    out = shapes.pool(shape_of(xs), kernel, stride, tuple(begin) + tuple(end))
    if all(o == 1 for o in out[2:]) and mode == "avg" and not any(begin) and not any(end) \
            and tuple(kernel) == tuple(size):
        return cv.op("sdf.global_pool", [xs], out, dict(mode=ir.StringAttr.get("avg")), op.location).result
    attrs = dict(mode=ir.StringAttr.get(mode), kernel=_ints(kernel),
                 stride=_ints(stride) if tuple(stride) != tuple(kernel) else None,
                 pad=_ints(tuple(begin) + tuple(end)) if any(begin) or any(end) else None,
                 count_include_pad=ir.BoolAttr.get(True) if mode == "avg" and count_include_pad else None)
    return cv.op("sdf.pool", [xs], out, attrs, op.location).result


def _max_pool(cv, op, args):
    """aten.max_pool2d/3d (x, kernel, stride, padding, dilation, ceil_mode)."""
    x, kernel, stride, padding, dilation, ceil_mode = args[:6]
    return _pool(cv, op, x, "max", kernel, stride, padding, dilation, bool(ceil_mode), False)


def _max_pool_with_indices(cv, op, args):
    out = _max_pool(cv, op, args)
    return [out, POISON]


def _avg_pool(cv, op, args):
    """aten.avg_pool2d/3d (x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)."""
    x, kernel, stride, padding, ceil_mode, count_include_pad = args[:6]
    if len(args) > 6 and args[6] is not None:
        raise Refused("divisor_override is not supported")
    return _pool(cv, op, x, "avg", kernel, stride, padding, None, bool(ceil_mode), bool(count_include_pad))


def _global_avg(cv, op, x) -> ir.Value:
    xs = cv.stream(x)
    return cv.op("sdf.global_pool", [xs], shapes.global_pool(shape_of(xs)), dict(mode=ir.StringAttr.get("avg")),
                 op.location).result


def _adaptive_avg_pool(cv, op, args):
    """aten.adaptive_avg_pool2d/3d (x, output_size): to 1 (global) or to the input size (identity)."""
    x, size = args
    rank = _spatial_rank(cv, x)
    size = _ints_of(size, rank)
    if all(s == 1 for s in size):
        return _global_avg(cv, op, x)
    if tuple(size) == cv.logical_shape(x)[2:]:
        return x
    raise Refused(f"adaptive average pooling to {list(size)} is not supported (only to 1, or to the input size)")


def _mean(cv, op, args):
    """aten.mean.dim (x, dims, keepdim, dtype) over all spatial dims -> global average pool."""
    x, dims, keepdim = args[:3]
    rank = _spatial_rank(cv, x)
    dims = {d % (rank + 2) for d in _ints_of(dims)}
    if dims != set(range(2, rank + 2)):
        raise Refused(f"mean over dims {sorted(dims)} is not supported (only over all spatial dims)")
    y = _global_avg(cv, op, x)
    return y if keepdim else Flat(y)


# ------------------------------------------------------------------------------ point-wise


def _activation(kind: str):
    def handler(cv, op, args):
        return cv.activation(cv.stream(args[0]), kind, op.location)
    handler.__doc__ = f"-> sdf.activation kind={kind}"
    return handler


def _keep_flat(handler):
    """Point-wise ops on a flattened value: apply to the stream, stay flattened."""
    def wrapped(cv, op, args):
        if isinstance(args[0], Flat):
            return Flat(handler(cv, op, [args[0].value] + list(args[1:])))
        return handler(cv, op, args)
    wrapped.__doc__ = handler.__doc__
    return wrapped


def _leaky_relu(cv, op, args):
    alpha = _float(args[1]) if len(args) > 1 else 0.01
    return cv.activation(cv.stream(args[0]), "leaky_relu", op.location, alpha)


def _clamp_with(cv, op, x, lo, hi, torch_value=None):
    lo = -math.inf if lo is None else _float(lo)
    hi = math.inf if hi is None else _float(hi)
    if isinstance(x, Clamped):
        return Clamped(x.value, max(lo, x.lo), min(hi, x.hi), op.location, x.torch_value)
    return Clamped(cv.stream(x), lo, hi, op.location, op.operands[0] if torch_value is None else torch_value)


def _eager(cv, clamped: Clamped):
    """A clamp that is already relu or relu6 is emitted where it stands (program order);
    other bounds wait for a maximum/minimum partner or an affine (ONNX's HardSigmoid)."""
    if (clamped.lo, clamped.hi) in ((0, math.inf), (0, 6)):
        return cv.stream(clamped)
    return clamped


def _hardtanh(cv, op, args):
    """aten.hardtanh / clamp (x, min, max)."""
    return _eager(cv, _clamp_with(cv, op, args[0], args[1] if len(args) > 1 else None,
                                  args[2] if len(args) > 2 else None))


def _clamp_min(cv, op, args):
    return _eager(cv, _clamp_with(cv, op, args[0], args[1], None))


def _relu6(cv, op, args):
    return _eager(cv, _clamp_with(cv, op, args[0], 0.0, 6.0))


def _min_max(is_max: bool):
    """aten.maximum / minimum with a constant scalar: one side of a clamp."""
    def handler(cv, op, args):
        a, b = args
        torch_value = op.operands[0]
        if _is_constant(a) and _is_stream(b):
            a, b, torch_value = b, a, op.operands[1]
        if not _is_stream(a) or not _is_constant(b) or np.size(b) != 1:
            raise Refused("only a maximum/minimum of a feature map with a constant scalar is supported")
        bound = _float(b)
        return _clamp_with(cv, op, a, bound if is_max else None, None if is_max else bound, torch_value)
    return handler


def _affine_of(cv, op, x, scale, shift):
    c = cv.logical_shape(x)[1]
    scale = np.broadcast_to(np.asarray(scale, np.float32), (c,)).copy()
    shift = np.broadcast_to(np.asarray(shift, np.float32), (c,)).copy()
    return cv.affine(x, op.operands[0] if _is_stream(cv.values.get(op.operands[0])) else op.operands[1],
                     scale, shift, op.location)


def _binary(mode: str):
    """add/sub/mul/div of two feature maps (sdf.eltwise) or with a per-channel constant (affine)."""
    def handler(cv, op, args):
        a, b = args[:2]
        alpha = _float(args[2]) if mode in ("add", "sub") and len(args) > 2 and args[2] is not None else 1.0
        if _is_constant(a) and _is_constant(b):
            return _CONST_BINARY[mode](a, b, alpha)
        if _is_stream(a) and _is_stream(b):
            if mode not in ("add", "mul") or alpha != 1.0:
                raise Refused(f"only add and mul of two feature maps are supported (sdf.eltwise), not {mode}")
            la, lb = cv.logical_shape(a), cv.logical_shape(b)
            if len(la) != len(lb):
                raise Refused(f"operands of shapes {list(la)} and {list(lb)} have different ranks")
            flat = isinstance(a, Flat) and isinstance(b, Flat)
            xa, xb = cv.stream(a), cv.stream(b)
            out = shapes.broadcast(shape_of(xa), shape_of(xb))
            if out is None:
                raise Refused(f"operands of shapes {list(la)} and {list(lb)} do not broadcast")
            y = cv.op("sdf.eltwise", [xa, xb], out, dict(mode=ir.StringAttr.get(mode)), op.location).result
            return Flat(y) if flat else y
        stream, const = (a, b) if _is_stream(a) else (b, a)
        flat = isinstance(stream, Flat)
        if flat:
            stream = stream.value
            if np.size(const) != 1:
                raise Refused("a constant operand on a flattened feature map must be a scalar")
        vec = _per_channel(cv, const, stream)
        if mode == "add":
            y = _affine_of(cv, op, stream, 1.0, alpha * vec)
        elif mode == "sub":
            if stream is a:
                y = _affine_of(cv, op, stream, 1.0, -alpha * vec)
            else:
                y = _affine_of(cv, op, stream, -alpha, vec)
        elif mode == "mul":
            y = _affine_of(cv, op, stream, vec, 0.0)
        else:
            if stream is not a:
                raise Refused("dividing a constant by a feature map is not supported")
            y = _affine_of(cv, op, stream, 1.0 / vec, 0.0)
        return Flat(y) if flat else y
    return handler


_CONST_BINARY = {
    "add": lambda a, b, alpha: np.asarray(a) + alpha * np.asarray(b),
    "sub": lambda a, b, alpha: np.asarray(a) - alpha * np.asarray(b),
    "mul": lambda a, b, alpha: np.asarray(a) * np.asarray(b),
    "div": lambda a, b, alpha: np.asarray(a) / np.asarray(b),
}


def _silu_or_mul(cv, op, args):
    """x * sigmoid(x) (ONNX's SiLU) becomes sdf silu; any other product is `_binary('mul')`."""
    a, b = args[:2]
    for x, s, s_torch in ((a, b, op.operands[1]), (b, a, op.operands[0])):
        owner = getattr(s.owner, "operation", s.owner) if isinstance(s, ir.Value) else None
        if (isinstance(owner, ir.Operation) and owner.name == "sdf.activation"
                and ir.StringAttr(owner.attributes["kind"]).value == "sigmoid"
                and isinstance(x, ir.Value) and owner.operands[0] == x
                and cv.torch_uses.get(s_torch, 0) == 1 and not list(s.uses)):
            owner.attributes["kind"] = ir.StringAttr.get("silu")
            return s
    return _binary("mul")(cv, op, args)


# ------------------------------------------------------------------------------ data movement


def _cat(cv, op, args):
    """aten.cat (list, dim) along channels -> a chain of binary sdf.concat."""
    values, dim = args
    if any(_is_constant(v) for v in values):
        raise Refused("concatenation with a constant is not supported")
    rank = len(cv.logical_shape(values[0]))
    if _int(dim) % rank != 1:
        raise Refused(f"concatenation along dim {_int(dim)} is not supported (only along channels, dim 1)")
    streams = [cv.stream(v) for v in values]
    y = streams[0]
    for z in streams[1:]:
        y = cv.op("sdf.concat", [y, z], shapes.concat(shape_of(y), shape_of(z)), {}, op.location).result
    return y


def _resize(cv, op, x, scales) -> ir.Value:
    xs = cv.stream(x)
    factors = []
    for s in scales:
        if abs(s - round(s)) > 1e-6 or round(s) < 1:
            raise Refused(f"upsampling by {s} is not supported (only integer factors)")
        factors.append(int(round(s)))
    return cv.op("sdf.resize", [xs], shapes.resize(shape_of(xs), factors),
                 dict(mode=ir.StringAttr.get("nearest"), scale=_ints(factors)), op.location).result


def _scales_from(cv, x, size, scales, rank) -> list[float]:
    in_size = cv.logical_shape(x)[2:]
    if size is not None:
        size = _ints_of(size, rank)
        return [o / i for o, i in zip(size, in_size)]
    if scales is None:
        raise Refused("needs an output size or scale factors")
    scales = [_float(s) for s in (scales if isinstance(scales, (list, tuple, np.ndarray)) else [scales])]
    return scales * rank if len(scales) == 1 else scales


def _upsample_vec(cv, op, args):
    """aten.upsample_nearest2d.vec / 3d.vec (x, output_size|None, scale_factors|None)."""
    x, size, scales = args
    return _resize(cv, op, x, _scales_from(cv, x, size, scales, _spatial_rank(cv, x)))


def _upsample_scalars(cv, op, args):
    """aten.upsample_nearest2d/3d (x, output_size, scales_h, scales_w)."""
    x, size = args[:2]
    return _resize(cv, op, x, _scales_from(cv, x, size, None, _spatial_rank(cv, x)))


def _interpolate(cv, op, args):
    """aten.__interpolate.size_list_scale_list (x, size, scale, mode, align_corners, ...)."""
    x, size, scales, mode = args[:4]
    if mode != "nearest":
        raise Refused(f"interpolation mode '{mode}' is not supported (only nearest)")
    return _resize(cv, op, x, _scales_from(cv, x, size, scales, _spatial_rank(cv, x)))


def _pad_with(cv, op, x, pads, mode, value):
    if not _is_stream(x):
        return np.pad(np.asarray(x), _numpy_pads(pads, np.ndim(x)), constant_values=_float(value or 0))
    rank = _spatial_rank(cv, x)
    pads = _ints_of(pads)
    if mode not in (None, "constant") or (value is not None and _float(value) != 0.0):
        raise Refused(f"only zero padding is supported (got mode '{mode}', value {value})")
    if len(pads) % 2 or len(pads) // 2 > rank + 2 or any(pads[2 * rank:]):
        raise Refused(f"padding {list(pads)} pads more than the spatial dims")
    pads = pads[:2 * rank]
    if any(p < 0 for p in pads):
        raise Refused("negative padding (cropping) is not supported")
    begin, end = [0] * rank, [0] * rank
    for i in range(len(pads) // 2):  # PyTorch lists the last dim first
        begin[rank - 1 - i], end[rank - 1 - i] = pads[2 * i], pads[2 * i + 1]
    if isinstance(x, Padded):
        return Padded(x.value, tuple(p + q for p, q in zip(x.begin, begin)),
                      tuple(p + q for p, q in zip(x.end, end)), op.location)
    return Padded(cv.stream(x), tuple(begin), tuple(end), op.location)


def _numpy_pads(pads, ndim):
    pads = _ints_of(pads)
    out = [(0, 0)] * ndim
    for i in range(len(pads) // 2):
        out[ndim - 1 - i] = (pads[2 * i], pads[2 * i + 1])
    return out


def _pad(cv, op, args):
    """aten.pad (x, pads, mode, value)."""
    x, pads, mode = args[:3]
    value = args[3] if len(args) > 3 else None
    return _pad_with(cv, op, x, pads, mode, value)


def _constant_pad_nd(cv, op, args):
    """aten.constant_pad_nd (x, pads, value)."""
    x, pads, value = args
    return _pad_with(cv, op, x, pads, "constant", value)


def _reshape_to(cv, op, x, target: tuple[int, ...]):
    if _is_constant(x):
        return np.asarray(x).reshape(target)
    current = cv.logical_shape(x)
    total = math.prod(current)
    if target.count(-1) == 1:
        known = math.prod(d for d in target if d != -1)
        target = tuple(total // known if d == -1 else d for d in target)
    if math.prod(target) != total:
        raise Refused(f"cannot view {list(current)} as {list(target)}")
    base = x.value if isinstance(x, Flat) else x
    if tuple(target) == current:
        return x
    if isinstance(base, (ir.Value, Clamped, Padded)):
        base_shape = cv.logical_shape(base)
        if tuple(target) == base_shape:
            return base
        if len(target) == 2 and target[0] == base_shape[0]:
            return Flat(cv.stream(base))
    raise Refused(f"reshaping a feature map {list(current)} to {list(target)} needs hardware the sdf dialect "
                  "does not have (only flattening before a fully connected layer)")


def _view(cv, op, args):
    """aten.view / reshape / _unsafe_view (x, shape)."""
    return _reshape_to(cv, op, args[0], tuple(_ints_of(args[1])))


def _flatten(cv, op, args):
    """aten.flatten.using_ints (x, start, end)."""
    x, start, end = args
    s = cv.logical_shape(x)
    start, end = _int(start) % len(s), _int(end) % len(s)
    return _reshape_to(cv, op, x, s[:start] + (math.prod(s[start:end + 1]),) + s[end + 1:])


def _collapse(cv, op, args):
    """prims.collapse (x, start, end): same as flatten."""
    return _flatten(cv, op, args)


def _dropout(cv, op, args):
    """aten.dropout (x, p, train): identity in eval mode."""
    if len(args) > 2 and args[2]:
        raise Refused("dropout in training mode; export the model in eval mode")
    return args[0]


def _squeeze_like(cv, op, args):
    """aten.squeeze.dim / unsqueeze (constants, or a view of a feature map)."""
    x, dim = args
    s = list(cv.logical_shape(x))
    d = _int(dim)
    if op.name.endswith("unsqueeze"):
        d = d % (len(s) + 1)
        s.insert(d, 1)
    else:
        d = d % len(s)
        if s[d] == 1:
            s.pop(d)
    return _reshape_to(cv, op, x, tuple(s))


# ------------------------------------------------------------------------------ constant folding
# Ops that only compute constants (ONNX's dynamic padding subgraph, weight transposes) are
# evaluated with numpy when all their operands are constants.


def _c(fn):
    return lambda cv, op, args: [fn(*args)]


CONSTANT_EVAL: dict[str, Callable] = {
    "torch.aten.transpose.int": _c(lambda x, a, b: np.swapaxes(np.asarray(x), a, b)),
    "torch.aten.t": _c(lambda x: np.asarray(x).T),
    "torch.aten.permute": _c(lambda x, dims: np.transpose(np.asarray(x), dims)),
    "torch.aten.slice.Tensor": _c(lambda x, dim, start, end, step: np.asarray(x)[
        (slice(None),) * (dim % np.ndim(x)) + (slice(start, end, step),)]),
    "torch.aten.select.int": _c(lambda x, dim, index: np.take(np.asarray(x), index, axis=dim)),
    "torch.aten.item": _c(lambda x: np.asarray(x).item()),
    "torch.aten.Int.Tensor": _c(lambda x: int(np.asarray(x).item())),
    "torch.aten.Float.Tensor": _c(lambda x: float(np.asarray(x).item())),
    "torch.aten.neg": _c(lambda x: -np.asarray(x)),
    "torch.aten.sqrt": _c(lambda x: np.sqrt(np.asarray(x))),
    "torch.aten.reciprocal": _c(lambda x: 1 / np.asarray(x)),
    "torch.aten.cat": _c(lambda xs, dim: np.concatenate([np.asarray(v) for v in xs], axis=dim)),
    "torch.aten.to.dtype": _c(lambda x, *rest: np.asarray(x)),
    "torch.prims.convert_element_type": _c(lambda x, *rest: np.asarray(x)),
    "torch.aten.add.int": _c(lambda a, b: a + b),
    "torch.aten.sub.int": _c(lambda a, b: a - b),
    "torch.aten.mul.int": _c(lambda a, b: a * b),
    "torch.aten.floordiv.int": _c(lambda a, b: a // b),
    "torch.aten.neg.int": _c(lambda a: -a),
    "torch.aten.size.int": _c(lambda x, d: np.shape(x)[d]),
    "torch.aten.full": _c(lambda size, value, *rest: np.full(size, value)),
    "torch.prim.NumToTensor.Scalar": _c(lambda v: np.asarray([v])),
    "torch.aten.index_select": _c(lambda x, dim, index: np.take(np.asarray(x), np.asarray(index), axis=dim)),
    "torch.aten.view": _c(lambda x, s: np.asarray(x).reshape(s)),
    "torch.aten.reshape": _c(lambda x, s: np.asarray(x).reshape(s)),
    "torch.aten.squeeze.dim": _c(lambda x, d: np.squeeze(np.asarray(x), d) if np.shape(x)[d] == 1 else np.asarray(x)),
    "torch.aten.unsqueeze": _c(lambda x, d: np.expand_dims(np.asarray(x), d)),
    "torch.aten.eq.float": _c(lambda a, b: a == b),
    "torch.aten.eq.int": _c(lambda a, b: a == b),
    "torch.aten.ne.int": _c(lambda a, b: a != b),
    "torch.aten.lt.int": _c(lambda a, b: a < b),
    "torch.aten.le.int": _c(lambda a, b: a <= b),
    "torch.aten.gt.int": _c(lambda a, b: a > b),
    "torch.aten.ge.int": _c(lambda a, b: a >= b),
    "torch.aten.Bool.int": _c(bool),
}


def _runtime_assert(cv, op, args):
    """torch.runtime.assert on a constant condition (the importers' shape checks)."""
    if not _is_constant(args[0]):
        raise Refused("the asserted condition depends on the input")
    if not bool(args[0]):
        raise Refused(f"the model asserts: {ir.StringAttr(op.attributes['message']).value}")
    return []


def _scalar_op(mode: str):
    """add.Scalar / sub.Scalar (x, other, alpha), mul.Scalar / div.Scalar (x, other)."""
    binary = _binary(mode)

    def handler(cv, op, args):
        return binary(cv, op, [args[0], np.float32(_float(args[1]))] + list(args[2:]))
    return handler


def _shape_eval(fn):
    """Ops that read shapes only (size.int on a feature map)."""
    def handler(cv, op, args):
        return [fn(cv.logical_shape(args[0]), *args[1:])]
    return handler


# ------------------------------------------------------------------------------ the table

FAMILIES: dict[str | None, dict[str, Callable]] = {
    None: {  # structure and constants
        "torch.constant.int": _constant,
        "torch.constant.float": _constant,
        "torch.constant.bool": _constant,
        "torch.constant.str": _constant,
        "torch.constant.none": _constant,
        "torch.constant.number": _constant,
        "torch.prim.ListConstruct": _list,
        "torch.vtensor.literal": _literal,
    },
    "convolution / fully connected": {
        "torch.aten.conv2d": _conv_nd,
        "torch.aten.conv3d": _conv_nd,
        "torch.aten.convolution": _convolution,
        "torch.aten._convolution": _convolution,
        "torch.aten.linear": _linear,
        "torch.aten.addmm": _addmm,
        "torch.aten.mm": _mm,
        "torch.aten.matmul": _mm,
    },
    "batch norm": {
        "torch.aten.batch_norm": _batch_norm,
        "torch.aten._native_batch_norm_legit_no_training": _native_batch_norm,
    },
    "pooling": {
        "torch.aten.max_pool2d": _max_pool,
        "torch.aten.max_pool3d": _max_pool,
        "torch.aten.max_pool2d_with_indices": _max_pool_with_indices,
        "torch.aten.max_pool3d_with_indices": _max_pool_with_indices,
        "torch.aten.avg_pool2d": _avg_pool,
        "torch.aten.avg_pool3d": _avg_pool,
        "torch.aten.adaptive_avg_pool2d": _adaptive_avg_pool,
        "torch.aten.adaptive_avg_pool3d": _adaptive_avg_pool,
        "torch.aten.mean.dim": _mean,
    },
    "activations": {
        "torch.aten.relu": _keep_flat(_activation("relu")),
        "torch.aten.relu6": _keep_flat(_relu6),
        "torch.aten.hardtanh": _keep_flat(_hardtanh),
        "torch.aten.clamp": _keep_flat(_hardtanh),
        "torch.aten.clamp.Tensor": _keep_flat(_hardtanh),
        "torch.aten.clamp_min": _keep_flat(_clamp_min),
        "torch.aten.maximum": _min_max(True),
        "torch.aten.minimum": _min_max(False),
        "torch.aten.leaky_relu": _keep_flat(_leaky_relu),
        "torch.aten.sigmoid": _keep_flat(_activation("sigmoid")),
        "torch.aten.hardsigmoid": _keep_flat(_activation("hard_sigmoid")),
        "torch.aten.hardswish": _keep_flat(_activation("hard_swish")),
        "torch.aten.silu": _keep_flat(_activation("silu")),
    },
    "element-wise (feature maps, or a per-channel constant)": {
        "torch.aten.add.Tensor": _binary("add"),
        "torch.aten.sub.Tensor": _binary("sub"),
        "torch.aten.mul.Tensor": _silu_or_mul,
        "torch.aten.div.Tensor": _binary("div"),
        "torch.aten.add.Scalar": _scalar_op("add"),
        "torch.aten.sub.Scalar": _scalar_op("sub"),
        "torch.aten.mul.Scalar": _scalar_op("mul"),
        "torch.aten.div.Scalar": _scalar_op("div"),
    },
    "concat / upsample / zero pad": {
        "torch.aten.cat": _cat,
        "torch.aten.upsample_nearest2d.vec": _upsample_vec,
        "torch.aten.upsample_nearest3d.vec": _upsample_vec,
        "torch.aten.upsample_nearest2d": _upsample_scalars,
        "torch.aten.upsample_nearest3d": _upsample_scalars,
        "torch.aten.__interpolate.size_list_scale_list": _interpolate,
        "torch.aten.pad": _pad,
        "torch.aten.constant_pad_nd": _constant_pad_nd,
    },
    "no hardware (views, dropout, copies)": {
        "torch.aten.view": _view,
        "torch.aten.reshape": _view,
        "torch.aten._unsafe_view": _view,
        "torch.aten.flatten.using_ints": _flatten,
        "torch.prims.collapse": _collapse,
        "torch.aten.squeeze.dim": _squeeze_like,
        "torch.aten.unsqueeze": _squeeze_like,
        "torch.aten.dropout": _dropout,
        "torch.aten.clone": _identity,
        "torch.aten.contiguous": _identity,
        "torch.aten.detach": _identity,
        "torch.aten.alias": _identity,
        "torch.aten.lift_fresh_copy": _identity,
        "torch.aten.identity": _identity,
        "torch.aten.size.int": _shape_eval(lambda s, d: s[d]),
        "torch.runtime.assert": _runtime_assert,
    },
}
"""The conversion table: torch op name -> handler, grouped by what the diagnostics call them."""

HANDLERS: dict[str, Callable] = {name: h for family in FAMILIES.values() for name, h in family.items()}
