"""--sdf-weights-reloading: fold a layer's filters over time, reloading weights from off-chip.

A layer with wr_factor = N keeps 1/N of its filters on chip; its partition runs N times over
the batch, loading the next share of weights each time. That trades latency for on-chip
memory, for networks whose weights do not fit (fpgaConvNet transformation 4). Each run's
share of filters lands in its channels of the off-chip tensor, so the layer's output must
leave its partition (any layer's, not only the last: a cut inside a residual block gives a
block's first conv that, see --sdf-partition); a layer whose output is read inside its
partition gets a warning, since the layer reading it would need every channel at once.
"""

from dataclasses import dataclass, field, replace

from fpga_sdf import network
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.dialects import sdf
from fpga_sdf.dialects.sdf_attrs import set_int
from fpga_sdf.layer_selection import factor_value, select
from fpga_sdf.model import folding_choices
from fpga_sdf.pass_registry import Pass, register


@register
@dataclass(frozen=True)
class SdfWeightsReloading(Pass):
    """Set the weights-reloading factor of conv / inner-product layers (a value, min or max)."""

    name = "sdf-weights-reloading"
    factor: str = field(default="", metadata={"help": "min (1), max, or a divisor of the filters per group"})
    layers: str = field(default="", metadata={"help": "comma-separated layer names (default: all conv and inner_product)"})

    def run(self, module, diag: Diagnostics) -> None:
        if not self.factor:
            raise UserError("--sdf-weights-reloading: needs factor=N (or min/max)")
        for name, op in select(module, self.layers, self.name, kinds=("conv", "inner_product")):
            spec = network.layer_spec(name, op)
            try:
                value = factor_value(self.factor, folding_choices(spec).wr_factor, "wr_factor", spec.kind, self.name)
            except ValueError as err:
                diag.error(op, str(err))
                continue
            # Filters left per run must still split evenly over the output streams.
            spec = replace(spec, wr_factor=value)
            if spec.coarse_out not in folding_choices(spec).coarse_out:
                diag.warning(op, f"coarse_out={spec.coarse_out} does not divide the filters left per run by "
                                 f"wr_factor={value}: coarse_out set to 1")
                set_int(op, "coarse_out", 1)
            set_int(op, "wr_factor", value)
            readers = [use.owner for use in op.operation.results[0].uses]
            inside = [r for r in readers if r.name in sdf.LAYER_KINDS]
            if value > 1 and inside:
                diag.warning(op, f"its output is read by '{inside[0].name}' inside its partition, which needs every "
                                 f"channel at once: cut after this layer (--sdf-partition) so its output leaves "
                                 f"the partition")
