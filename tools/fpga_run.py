"""fpga-run: execute sdf IR on numpy inputs with the reference executor.

    fpga-run model.mlir --input x.npy -o y.npy [--mode float|fixed] [--func NAME]
    fpga-run DIR --backend csim --input x.npy -o y.npy
    fpga-run DIR --backend rtl --input x.npy -o y.npy [--stats stats.json]

Float mode is the network's float semantics; fixed mode is the bit-exact arithmetic of the
quantized hardware (needs --sdf-quantize first), the oracle of every backend.

`--backend csim` runs a project directory written by `fpga-translate --sdf-to-hls`: it builds
every partition's C-simulation binary (`make build`, cached) and runs the partitions in the
order of schedule.json, quantizing the input with the network's input format and
dequantizing the output, so it takes and returns the same arrays as `--mode fixed`.

`--backend rtl` runs a directory written by `fpga-translate --sdf-to-rtl` the same way through
a cycle-accurate Verilator simulation of every partition; `--stats` writes the measured cycles
per frame (per partition and per layer) and of the whole batch beside the model's figures.
"""

from __future__ import annotations

import argparse
import io
import os
import sys

import numpy as np

from fpga_sdf import ir as sdf_ir
from fpga_sdf import weights
from fpga_sdf.cli import read_input, run_tool, write_outputs
from fpga_sdf.diagnostics import UserError
from fpga_sdf.interp.executor import MODES, execute


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fpga-run", description=__doc__.strip().splitlines()[0], allow_abbrev=False)
    p.add_argument("model", help="sdf IR file (.mlir) or - for stdin")
    p.add_argument("--input", "-i", action="append", required=True, help="input array (.npy, batch first); repeat per input")
    p.add_argument("-o", "--output", action="append", help="where to write each output (.npy); default: print a summary")
    p.add_argument("--mode", choices=MODES, default="float", help="float semantics or bit-exact fixed point")
    p.add_argument("--func", help="function to run (default: the first)")
    p.add_argument("--backend", choices=("reference", "csim", "rtl"), default=None,
                   help="reference executor (default for .mlir), C-simulation of an --sdf-to-hls project "
                        "directory, or Verilator simulation of an --sdf-to-rtl directory (a directory's default: "
                        "what it holds)")
    p.add_argument("--stats", help="with --backend rtl: write measured and modelled cycles here (JSON)")
    p.add_argument("--stall-cycles", type=int, default=None,
                   help="with --backend rtl: stop with an error when no stream moves for this many cycles")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks of internal errors")
    return p


def main(argv: list[str] | None = None) -> int:
    return run_tool("fpga-run", build_parser(), _run, argv)


def _run(args) -> int:
    backend = args.backend or _directory_backend(args.model)
    if args.stats and backend != "rtl":
        raise UserError("--stats needs --backend rtl (cycles are measured by the RTL simulation)")
    if backend == "rtl":
        return _run_rtl(args)
    if backend == "csim":
        return _run_csim(args)
    if os.path.isdir(args.model):
        raise UserError(f"'{args.model}' is a directory: use --backend csim for an fpga-translate project")
    if args.model != "-":
        weights.add_search_dir(os.path.dirname(os.path.abspath(args.model)))
    module = sdf_ir.parse(read_input(args.model), "<stdin>" if args.model == "-" else args.model)
    inputs = [_load(path) for path in args.input]
    outputs = execute(module, inputs, args.mode, args.func)
    if args.output:
        if len(args.output) != len(outputs):
            raise UserError(f"the network has {len(outputs)} outputs, {len(args.output)} -o files given")
        _save(args.output, outputs)
    else:
        for i, y in enumerate(outputs):
            print(f"output #{i}: shape {y.shape}, argmax {np.argmax(y.reshape(y.shape[0], -1), axis=1).tolist()}")
    return 0


def _run_csim(args) -> int:
    from fpga_sdf.backend.hls import project

    if not project.is_project(args.model):
        raise UserError(f"--backend csim needs a project directory written by fpga-translate --sdf-to-hls, "
                        f"got '{args.model}'")
    if len(args.input) != 1:
        raise UserError(f"the network takes 1 input, {len(args.input)} given")
    x = _load(args.input[0])
    project.build(args.model)
    y = project.run(args.model, x)
    if args.output:
        if len(args.output) != 1:
            raise UserError(f"the network has 1 output, {len(args.output)} -o files given")
        _save(args.output, [y])
    else:
        print(f"output #0: shape {y.shape}, argmax {np.argmax(y.reshape(y.shape[0], -1), axis=1).tolist()}")
    return 0


def _directory_backend(model: str) -> str:
    if model == "-" or not os.path.isdir(model):
        return "reference"
    return "rtl" if os.path.isfile(os.path.join(model, "rtl.json")) else "csim"


def _run_rtl(args) -> int:
    import json

    from fpga_sdf.backend.rtl import sim

    if not sim.is_project(args.model):
        raise UserError(f"--backend rtl needs a directory written by fpga-translate --sdf-to-rtl, got '{args.model}'")
    if len(args.input) != 1:
        raise UserError(f"the network takes 1 input, {len(args.input)} given")
    if args.output and len(args.output) != 1:
        raise UserError(f"the network has 1 output, {len(args.output)} -o files given")
    if args.stall_cycles is not None and args.stall_cycles < 1:
        raise UserError(f"--stall-cycles must be at least 1, got {args.stall_cycles}")
    x = _load(args.input[0])
    y, stats = sim.run(args.model, x, args.stall_cycles)
    files = {}
    if args.output:
        buffer = io.BytesIO()
        np.save(buffer, y)
        files[args.output[0]] = buffer.getvalue()
    if args.stats:
        files[args.stats] = (json.dumps(stats, indent=2) + "\n").encode()
    if files:
        write_outputs(files)
    if not args.output:
        print(f"output #0: shape {y.shape}, argmax {np.argmax(y.reshape(y.shape[0], -1), axis=1).tolist()}")
    for part in stats["partitions"]:
        print(f"partition {part['index']}: {part['cycles_per_frame']:.0f} cycles/frame measured, "
              f"{part['model_cycles_per_frame']} modelled; batch {part['batch_cycles']} cycles "
              f"(model {part['model_batch_cycles']})", file=sys.stderr)
    return 0


def _load(path: str) -> np.ndarray:
    from fpga_sdf.arrays import load_array

    return load_array(path, "input array")


def _save(paths: list[str], arrays: list[np.ndarray]) -> None:
    """Write every output or none (a bad second path must not cost the first file)."""
    files = {}
    for path, y in zip(paths, arrays):
        buffer = io.BytesIO()
        np.save(buffer, y)
        files[path] = buffer.getvalue()
    write_outputs(files)


if __name__ == "__main__":
    sys.exit(main())
