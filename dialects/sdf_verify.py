"""Semantic checks of sdf ops that IRDL cannot express: shapes, attribute values, nesting.

`verify_op(op)` returns a list of messages; an empty list means the op is valid. MLIR calls it
(through `LayerOp.verify_invariants`) whenever it verifies IR, so every parse and every pass
boundary checks these invariants.
"""

from __future__ import annotations

import math

import numpy as np
from torch_mlir import ir

from . import sdf_shapes as shapes
from .sdf_attrs import (HARDWARE_INT_ATTRS, AttrError, get_bool, get_float, get_floats, get_int, get_ints, get_str,
                         has, shape)

MODEL_ATTRS = HARDWARE_INT_ATTRS + ("weights_memory", "weights_off_chip", "weights_fragments", "sparsity",
                                    "sparse_buffer", "pixels", "window_evicted")
"""Attributes whose legality the hardware model decides."""

POOL_MODES = ("max", "avg")
ELTWISE_MODES = ("add", "mul")
ACTIVATIONS = ("relu", "relu6", "leaky_relu", "sigmoid", "hard_sigmoid", "hard_swish", "silu")

MAX_ELEMENTS = 2 ** 40
"""Largest tensor accepted (elements): far beyond any FPGA design, and small enough that
sizes, words and cycles computed from it stay well inside int64."""

FRAC_RANGE = (-256, 256)
"""Binary-point positions of #sdf.fixed: every scale 2^frac (and the sum of two, as a bias
at its accumulator's point) is then an exact float64, and float32 data needs no more."""

PARAMETER_OPERANDS = {"sdf.conv": 1, "sdf.inner_product": 1, "sdf.scale_shift": 1}
"""Ops whose operands from this index on are parameters (weights, bias, scale, shift)."""


def verify_op(op) -> list[str]:
    problems: list[str] = []
    try:
        _check_tensors(op)
        _check_hardware_attrs(op)
        _check_fan_out(op)
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


def tensor_problem(t: ir.Type) -> str | None:
    """Why `t` is not a stream or parameter type of the sdf dialect (None if it is): every
    value is a statically shaped, non-empty f32 tensor; formats live in attributes."""
    if not isinstance(t, ir.RankedTensorType):
        return f"must be a ranked tensor, got {t}"
    if not t.has_static_shape:
        return f"must have a static shape, got {t}"
    if t.element_type != ir.F32Type.get():
        return f"must have element type f32 (fixed-point formats are attributes), got {t}"
    if any(d < 1 for d in t.shape):
        return f"must have no empty dimension, got {t}"
    elements = 1
    for d in t.shape:
        elements *= d
    if elements > MAX_ELEMENTS:
        return f"has {elements} elements, more than the {MAX_ELEMENTS} (2^40) supported"
    return None


def _check_tensors(op) -> None:
    from fpga_sdf.network import stream_operands

    for kind, values in (("operand", op.operation.operands), ("result", op.operation.results)):
        for i, value in enumerate(values):
            problem = tensor_problem(value.type)
            _expect(problem is None, f"{kind} #{i} {problem}")
    if op.operation.name in ("sdf.weights", "sdf.yield"):
        return
    streams = list(stream_operands(op)) + list(op.operation.results)
    for value in streams:  # every layer reads and writes (N, C, ...) feature maps
        _expect(len(shape(value)) >= 2, f"streams must be (N, C, ...) tensors of rank 2 or more, got {value.type}")


def format_problem(attr: ir.Attribute, what: str) -> str | None:
    """Why `attr` is not a valid fixed-point format (None if it is)."""
    from .sdf import FixedAttr, fixed_value

    if not isinstance(attr, FixedAttr):
        return f"{what} must be #sdf.fixed<width, frac>, got {attr}"
    try:
        width, frac = fixed_value(attr)
    except (ValueError, TypeError, OverflowError):
        return f"{what} must hold two integers, got {attr}"
    if not 1 <= width <= 64:
        return f"fixed-point width must be in [1, 64], got {width}"
    if not FRAC_RANGE[0] <= frac <= FRAC_RANGE[1]:
        return f"fixed-point frac must be in [{FRAC_RANGE[0]}, {FRAC_RANGE[1]}], got {frac}"
    return None


def _check_fan_out(op) -> None:
    """A stream has one reader: copies to several are an explicit `sdf.split` fork."""
    if op.operation.name == "sdf.weights":
        return
    for i, result in enumerate(op.operation.results):
        problem = fan_out_problem(result)
        _expect(problem is None, f"result #{i} {problem}")


def fan_out_problem(value) -> str | None:
    readers = len(list(value.uses))
    if readers > 1:
        return f"is read {readers} times; a stream read by several layers needs an 'sdf.split'"
    return None


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
    if has(op, "weights_fragments"):
        _expect(len(get_ints(op, "weights_fragments")) == 3,
                "attribute 'weights_fragments' needs three values: n, u_on, u_off")
    if has(op, "pixels"):
        _expect(len(get_ints(op, "pixels")) == 2, "attribute 'pixels' needs two values: j, h")
    if has(op, "sparsity"):
        get_floats(op, "sparsity")
        from fpga_sdf.sparsity import check_op  # the PASS statistics' own rules

        problems = check_op(op)
        _expect(not problems, "; ".join(problems))
    if has(op, "output_format"):
        problem = format_problem(op.operation.attributes["output_format"], "attribute 'output_format'")
        _expect(problem is None, problem)
    if has(op, "name"):
        get_str(op, "name")
    if has(op, "evicted"):
        _check_evicted(op)
    if has(op, "window_evicted"):
        get_bool(op, "window_evicted")


JOIN_OPS = ("sdf.eltwise", "sdf.concat")
"""Layers that read two streams, so hold a skip-connection FIFO in front of one of them."""


def _check_evicted(op) -> None:
    """`evicted`: operand indices of a join whose stream goes through off-chip memory
    instead of its skip FIFO (SMOF eviction); each must be a stream a layer writes on chip."""
    from .sdf import LAYER_KINDS

    indices = get_ints(op, "evicted")
    _expect(op.operation.name in JOIN_OPS,
            f"attribute 'evicted' applies to layers joining two streams ({', '.join(JOIN_OPS)}), "
            f"not {op.operation.name}")
    operands = list(op.operation.operands)
    for i in indices:
        _expect(0 <= i < len(operands), f"attribute 'evicted': operand #{i} does not exist "
                                        f"(the op has {len(operands)} operands)")
        owner = operands[i].owner
        _expect(not isinstance(owner, ir.Block) and owner.name in LAYER_KINDS,
                f"attribute 'evicted': operand #{i} is not a stream a layer writes on chip (an input of "
                "the function or partition already comes from off-chip memory): nothing to evict")
    _expect(len(set(indices)) == len(indices), f"attribute 'evicted' lists an operand twice: {list(indices)}")


def _folding_problems(op) -> list[str]:
    """Folding legality is the hardware model's to decide: ask it about this layer."""
    from .sdf import LAYER_KINDS

    if op.operation.name not in LAYER_KINDS or not any(has(op, a) for a in MODEL_ATTRS):
        return []
    from fpga_sdf.model import check_folding
    from fpga_sdf.network import layer_spec

    # The model names the layer in its messages; here the diagnostic's location does.
    from fpga_sdf.model.weights_memory import fragment_problems

    spec = layer_spec("this", op)
    problems = fragment_problems(spec, at_folding=False)  # the values first: they set weights_off_chip
    if not problems:
        problems = [m.removeprefix("this: ") for m in check_folding(spec)]
    if not problems:
        problems = fragment_problems(spec)
    return problems


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
        _expect(not has(op, "file") and not has(op, "key"),
                "has both an inline 'value' and a sidecar 'file'/'key': give one of them")
        value = op.operation.attributes["value"]
        _expect(isinstance(value, (ir.DenseElementsAttr, ir.DenseResourceElementsAttr)), "'value' must be a dense elements attribute")
        _expect(value.type == op.operation.results[0].type, f"'value' type {value.type} differs from the result type")
        if isinstance(value, ir.DenseFPElementsAttr):
            values = [ir.FloatAttr(value.get_splat_value()).value] if value.is_splat else np.asarray(value)
            _expect(bool(np.all(np.isfinite(values))), "'value' holds NaN or infinite values")
    else:
        _expect(has(op, "file") and has(op, "key"), "needs either 'value' or both 'file' and 'key' (a sidecar .npz)")
        _expect(get_str(op, "file") != "", "'file' must name a sidecar .npz, got an empty string")
        get_str(op, "key")
    for use in op.operation.results[0].uses:  # sdf_hw modules (after expansion) check their own
        user = use.owner
        first = PARAMETER_OPERANDS.get(user.name)
        _expect(not user.name.startswith("sdf.") or first is not None and use.operand_number >= first,
                f"weights can only be parameters (of {', '.join(PARAMETER_OPERANDS)}), "
                f"but operand #{use.operand_number} of '{user.name}' reads them")


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
    # A window entirely in the padding would average nothing (NaN) or find no maximum.
    _expect(all(pad[d] < kernel[d] and pad[rank + d] < kernel[d] for d in range(rank)),
            f"'pad' values must be smaller than the kernel ({', '.join(map(str, kernel))}) in their dim")
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
        _expect(math.isfinite(get_float(op, "alpha")), "'alpha' must be a finite number")
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
    inputs, results = list(op.operation.operands), list(op.operation.results)
    _expect(inputs and results, "needs at least one input and one result")
    region = op.operation.regions[0]
    blocks = list(region.blocks)
    _expect(len(blocks) == 1, "body must have exactly one block")
    args = list(blocks[0].arguments)
    _expect([a.type for a in args] == [v.type for v in inputs],
            f"body must take one argument per partition input, of its type ({len(inputs)} inputs, "
            f"{len(args)} arguments)")
    last = list(blocks[0].operations)[-1]
    _expect(last.name == "sdf.yield" and [v.type for v in last.operands] == [r.type for r in results],
            "body must end with 'sdf.yield' of the partition's result types")
    for i, value in enumerate(last.operands):
        # A tensor that skips a partition is read where it is used, straight from the
        # partition that wrote it: copying it through would cost a round trip for nothing.
        _expect(not isinstance(value.owner, ir.Block),
                f"result #{i} yields a partition input unchanged; a tensor that skips a partition "
                "is read directly by the partition using it")


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


# ------------------------------------------------------------------------ whole module


def verify_module(module) -> list[tuple[object, str]]:
    """Checks no single sdf op can make: the signatures of functions holding sdf ops, input
    formats (`sdf.format` argument attributes), fan-out of function and partition inputs,
    and partitions reading only their input and weights. (location, message) pairs."""
    problems: list[tuple[object, str]] = []
    for func in module.operation.regions[0].blocks[0].operations:
        if func.operation.name != "func.func":
            continue
        _check_arg_formats(func, problems)
        _check_result_views(func, problems)
        if not func.operation.regions[0].blocks:
            continue
        block = func.operation.regions[0].blocks[0]
        ops = [op.operation for op in block.operations]
        if not any(op.name.startswith("sdf.") for op in ops):
            continue  # torch or other IR: not ours to check
        for i, arg in enumerate(block.arguments):
            problem = tensor_problem(arg.type) or fan_out_problem(arg)
            if problem:
                problems.append((func.location, f"argument #{i} {problem}"))
        for op in ops:
            if op.name == "sdf.partition":
                _check_partition_inputs(op, problems)
    return problems


def _check_arg_formats(func, problems) -> None:
    attrs = func.operation.attributes
    if "arg_attrs" not in attrs:
        return
    for i, entry in enumerate(ir.ArrayAttr(attrs["arg_attrs"])):
        entry = ir.DictAttr(entry)
        if "sdf.format" in entry:
            problem = format_problem(entry["sdf.format"], f"argument #{i} attribute 'sdf.format'")
            if problem:
                problems.append((func.location, problem))


def _check_result_views(func, problems) -> None:
    """An `sdf.view` result attribute re-shapes a result for the host: it must be a
    non-empty list of positive sizes holding exactly the result's values per sample."""
    attrs = func.operation.attributes
    if "res_attrs" not in attrs:
        return
    results = ir.FunctionType(ir.TypeAttr(attrs["function_type"]).value).results
    for i, entry in enumerate(ir.ArrayAttr(attrs["res_attrs"])):
        entry = ir.DictAttr(entry)
        if "sdf.view" not in entry or i >= len(results):
            continue
        try:
            view = [int(d) for d in ir.DenseI64ArrayAttr(entry["sdf.view"])]
        except (ValueError, TypeError):
            problems.append((func.location, f"result #{i} attribute 'sdf.view' must be an array<i64: ...> of sizes"))
            continue
        t = results[i]
        per_sample = math.prod(ir.RankedTensorType(t).shape[1:]) if isinstance(t, ir.RankedTensorType) else None
        if not view or min(view) < 1 or (per_sample is not None and math.prod(view) != per_sample):
            problems.append((func.location, f"result #{i} attribute 'sdf.view' {view} must hold the "
                                            f"{per_sample} values of one sample of {t}"))


def _check_partition_inputs(partition, problems) -> None:
    """A partition is loaded alone: only its input streams and weights may cross into it."""
    body = partition.regions[0].blocks[0]
    for i, arg in enumerate(body.arguments):
        problem = fan_out_problem(arg)
        if problem:
            problems.append((partition.location, f"input #{i} {problem}"))
    inside = set()

    def collect(op):
        if op != partition:
            inside.add(op)
        return ir.WalkResult.ADVANCE

    partition.walk(collect, ir.WalkOrder.PRE_ORDER)
    for op in inside:
        for value in op.operands:
            owner = value.owner
            if isinstance(owner, ir.Block) or owner in inside or owner.name == "sdf.weights":
                continue
            problems.append((op.location, f"'{op.name}' uses a stream produced outside its partition by "
                                          f"'{owner.name}'; partitions may only read their input and weights"))
