"""--sdf-evict: move skip-connection FIFOs to off-chip memory (SMOF eviction).

Where a residual or dense block joins its branches, the early branch waits in a FIFO that
can take more BRAM than the layers around it. Evicted, that stream is written to off-chip
memory and read back when the join needs it: the FIFO becomes two 4 KB burst buffers and
the partition's off-chip traffic grows by 2 x the tensor per frame, which slows the whole
pipeline once it exceeds the board's bandwidth. The decision is the join's attribute
`evicted = array<i64: ...>` (operand indices), hand-editable like any other.

Two ways to decide: by hand (`edges=JOIN:OPERAND,...`: exactly these inputs are evicted,
`edges=none` evicts nothing), or greedily for every partition under a BRAM budget
(`budget=F`, a fraction of the board's BRAM18; needs --sdf-target): while the partition is
over budget, evict the input that frees the most BRAM per bit of traffic it adds. `--dse`
decides evictions itself (`dse/evict.py` fold_evicting: where BRAM binds it refolds with the
greedy's evictions and keeps the cheaper design); this pass fixes them by hand or by budget.
"""

from dataclasses import dataclass, field

from fpga_sdf import network, target
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.dialects.sdf_attrs import set_ints
from fpga_sdf.dse.evict import greedy_evictions
from fpga_sdf.pass_registry import Pass, register

ATTR = "evicted"


@register
@dataclass(frozen=True)
class SdfEvict(Pass):
    """Move skip-connection FIFOs to off-chip memory (SMOF eviction): by hand, or greedily under a BRAM budget (--dse also evicts where BRAM binds). The HLS backend emits a writer and a reader through a DDR ring, the RTL backend an AXI-Stream port pair for the host's DMA."""

    name = "sdf-evict"
    edges: str = field(default="", metadata={
        "help": "by hand: comma-separated JOIN:OPERAND inputs to evict (e.g. add1:1), or none"})
    budget: float = field(default=0.0, metadata={
        "help": "greedy: fraction of the board's BRAM18 each partition may use (needs --sdf-target)"})

    def run(self, module, diag: Diagnostics) -> None:
        network.require_layer_level(module, self.name)
        if self.edges and self.budget:
            raise UserError(f"--{self.name}: give edges=JOIN:OPERAND,... or budget=F, not both")
        if self.edges:
            self._by_hand(module, diag)
        elif self.budget > 0:
            self._greedy(module, diag)
        else:
            raise UserError(f"--{self.name}: needs edges=JOIN:OPERAND,... (or none) or budget=F (0 < F)")

    def _by_hand(self, module, diag: Diagnostics) -> None:
        named = dict(network.named_layers(module))
        wanted: dict[str, list[int]] = {}
        if self.edges.strip() != "none":
            for item in filter(None, (w.strip() for w in self.edges.split(","))):
                layer, colon, index = item.rpartition(":")
                if not colon or not layer or not index.isdigit():
                    raise UserError(f"--{self.name}: '{item}' is not JOIN:OPERAND (a layer name and an operand index)")
                if layer not in named:
                    raise UserError(f"--{self.name}: no layer named '{layer}' here (layers: {', '.join(named)})")
                wanted.setdefault(layer, []).append(int(index))
        # the verifier checks what is written (a join, existing operands written on chip)
        for name, op in named.items():
            _write(op, tuple(sorted(set(wanted.get(name, ())))))

    def _greedy(self, module, diag: Diagnostics) -> None:
        if self.budget > 1:
            raise UserError(f"--{self.name}: budget is a fraction of the board's BRAM18, at most 1, got {self.budget:g}")
        tgt = target.read(module, self.name)
        budget = self.budget * tgt.platform.bram18
        ops = dict(network.named_layers(module))
        for index, part in enumerate(network.model_partitions(module, needed_by=self.name)):
            plan = greedy_evictions(part.layers, part.edges, tgt.platform, budget, tgt.clock_mhz)
            if not plan.fits:
                diag.error(ops[part.layers[0].name],
                           f"partition {index} needs {plan.bram18} BRAM18 even with every skip FIFO that "
                           f"saves BRAM evicted, more than {self.budget:g} of the board's {tgt.platform.bram18}: "
                           "raise budget, fold or partition")
                continue
            for spec in plan.layers:
                _write(ops[spec.name], spec.evicted)
            for e in plan.evictions:
                diag.remark(ops[e.edge[1]], f"evicted operand #{e.operand} (from {e.edge[0]}): saves "
                                            f"{e.bram18_saved} BRAM18, adds {e.bits_per_frame} bits per frame "
                                            "of off-chip traffic")


def _write(op, indices) -> None:
    """Set (or, for none, remove) the join's evicted operands."""
    if indices:
        set_ints(op, ATTR, indices)
    elif ATTR in op.operation.attributes:
        del op.operation.attributes[ATTR]
