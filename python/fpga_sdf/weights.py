"""Reading and attaching layer parameters (`sdf.weights` ops).

Small parameters live inline in the IR (`value = dense<...>`); large models keep them in a
sidecar `.npz` next to the IR file (`file`, `key`), so the text stays readable and parsing
stays fast. A relative `file` is relative to the directory of the IR file that holds it (the
working directory for IR read from stdin): the tools add that directory to `search_path`, and
`relocate` rewrites the references when the IR is written into another directory.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache

import numpy as np
from torch_mlir import ir

from .arrays import MAX_VALUES, READ_ERRORS, real_values
from .diagnostics import UserError, at
from .dialects.sdf_attrs import get_str, has

search_path: list[str] = []


def add_search_dir(directory: str) -> None:
    directory = os.path.abspath(directory)
    if directory not in search_path:
        search_path.insert(0, directory)


@lru_cache(maxsize=8)
def _open_npz(path: str, mtime: float):
    return np.load(path, allow_pickle=False)


def _resolve(name: str) -> str | None:
    if os.path.isabs(name):
        return name if os.path.exists(name) else None
    for directory in search_path + [os.getcwd()]:
        candidate = os.path.join(directory, name)
        if os.path.exists(candidate):
            return candidate
    return None


def relocate(module, out_dir: str) -> None:
    """Rewrite every relative sidecar reference of `module` that resolves here so that it is
    relative to `out_dir`, where the IR is about to be written (unresolvable ones are left as
    they are: the pass that needs them reports it)."""
    from .ir import walk

    for op in walk(module, "sdf.weights"):
        if not has(op, "file"):
            continue
        name = get_str(op, "file")
        path = _resolve(name) if name and not os.path.isabs(name) else None
        if path is not None:
            rebased = os.path.relpath(os.path.abspath(path), os.path.abspath(out_dir))
            if rebased != name:
                op.operation.attributes["file"] = ir.StringAttr.get(rebased, context=op.operation.context)


def read(op) -> np.ndarray:
    """The float32 values of an `sdf.weights` op; a sidecar that is missing, corrupt or holds
    other than real finite numbers of the declared shape is an error at the op."""
    elements = math.prod(ir.RankedTensorType(op.operation.results[0].type).shape)
    if elements > MAX_VALUES:
        raise UserError(at(op.location, f"weights of {elements} elements are more than the {MAX_VALUES} "
                                        "the tools hold in memory"))
    if has(op, "value"):
        return np.asarray(op.operation.attributes["value"], dtype=np.float32)
    name, key = get_str(op, "file"), get_str(op, "key")
    path = _resolve(name)
    if path is None:
        raise UserError(at(op.location, f"weights file '{name}' not found (looked in {', '.join(search_path + [os.getcwd()])})"))
    if not os.path.isfile(path):
        raise UserError(at(op.location, f"weights file '{name}' is not a file"))
    try:
        archive = _open_npz(path, os.path.getmtime(path))
    except READ_ERRORS as err:
        raise UserError(at(op.location, f"cannot read weights file '{name}': {err}")) from None
    if not hasattr(archive, "files"):
        raise UserError(at(op.location, f"weights file '{name}' is a single array, not an .npz archive (numpy.savez)"))
    if key not in archive.files:
        raise UserError(at(op.location, f"weights file '{name}' has no array '{key}'"))
    try:
        values = archive[key]
    except READ_ERRORS as err:
        raise UserError(at(op.location, f"cannot read array '{key}' of weights file '{name}': {err}")) from None
    expected = tuple(ir.RankedTensorType(op.operation.results[0].type).shape)
    if values.shape != expected:
        raise UserError(at(op.location, f"array '{key}' in '{name}' has shape {values.shape}, the IR expects {expected}"))
    try:
        return real_values(values, f"array '{key}' in '{name}'")
    except UserError as err:
        raise UserError(at(op.location, err.diagnostics[0].message)) from None


def inline_attr(values: np.ndarray) -> ir.DenseElementsAttr:
    """An inline `dense<...>` attribute for `values` (needs an active context)."""
    return ir.DenseElementsAttr.get(np.ascontiguousarray(values, dtype=np.float32))
