"""fpga-compile: from a trained network to a design, its report and an HLS project, in one go.

    fpga-compile MODEL|--zoo NAME --platform BOARD [--objective throughput] [--precision w16a16]
                 [--batch N] [--clock MHz] [--calibration data.npy] -o DIR

Imports the network (an .onnx file, path.py[:FUNC], or a zoo model), quantizes it, explores
folding, partitioning and weights reloading for the board, and writes into DIR: model.mlir
(the chosen design as sdf IR, with its weights), report.json / report.txt, pictures of the
design (diagram.svg, resources.png, roofline.png), and hls/ (the
Vitis HLS project, checked by `fpga-run DIR/hls --backend csim`). DIR is replaced only when
every step succeeded. The report table is printed.
"""

from __future__ import annotations

import argparse
import sys

from fpga_sdf.cli import run_tool
from fpga_sdf.flow import CompileOptions, compile_network
from fpga_sdf.diagnostics import UserError
from fpga_sdf.dse.explore import STRATEGIES
from fpga_sdf.dse.problem import OBJECTIVES


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fpga-compile", description=__doc__.strip().splitlines()[0], allow_abbrev=False)
    p.add_argument("model", nargs="?", help="an .onnx file, or path.py[:FUNC] returning (nn.Module, example_input)")
    p.add_argument("--zoo", metavar="NAME", help="a network of the built-in zoo instead of MODEL")
    p.add_argument("--platform", required=True, help="target board (e.g. zc706, zcu102, u250) or a board .json")
    p.add_argument("--objective", choices=OBJECTIVES, default="throughput")
    p.add_argument("--precision", default="w16a16", help="weight and activation bits, e.g. w16a16, w8a8")
    p.add_argument("--batch", type=int, default=1, help="images per run (throughput designs want many)")
    p.add_argument("--clock", type=float, default=0.0, help="MHz (default: the board's)")
    p.add_argument("--budget", type=float, default=0.9, help="fraction of each resource to use")
    p.add_argument("--strategy", choices=STRATEGIES, default="greedy")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds for the exploration")
    p.add_argument("--calibration", default="", help=".npy inputs for quantization ranges (default: the zoo "
                                                     "model's own data, else synthetic with a warning)")
    p.add_argument("--no-hls", dest="emit_hls", action="store_false", help="skip the HLS project")
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    return p


def main(argv: list[str] | None = None) -> int:
    return run_tool("fpga-compile", build_parser(), _run, argv)


def _run(args) -> int:
    if args.batch < 1:
        raise UserError(f"--batch must be at least 1, got {args.batch}")
    options = CompileOptions(
        platform=args.platform, objective=args.objective, precision=args.precision, batch=args.batch,
        clock=args.clock, budget=args.budget, strategy=args.strategy, seed=args.seed,
        time_limit=args.time_limit, calibration=args.calibration, emit_hls=args.emit_hls)
    result = compile_network(args.model, args.zoo, args.output, options)
    for warning in result.warnings:
        print(f"fpga-compile: {warning}", file=sys.stderr)
    print(result.table)
    print(f"\nwrote {args.output}/: model.mlir, report.json, report.txt, diagram.svg, resources.png, roofline.png"
          + (", hls/ (check it with: fpga-run " + args.output + "/hls --input x.npy --backend csim)" if args.emit_hls else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
