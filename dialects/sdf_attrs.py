"""Typed access to sdf op attributes, with the defaults the rationale doc promises.

Every pass, the verifier and the model bridge read attributes through these functions, so
a default (stride 1, no padding, ...) is written down once.
"""

from __future__ import annotations

from torch_mlir import ir

HARDWARE_INT_ATTRS = ("coarse_in", "coarse_out", "coarse_group", "fine", "wr_factor")
"""Folding factors a pass may set on any layer op; all default to 1 (fully folded)."""


class AttrError(ValueError):
    """An attribute is missing or of the wrong kind; the message says which."""


def _get(op, name: str):
    attrs = op.operation.attributes
    return attrs[name] if name in attrs else None


def has(op, name: str) -> bool:
    return name in op.operation.attributes


def get_int(op, name: str, default: int | None = None) -> int:
    attr = _get(op, name)
    if attr is None:
        if default is None:
            raise AttrError(f"requires integer attribute '{name}'")
        return default
    if not isinstance(attr, ir.IntegerAttr) or isinstance(attr, ir.BoolAttr):
        raise AttrError(f"attribute '{name}' must be an integer, got {attr}")
    return ir.IntegerAttr(attr).value


def get_ints(op, name: str, default: tuple[int, ...] | None = None) -> tuple[int, ...]:
    attr = _get(op, name)
    if attr is None:
        if default is None:
            raise AttrError(f"requires integer array attribute '{name}'")
        return tuple(default)
    if isinstance(attr, ir.DenseI64ArrayAttr):
        return tuple(attr)
    if isinstance(attr, ir.ArrayAttr) and all(isinstance(a, ir.IntegerAttr) for a in attr):
        return tuple(ir.IntegerAttr(a).value for a in attr)
    raise AttrError(f"attribute '{name}' must be an integer array (array<i64: ...>), got {attr}")


def get_str(op, name: str, default: str | None = None) -> str:
    attr = _get(op, name)
    if attr is None:
        if default is None:
            raise AttrError(f"requires string attribute '{name}'")
        return default
    if not isinstance(attr, ir.StringAttr):
        raise AttrError(f"attribute '{name}' must be a string, got {attr}")
    return ir.StringAttr(attr).value


def get_float(op, name: str, default: float | None = None) -> float:
    attr = _get(op, name)
    if attr is None:
        if default is None:
            raise AttrError(f"requires float attribute '{name}'")
        return default
    if isinstance(attr, ir.FloatAttr):
        return ir.FloatAttr(attr).value
    if isinstance(attr, ir.IntegerAttr) and not isinstance(attr, ir.BoolAttr):
        return float(ir.IntegerAttr(attr).value)
    raise AttrError(f"attribute '{name}' must be a float, got {attr}")


def get_floats(op, name: str) -> tuple[float, ...]:
    """A float array attribute: array<f64: ...> or [0.5, ...]."""
    attr = _get(op, name)
    if attr is None:
        raise AttrError(f"requires float array attribute '{name}'")
    if isinstance(attr, (ir.DenseF64ArrayAttr, ir.DenseF32ArrayAttr)):
        return tuple(float(v) for v in attr)
    if isinstance(attr, ir.ArrayAttr) and all(isinstance(a, ir.FloatAttr) for a in attr):
        return tuple(ir.FloatAttr(a).value for a in attr)
    raise AttrError(f"attribute '{name}' must be a float array (array<f64: ...>), got {attr}")


def get_bool(op, name: str, default: bool = False) -> bool:
    attr = _get(op, name)
    if attr is None:
        return default
    if not isinstance(attr, ir.BoolAttr):
        raise AttrError(f"attribute '{name}' must be a boolean (true/false), got {attr}")
    return ir.BoolAttr(attr).value


def set_int(op, name: str, value: int) -> None:
    with op.context:
        op.operation.attributes[name] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), int(value))


def set_ints(op, name: str, values) -> None:
    with op.context:
        op.operation.attributes[name] = ir.DenseI64ArrayAttr.get([int(v) for v in values])


def set_str(op, name: str, value: str) -> None:
    with op.context:
        op.operation.attributes[name] = ir.StringAttr.get(value)


def set_float(op, name: str, value: float) -> None:
    with op.context:
        op.operation.attributes[name] = ir.FloatAttr.get(ir.F64Type.get(), float(value))


def shape(value) -> tuple[int, ...]:
    """Static shape of a ranked tensor value."""
    return tuple(ir.RankedTensorType(value.type).shape)
