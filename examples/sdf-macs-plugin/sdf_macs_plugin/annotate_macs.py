"""--sdf-annotate-macs: write each conv / inner product's multiply-accumulates per frame.

A complete out-of-tree pass: a frozen dataclass with a name, a one-line summary (the
docstring), typed options, and `run`, which reads the IR, writes attributes and reports
user errors as diagnostics at op locations.
"""

from dataclasses import dataclass, field
from math import prod

from fpga_sdf import ir as sdf_ir
from fpga_sdf.dialects.sdf_attrs import set_int, shape
from fpga_sdf.pass_registry import Pass, register


@register
@dataclass(frozen=True)
class AnnotateMacs(Pass):
    """Annotate conv and inner-product layers with their MACs per frame (`macs`)."""

    name = "sdf-annotate-macs"
    limit: int = field(default=0, metadata={"help": "report an error for layers above this many MACs (0: no limit)"})

    def run(self, module, diag) -> None:
        for op in sdf_ir.walk(module):
            if op.operation.name not in ("sdf.conv", "sdf.inner_product"):
                continue
            out = shape(op.operation.results[0])
            weights = shape(op.operation.operands[1])
            # Every output value needs one MAC per weight of its filter.
            macs = prod(out[1:]) * prod(weights[1:])
            set_int(op, "macs", macs)
            if self.limit and macs > self.limit:
                diag.error(op, f"layer needs {macs} MACs per frame, above the limit of {self.limit}")
