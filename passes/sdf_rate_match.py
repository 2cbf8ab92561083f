"""--sdf-rate-match: fold every layer for the data rate it receives (seed 004).

`features=J cycles=H`: the network input delivers J features every H cycles (seed 004 writes
the rate J/H). Every layer then has T = input features x H / J cycles per frame, and takes
the (j, h) of `fpga_sdf.dse.rate_match`: the upper Diophantine approximation of its input
rate, j dividing the input channels and h the output channels, fewest multipliers first and
then the largest h; more than one pixel per cycle where the rate demands it, or, on the
module's target (--sdf-target before this pass), where p pixels cost fewer DSPs (two 8-bit
MAC lanes sharing a weight take one DSP). With a target the pass warns when the design does not fit the board (it does not search for
one that does: the DSE does, with `--dse="strategy=rate"`). The decisions
are the ordinary folding attributes (coarse_in, coarse_group, coarse_out, fine, pixels), so
they can be read, edited and reported like any other folding.
"""

from dataclasses import dataclass, field
from math import prod

from fpga_sdf import network, target
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.dialects.sdf_attrs import has, set_int, set_ints, shape
from fpga_sdf.dse.rate_match import choose, frame_cycles
from fpga_sdf.layer_selection import select
from fpga_sdf.model.resources import BOARD_RESOURCES
from fpga_sdf.model.spec import WEIGHT_KINDS
from fpga_sdf.pass_registry import Pass, register


@register
@dataclass(frozen=True)
class SdfRateMatch(Pass):
    """Fold each layer for its data rate: the input delivers `features` every `cycles` cycles."""

    name = "sdf-rate-match"
    features: int = field(default=0, metadata={"help": "J: input features delivered every `cycles` cycles"})
    cycles: int = field(default=1, metadata={"help": "H: the cycles in which `features` arrive (rate J/H)"})
    layers: str = field(default="", metadata={"help": "comma-separated layer names (default: all)"})

    def run(self, module, diag: Diagnostics) -> None:
        if self.features < 1 or self.cycles < 1:
            raise UserError("--sdf-rate-match: needs features=J and cycles=H, both positive "
                            f"(got features={self.features} cycles={self.cycles})")
        frame = frame_cycles(_input_features(module, self.name), self.features, self.cycles)
        # with a target, a layer takes the pixels per cycle that cost the fewest DSPs there
        device = target.read(module, self.name).platform if target.ATTR in module.operation.attributes else None
        for name, op in select(module, self.layers, self.name):
            choice = choose(network.layer_spec(name, op), frame, device)
            spec = choice.spec
            if not choice.meets:
                diag.warning(op, f"no folding of this {spec.kind} layer keeps up with {self.features} features "
                                 f"every {self.cycles} cycles ({float(frame):.0f} cycles per frame); it is "
                                 "folded as wide as it can be")
            set_int(op, "coarse_in", spec.coarse_in)
            set_int(op, "coarse_out", spec.coarse_out)
            if spec.kind == "conv" or has(op, "coarse_group"):
                set_int(op, "coarse_group", spec.coarse_group)
            if spec.kind in WEIGHT_KINDS or spec.kind == "pool" or has(op, "fine"):
                set_int(op, "fine", spec.fine)
            if spec.pixels != (1, 1) or has(op, "pixels"):
                set_ints(op, "pixels", spec.pixels)
        if device is not None:
            _warn_unless_it_fits(module, self.name, diag)


def _warn_unless_it_fits(module, needed_by: str, diag: Diagnostics) -> None:
    """The selection minimises DSPs layer by layer and does not search for a design that
    fits; say so at the function when a partition needs more of a resource than the board has."""
    from fpga_sdf.design_report import network_report

    report = network_report(module, needed_by)
    board = report["platform"]
    for index, part in enumerate(report["partitions"]):
        if part["fits"]:
            continue
        used = part["resources"]
        over = ", ".join(f"{r.upper()} {used[r]:,} of {board[r]:,}" for r in BOARD_RESOURCES if used[r] > board[r])
        diag.warning(network.only_function(module, needed_by),
                     f"the rate-matched design does not fit {board['name']}: partition {index} needs {over}")


def _input_features(module, needed_by: str) -> int:
    """Features per frame the network reads: its arguments that layers stream (not weights)."""
    func = network.only_function(module, needed_by)
    arguments = list(func.operation.regions[0].blocks[0].arguments)
    streamed = [arg for arg in arguments
                if any(arg == v for _, op in network.named_layers(module) for v in network.stream_operands(op))]
    if not streamed:
        raise UserError(f"--{needed_by}: no layer reads a function argument as its input stream")
    return sum(prod(shape(arg)[1:]) for arg in streamed)
