"""Where a network comes from: an ONNX file, a Python file `path.py[:FUNC]`, or the zoo.

Shared by fpga-import and fpga-compile, so both accept the same MODEL forms and report the
same errors (a failing user model file is a diagnostic at its own line, not a traceback).
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys

from ..diagnostics import UserError
from .importer import import_model, import_onnx


def load(model: str | None, zoo_name: str | None, func_name: str | None, **options):
    """Import MODEL (or the zoo network) with `import_model`/`import_onnx` options."""
    if bool(model) == bool(zoo_name):
        raise UserError("give either a MODEL file or --zoo NAME")
    if zoo_name:
        return _import_zoo(zoo_name, func_name, options)
    if model.endswith(".onnx"):
        if not os.path.exists(model):
            raise UserError(f"cannot open input file '{model}': No such file or directory")
        result = import_onnx(model, **options)
        _rename(result.module if hasattr(result, "module") else result,
                func_name or _identifier(os.path.basename(model)[:-5]))
        return result
    network, example, default_name = _load_python(model)
    return import_model(network, example, func_name=func_name or default_name, **options)


def _import_zoo(name: str, func_name: str | None, options: dict):
    from . import zoo

    if name not in zoo.names():
        raise UserError(f"unknown zoo model '{name}' (models: {', '.join(zoo.names())})")
    model, example = zoo.build(name)
    return import_model(model, example, func_name=func_name or name, **options)


def _load_python(spec: str):
    """`path.py[:FUNC]` -> (model, example input, default function name)."""
    path, _, func = spec.partition(":") if not os.path.exists(spec) else (spec, "", "")
    func = func or "build"
    if not path.endswith(".py"):
        raise UserError(f"cannot import '{spec}': expected an .onnx file or a Python file path.py[:FUNC]")
    if not os.path.exists(path):
        raise UserError(f"cannot open input file '{path}': No such file or directory")
    module_name = "_fpga_import_" + _identifier(os.path.basename(path)[:-3])
    loader = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(loader)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        loader.loader.exec_module(module)
        builder = getattr(module, func, None)
        if builder is None:
            raise UserError(f"{path}: no function '{func}' (it should return (nn.Module, example_input))")
        built = builder()
    except UserError:
        raise
    except (Exception, SystemExit) as err:  # noqa: BLE001 - the user's code failed (or exited): say where
        raise UserError(_user_code_error(path, err)) from None
    finally:
        sys.path.remove(os.path.dirname(os.path.abspath(path)))
    if not (isinstance(built, tuple) and len(built) == 2):
        raise UserError(f"{path}: {func}() must return (nn.Module, example_input), got {type(built).__name__}")
    return built[0], built[1], _identifier(os.path.basename(path)[:-3])


def _user_code_error(path: str, err: Exception):
    """A diagnostic at the innermost line of the user's file in the traceback."""
    import traceback

    from ..diagnostics import Diagnostic

    frames = [f for f in traceback.extract_tb(err.__traceback__) if os.path.abspath(f.filename) == os.path.abspath(path)]
    if isinstance(err, SystemExit):
        message = f"the model file exited (sys.exit({err.code!r})) instead of returning (nn.Module, example_input)"
    else:
        message = f"running the model file failed: {type(err).__name__}: {err}"
    if frames:
        return Diagnostic("error", message, path, frames[-1].lineno, 0)
    return Diagnostic("error", message, where=path)


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    return name if name and not name[0].isdigit() else f"m_{name}"


def _rename(module, name: str) -> None:
    from torch_mlir import ir

    from .. import ir as sdf_ir
    from ..network import functions

    funcs = functions(module)
    if len(funcs) == 1:
        with sdf_ir.context():
            funcs[0].operation.attributes["sym_name"] = ir.StringAttr.get(name)


