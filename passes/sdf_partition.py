"""--sdf-partition: cut the network into partitions, one FPGA configuration each.

Partitions run one after another over the batch, with feature maps written back to off-chip
memory between them (fpgaConvNet transformation 3). `cuts` names the layers after which the
network is cut: after any layer but the last, inside a residual block too, where every
tensor live across the cut (the skip tensor as well) becomes a result of the partition
before it and an input of the partition reading it (see `fpga_sdf.partitioning`); tensors
of different shapes (a bottleneck's main stream and skip) go in different operand groups.
"""

from dataclasses import dataclass, field

from fpga_sdf import network
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.layer_selection import select
from fpga_sdf.partitioning import apply_cuts, cut_points, unpartition
from fpga_sdf.pass_registry import Pass, register


@register
@dataclass(frozen=True)
class SdfPartition(Pass):
    """Cut the network after the named layers into sdf.partition regions (cuts=none: one)."""

    name = "sdf-partition"
    cuts: str = field(default="", metadata={"help": "comma-separated layer names to cut after, or none"})

    def run(self, module, diag: Diagnostics) -> None:
        if not self.cuts:
            raise UserError("--sdf-partition: needs cuts=LAYER[,LAYER...] (or cuts=none)")
        unpartition(module)
        if self.cuts == "none":
            return
        funcs = network.functions(module)
        if len(funcs) != 1:
            raise UserError(f"--sdf-partition: needs a module with one function, found {len(funcs)}")
        named = network.named_layers(module)
        stage = {op.operation: i for i, (_, op) in enumerate(named)}
        legal = set(cut_points(funcs[0]))
        indices = []
        for name, op in select(module, self.cuts, self.name):
            if stage[op.operation] not in legal:
                diag.error(op, f"cannot cut after '{name}': it is the last layer, no partition would follow")
                continue
            indices.append(stage[op.operation])
        if not diag.errors:
            apply_cuts(module, indices)
