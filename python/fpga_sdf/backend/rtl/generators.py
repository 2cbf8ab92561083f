"""The table of RTL generators: `sdf_hw` op -> the module file that builds it.

Each kind lives in its own file (`<kind>.py`, function `generate(p)`; dma.py has
`generate_dma_in` / `generate_dma_out`), imported only when a design uses it, so a kind whose
file does not exist yet is a diagnostic at the op ("sdf_hw.X has no RTL generator yet"),
never a crash of the whole backend.

A layer on PASS's sparse engine (`model.spec.sparse_engine(spec)`) has the same `conv` and
`weights_memory` ops as a dense one; they are built by `sparse_conv.py` / `sparse_weights.py`
instead (the choice is made per op, from its layer's spec), and its `sparse_buffer` ops by
`sparse_buffer.py`. The rest of its chain (sliding window, fork, glue, accum, bias) is the
dense one's, in the same channel and filter order.

A multi-pixel inner product's `conv` ops are per-pixel FCUs (`fcu.py`, chosen the same way,
by `fcu.is_fcu(spec)`); its weights memory, accum and bias are the dense ones, which read the
FCU's plan (`fcu.unit_plan`).
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
    "split": "split", "resize": "resize", "sparse_buffer": "sparse_buffer",
}
SPARSE_FILES = {"conv": "sparse_conv", "weights_memory": "sparse_weights"}  # PASS's sparse engine
FCU_FILES = {"conv": "fcu"}  # a multi-pixel inner product's per-pixel FCUs


def generator(kind: str) -> Callable | None:
    """The generate function for `kind` (op name without `sdf_hw.`), or None if there is none.
    For conv / weights_memory: one that builds the sparse engine's module when the op's layer
    uses it, or the FCUs for a multi-pixel inner product's conv."""
    dense = _load(FILES.get(kind), kind)
    if kind not in SPARSE_FILES or dense is None:
        return dense
    sparse = _load(SPARSE_FILES[kind], kind)
    fcu = _load(FCU_FILES.get(kind), kind)

    def generate(p):
        from fpga_sdf.model.spec import sparse_engine

        from .fcu import is_fcu
        if p.spec is not None and sparse_engine(p.spec):
            return sparse(p)
        return fcu(p) if fcu is not None and is_fcu(p.spec) else dense(p)
    return generate


def _load(name: str | None, kind: str) -> Callable | None:
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
