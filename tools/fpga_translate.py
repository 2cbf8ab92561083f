"""fpga-translate: translate sdf IR to other formats, like mlir-translate.

    fpga-translate --sdf-to-hls model.mlir -o DIR [--platform NAME]
    fpga-translate --sdf-to-rtl model.mlir -o DIR [--platform NAME]

`--sdf-to-hls` takes folded and quantized layer-level sdf IR (after --sdf-quantize, and
--sdf-fold / --sdf-partition / --dse if wanted) and writes a Vitis HLS project directory:
one HLS project per partition with a C++ testbench, `make csim`, Tcl scripts for Vitis HLS
and Vivado, and the host schedule (schedule.json).

`--sdf-to-rtl` takes the same input and writes SystemVerilog generated with PyCDE (CIRCT) from
the module level (it runs --sdf-expand-modules itself): one top per partition with AXI-Stream
ports, filelist.f, vivado.tcl and rtl.json, simulated by `fpga-run DIR --backend rtl`.

The directory is replaced atomically: a refused input (diagnostics, exit 1) leaves an
existing directory untouched.
"""

from __future__ import annotations

import argparse
import os
import sys

from fpga_sdf import ir as sdf_ir
from fpga_sdf import weights
from fpga_sdf.cli import read_input, run_tool
from fpga_sdf.diagnostics import UserError

TRANSLATIONS = ("sdf-to-hls", "sdf-to-rtl")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fpga-translate", description=__doc__.strip().splitlines()[0],
                                allow_abbrev=False)
    p.add_argument("input", nargs="?", default="-", help="sdf IR file (.mlir) or - for stdin")
    p.add_argument("--sdf-to-hls", dest="translation", action="store_const", const="sdf-to-hls",
                   help="emit a Vitis HLS project directory (needs -o DIR)")
    p.add_argument("--sdf-to-rtl", dest="translation", action="store_const", const="sdf-to-rtl",
                   help="emit SystemVerilog (PyCDE/CIRCT) of the module level, one top per partition (needs -o DIR)")
    p.add_argument("-o", "--output", help="output directory")
    p.add_argument("--platform", help="board for the Tcl scripts (default: the module's sdf.target)")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    return p


def main(argv: list[str] | None = None) -> int:
    return run_tool("fpga-translate", build_parser(), _run, argv)


def _run(args) -> int:
    if args.translation is None:
        raise UserError(f"choose a translation: {', '.join('--' + t for t in TRANSLATIONS)}")
    if not args.output:
        raise UserError(f"--{args.translation} writes a directory: give it with -o DIR")
    from fpga_sdf.cli import check_replaceable

    if args.translation == "sdf-to-rtl":
        from fpga_sdf.backend.rtl.emit import emit, write_project
    else:
        from fpga_sdf.backend.hls.emit import emit, write_project
    check_replaceable(args.output, "fpga-translate")  # refuse before doing the work

    name = "<stdin>" if args.input == "-" else args.input
    if args.input != "-":
        weights.add_search_dir(os.path.dirname(os.path.abspath(args.input)))
    module = sdf_ir.parse(read_input(args.input), name)
    project = emit(module, source=name, platform=args.platform)
    if getattr(project, "warning", None):
        print(f"fpga-translate: warning: {project.warning}", file=sys.stderr)
    write_project(project, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
