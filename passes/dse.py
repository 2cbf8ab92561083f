"""--dse: search folding, partitioning and weights reloading for a board and an objective."""

import json
import os
from dataclasses import dataclass, field

from fpga_sdf import target
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.dse.explore import STRATEGIES, explore, pareto
from fpga_sdf.dse.ir_bridge import problem_of, write_design, write_sparse_buffers
from fpga_sdf.dse.problem import OBJECTIVES, Constraints
from fpga_sdf.pass_registry import Pass, register


@register
@dataclass(frozen=True)
class Dse(Pass):
    """Explore folding (with pixels per cycle and PASS/dense engines), partitions (inside residual blocks too), weights reloading and streaming (AutoWS fragments); write the best design into the IR."""

    name = "dse"
    platform: str = field(default="", metadata={"help": "board (default: the module's sdf.target)"})
    objective: str = field(default="throughput", metadata={"help": "throughput, latency (a frame's first input word to its last output word), power or pareto"})
    batch: int = field(default=0, metadata={"help": "images per run (default: the target's, or 1)"})
    clock: float = field(default=0.0, metadata={"help": "MHz (default: the target's or the board's)"})
    budget: float = field(default=0.9, metadata={"help": "fraction of every resource the design may use"})
    power_cap: float = field(default=0.0, metadata={"help": "watts the design may draw (0: no cap)"})
    strategy: str = field(default="greedy", metadata={"help": "greedy, anneal, exhaustive or rate (seed 004's data-rate-matched folding)"})
    pixels: bool = field(default=False, metadata={"help": "let layers take p pixels per cycle (pixels = (p, 1)): where a layer is bound by its input's pixel per cycle, where 8-bit lanes sharing a weight pack two a DSP, or where a conv streams its weights (AutoWS): its q pixels a word share each fetched weight, so it streams 1/q of the traffic (off by default: it widens the search)"})
    block_cuts: bool = field(default=True, metadata={"help": "let partitions be cut inside residual blocks (the skip tensor through off-chip memory); false: every partition has one input and one output tensor, as fpgaConvNet cuts"})
    seed: int = field(default=1, metadata={"help": "random seed (anneal); same seed, same design"})
    time_limit: float = field(default=60.0, metadata={"help": "seconds the search may take (cutting it short loses determinism)"})
    anneal_steps: int = field(default=2000, metadata={"help": "proposals per partition for strategy=anneal"})
    pareto_output: str = field(default="pareto", metadata={"help": "objective=pareto writes PREFIX.json and PREFIX.png"})
    sparse_lutram: float = field(default=0.05, metadata={"help": "fraction of the board's LUTs the FIFOs before sparse engines may use"})
    sparse_rho: float = field(default=0.05, metadata={"help": "back-pressure metric (PASS eq. 6) at which such a FIFO stops growing"})

    def run(self, module, diag: Diagnostics) -> None:
        if self.objective not in OBJECTIVES:
            raise UserError(f"--dse: unknown objective '{self.objective}' (objectives: {', '.join(OBJECTIVES)})")
        if self.strategy not in STRATEGIES:
            raise UserError(f"--dse: unknown strategy '{self.strategy}' (strategies: {', '.join(STRATEGIES)})")
        if not 0 < self.budget <= 1:
            raise UserError(f"--dse: budget must be in (0, 1], got {self.budget}")
        if not 0 <= self.sparse_lutram <= 1 or self.sparse_rho < 0:
            raise UserError("--dse: sparse_lutram must be in [0, 1] and sparse_rho non-negative")
        if not self.time_limit > 0 or self.anneal_steps < 0 or self.batch < 0 or self.power_cap < 0:
            raise UserError("--dse: time_limit must be positive; anneal_steps, batch and power_cap non-negative")
        if self.objective == "pareto" and (not os.path.basename(self.pareto_output)):
            raise UserError(f"--dse: pareto_output must be a file prefix (PREFIX.json, PREFIX.png are written), "
                            f"got '{self.pareto_output}'")
        goal = self._target(module)
        constraints = Constraints(goal.platform, goal.clock_mhz, goal.batch, self.budget, self.power_cap, self.pixels,
                                  self.block_cuts)
        problem, ops = problem_of(module)
        if self.objective == "pareto":
            design, front = pareto(problem, constraints, self.seed, self.time_limit)
            _pareto_files(self.pareto_output, front, design, diag)
        else:
            design = explore(problem, constraints, self.objective, self.strategy, self.seed, self.time_limit,
                             anneal_steps=self.anneal_steps)
        write_sparse_buffers(design, ops, constraints, self.sparse_lutram, self.sparse_rho, diag)
        write_design(module, design, ops)
        target.write(module, goal)

    def _target(self, module):
        current = None
        if target.ATTR in module.operation.attributes:
            current = target.read(module, self.name)
        platform = self.platform or (current.platform_ref if current else "")
        if not platform:
            raise UserError("--dse: needs platform=NAME (or run --sdf-target first)")
        clock = self.clock or (current.clock_mhz if current and not self.platform else 0.0)
        batch = self.batch or (current.batch if current else 1)
        return target.resolve(platform, clock, batch)


def _summary(design) -> dict:
    return {
        "fps": design.perf.fps, "latency_ms": design.perf.latency_ms, "gops": design.perf.gops,
        "partitions": len(design.partitions),
        "dsp": max(p.resources.dsp for p in design.partitions),
        "bram18": max(p.resources.bram18 for p in design.partitions),
        "power_w": max(p.power_w for p in design.partitions),
    }


def _pareto_files(prefix: str, front, chosen, diag: Diagnostics) -> None:
    """The front as JSON and a PNG plot (throughput against power, latency as colour)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [_summary(d) | {"chosen": d is chosen} for d in front]
    diag.file(prefix + ".json", json.dumps({"front": points}, indent=2) + "\n")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    scatter = ax.scatter([p["power_w"] for p in points], [p["fps"] for p in points],
                         c=[p["latency_ms"] for p in points], cmap="viridis", zorder=2)
    for p in points:
        if p["chosen"]:
            ax.scatter([p["power_w"]], [p["fps"]], s=160, facecolors="none", edgecolors="#d62728",
                       linewidths=2, zorder=3)
            # label toward the plot's centre, so it is never cut off at an edge
            ax.annotate(f"chosen: {p['fps']:.0f} fps, {p['power_w']:.2f} W", (p["power_w"], p["fps"]),
                        xytext=(0.5, 0.92), textcoords="axes fraction", ha="center", color="#d62728",
                        arrowprops=dict(arrowstyle="->", color="#d62728"))
    ax.set_xlabel("power (W)")
    ax.set_ylabel("throughput (frames/s)")
    ax.margins(0.12)
    fig.colorbar(scatter, label="latency (ms)")
    ax.set_title(f"Pareto front ({len(points)} designs)")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    diag.file(prefix + ".png", buffer.getvalue())
