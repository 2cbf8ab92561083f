"""--sdf-evict: move skip-connection FIFOs and sliding windows' delay lines to off-chip
memory (SMOF eviction).

Where a residual or dense block joins its branches, the early branch waits in a FIFO that
can take more BRAM than the layers around it. Evicted, that stream is written to off-chip
memory and read back when the join needs it: the FIFO becomes two 4 KB burst buffers and
the partition's off-chip traffic grows by 2 x the tensor per frame. A sliding window keeps
delay lines of whole slices of its outermost dim (a 3D layer's frame buffers, a 2D layer's
line buffers); evicted, it writes its input to a ring of one frame and each tap that lags
reads it back (model/eviction.py): the lines become a burst buffer per tap, the traffic the
frame written once and read back once per lagged tap. Either slows the whole pipeline once
the traffic exceeds the board's bandwidth. The decisions are the join's attribute `evicted =
array<i64: ...>` (operand indices) and the layer's `window_evicted = true`, hand-editable.

Two ways to decide: by hand (`edges=JOIN:OPERAND,...`: exactly these inputs are evicted,
`edges=none` evicts none; `windows=LAYER,...`: exactly these windows, `windows=none`: none;
the kind not named is left as it is), or greedily for every partition under a BRAM budget
(`budget=F`, a fraction of the board's BRAM18; needs --sdf-target): while the partition is
over budget, evict what frees the most BRAM per bit of traffic it adds. `--dse` decides
evictions itself (`dse/evict.py` fold_evicting: where BRAM binds it refolds with the
greedy's evictions and keeps the cheaper design); this pass fixes them by hand or by budget.
"""

from dataclasses import dataclass, field

from fpga_sdf import network, target
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.dialects.sdf_attrs import set_ints
from fpga_sdf.dse.evict import greedy_evictions
from fpga_sdf.dse.ir_bridge import write_flag
from fpga_sdf.pass_registry import Pass, register

ATTR = "evicted"
WINDOW_ATTR = "window_evicted"


@register
@dataclass(frozen=True)
class SdfEvict(Pass):
    """Move skip-connection FIFOs and sliding windows' outer delay lines (3D frame buffers, 2D line buffers) to off-chip memory (SMOF eviction): by hand, or greedily under a BRAM budget (--dse also evicts where BRAM binds). The HLS backend emits writers and readers through DDR rings, the RTL backend AXI-Stream ports for the host's DMA."""

    name = "sdf-evict"
    edges: str = field(default="", metadata={
        "help": "by hand: comma-separated JOIN:OPERAND inputs to evict (e.g. add1:1), or none"})
    windows: str = field(default="", metadata={
        "help": "by hand: comma-separated conv/pool layers whose window's outer delay lines to evict, or none"})
    budget: float = field(default=0.0, metadata={
        "help": "greedy: fraction of the board's BRAM18 each partition may use (needs --sdf-target)"})

    def run(self, module, diag: Diagnostics) -> None:
        network.require_layer_level(module, self.name)
        if (self.edges or self.windows) and self.budget:
            raise UserError(f"--{self.name}: give edges= / windows= (by hand) or budget=F (greedy), not both")
        if self.edges or self.windows:
            self._by_hand(module, diag)
        elif self.budget > 0:
            self._greedy(module, diag)
        else:
            raise UserError(f"--{self.name}: needs edges=JOIN:OPERAND,... or windows=LAYER,... (or none), "
                            "or budget=F (0 < F)")

    def _by_hand(self, module, diag: Diagnostics) -> None:
        named = dict(network.named_layers(module))
        if self.windows:
            chosen = set() if self.windows.strip() == "none" else \
                {w.strip() for w in self.windows.split(",") if w.strip()}
            unknown = sorted(chosen - set(named))
            if unknown:
                raise UserError(f"--{self.name}: no layer named '{unknown[0]}' here (layers: {', '.join(named)})")
            # the verifier checks what is written (a conv or pool whose window can run evicted)
            for name, op in named.items():
                write_flag(op, WINDOW_ATTR, name in chosen)
        if not self.edges:
            return
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
                           f"partition {index} needs {plan.bram18} BRAM18 even with every buffer that "
                           f"saves BRAM evicted, more than {self.budget:g} of the board's {tgt.platform.bram18}: "
                           "raise budget, fold or partition")
                continue
            for spec in plan.layers:
                _write(ops[spec.name], spec.evicted)
                write_flag(ops[spec.name], WINDOW_ATTR, spec.window_evicted)
            for e in plan.evictions:
                what = "evicted its window's outer delay lines" if e.window else \
                    f"evicted operand #{e.operand} (from {e.edge[0]})"
                diag.remark(ops[e.edge[1]], f"{what}: saves {e.bram18_saved} BRAM18, adds {e.bits_per_frame} "
                                            "bits per frame of off-chip traffic")


def _write(op, indices) -> None:
    """Set (or, for none, remove) the join's evicted operands."""
    if indices:
        set_ints(op, ATTR, indices)
    elif ATTR in op.operation.attributes:
        del op.operation.attributes[ATTR]
