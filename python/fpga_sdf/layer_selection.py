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
