"""Which layers a pass applies to: `layers="conv1,fc"` by name, or all that qualify."""

from __future__ import annotations

from .diagnostics import UserError
from .network import named_layers


def select(module, names: str, pass_name: str, kinds: tuple[str, ...] | None = None) -> list[tuple[str, object]]:
    """(name, op) of the named layers, or of every layer (of `kinds`) when `names` is empty."""
    from .dialects import sdf

    named = named_layers(module)
    if kinds is not None:
        named = [(n, op) for n, op in named if sdf.LAYER_KINDS[op.operation.name] in kinds]
    if not names:
        return named
    by_name = dict(named)
    chosen = []
    for name in (n.strip() for n in names.split(",") if n.strip()):
        if name not in by_name:
            raise UserError(f"--{pass_name}: no layer named '{name}' here (layers: {', '.join(by_name)})")
        chosen.append((name, by_name[name]))
    return chosen


def factor_value(text: str, allowed: tuple[int, ...], attr: str, kind: str, pass_name: str) -> int:
    """The factor `text` names among a layer's legal values: min, max or one of them.

    A value that is not a number is a mistake in the option (UserError, said once); a number
    the layer cannot take raises ValueError with the message to report at that layer.
    """
    if text == "min":
        return allowed[0]
    if text == "max":
        return allowed[-1]
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"--{pass_name}: {attr}='{text}' must be min, max or an integer") from None
    if value not in allowed:
        raise ValueError(f"{attr}={value} is not legal for this {kind} layer; choose one of {list(allowed)}")
    return value
