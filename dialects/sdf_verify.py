"""Semantic checks of sdf ops that IRDL cannot express: shapes, attribute values, nesting.

`verify_op(op)` returns a list of messages; an empty list means the op is valid. MLIR calls it
(through `LayerOp.verify_invariants`) whenever it verifies IR, so every parse and every pass
boundary checks these invariants.
"""

from __future__ import annotations

from torch_mlir import ir

from . import sdf_shapes as shapes
from .sdf_attrs import (HARDWARE_INT_ATTRS, AttrError, get_bool, get_float, get_floats, get_int, get_ints, get_str,
                         has, shape)

MODEL_ATTRS = HARDWARE_INT_ATTRS + ("weights_memory", "weights_off_chip", "sparsity", "pixels")
"""Attributes whose legality the hardware model decides."""

POOL_MODES = ("max", "avg")
ELTWISE_MODES = ("add", "mul")
ACTIVATIONS = ("relu", "relu6", "leaky_relu", "sigmoid", "hard_sigmoid", "hard_swish", "silu")


def verify_op(op) -> list[str]:
    problems: list[str] = []
    try:
        _check_static_tensors(op)
        _check_hardware_attrs(op)
        check = _CHECKS.get(op.operation.name)
        if check:
            problems += check(op) or []
        problems += _folding_problems(op)
    except AttrError as err:
        problems.append(str(err))
    except _Invalid as err:
        problems.append(str(err))
    return problems


class _Invalid(Exception):
    """One invariant is broken; checks raise it to stop at the first problem of an op."""


def _expect(cond: bool, message: str) -> None:
    if not cond:
        raise _Invalid(message)


def _fmt(shape_: tuple[int, ...]) -> str:
    return "tensor<" + "x".join(str(d) for d in shape_) + "xf32>"


def _check_static_tensors(op) -> None:
    for kind, values in (("operand", op.operation.operands), ("result", op.operation.results)):
        for i, value in enumerate(values):
            t = ir.RankedTensorType(value.type)
            _expect(t.has_static_shape, f"{kind} #{i} must have a static shape, got {t}")


def _check_hardware_attrs(op) -> None:
    for name in HARDWARE_INT_ATTRS:
        if has(op, name):
            _expect(get_int(op, name) >= 1, f"attribute '{name}' must be at least 1")
    if has(op, "acc_width"):
        _expect(1 <= get_int(op, "acc_width") <= 64, "attribute 'acc_width' must be in [1, 64]")
    # Extension attributes: kinds here; their ranges are the hardware model's (check_folding).
    if has(op, "weights_off_chip"):
        get_float(op, "weights_off_chip")
    if has(op, "weights_memory"):
        get_str(op, "weights_memory")
    if has(op, "pixels"):
        _expect(len(get_ints(op, "pixels")) == 2, "attribute 'pixels' needs two values: j, h")
    if has(op, "sparsity"):
        get_floats(op, "sparsity")
    if has(op, "output_format"):
        from .sdf import FixedAttr, fixed_value

        attr = op.operation.attributes["output_format"]
        _expect(isinstance(attr, FixedAttr), f"attribute 'output_format' must be #sdf.fixed<width, frac>, got {attr}")
        width, _ = fixed_value(attr)
        _expect(1 <= width <= 64, f"fixed-point width must be in [1, 64], got {width}")


def _folding_problems(op) -> list[str]:
    """Folding legality is the hardware model's to decide: ask it about this layer."""
    from .sdf import LAYER_KINDS

    if op.operation.name not in LAYER_KINDS or not any(has(op, a) for a in MODEL_ATTRS):
        return []
    from fpga_sdf.model import check_folding
    from fpga_sdf.network import layer_spec

    # The model names the layer in its messages; here the diagnostic's location does.
    return [m.removeprefix("this: ") for m in check_folding(layer_spec("this", op))]


def _spatial_rank(op, value, what: str = "input") -> int:
    rank = len(shape(value))
    _expect(rank in (4, 5), f"{what} must be (N, C, H, W) or (N, C, D, H, W), got rank {rank}")
    return rank - 2


def _check_result(op, expected: tuple[int, ...], index: int = 0) -> None:
    got = shape(op.operation.results[index])
    _expect(got == tuple(expected), f"result type {_fmt(got)} does not match the inferred {_fmt(expected)}")


def _window_params(op, rank: int, kernel_default=None):
    """stride, pad, dilation with their defaults, checked for length and range."""
    stride = get_ints(op, "stride", kernel_default or (1,) * rank)
    pad = get_ints(op, "pad", (0,) * (2 * rank))
    dilation = get_ints(op, "dilation", (1,) * rank)
    _expect(len(stride) == rank, f"'stride' needs {rank} values, got {len(stride)}")
    _expect(len(dilation) == rank, f"'dilation' needs {rank} values, got {len(dilation)}")
    _expect(len(pad) == 2 * rank, f"'pad' needs {2 * rank} values (begin per dim, then end per dim), got {len(pad)}")
    _expect(all(s >= 1 for s in stride), "'stride' values must be at least 1")
    _expect(all(d >= 1 for d in dilation), "'dilation' values must be at least 1")
    _expect(all(p >= 0 for p in pad), "'pad' values must be non-negative")
    return stride, pad, dilation


def _check_window_fits(in_shape, kernel, pad, dilation) -> None:
    rank = len(kernel)
    for d in range(rank):
        padded = in_shape[2 + d] + pad[d] + pad[rank + d]
        extent = shapes.window_extent(kernel[d], dilation[d])
        _expect(extent <= padded, f"kernel extent {extent} exceeds the padded input size {padded} in spatial dim {d}")


def _check_weights(op):
    if has(op, "value"):
        value = op.operation.attributes["value"]
        _expect(isinstance(value, (ir.DenseElementsAttr, ir.DenseResourceElementsAttr)), "'value' must be a dense elements attribute")
        _expect(value.type == op.operation.results[0].type, f"'value' type {value.type} differs from the result type")
    else:
        _expect(has(op, "file") and has(op, "key"), "needs either 'value' or both 'file' and 'key' (a sidecar .npz)")
        get_str(op, "file")
        get_str(op, "key")


def _check_conv(op):
    rank = _spatial_rank(op, op.operation.operands[0])
    x, w, b = (shape(v) for v in op.operation.operands)
    _expect(len(w) == len(x), f"weights must have rank {len(x)} (F, C/groups, *kernel), got {len(w)}")
    _expect(b == (w[0],), f"bias must be tensor<{w[0]}xf32>, got {_fmt(b)}")
    groups = get_int(op, "groups", 1)
    _expect(groups >= 1 and x[1] % groups == 0 and w[0] % groups == 0,
            f"groups ({groups}) must divide the input channels ({x[1]}) and the filters ({w[0]})")
    _expect(w[1] * groups == x[1], f"weights expect {w[1] * groups} input channels ({w[1]} per group x {groups} groups), input has {x[1]}")
    stride, pad, dilation = _window_params(op, rank)
    _check_window_fits(x, w[2:], pad, dilation)
    _check_result(op, shapes.conv(x, w, stride, pad, dilation))


def _check_inner_product(op):
    x, w, b = (shape(v) for v in op.operation.operands)
    _expect(len(w) == 2, f"weights must be (F, K), got rank {len(w)}")
    _expect(w[1] == shapes.features(x), f"weights expect {w[1]} input features, input has {shapes.features(x)}")
    _expect(b == (w[0],), f"bias must be tensor<{w[0]}xf32>, got {_fmt(b)}")
    _check_result(op, shapes.inner_product(x, w))


def _check_pool(op):
    rank = _spatial_rank(op, op.operation.operands[0])
    mode = get_str(op, "mode")
    _expect(mode in POOL_MODES, f"'mode' must be one of {', '.join(POOL_MODES)}, got '{mode}'")
    kernel = get_ints(op, "kernel")
    _expect(len(kernel) == rank and all(k >= 1 for k in kernel), f"'kernel' needs {rank} positive values")
    stride, pad, _ = _window_params(op, rank, kernel)
    get_bool(op, "count_include_pad")
    x = shape(op.operation.operands[0])
    _check_window_fits(x, kernel, pad, (1,) * rank)
    _check_result(op, shapes.pool(x, kernel, stride, pad))


def _check_global_pool(op):
    _spatial_rank(op, op.operation.operands[0])
    mode = get_str(op, "mode", "avg")
    _expect(mode in POOL_MODES, f"'mode' must be one of {', '.join(POOL_MODES)}, got '{mode}'")
    _check_result(op, shapes.global_pool(shape(op.operation.operands[0])))


def _check_activation(op):
    kind = get_str(op, "kind")
    _expect(kind in ACTIVATIONS, f"'kind' must be one of {', '.join(ACTIVATIONS)}, got '{kind}'")
    if has(op, "alpha"):
        _expect(kind == "leaky_relu", "'alpha' applies only to leaky_relu")
        get_float(op, "alpha")
    _check_result(op, shape(op.operation.operands[0]))


def _check_eltwise(op):
    mode = get_str(op, "mode")
    _expect(mode in ELTWISE_MODES, f"'mode' must be one of {', '.join(ELTWISE_MODES)}, got '{mode}'")
    lhs, rhs = (shape(v) for v in op.operation.operands)
    out = shapes.broadcast(lhs, rhs)
    _expect(out is not None, f"operands {_fmt(lhs)} and {_fmt(rhs)} do not broadcast")
    _check_result(op, out)


def _check_concat(op):
    lhs, rhs = (shape(v) for v in op.operation.operands)
    _expect(len(lhs) == len(rhs) and lhs[0] == rhs[0] and lhs[2:] == rhs[2:],
            f"operands {_fmt(lhs)} and {_fmt(rhs)} differ outside the channel dim")
    _check_result(op, shapes.concat(lhs, rhs))


def _check_split(op):
    x = shape(op.operation.operands[0])
    _expect(len(op.operation.results) >= 1, "needs at least one result")
    for i in range(len(op.operation.results)):
        _check_result(op, x, i)


def _check_resize(op):
    rank = _spatial_rank(op, op.operation.operands[0])
    mode = get_str(op, "mode", "nearest")
    _expect(mode == "nearest", f"'mode' must be 'nearest', got '{mode}'")
    scale = get_ints(op, "scale")
    _expect(len(scale) == rank and all(s >= 1 for s in scale), f"'scale' needs {rank} integer factors >= 1")
    _check_result(op, shapes.resize(shape(op.operation.operands[0]), scale))


def _check_scale_shift(op):
    x, scale, shift = (shape(v) for v in op.operation.operands)
    _expect(len(x) >= 2, "input must have a channel dim")
    _expect(scale == (x[1],) and shift == (x[1],), f"scale and shift must be tensor<{x[1]}xf32>")
    _check_result(op, x)


def _check_partition(op):
    parent = op.operation.parent
    _expect(parent is None or parent.name != "sdf.partition", "partitions cannot be nested")
    region = op.operation.regions[0]
    blocks = list(region.blocks)
    _expect(len(blocks) == 1, "body must have exactly one block")
    args = list(blocks[0].arguments)
    _expect(len(args) == 1 and args[0].type == op.operation.operands[0].type,
            "body must take one argument of the partition's input type")
    last = list(blocks[0].operations)[-1]
    _expect(last.name == "sdf.yield" and last.operands[0].type == op.operation.results[0].type,
            "body must end with 'sdf.yield' of the partition's result type")


def _check_yield(op):
    parent = op.operation.parent
    _expect(parent is not None and parent.name == "sdf.partition", "must terminate an 'sdf.partition' body")


_CHECKS = {
    "sdf.weights": _check_weights,
    "sdf.conv": _check_conv,
    "sdf.inner_product": _check_inner_product,
    "sdf.pool": _check_pool,
    "sdf.global_pool": _check_global_pool,
    "sdf.activation": _check_activation,
    "sdf.eltwise": _check_eltwise,
    "sdf.concat": _check_concat,
    "sdf.split": _check_split,
    "sdf.resize": _check_resize,
    "sdf.scale_shift": _check_scale_shift,
    "sdf.partition": _check_partition,
    "sdf.yield": _check_yield,
}
