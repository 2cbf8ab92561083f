"""--sdf-report: what the design achieves, per layer, per partition and for the network."""

import json
from dataclasses import dataclass, field

from fpga_sdf.design_report import network_report
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.model import format_table
from fpga_sdf.pass_registry import Pass, register

FORMATS = ("table", "json")


@register
@dataclass(frozen=True)
class SdfReport(Pass):
    """Estimate cycles, fps, latency, GOP/s, resources and power of the design, and for one partition the least latency any folding reaches on the board's DSPs (IR unchanged)."""

    name = "sdf-report"
    format: str = field(default="table", metadata={"help": "table or json"})
    output: str = field(default="", metadata={"help": "file to write (default: stderr, so the IR on stdout stays clean)"})
    pictures: str = field(default="", metadata={"help": "also write PREFIX-diagram.svg, PREFIX-resources.png, PREFIX-roofline.png"})

    def run(self, module, diag: Diagnostics) -> None:
        if self.format not in FORMATS:
            raise UserError(f"--sdf-report: format must be one of {', '.join(FORMATS)}, got '{self.format}'")
        report = network_report(module, "sdf-report")
        text = json.dumps(report, indent=2) + "\n" if self.format == "json" else format_table(report) + "\n"
        if self.pictures:
            from fpga_sdf.design_plots import picture_files

            for path, data in picture_files(report, self.pictures + "-").items():
                diag.file(path, data)
        if self.output:
            diag.file(self.output, text)
        else:
            import sys

            sys.stderr.write(text)
