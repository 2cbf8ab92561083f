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
import sys

from fpga_sdf.cli import run_tool
from fpga_sdf.diagnostics import UserError
from fpga_sdf.frontend import sources
from fpga_sdf.frontend.importer import EMITS, WEIGHT_MODES, sidecar_name


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
    p.add_argument("--list-ops", action="store_true",
                   help="list the operations the sdf conversion supports, by family, and exit")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    return p


def main(argv: list[str] | None = None) -> int:
    return run_tool("fpga-import", build_parser(), _run, argv)


def _run(args) -> int:
    if args.list_ops:
        from fpga_sdf.passes.convert_torch_to_sdf import supported_ops

        print("Operations the sdf conversion supports (PyTorch's aten names; ONNX operators are")
        print("lowered to these by torch-mlir first):")
        for family in supported_ops():
            name, _, ops = family.partition(": ")
            print(f"  {name}:\n    {ops}")
        return 0
    if bool(args.model) == bool(args.zoo):
        raise UserError("give either a MODEL file or --zoo NAME (see fpga-import --help)")
    if args.emit == "torch" and args.weights == "sidecar":
        raise UserError("--weights=sidecar applies to --emit=sdf only (the torch dialect keeps its constants)")
    weights = "inline" if args.emit == "torch" else args.weights
    result = sources.load(args.model, args.zoo, args.func_name, emit=args.emit, weights=weights,
                          sidecar=sidecar_name(args.output), full=True)
    result.write(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
