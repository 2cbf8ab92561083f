"""AutoWS's three regions (seed 000, Fig. 6): ResNet-18 on a ZCU102 while sweeping the on-chip memory budget.

ResNet-18 at W4A5 (the seed's precision for this board), one partition (layer-pipelined),
200 MHz, batch 256, the board's DSPs, LUTs and off-chip bandwidth fixed; the memory budget A
is a fraction of the ZCU102's on-chip memory (its 1824 BRAM18; it has no URAM).

- vanilla: the DSE's fastest folding (fpga_sdf.dse.balance.fold_partition) on a ZCU102 whose
  memory is scaled to A, kept only where it streams no weights: the DSE streams a fraction by
  itself where nothing fits, which is not the vanilla layer-pipelined design.
- AutoWS: each vanilla folding found at a budget A' >= A, its weights fragmented to fit A by
  --sdf-fragment-weights' greedy (fpga_sdf.dse.fragments.greedy_fragments); the fastest.

Region of a budget, as the seed reads its Fig. 6: "infeasible" where vanilla has no design;
"bandwidth-bound" where vanilla fits but AutoWS's best is faster or waits for the off-chip
bandwidth; "compute-bound" where both are bound by their layers alike. The table also gives
AutoWS's own bottleneck at every budget.

    .venv/bin/python benchmarks/bench_fragments.py [--plot benchmarks/fragments_regions.png]
"""

from __future__ import annotations

import argparse
import platform as host
import time
from dataclasses import replace

from fpga_sdf.dse.balance import Infeasible, fold_partition
from fpga_sdf.dse.fragments import BRAM18_BITS, URAM_BITS, greedy_fragments, memory_bits
from fpga_sdf.dse.ir_bridge import problem_of
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.frontend import zoo
from fpga_sdf.frontend.importer import import_model
from fpga_sdf.model import load_platform, partition_performance, partition_resources, platform_from_dict
from fpga_sdf.model.performance import BANDWIDTH_BOTTLENECK

CLOCK, BATCH, STEPS = 200.0, 256, 16
BUDGETS = [0.25 + 0.125 * i for i in range(15)] + [2.5, 3.0]  # 0.25 .. 2.0, then room to spare


def resnet18_w4a5():
    """ResNet-18's layers and edges, weights 4 bits, activations 5."""
    model, example = zoo.build("resnet18")
    problem, _ = problem_of(import_model(model, example, weights="inline"))
    weighted = ("conv", "inner_product", "scale_shift")
    specs = [replace(s, weight_width=4, data_width=5, acc_width=24) if s.kind in weighted else
             replace(s, data_width=5) for s in problem.specs]
    return specs, problem.edges


def scaled_board(board, fraction: float):
    """The board with its on-chip memory scaled by `fraction` (what the vanilla DSE may use)."""
    fields = {k: v for k, v in board.__dict__.items() if v is not None}
    fields.update(name=f"{board.name}-mem{fraction:g}", bram18=int(board.bram18 * fraction),
                  uram=int(board.uram * fraction))
    return platform_from_dict(fields)


def fragmented(specs, plan):
    """The specs with the greedy's fragments (and the fraction they imply)."""
    out = []
    for s in specs:
        f = plan.get(s.name)
        out.append(replace(s, weights_fragments=f, weights_off_chip=f[2] / (f[1] + f[2])) if f else s)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="benchmarks/fragments_regions.png")
    args = parser.parse_args()
    board = load_platform("zcu102")
    board_bits = board.bram18 * BRAM18_BITS + board.uram * URAM_BITS
    start = time.monotonic()
    specs, edges = resnet18_w4a5()

    vanilla = {}  # budget -> (specs, perf, memory bits)
    for a in BUDGETS:
        try:
            design = fold_partition(specs, edges, Constraints(scaled_board(board, a), CLOCK, BATCH, 1.0),
                                    "throughput")
        except Infeasible:
            continue
        if any(s.weights_off_chip for s in design.specs):
            continue
        perf = partition_performance(design.specs, edges, board, CLOCK, BATCH)
        vanilla[a] = (design.specs, perf, memory_bits(partition_resources(design.specs, edges, board, perf)))

    rows = []
    for a in BUDGETS:
        best = None
        for origin, (folded, _, _) in vanilla.items():
            if origin < a:
                continue
            plan = greedy_fragments(folded, edges, board, a * board_bits, STEPS)
            if plan is None:
                continue
            design = fragmented(folded, plan)
            perf = partition_performance(design, edges, board, CLOCK, BATCH)
            if best is None or perf.fps > best[1].fps:
                best = (origin, perf, plan, design)
        v = vanilla.get(a)
        if best is None:
            region = "infeasible (both)"
        elif v is None:
            region = "infeasible"
        elif best[1].bottleneck == BANDWIDTH_BOTTLENECK or best[1].fps > v[1].fps * 1.005:
            region = "bandwidth-bound"
        else:
            region = "compute-bound"
        rows.append((a, v, best, region))

    print(f"machine: {host.processor() or host.machine()}, {host.system()}, python {host.python_version()}; "
          f"{time.monotonic() - start:.0f} s")
    print(f"ResNet-18 W4A5 on {board.name} ({board.bram18} BRAM18, {board.uram} URAM, {board.dsp} DSP, "
          f"{board.bandwidth_gbps:g} Gb/s), one partition, {CLOCK:g} MHz, batch {BATCH}, fragments of >= {STEPS} words\n")
    print("| A_mem | vanilla fps | vanilla memory | AutoWS fps | folded at A' | layers streaming | "
          "weights Gb/s | AutoWS bottleneck | region |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for a, v, best, region in rows:
        vf = f"{v[1].fps:.1f}" if v else "-"
        vm = f"{v[2] / board_bits:.2f}" if v else "-"
        if best:
            origin, perf, plan, _ = best
            wbits = sum(bits for _, bits in perf.weights_streams)
            gbps = wbits * perf.runs * BATCH / perf.time_s / 1e9
            print(f"| {a:g} | {vf} | {vm} | {perf.fps:.1f} | {origin:g} | {len(plan)} | {gbps:.1f} | "
                  f"{perf.bottleneck} | {region} |")
        else:
            print(f"| {a:g} | {vf} | {vm} | - | - | - | - | - | {region} |")
    if args.plot:
        plot(rows, args.plot)


def plot(rows, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"infeasible": "#f4cccc", "bandwidth-bound": "#fff2cc", "compute-bound": "#d9ead3"}
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (a, _, _, region) in enumerate(rows):
        lo = (a + rows[i - 1][0]) / 2 if i else a - 0.0625
        hi = (a + rows[i + 1][0]) / 2 if i + 1 < len(rows) else a + 0.0625
        ax.axvspan(lo, hi, color=colours.get(region, "#eeeeee"), lw=0)
    ax.plot([a for a, v, _, _ in rows if v], [v[1].fps for _, v, _, _ in rows if v], "s-", label="vanilla")
    ax.plot([a for a, _, b, _ in rows if b], [b[1].fps for _, _, b, _ in rows if b], "o-", label="AutoWS fragments")
    from matplotlib.patches import Patch

    handles = ax.get_legend_handles_labels()[0] + [
        Patch(color=c, label=f"vanilla {r}" if r == "infeasible" else r) for r, c in colours.items()]
    ax.set_xlim(rows[0][0] - 0.0625, rows[-1][0] + 0.0625)
    ax.set_xlabel("on-chip memory budget A_mem (fraction of the ZCU102's)")
    ax.set_ylabel("frames / s (batch 256)")
    ax.set_title("ResNet-18 W4A5 on ZCU102: memory budget sweep (model)")
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
