"""A network view of an sdf module: its layers in order, their names, their partitions.

Passes, the report and the backends all look at the IR through these few functions so that
"layer", "its name" and "its partition" mean the same thing everywhere.
"""

from __future__ import annotations

from torch_mlir import ir

from .dialects import sdf
from .dialects.sdf_verify import PARAMETER_OPERANDS
from .ir import walk


def stream_operands(op) -> list:
    """The operands that arrive as feature-map streams (not parameters)."""
    operands = list(op.operation.operands)
    keep = PARAMETER_OPERANDS.get(op.operation.name)
    return operands[:keep] if keep else operands


def layers(module) -> list:
    """Layer ops (the ones that become hardware) in program order, partitions included."""
    return [op for op in walk(module) if op.operation.name in sdf.LAYER_KINDS]


def layer_name(op, index: int) -> str:
    """The layer's name: its `name` attribute (set by the importer), else its location
    name, else `<kind><index>`."""
    if "name" in op.operation.attributes:
        return ir.StringAttr(op.operation.attributes["name"]).value
    location = op.location
    try:
        return location.name_str
    except (ValueError, RuntimeError, AttributeError):  # not a name location
        return f"{sdf.LAYER_KINDS[op.operation.name]}{index}"


def named_layers(module) -> list[tuple[str, object]]:
    """(name, op) for every layer; names are made unique with a suffix where they repeat."""
    seen: dict[str, int] = {}
    named = []
    for index, op in enumerate(layers(module)):
        name = layer_name(op, index)
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        named.append((name, op))
    return named


def partitions(module) -> list:
    return walk(module, "sdf.partition")


def partition_of(op):
    """The enclosing `sdf.partition` op, or None when the network is not partitioned."""
    parent = op.operation.parent
    while parent is not None and parent.name != "builtin.module":
        if parent.name == "sdf.partition":
            return parent.opview
        parent = parent.parent
    return None


def functions(module) -> list:
    """The module's functions with a body (declarations such as `func.func private @f(...)`
    have nothing to run, map or emit)."""
    return [op for op in module.operation.regions[0].blocks[0].operations
            if op.operation.name == "func.func" and len(op.operation.regions[0].blocks)]


VIEW_ATTR = "sdf.view"


def output_views(func) -> list:
    """Per result of `func`, the per-sample shape the source framework gives it (the `sdf.view`
    result attribute: a flatten the hardware need not do, the streamed words are the same), or
    None where the result is used as its type says."""
    n = len(ir.FunctionType(ir.TypeAttr(func.operation.attributes["function_type"]).value).results)
    views = [None] * n
    if "res_attrs" in func.operation.attributes:
        for i, entry in enumerate(ir.ArrayAttr(func.operation.attributes["res_attrs"])):
            entry = ir.DictAttr(entry)
            if VIEW_ATTR in entry and i < n:
                views[i] = tuple(int(d) for d in ir.DenseI64ArrayAttr(entry[VIEW_ATTR]))
    return views


def set_output_views(func, views: list) -> None:
    """Record `views` (per result: a per-sample shape or None) as `sdf.view` result attributes."""
    if not any(v is not None for v in views):
        return
    entries = [ir.DictAttr.get({VIEW_ATTR: ir.DenseI64ArrayAttr.get(list(v))} if v is not None else {})
               for v in views]
    func.operation.attributes["res_attrs"] = ir.ArrayAttr.get(entries)


def apply_view(y, view):
    """`y` (batch first) reshaped to the per-sample `view`, or unchanged for None."""
    return y if view is None else y.reshape((y.shape[0],) + tuple(view))


def only_function(module, needed_by: str):
    """The one function a whole-network pass works on; a diagnostic when there are several."""
    from .diagnostics import UserError, at

    funcs = functions(module)
    if not funcs:
        raise UserError(f"--{needed_by}: the module has no function with a body")
    if len(funcs) > 1:
        raise UserError(at(funcs[1].location, f"--{needed_by} works on one network, but the module has "
                                              f"{len(funcs)} functions"))
    return funcs[0]


def set_arg_attr(func, index: int, name: str, value: ir.Attribute) -> None:
    """Set attribute `name` on argument `index` of `func` (keeping the others)."""
    count = len(func.operation.regions[0].blocks[0].arguments)
    attrs = func.operation.attributes
    current = list(ir.ArrayAttr(attrs["arg_attrs"])) if "arg_attrs" in attrs else [ir.DictAttr.get({})] * count
    entries = {n.name: n.attr for n in ir.DictAttr(current[index])}
    entries[name] = value
    current[index] = ir.DictAttr.get(entries)
    attrs["arg_attrs"] = ir.ArrayAttr.get(current)


# ------------------------------------------------------------------------- the model's view

def _format_width(value, default: int) -> int:
    """Width of a value's fixed-point format (producer's output_format or arg's sdf.format)."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        parent = owner.owner
        parent = getattr(parent, "operation", parent)  # a func.FuncOp view's .name is its symbol
        if parent.name == "sdf.partition":
            return _format_width(parent.operands[value.arg_number], default)
        if parent.name == "func.func" and "arg_attrs" in parent.attributes:
            arg = ir.DictAttr(ir.ArrayAttr(parent.attributes["arg_attrs"])[value.arg_number])
            if "sdf.format" in arg:
                return sdf.fixed_value(arg["sdf.format"])[0]
        return default
    if "output_format" in owner.attributes:
        return sdf.fixed_value(owner.attributes["output_format"])[0]
    if owner.name == "sdf.partition":  # the value its body yields at that position
        body = owner.regions[0].blocks[0]
        return _format_width(list(body.operations)[-1].operands[value.result_number], default)
    return default


def layer_spec(name: str, op, default_width: int = 16):
    """The hardware model's description of one layer op (shapes without the batch dim)."""
    from .dialects.sdf_attrs import get_bool, get_float, get_floats, get_int, get_ints, get_str, has, shape
    from .model import LayerSpec

    kind = sdf.LAYER_KINDS[op.operation.name]
    operands = list(op.operation.operands)
    data_inputs = stream_operands(op)
    x = shape(operands[0])
    rank = len(x) - 2
    fields = dict(
        name=name, kind=kind,
        inputs=tuple(shape(v)[1:] for v in data_inputs),
        outputs=tuple(shape(r)[1:] for r in op.operation.results),
        data_width=_format_width(operands[0], default_width),
    )
    out = _format_width(op.operation.results[0], fields["data_width"])
    if out != fields["data_width"]:
        fields["out_width"] = out
    for attr in ("coarse_in", "coarse_out", "coarse_group", "fine", "wr_factor"):
        fields[attr] = get_int(op, attr, 1)
    if kind == "conv":
        w = shape(operands[1])
        fields.update(kernel=tuple(w[2:]), stride=get_ints(op, "stride", (1,) * rank),
                      pad=get_ints(op, "pad", (0,) * (2 * rank)), dilation=get_ints(op, "dilation", (1,) * rank),
                      groups=get_int(op, "groups", 1), has_bias=True)
    elif kind == "pool":
        kernel = get_ints(op, "kernel")
        fields.update(kernel=kernel, stride=get_ints(op, "stride", kernel), pad=get_ints(op, "pad", (0,) * (2 * rank)),
                      mode=get_str(op, "mode"))
    elif kind in ("global_pool", "eltwise"):
        fields.update(mode=get_str(op, "mode", "avg"))
    elif kind == "activation":
        fields.update(mode=get_str(op, "kind"))
    elif kind == "resize":
        fields.update(mode=get_str(op, "mode", "nearest"), kernel=get_ints(op, "scale"))
    elif kind == "inner_product":
        fields.update(has_bias=True)
    if kind in ("conv", "inner_product", "scale_shift"):
        fields.update(weight_width=_format_width(operands[1], default_width),
                      acc_width=get_int(op, "acc_width", 2 * default_width + 8))
    if has(op, "sparsity"):
        fields["sparsity"] = get_floats(op, "sparsity")
        fields["sparsity_assumed"] = get_str(op, "sparsity_source", "measured") == "assumed"
        if has(op, "sparsity_hist"):
            fields["sparsity_hist"] = get_floats(op, "sparsity_hist")
    if has(op, "sparse_buffer"):
        fields["sparse_buffer"] = get_int(op, "sparse_buffer")
    if has(op, "dense_engine"):
        fields["dense_engine"] = get_bool(op, "dense_engine")
    if has(op, "weights_memory"):
        fields["weights_memory"] = get_str(op, "weights_memory")
    if has(op, "weights_fragments"):
        # AutoWS fragments decide the off-chip fraction; weights_off_chip, where also
        # given, must agree (the verifier checks), so everything reading it (the backends'
        # refusal, the DSE) sees a fragmented layer as streaming.
        from .model.weights_memory import fragments_fraction

        fields["weights_fragments"] = tuple(get_ints(op, "weights_fragments"))
        if len(fields["weights_fragments"]) == 3 and kind in ("conv", "inner_product"):
            fields["weights_off_chip"] = fragments_fraction(fields["weights_fragments"])
    if has(op, "weights_off_chip"):
        fields["weights_off_chip"] = get_float(op, "weights_off_chip")
    if has(op, "pixels"):
        fields["pixels"] = tuple(get_ints(op, "pixels"))
    if has(op, "evicted"):
        fields["evicted"] = tuple(sorted(get_ints(op, "evicted")))
    if has(op, "window_evicted"):
        fields["window_evicted"] = get_bool(op, "window_evicted")
    return LayerSpec(**fields)


def require_layer_level(module, needed_by: str) -> None:
    """Passes that reason about layers refuse module-level (sdf_hw) IR with a diagnostic."""
    from .diagnostics import UserError

    if any(op.operation.name.startswith("sdf_hw.") for op in walk(module)):
        raise UserError(f"--{needed_by} needs layer-level sdf IR; this module was already expanded "
                        "to hardware modules (sdf_hw) by --sdf-expand-modules")
    if not layers(module):
        raise UserError(f"--{needed_by}: the module has no sdf layers")


def model_partitions(module, default_width: int = 16, needed_by: str = "sdf-report"):
    """The network as the model sees it: a list of `Partition`s in execution order.

    An unpartitioned function is one partition. Edges join a producer layer to each layer
    that reads its result inside the same partition.
    """
    from .model import Partition

    require_layer_level(module, needed_by)

    named = named_layers(module)
    names = {op.operation: name for name, op in named}
    groups: dict = {}
    for name, op in named:
        part = partition_of(op)
        key = part.operation if part is not None else None
        groups.setdefault(key, []).append((name, op))
    result = []
    for members in groups.values():
        specs = tuple(layer_spec(name, op, default_width) for name, op in members)
        edges = []
        for name, op in members:
            for value in op.operation.operands:
                owner = value.owner
                if not isinstance(owner, ir.Block) and owner in names:
                    edges.append((names[owner], name))
        result.append(Partition(specs, tuple(edges)))
    return result
