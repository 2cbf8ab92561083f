"""The table of HLS generators: `sdf_hw` module kind -> the file that builds its process.

The names are the RTL backend's (backend/rtl/generators.py): each kind of a layer's modules
lives in `<kind>.py` with a `generate(ctx, module)` that adds the module's DATAFLOW process to
the partition and leaves its output in `ctx.cur`. The partition's own processes are in dma.py
(`dma_in` / `dma_out`) and squeeze.py (`generate(part, bundle, lanes, fmt, consumer)`): the
driver calls them between layers.
"""

from __future__ import annotations

import importlib

KINDS = ("sliding_window", "sparse_buffer", "fork", "weights_memory", "conv", "accum", "glue", "bias", "pool",
         "global_pool", "activation", "scale_shift", "eltwise", "concat", "split", "resize")


def generator(kind: str):
    """The generate function of a layer module kind (None for a kind without a file)."""
    if kind not in KINDS:
        return None
    return importlib.import_module(f"{__package__}.{kind}").generate
