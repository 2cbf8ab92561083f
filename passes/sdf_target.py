"""--sdf-target: choose the board, clock and batch size the design is for."""

from dataclasses import dataclass, field

from fpga_sdf import target
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.pass_registry import Pass, register


@register
@dataclass(frozen=True)
class SdfTarget(Pass):
    """Record the target board, clock and batch size as the module attribute sdf.target."""

    name = "sdf-target"
    platform: str = field(default="", metadata={"help": "board name (zc706, zcu102, u250, ...: an unknown name lists them all) or a board JSON file"})
    clock: float = field(default=0.0, metadata={"help": "fabric clock in MHz (0: the board's default)"})
    batch: int = field(default=1, metadata={"help": "images per run: trades latency for throughput"})

    def run(self, module, diag: Diagnostics) -> None:
        if not self.platform:
            raise UserError("--sdf-target: needs platform=NAME")
        target.write(module, target.resolve(self.platform, self.clock, self.batch))
