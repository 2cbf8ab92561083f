"""The reference executor: runs sdf IR with numpy, in float or in bit-exact fixed point.

Float mode is checked against PyTorch; fixed mode defines the result every hardware backend
must reproduce bit for bit, using the formats the quantize pass wrote on each op.
"""

from __future__ import annotations

import math

import numpy as np
from torch_mlir import ir

from .. import weights as weight_store
from ..arrays import MAX_VALUES
from ..diagnostics import UserError, at
from ..dialects import sdf
from ..dialects.sdf_attrs import get_bool, get_float, get_int, get_ints, get_str, has, shape
from . import kernels
from .fixed import Fixed, dequantize, quantize, requantize

MODES = ("float", "fixed")



def entry_function(module, name: str | None = None):
    """The function to execute: `name`, or the module's only (or first public) function."""
    from ..network import functions

    funcs = functions(module)
    if name is not None:
        funcs = [f for f in funcs if ir.StringAttr(f.operation.attributes["sym_name"]).value == name]
    if not funcs:
        raise UserError(f"no function{' @' + name if name else ''} to execute in the module")
    return funcs[0]


def execute(module, inputs: list[np.ndarray], mode: str = "float", func_name: str | None = None,
            observe=None) -> list[np.ndarray]:
    """Run the entry function on `inputs` (float arrays, batch first); return float outputs.

    `observe(value, array)`, if given, sees every value as it is computed (calibration uses it).
    """
    if mode not in MODES:
        raise UserError(f"unknown mode '{mode}' (modes: {', '.join(MODES)})")
    func = entry_function(module, func_name)
    block = func.operation.regions[0].blocks[0]
    args = list(block.arguments)
    if len(inputs) != len(args):
        raise UserError(f"the function takes {len(args)} inputs, {len(inputs)} given")
    state = _State(mode, observe, batch=len(inputs[0]) if inputs and np.ndim(inputs[0]) else 1)
    for i, (arg, x) in enumerate(zip(args, inputs)):
        if not isinstance(arg.type, ir.RankedTensorType):
            raise UserError(at(func.location, f"input #{i} has type {arg.type}; the executor runs sdf IR "
                                              "(convert torch IR with --convert-torch-to-sdf first)"))
        expected = shape(arg)
        x = np.asarray(x, dtype=np.float32)
        if x.ndim == 0 or x.shape[0] == 0 or not np.all(np.isfinite(x)):
            raise UserError(f"input #{i} must hold at least one sample and only finite values")
        if x.shape[1:] != expected[1:]:
            raise UserError(f"input #{i} has shape {x.shape}, the network expects (N, {', '.join(map(str, expected[1:]))})")
        state.bind(arg, x, _arg_format(func, i) if mode == "fixed" else None)
    results = state.run_block(block)
    from ..network import apply_view, output_views

    return [apply_view(state.to_float(v), view) for v, view in zip(results, output_views(func))]


def _arg_format(func, index: int) -> Fixed:
    attrs = func.operation.attributes
    if "arg_attrs" in attrs:
        arg = ir.DictAttr(ir.ArrayAttr(attrs["arg_attrs"])[index])
        if "sdf.format" in arg:
            return Fixed(*sdf.fixed_value(arg["sdf.format"]))
    raise UserError(at(func.location, f"fixed mode needs the format of input #{index} ('sdf.format' argument attribute); "
                                      "run --sdf-quantize first"))


class _State:
    """Values computed so far: value -> (array, format or None)."""

    def __init__(self, mode: str, observe=None, batch: int = 1):
        self.mode = mode
        self.observe = observe
        self.batch = batch
        self.values: dict = {}

    def bind(self, value, x: np.ndarray, fmt: Fixed | None) -> None:
        self.values[value] = (quantize(x, fmt), fmt) if fmt is not None else (x, None)
        if self.observe:
            self.observe(value, x)

    def to_float(self, value) -> np.ndarray:
        data, fmt = self.values[value]
        return dequantize(data, fmt).astype(np.float32) if fmt is not None else data

    def run_block(self, block) -> list:
        for op in block.operations:
            name = op.operation.name
            if name in ("func.return", "sdf.yield"):
                return list(op.operation.operands)
            if name == "sdf.partition":  # several streams in and out where a cut is inside a block
                inner = op.operation.regions[0].blocks[0]
                for argument, operand in zip(inner.arguments, op.operation.operands):
                    self.values[argument] = self.values[operand]
                for result, out in zip(op.operation.results, self.run_block(inner)):
                    self.values[result] = self.values[out]
                continue
            step = _FLOAT_OPS.get(name) if self.mode == "float" else _FIXED_OPS.get(name)
            if step is None:
                raise UserError(at(op.location, f"the executor cannot run '{name}'"))
            _check_size(op, self.batch)
            outputs = step(self, op)
            for result, out in zip(op.operation.results, outputs):
                self.values[result] = out
                if self.observe:
                    self.observe(result, self.to_float(result))
        raise UserError("block ended without a terminator")

    def operand(self, op, i: int):
        return self.values[op.operation.operands[i]]


def _check_size(op, batch: int) -> None:
    """Refuse an op whose arrays would exceed MAX_VALUES elements (see there)."""
    name = op.operation.name
    per_sample = [math.prod(shape(r)) if name == "sdf.weights" else batch * math.prod(shape(r)[1:])
                  for r in op.operation.results]
    largest = max(per_sample, default=0)
    if name in ("sdf.conv", "sdf.pool"):
        x, out = shape(op.operation.operands[0]), shape(op.operation.results[0])
        kernel = shape(op.operation.operands[1])[2:] if name == "sdf.conv" else get_ints(op, "kernel")
        largest = max(largest, batch * x[1] * math.prod(out[2:]) * math.prod(kernel))
    if largest > MAX_VALUES:
        raise UserError(at(op.location, f"the reference executor would need arrays of {largest} elements for "
                                        f"'{name}' (at most {MAX_VALUES}); run a smaller batch or network"))


# ------------------------------------------------------------------------------ shared attrs


def _conv_geometry(op):
    rank = len(shape(op.operation.operands[0])) - 2
    return dict(stride=get_ints(op, "stride", (1,) * rank), pad=get_ints(op, "pad", (0,) * (2 * rank)),
                dilation=get_ints(op, "dilation", (1,) * rank), groups=get_int(op, "groups", 1))


def _pool_geometry(op):
    rank = len(shape(op.operation.operands[0])) - 2
    kernel = get_ints(op, "kernel")
    return dict(mode=get_str(op, "mode"), kernel=kernel, stride=get_ints(op, "stride", kernel),
                pad=get_ints(op, "pad", (0,) * (2 * rank)), count_include_pad=get_bool(op, "count_include_pad"))


def _flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


def _alpha(op) -> float:
    return get_float(op, "alpha", 0.01)


# ------------------------------------------------------------------------------ float mode


def _f(fn):
    """Adapt a float kernel: operands' arrays in, one array out, no formats."""
    return lambda state, op: [(fn(op, *[state.operand(op, i)[0] for i in range(len(op.operation.operands))]), None)]


_FLOAT_OPS = {
    "sdf.weights": lambda state, op: [(weight_store.read(op), None)],
    "sdf.conv": _f(lambda op, x, w, b: kernels.conv(x, w, b, **_conv_geometry(op))),
    "sdf.inner_product": _f(lambda op, x, w, b: kernels.inner_product(_flat(x), w, b)),
    "sdf.pool": _f(lambda op, x: kernels.pool(x, **_pool_geometry(op))),
    "sdf.global_pool": _f(lambda op, x: kernels.global_pool(x, get_str(op, "mode", "avg"))),
    "sdf.activation": _f(lambda op, x: kernels.activation(x, get_str(op, "kind"), _alpha(op))),
    "sdf.eltwise": _f(lambda op, a, b: kernels.eltwise(a, b, get_str(op, "mode"))),
    "sdf.concat": _f(lambda op, a, b: kernels.concat([a, b])),
    "sdf.resize": _f(lambda op, x: kernels.resize_nearest(x, get_ints(op, "scale"))),
    "sdf.scale_shift": _f(lambda op, x, s, t: kernels.scale_shift(x, s, t)),
    "sdf.split": lambda state, op: [state.operand(op, 0)] * len(op.operation.results),
}


# ------------------------------------------------------------------------------ fixed mode


def _out_format(op) -> Fixed:
    if not has(op, "output_format"):
        raise UserError(at(op.location, f"'{op.operation.name}' has no 'output_format'; run --sdf-quantize before fixed mode"))
    return Fixed(*sdf.fixed_value(op.operation.attributes["output_format"]))


def _acc_width(op) -> int:
    if not has(op, "acc_width"):
        raise UserError(at(op.location, f"'{op.operation.name}' has no 'acc_width'; run --sdf-quantize before fixed mode"))
    return get_int(op, "acc_width")


def _at_frac(data, fmt: Fixed, frac: int, width: int):
    """Parameters (bias, shift) moved to the accumulator's binary point."""
    return requantize(data, fmt.frac, Fixed(width, frac))


def _fixed_weights(state, op):
    return [(quantize(weight_store.read(op), _out_format(op)), _out_format(op))]


def _fixed_mac(kernel_fn, flatten: bool):
    def step(state, op):
        (x, xf), (w, wf), (b, bf) = (state.operand(op, i) for i in range(3))
        acc = _acc_width(op)
        bq = _at_frac(b, bf, xf.frac + wf.frac, acc)
        out = _out_format(op)
        if flatten:
            return [(kernel_fn(_flat(x), xf, w, wf, bq, out, acc), out)]
        return [(kernel_fn(x, xf, w, wf, bq, out, acc, **_conv_geometry(op)), out)]
    return step


def _fixed_scale_shift(state, op):
    (x, xf), (s, sf), (t, tf) = (state.operand(op, i) for i in range(3))
    acc, out = _acc_width(op), _out_format(op)
    return [(kernels.scale_shift_fixed(x, xf, s, sf, _at_frac(t, tf, xf.frac + sf.frac, acc), out, acc), out)]


def _fixed_unary(fn):
    def step(state, op):
        x, xf = state.operand(op, 0)
        out = _out_format(op)
        return [(fn(op, x, xf, out), out)]
    return step


def _fixed_binary(fn):
    def step(state, op):
        (a, af), (b, bf) = state.operand(op, 0), state.operand(op, 1)
        out = _out_format(op)
        return [(fn(op, a, af, b, bf, out), out)]
    return step


_FIXED_OPS = {
    "sdf.weights": _fixed_weights,
    "sdf.conv": _fixed_mac(kernels.conv_fixed, flatten=False),
    "sdf.inner_product": _fixed_mac(kernels.inner_product_fixed, flatten=True),
    "sdf.scale_shift": _fixed_scale_shift,
    "sdf.pool": _fixed_unary(lambda op, x, xf, out: kernels.pool_fixed(x, xf, out, **_pool_geometry(op))),
    "sdf.global_pool": _fixed_unary(lambda op, x, xf, out: kernels.global_pool_fixed(x, xf, out, get_str(op, "mode", "avg"))),
    "sdf.activation": _fixed_unary(lambda op, x, xf, out: kernels.activation_fixed(x, xf, out, get_str(op, "kind"), _alpha(op))),
    "sdf.resize": _fixed_unary(lambda op, x, xf, out: requantize(kernels.resize_nearest(x, get_ints(op, "scale")), xf.frac, out)),
    "sdf.eltwise": _fixed_binary(lambda op, a, af, b, bf, out: kernels.eltwise_fixed(a, af, b, bf, out, get_str(op, "mode"))),
    "sdf.concat": _fixed_binary(lambda op, a, af, b, bf, out: kernels.concat_fixed([a, b], [af, bf], out)),
    "sdf.split": lambda state, op: [state.operand(op, 0)] * len(op.operation.results),
}
