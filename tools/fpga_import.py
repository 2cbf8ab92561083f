"""fpga-import: bring a PyTorch or ONNX CNN into MLIR (sdf layer ops, or the torch dialect).

    fpga-import model.onnx -o model.mlir
    fpga-import my_net.py[:FUNC] -o model.mlir      # FUNC (default build) returns (nn.Module, example_input)
    fpga-import --zoo resnet18 -o resnet18.mlir [--emit=sdf|torch] [--weights=auto|inline|sidecar]

With sidecar weights (auto: above 4 MB) the parameters go to NAME.weights.npz next to the
output, referenced by `sdf.weights {file, key}`. Both files are written atomically, and only
when the whole import succeeded. Unsupported layers are errors at their source line.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import sys

from fpga_sdf.cli import run_tool
from fpga_sdf.diagnostics import UserError
from fpga_sdf.frontend.importer import EMITS, WEIGHT_MODES, import_model, import_onnx, sidecar_name


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fpga-import", description=__doc__.strip().splitlines()[0], allow_abbrev=False)
    p.add_argument("model", nargs="?", help="an .onnx file, or a Python file path.py[:FUNC] whose FUNC "
                                            "(default build) returns (nn.Module, example_input)")
    p.add_argument("--zoo", metavar="NAME", help="a model of the built-in zoo instead of MODEL")
    p.add_argument("-o", "--output", default="-", help="output .mlir file (default: stdout)")
    p.add_argument("--emit", choices=EMITS, default="sdf", help="sdf (default) or stop at the torch dialect")
    p.add_argument("--weights", choices=WEIGHT_MODES, default="auto",
                   help="inline dense<...>, a sidecar .npz, or auto: sidecar above 4 MB (default)")
    p.add_argument("--func-name", help="name of the output function (default: from the model)")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    return p


def main(argv: list[str] | None = None) -> int:
    return run_tool("fpga-import", build_parser(), _run, argv)


def _run(args) -> int:
    if bool(args.model) == bool(args.zoo):
        raise UserError("give either a MODEL file or --zoo NAME (see fpga-import --help)")
    if args.emit == "torch" and args.weights == "sidecar":
        raise UserError("--weights=sidecar applies to --emit=sdf only (the torch dialect keeps its constants)")
    sidecar = sidecar_name(args.output)
    weights = "inline" if args.emit == "torch" else args.weights
    options = dict(emit=args.emit, weights=weights, sidecar=sidecar, full=True)
    if args.zoo:
        result = _import_zoo(args.zoo, args.func_name, options)
    elif args.model.endswith(".onnx"):
        if not os.path.exists(args.model):
            raise UserError(f"cannot open input file '{args.model}': No such file or directory")
        result = import_onnx(args.model, **options)
        _rename(result.module, args.func_name or _identifier(os.path.basename(args.model)[:-5]))
    else:
        model, example, default_name = _load_python(args.model)
        result = import_model(model, example, func_name=args.func_name or default_name, **options)
    result.write(args.output)
    return 0


def _import_zoo(name: str, func_name: str | None, options: dict):
    from fpga_sdf.frontend import zoo

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
    except Exception as err:  # noqa: BLE001 - the user's code failed: say where, no traceback
        raise UserError(_user_code_error(path, err)) from None
    finally:
        sys.path.remove(os.path.dirname(os.path.abspath(path)))
    if not (isinstance(built, tuple) and len(built) == 2):
        raise UserError(f"{path}: {func}() must return (nn.Module, example_input), got {type(built).__name__}")
    return built[0], built[1], _identifier(os.path.basename(path)[:-3])


def _user_code_error(path: str, err: Exception):
    """A diagnostic at the innermost line of the user's file in the traceback."""
    import traceback

    from fpga_sdf.diagnostics import Diagnostic

    frames = [f for f in traceback.extract_tb(err.__traceback__) if os.path.abspath(f.filename) == os.path.abspath(path)]
    message = f"running the model file failed: {type(err).__name__}: {err}"
    if frames:
        return Diagnostic("error", message, path, frames[-1].lineno, 0)
    return Diagnostic("error", message, where=path)


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    return name if name and not name[0].isdigit() else f"m_{name}"


def _rename(module, name: str) -> None:
    from torch_mlir import ir

    from fpga_sdf import ir as sdf_ir
    from fpga_sdf.network import functions

    funcs = functions(module)
    if len(funcs) == 1:
        with sdf_ir.context():
            funcs[0].operation.attributes["sym_name"] = ir.StringAttr.get(name)


if __name__ == "__main__":
    sys.exit(main())
