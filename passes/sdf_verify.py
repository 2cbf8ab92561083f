"""--sdf-verify: whole-network checks on top of the per-op verifier MLIR runs on every parse."""

from dataclasses import dataclass

from torch_mlir import ir

from fpga_sdf import ir as sdf_ir
from fpga_sdf.diagnostics import Diagnostics
from fpga_sdf.dialects import sdf
from fpga_sdf.pass_registry import Pass, register


@register
@dataclass(frozen=True)
class SdfVerify(Pass):
    """Check sdf IR beyond single ops: partition isolation and fixed-point completeness."""

    name = "sdf-verify"

    def run(self, module, diag: Diagnostics) -> None:
        sdf_ir.verify(module)
        for partition in sdf_ir.walk(module, "sdf.partition"):
            _check_isolated(partition, diag)
        _check_formats(module, diag)


def _check_isolated(partition, diag: Diagnostics) -> None:
    """A partition is loaded alone: only its input stream and weights may cross into it."""
    inside = {op.operation for op in sdf_ir.walk(partition)}
    for op in sdf_ir.walk(partition):
        for value in op.operation.operands:
            owner = value.owner
            if isinstance(owner, ir.Block):  # the partition input
                continue
            if owner in inside or owner.name == "sdf.weights":
                continue
            diag.error(op, f"uses a stream produced outside its partition by '{owner.name}'; "
                           "partitions may only read their input and weights")


def _check_formats(module, diag: Diagnostics) -> None:
    """Quantization is all or nothing: once one layer has a format, all need one."""
    layers = [op for op in sdf_ir.walk(module) if op.operation.name in sdf.LAYER_KINDS]
    with_format = [op for op in layers if "output_format" in op.operation.attributes]
    if not with_format or len(with_format) == len(layers):
        return
    for op in layers:
        if "output_format" not in op.operation.attributes:
            diag.error(op, "has no 'output_format' while other layers are quantized")
