"""The table of RTL generators: `sdf_hw` op -> the module file that builds it.

Each kind lives in its own file (`<kind>.py`, function `generate(p)`; dma.py has
`generate_dma_in` / `generate_dma_out`), imported only when a design uses it, so a kind whose
file does not exist yet is a diagnostic at the op ("sdf_hw.X has no RTL generator yet"),
never a crash of the whole backend.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Callable

FILES = {
    "dma_in": "dma", "dma_out": "dma", "squeeze": "squeeze", "sliding_window": "sliding_window",
    "fork": "fork", "weights_memory": "weights_memory", "conv": "conv", "accum": "accum",
    "glue": "glue", "bias": "bias", "pool": "pool", "global_pool": "global_pool",
    "activation": "activation", "scale_shift": "scale_shift", "eltwise": "eltwise", "concat": "concat",
    "split": "split", "resize": "resize",
}


def generator(kind: str) -> Callable | None:
    """The generate function for `kind` (op name without `sdf_hw.`), or None if there is none."""
    name = FILES.get(kind)
    if name is None:
        return None
    full = f"{__package__}.{name}"
    if importlib.util.find_spec(full) is None:
        return None
    module = importlib.import_module(full)
    return getattr(module, f"generate_{kind}", None) or getattr(module, "generate", None)


def module_file(kind: str):
    """The imported module file of `kind` (for extras like `reload_image`), or None."""
    name = FILES.get(kind)
    if name is None or importlib.util.find_spec(f"{__package__}.{name}") is None:
        return None
    return importlib.import_module(f"{__package__}.{name}")
