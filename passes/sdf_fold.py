"""--sdf-fold: set coarse- and fine-grained folding by hand (fpgaConvNet transformations 1 and 2).

Each factor is `min` (fully folded: 1), `max` (fully unrolled), an integer, or empty (leave as
is). With `interval=N` every selected layer instead takes its cheapest folding that processes
a frame within N cycles. Illegal values are errors at the layer, naming the legal ones.
"""

from dataclasses import dataclass, field, replace

from fpga_sdf import network, target
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.dialects.sdf_attrs import set_int, set_str
from fpga_sdf.dse.options import layer_options
from fpga_sdf.layer_selection import factor_value, select
from fpga_sdf.model import check_folding, folding_choices
from fpga_sdf.model.spec import WEIGHT_KINDS
from fpga_sdf.pass_registry import Pass, register

FACTORS = ("coarse_in", "coarse_out", "coarse_group", "fine")


@register
@dataclass(frozen=True)
class SdfFold(Pass):
    """Set coarse_in/coarse_out/coarse_group/fine on layers: min, max, a value, or a target interval."""

    name = "sdf-fold"
    coarse_in: str = field(default="", metadata={"help": "min, max or a value"})
    coarse_out: str = field(default="", metadata={"help": "min, max or a value"})
    coarse_group: str = field(default="", metadata={"help": "min, max or a value"})
    fine: str = field(default="", metadata={"help": "min, max or a value"})
    interval: int = field(default=0, metadata={"help": "cycles per frame every layer must meet (cheapest folding)"})
    layers: str = field(default="", metadata={"help": "comma-separated layer names (default: all)"})

    def run(self, module, diag: Diagnostics) -> None:
        requested = {f: getattr(self, f) for f in FACTORS if getattr(self, f)}
        if not requested and not self.interval:
            raise UserError("--sdf-fold: give at least one of coarse_in, coarse_out, coarse_group, fine, interval")
        selected = select(module, self.layers, self.name)
        if self.interval:
            platform = target.read(module, self.name).platform
        for name, op in selected:
            spec = network.layer_spec(name, op)
            if self.interval:
                spec = self._for_interval(spec, platform, op, diag)
            spec = self._apply(spec, requested, op, diag)
            if spec is None:
                continue
            problems = check_folding(spec)
            for problem in problems:
                diag.error(op, problem)
            if not problems:
                for attr in FACTORS:
                    if attr in ("coarse_in", "coarse_out") or getattr(spec, attr) != 1:
                        set_int(op, attr, getattr(spec, attr))
                if spec.weights_memory != "auto":  # interval= costed this binding: keep it
                    set_str(op, "weights_memory", spec.weights_memory)

    def _for_interval(self, spec, platform, op, diag):
        meeting = [o for o in layer_options(spec, platform, pixels=False) if o.interval <= self.interval]
        if not meeting:
            fastest = layer_options(spec, platform, pixels=False)[0].interval
            diag.error(op, f"cannot meet interval {self.interval}: the fastest folding of this layer takes {fastest} cycles")
            return spec
        return min(meeting, key=lambda o: (o.resources.dsp, o.resources.lut, o.interval)).spec

    def _apply(self, spec, requested, op, diag):
        legal = folding_choices(spec)
        values = {}
        for attr, text in requested.items():
            try:
                values[attr] = factor_value(text, getattr(legal, attr), attr, spec.kind, self.name)
            except ValueError as err:
                diag.error(op, str(err))
                return None
        if spec.kind not in WEIGHT_KINDS:
            # Layers without weights pass streams through: as many out as in.
            coarse = values.get("coarse_in", values.get("coarse_out"))
            if coarse is not None:
                values["coarse_in"] = values["coarse_out"] = coarse
        return replace(spec, **values)
