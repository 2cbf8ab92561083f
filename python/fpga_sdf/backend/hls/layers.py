"""What each layer kind's module generators need: its formats, parameters in bank layout,
geometry and folding (`ctx.values`), its input streams (`ctx.inputs`, squeezed to the
layer's stream count by the driver) and the typedefs of its namespace.

A `prepare_<kind>` returns a refusal message when the layer cannot be emitted.
"""

from __future__ import annotations

import math
import os

import numpy as np

from ... import weights as weight_store
from ...dialects.sdf_attrs import get_bool, get_float, get_int, get_ints, get_str, has, shape
from ...interp.fixed import Fixed, quantize, requantize
from ...model.modules import window_word_grid
from ...model.spec import sparse_engine
from . import activation, images
from .images import bias_lanes, conv_banks
from .process import ctype


def geometry(spatial, kernel, stride, pad, dilation) -> str:
    nd = len(spatial)
    lift = lambda t, one: (one,) * (3 - nd) + tuple(t)  # noqa: E731
    args = (lift(spatial, 1) + lift(kernel, 1) + lift(stride, 1) + lift(pad[:nd], 0)
            + lift(pad[nd:], 0) + lift(dilation, 1))
    return f"sdf::geometry<{', '.join(map(str, args))}>"


def _narrow(q: np.ndarray, frac: int, max_width: int) -> Fixed:
    """The narrowest format at `frac` holding the integers q (never wider than max_width)."""
    mag = int(np.max(np.abs(q))) if q.size else 0
    return Fixed(min(max_width, max(2, mag.bit_length() + 1)), frac)


def _window(ctx, kernel, stride, pad, dilation) -> None:
    """Geometry values of a windowed layer (conv, pool) for sliding_window and pool."""
    x_shape = ctx.inputs[0].shape if ctx.inputs else None
    spatial = x_shape[1:]
    rank = len(spatial)
    ctx.values["geometry"] = geometry(spatial, kernel, stride, pad, dilation)
    lift = lambda t, one: (one,) * (3 - rank) + tuple(t)  # noqa: E731
    k3, d3 = lift(kernel, 1), lift(dilation, 1)
    p3 = [a + b for a, b in zip(lift(pad[:rank], 0), lift(pad[rank:], 0))]
    padded = [s + p for s, p in zip(lift(spatial, 1), p3)]
    span = [(k - 1) * d + 1 for k, d in zip(k3, d3)]
    out = [(p - e) // s + 1 for p, e, s in zip(padded, span, lift(stride, 1))]
    ctx.values.update(kvol=math.prod(kernel), kernel3=k3, padded_width=padded[2], span_w=span[2],
                      window_rows=(span[0] - 1) * padded[1] + span[1], padded3=padded, out3=out,
                      span3=span, stride3=list(lift(stride, 1)), grid=None)
    if ctx.p > 1:  # the p-pixel window walks the model's word grid along a row
        ctx.values["grid"] = window_word_grid(ctx.spec)


def _multi_pixel(ctx, channels: int, lanes: int) -> str | None:
    """Why the layer's p-pixel streams cannot be built: channel c must stay on stream c % lanes
    of every word, and a word's pixels in one row."""
    if ctx.p > 1 and channels % lanes:
        return (f"a multi-pixel layer needs its {lanes} streams to divide the channels ({channels}): "
                "a word carries the same channels for each of its pixels")
    return None


# ------------------------------------------------------------------------------- MAC layers


def sidecar(op) -> dict | None:
    """Where an sdf.weights op's values live when they are in a `.npz` sidecar: the resolved
    file and the key (None for inline values)."""
    if not has(op, "file"):
        return None
    path = weight_store._resolve(get_str(op, "file"))  # the file weight_store.read reads
    return {"file": os.path.abspath(path), "key": get_str(op, "key")} if path else None


def prepare_mac(ctx, driver, is_conv: bool) -> str | None:
    op, v = ctx.op, ctx.values
    w_op, b_op = (op.operation.operands[i].owner for i in (1, 2))
    if getattr(w_op, "name", "") != "sdf.weights" or getattr(b_op, "name", "") != "sdf.weights":
        return "parameters must come from sdf.weights ops"
    if not has(op, "acc_width"):
        return f"'{op.operation.name}' has no 'acc_width' (run --sdf-quantize)"
    x_fmt = ctx.in_fmt
    w_fmt = driver.fmt(op.operation.operands[1], op)
    b_fmt = driver.fmt(op.operation.operands[2], op)
    if w_fmt is None or b_fmt is None:
        return None
    acc = get_int(op, "acc_width")
    x_shape = shape(op.operation.operands[0])[1:]
    f_total = shape(op.operation.results[0])[1]
    ci, co, cg = (get_int(op, a, 1) for a in ("coarse_in", "coarse_out", "coarse_group"))
    fine = get_int(op, "fine", 1) if is_conv else 1
    groups = get_int(op, "groups", 1) if is_conv else 1
    wr = get_int(op, "wr_factor", 1)
    c = x_shape[0] if is_conv else math.prod(x_shape)
    kvol = math.prod(shape(op.operation.operands[1])[2:]) if is_conv else 1
    if cg > 1 and (ci != c // groups or co != f_total // wr // groups):
        return (f"coarse_group = {cg} with coarse_in = {ci}, coarse_out = {co} splits a group over streams: "
                f"the HLS backend needs coarse_in = channels per group ({c // groups}) and coarse_out = "
                f"filters per group ({f_total // wr // groups}) when coarse_group > 1")
    if wr > 1 and groups != 1:
        return "weights reloading is only emitted for layers with groups = 1"
    filters = f_total // wr
    ni, no = ci * cg, co * cg
    # a bank word: the `fine` taps a dense MAC multiplies per cycle, or on the sparse engine
    # all KVOL weights of a dot product (its crossbar picks those of the non-zero taps)
    # an inner product at p pixels a word: p FCUs a unit, each its own weight (a word of p)
    fcus = ctx.p if not is_conv else 1
    if fcus > 1 and len(x_shape) < 3:
        return "a multi-pixel inner product needs a spatial input (a vector has no row of pixels)"
    word = kvol if sparse_engine(ctx.spec) else fine * fcus
    recipe = {"w_fmt": [w_fmt.width, w_fmt.frac], "b_fmt": [b_fmt.width, b_fmt.frac], "acc": acc,
              "x_frac": x_fmt.frac, "conv": is_conv, "in_shape": list(x_shape), "filters_total": f_total,
              "channels": c, "kvol": kvol, "groups": groups, "ci": ci, "co": co, "cg": cg, "fine": word, "wr": wr}
    if fcus > 1:
        recipe["pixels"] = fcus
    w, b = weight_store.read(w_op.opview), weight_store.read(b_op.opview)
    bias_fmt = images.bias_format(b, recipe)
    for fmt, what in ((w_fmt, "weights"), (bias_fmt, "bias"), (x_fmt, "input"), (ctx.out_fmt, "output")):
        if fmt.width > 53:
            return f"{what} format {fmt} is wider than 53 bits: no exact C++ literal"
    w_runs, b_runs = images.weights_runs(w, recipe), images.bias_runs(b, recipe)
    depth = w_runs.shape[1] // (ni * co * word)
    # result words of q pixels per output stream and filter (the weights' and bias' repeats)
    out_pixels = math.prod(shape(op.operation.results[0])[2:]) // ctx.q if is_conv else 1
    v.update(w_fmt=w_fmt, b_fmt=bias_fmt, fine=fine, word=word, fcus=fcus, kvol=kvol, ci=ci, co=co, cg=cg, pixels=out_pixels,
             cout_s=filters // groups // co, acc_in=(c // groups) // ci // fcus, depth=depth,
             bias_depth=filters // no, banks=w_runs[0].reshape(ni * co, depth, word),
             bias_lanes=b_runs[0].reshape(no, filters // no), w_runs=w_runs, b_runs=b_runs,
             channels_per_stream=c // ni, filters=filters, channels=f_total, recipe=recipe,
             w_source=sidecar(w_op.opview), b_source=sidecar(b_op.opview))
    ctx.reload = wr > 1
    ctx.typedef("in_t", x_fmt)
    ctx.typedef("w_t", w_fmt)
    ctx.typedef("b_t", bias_fmt)
    ctx.acc_type("acc_t", "in_t", "w_t", acc)
    ctx.typedef("out_t", ctx.out_fmt)
    why = _multi_pixel(ctx, x_shape[0], ni)
    if why:
        return why
    ctx.inputs = [driver.operand(op, 0, ni, pixels=ctx.p)]
    ctx.cur = ctx.inputs[0].stream
    if is_conv:
        rank = len(x_shape) - 1
        k = shape(op.operation.operands[1])[2:]
        _window(ctx, k, get_ints(op, "stride", (1,) * rank), get_ints(op, "pad", (0,) * (2 * rank)),
                get_ints(op, "dilation", (1,) * rank))
        v["kvol"] = kvol
    ctx.out_lanes = no
    if wr > 1:
        ctx.result_shapes[0] = (filters,) + tuple(ctx.result_shapes[0][1:])
    return None


def prepare_conv(ctx, driver):
    return prepare_mac(ctx, driver, True)


def prepare_inner_product(ctx, driver):
    return prepare_mac(ctx, driver, False)


# -------------------------------------------------------------------------- other layers


def _unary(ctx, driver) -> str | None:
    lanes = get_int(ctx.op, "coarse_in", 1)
    why = _multi_pixel(ctx, shape(ctx.op.operation.operands[0])[1], lanes)
    if why:
        return why
    ctx.inputs = [driver.operand(ctx.op, 0, lanes, pixels=ctx.p)]
    ctx.cur = ctx.inputs[0].stream
    ctx.out_lanes = lanes
    ctx.typedef("in_t", ctx.inputs[0].fmt)
    ctx.typedef("out_t", ctx.out_fmt)
    return None


def prepare_pool(ctx, driver):
    op = ctx.op
    mode = get_str(op, "mode")
    if mode not in ("max", "avg"):
        return f"pool mode '{mode}' has no HLS module"
    why = _unary(ctx, driver)
    if why:
        return why
    x_shape = ctx.inputs[0].shape
    rank = len(x_shape) - 1
    kernel = get_ints(op, "kernel")
    _window(ctx, kernel, get_ints(op, "stride", kernel), get_ints(op, "pad", (0,) * (2 * rank)), (1,) * rank)
    ctx.values.update(channels_per_stream=x_shape[0] // ctx.out_lanes,
                      count_pad="true" if get_bool(op, "count_include_pad") else "false")
    return None


def prepare_global_pool(ctx, driver):
    return _unary(ctx, driver)


def prepare_activation(ctx, driver):
    ctx.values.update(kind=get_str(ctx.op, "kind"), alpha=get_float(ctx.op, "alpha", 0.01))
    why = activation.check(ctx)
    if why:
        return why
    return _unary(ctx, driver)


def prepare_resize(ctx, driver):
    if get_str(ctx.op, "mode", "nearest") != "nearest":
        return f"resize mode '{get_str(ctx.op, 'mode')}' has no HLS module"
    ctx.values["scale"] = get_ints(ctx.op, "scale")
    return _unary(ctx, driver)


def prepare_scale_shift(ctx, driver):
    op = ctx.op
    s_fmt = driver.fmt(op.operation.operands[1], op)
    t_fmt = driver.fmt(op.operation.operands[2], op)
    if s_fmt is None or t_fmt is None:
        return None
    acc = get_int(op, "acc_width")
    x_fmt = ctx.in_fmt
    sq = quantize(weight_store.read(op.operation.operands[1].owner.opview), s_fmt)
    tq = requantize(quantize(weight_store.read(op.operation.operands[2].owner.opview), t_fmt), t_fmt.frac,
                    Fixed(acc, x_fmt.frac + s_fmt.frac))
    shift_fmt = _narrow(tq, x_fmt.frac + s_fmt.frac, acc)
    why = _unary(ctx, driver)
    if why:
        return why
    ctx.typedef("s_t", s_fmt)
    ctx.typedef("b_t", shift_fmt)
    ctx.acc_type("acc_t", "in_t", "s_t", acc)
    ctx.values.update(s_fmt=s_fmt, shift_fmt=shift_fmt, scale=sq, shift=tq)
    return None


def prepare_eltwise(ctx, driver):
    op = ctx.op
    mode = get_str(op, "mode")
    if mode not in ("add", "mul"):
        return f"eltwise mode '{mode}' has no HLS module"
    lanes = get_int(op, "coarse_in", 1)
    a_shape, b_shape = (shape(v)[1:] for v in op.operation.operands[:2])
    order = (0, 1)
    if a_shape != b_shape:
        if all(d == 1 for d in a_shape[1:]) and a_shape[0] == b_shape[0]:
            order, (a_shape, b_shape) = (1, 0), (b_shape, a_shape)
        if not (all(d == 1 for d in b_shape[1:]) and b_shape[0] == a_shape[0]):
            return (f"eltwise broadcast {a_shape} x {b_shape} has no HLS module "
                    "(only a per-channel (C, 1, 1) operand is streamed and buffered)")
    why = _multi_pixel(ctx, a_shape[0], lanes)
    if why:
        return why
    broadcast = a_shape != b_shape  # its one word per channel serves a word's p pixels
    a = driver.operand(op, order[0], lanes, pixels=ctx.p)
    b = driver.operand(op, order[1], lanes, pixels=1 if broadcast else ctx.p)
    ctx.inputs = [a, b]
    ctx.out_lanes = lanes
    ctx.values.update(a=a, b=b, broadcast=broadcast)
    ctx.typedef("a_t", a.fmt)
    ctx.typedef("b_t", b.fmt)
    ctx.typedef("out_t", ctx.out_fmt)
    return None


def prepare_concat(ctx, driver):
    lanes = get_int(ctx.op, "coarse_in", 1)
    channels = [shape(v)[1] for v in ctx.op.operation.operands[:2]]
    if channels[0] % lanes or channels[1] % lanes:
        return f"coarse_in = {lanes} must divide the channels of both inputs ({channels[0]}, {channels[1]})"
    a, b = (driver.operand(ctx.op, i, lanes, pixels=ctx.p) for i in (0, 1))
    ctx.inputs = [a, b]
    ctx.out_lanes = lanes
    ctx.values.update(a=a, b=b)
    ctx.typedef("a_t", a.fmt)
    ctx.typedef("b_t", b.fmt)
    ctx.typedef("out_t", ctx.out_fmt)
    return None


def prepare_split(ctx, driver):
    why = _unary(ctx, driver)
    if why:
        return why
    if ctx.out_fmt != ctx.inputs[0].fmt:
        return f"a split copies its input: output_format {ctx.out_fmt} differs from the input's {ctx.inputs[0].fmt}"
    ctx.values["outputs"] = len(ctx.op.operation.results)
    return None


PREPARE = {
    "conv": prepare_conv, "inner_product": prepare_inner_product, "pool": prepare_pool,
    "global_pool": prepare_global_pool, "activation": prepare_activation, "resize": prepare_resize,
    "scale_shift": prepare_scale_shift, "eltwise": prepare_eltwise, "concat": prepare_concat,
    "split": prepare_split,
}

__all__ = ["PREPARE", "geometry", "conv_banks", "bias_lanes", "ctype", "sidecar"]
