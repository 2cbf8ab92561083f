"""fpga-synth: synthesise an RTL project with yosys and put the resources beside the model's.

    fpga-synth rtl/ [--design design.mlir] [--family 7series|ultrascale+] [-o synth.json]

Every generated module of a directory written by `fpga-translate --sdf-to-rtl`, and every layer
as one block (its modules wired as in the partition top, plus the FIFOs on the streams into
it), goes through `yosys synth_xilinx -family <xc7|xcup>` (the platform's family unless --family):
DSP, BRAM18 units (a BRAM36 is two; the split is in synth.json), URAM, LUT and FF are printed
next to the model's figures and written to synth.json (default: rtl/synth.json). Syntheses
are cached on the SystemVerilog text.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fpga_sdf.cli import run_tool
from fpga_sdf.diagnostics import UserError

COLUMNS = (("dsp", "dsp"), ("bram18", "bram18_units"), ("uram", "uram"), ("lut", "lut"), ("ff", "ff"))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fpga-synth", description=__doc__.strip().splitlines()[0], allow_abbrev=False)
    p.add_argument("rtl", help="project directory written by fpga-translate --sdf-to-rtl")
    p.add_argument("--design", help="the sdf IR the project was written from (default: rtl.json's source)")
    p.add_argument("--family", choices=("7series", "ultrascale+"), help="device family (default: the platform's)")
    p.add_argument("-o", "--output", help="where to write synth.json (default: RTL/synth.json)")
    p.add_argument("--no-cache", action="store_true", help="synthesise again even when cached")
    p.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    return p


def table(report: dict) -> str:
    """Modules then layers: yosys / model per resource."""
    head = f"{'':44s}" + "".join(f"{name:>16s}" for name, _ in COLUMNS)
    lines = [f"yosys {report['yosys_family']} ({report['platform']}) vs model: yosys / model", head]

    def row(label, got, model):
        cells = []
        for name, key in COLUMNS:
            m = "-" if model is None else str(model[name])
            cells.append(f"{got[key]:>8d} /{m:>6s}")
        return f"{label[:44]:44s}" + "".join(cells)
    for m in report["modules"]:
        lines.append(row(m["module"], m["yosys"], m["model"]))
    if report["layers"]:
        lines += ["", "layers (sum of their modules)"]
        for layer in report["layers"]:
            lines.append(row(layer["layer"], layer["yosys_sum"], layer["model"]))
        lines += ["", "layers (each synthesised as one block, with the FIFOs into it)"]
        for layer in report["layers"]:
            lines.append(row(layer["layer"], layer["yosys"], layer["model"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return run_tool("fpga-synth", build_parser(), _run, argv)


def _run(args) -> int:
    from fpga_sdf.backend.rtl import synth

    rtl = Path(args.rtl)
    if not (rtl / "rtl.json").is_file():
        raise UserError(f"{rtl} is not an RTL project (no rtl.json; write one with fpga-translate --sdf-to-rtl)")
    try:
        synth.yosys_version()
    except RuntimeError as err:
        raise UserError(str(err)) from None
    report = synth.synthesise_project(rtl, design=args.design, family=args.family, cache=not args.no_cache)
    report["command"] = " ".join(["fpga-synth", str(rtl)] + (["--design", args.design] if args.design else [])
                                 + (["--family", args.family] if args.family else []))
    out = Path(args.output) if args.output else rtl / "synth.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(report))
    if report["design"] is None:
        print("fpga-synth: no design found (rtl.json's source): model figures left out; pass --design", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
