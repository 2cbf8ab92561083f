"""A network view of an sdf module: its layers in order, their names, their partitions.

Passes, the report and the backends all look at the IR through these few functions so that
"layer", "its name" and "its partition" mean the same thing everywhere.
"""

from __future__ import annotations

from torch_mlir import ir

from .dialects import sdf
from .ir import walk


def layers(module) -> list:
    """Layer ops (the ones that become hardware) in program order, partitions included."""
    return [op for op in walk(module) if op.operation.name in sdf.LAYER_KINDS]


def layer_name(op, index: int) -> str:
    """The layer's name: its location name (set by the importer) or `<kind><index>`."""
    location = op.location
    try:
        return location.name_str
    except (ValueError, RuntimeError, AttributeError):
        pass
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
    return [op for op in module.operation.regions[0].blocks[0].operations if op.operation.name == "func.func"]


def set_arg_attr(func, index: int, name: str, value: ir.Attribute) -> None:
    """Set attribute `name` on argument `index` of `func` (keeping the others)."""
    count = len(func.operation.regions[0].blocks[0].arguments)
    attrs = func.operation.attributes
    current = list(ir.ArrayAttr(attrs["arg_attrs"])) if "arg_attrs" in attrs else [ir.DictAttr.get({})] * count
    entries = {n.name: n.attr for n in ir.DictAttr(current[index])}
    entries[name] = value
    current[index] = ir.DictAttr.get(entries)
    attrs["arg_attrs"] = ir.ArrayAttr.get(current)
