"""--sdf-fragment-weights: AutoWS memory fragmentation, weights partly streamed from off-chip.

Each MAC unit's weights memory of depth M is cut into n fragments of u_on words kept on chip
and u_off words streamed from off-chip memory every time the memory is cycled (once per
output pixel), M = n (u_on + u_off) (seed 000, eq. 2). The decision is the layer attribute
`weights_fragments = array<i64: n, u_on, u_off>`; it implies `weights_off_chip = u_off /
(u_on + u_off)`, which this pass therefore removes where it sets fragments.

Two ways to decide: by hand for one layer (`layer=NAME n=.. u_on=.. u_off=..`), or
automatically for every partition under an on-chip memory budget (`budget=F`, a fraction of
the board's BRAM and URAM bits) by AutoWS's greedy allocation of off-chip bandwidth
(`fpga_sdf.dse.fragments`, which the DSE's weights placement uses too).
"""

from dataclasses import dataclass, field, replace

from fpga_sdf import network, target
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.dialects.sdf_attrs import set_ints
from fpga_sdf.dse.fragments import BRAM18_BITS, URAM_BITS, greedy_fragments, memory_bits  # noqa: F401 (re-exported)
from fpga_sdf.model.spec import WEIGHT_KINDS
from fpga_sdf.model.weights_memory import FRAGMENT_WORDS, geometry
from fpga_sdf.pass_registry import Pass, register


@register
@dataclass(frozen=True)
class SdfFragmentWeights(Pass):
    """Stream part of the weights from off-chip (AutoWS fragments): by hand per layer, or greedily under a memory budget."""

    name = "sdf-fragment-weights"
    layer: str = field(default="", metadata={"help": "the layer to fragment by hand (with n, u_on, u_off)"})
    n: int = field(default=0, metadata={"help": "fragments per MAC unit's weights memory"})
    u_on: int = field(default=-1, metadata={"help": "words per fragment kept on chip"})
    u_off: int = field(default=-1, metadata={"help": "words per fragment streamed from off-chip memory"})
    budget: float = field(default=0.0, metadata={
        "help": "automatic: fraction of the board's on-chip memory bits (BRAM + URAM) each partition may use"})
    steps: int = field(default=FRAGMENT_WORDS, metadata={"help": "automatic: words per fragment (its resolution), at least"})

    def run(self, module, diag: Diagnostics) -> None:
        network.require_layer_level(module, self.name)
        by_hand = self.layer or self.n or self.u_on >= 0 or self.u_off >= 0
        if by_hand and self.budget:
            raise UserError(f"--{self.name}: give layer=NAME n=.. u_on=.. u_off=.. or budget=F, not both")
        if by_hand:
            self._by_hand(module, diag)
        elif self.budget > 0:
            self._greedy(module, diag)
        else:
            raise UserError(f"--{self.name}: needs layer=NAME n=.. u_on=.. u_off=.. or budget=F (0 < F)")

    def _by_hand(self, module, diag: Diagnostics) -> None:
        if not self.layer or self.n < 1 or self.u_on < 0 or self.u_off < 0 or self.u_on + self.u_off < 1:
            raise UserError(f"--{self.name}: by hand needs layer=NAME, n >= 1, u_on >= 0, u_off >= 0 "
                            "and u_on + u_off >= 1")
        named = dict(network.named_layers(module))
        if self.layer not in named:
            raise UserError(f"--{self.name}: no layer named '{self.layer}' here (layers: {', '.join(named)})")
        op = named[self.layer]
        spec = network.layer_spec(self.layer, op)
        if spec.kind not in WEIGHT_KINDS:
            diag.error(op, f"weights_fragments only applies to conv and inner_product, not {spec.kind}")
            return
        depth = geometry(spec).depth
        if self.n * (self.u_on + self.u_off) != depth:
            diag.error(op, f"n * (u_on + u_off) = {self.n * (self.u_on + self.u_off)} words, but each MAC "
                           f"unit's weights memory holds {depth} at this folding")
            return
        _write(op, (self.n, self.u_on, self.u_off))

    def _greedy(self, module, diag: Diagnostics) -> None:
        if self.steps < 1:
            raise UserError(f"--{self.name}: steps must be at least 1, got {self.steps}")
        platform = target.read(module, self.name).platform
        budget = self.budget * (platform.bram18 * BRAM18_BITS + platform.uram * URAM_BITS)
        ops = dict(network.named_layers(module))
        for index, part in enumerate(network.model_partitions(module, needed_by=self.name)):
            plan = greedy_fragments(part.layers, part.edges, platform, budget, self.steps)
            if plan is None:
                diag.error(ops[part.layers[0].name],
                           f"partition {index} needs more than {self.budget:g} of the on-chip memory even "
                           "with every weight that can stream off chip: raise budget, fold or partition")
                continue
            for spec in part.layers:
                if spec.kind in WEIGHT_KINDS:
                    _write(ops[spec.name], plan.get(spec.name))


def _write(op, fragments) -> None:
    """Set (or, for None, remove) the layer's fragments; they imply weights_off_chip."""
    attrs = op.operation.attributes
    if "weights_off_chip" in attrs:
        del attrs["weights_off_chip"]
    if fragments:
        set_ints(op, "weights_fragments", fragments)
    elif "weights_fragments" in attrs:
        del attrs["weights_fragments"]
