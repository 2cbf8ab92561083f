"""AutoWS's latency table (seed 000, Table II): batch-1 latency at the paper's precisions.

One row per network x board of the table, the DSE's latency-optimal design at batch 1 and
200 MHz (the DSE may cut the network and stream a fraction of any layer's weights from DDR,
as AutoWS's fragments do), beside AutoWS's figure and its "vanilla layer-pipelined" one.
The precisions are the paper's: W4A4 for MobileNetV2 on ZC706, W4A5 for ResNet-18 on ZCU102,
W8A8 for ResNet-50 on U50 and U250. The latency is the model's (layers, weights streaming,
reconfiguration between partitions), not a measurement.

Beside it, the least latency any one-partition folding reaches on the board's DSP budget in the
same model (`model/latency_bound.py`: a lower bound, '-' where the products are built from LUTs
and nothing bounds them); a design of several partitions pays the board's reconfiguration (300
ms on the U50, 500 on the U250) on top. A row whose AutoWS figure is below the bound cannot be
met by any folding the model costs: the bound, not the DSE, is what stops it.

Layers may take p pixels a word (seed 004's multi-pixel processing, `Constraints.pixels`): a
conv's q pixels a word are q MAC arrays reading one weights word together, so a streamed
weight serves q pixels, not one. `--one-pixel` keeps every layer at one pixel a word, as
AutoWS builds it.

    .venv/bin/python benchmarks/bench_autows_latency.py [--rows resnet18:zcu102,...] [--time-limit S] [--one-pixel]
"""

from __future__ import annotations

import argparse
import platform as host
import time

from fpga_sdf import api
from fpga_sdf.dse.explore import explore
from fpga_sdf.dse.ir_bridge import problem_of
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.frontend import zoo
from fpga_sdf.frontend.importer import import_model
from fpga_sdf.model import load_platform
from fpga_sdf.model.latency_bound import latency_bound

CLOCK, BUDGET = 200.0, 0.9
# (model, board, weight bits, activation bits, AutoWS ms, vanilla layer-pipelined ms or None: "does not fit")
PAPER = [("mobilenetv2", "zc706", 4, 4, 4.8, 9.2), ("resnet18", "zcu102", 4, 5, 7.0, None),
         ("resnet50", "u50", 8, 8, 3.4, 15.0), ("resnet50", "u250", 8, 8, 1.8, 1.8)]


def quantized_problem(name: str, w_bits: int, a_bits: int):
    """The network's DSE problem after `--sdf-quantize="weights=W activations=A"` (the
    accumulators as the pass sizes them), as a user's `fpga-opt --sdf-quantize ... --dse` sees it."""
    model, example = zoo.build(name)
    module = api.parse(api.to_text(import_model(model, example, weights="inline")), name)
    api.run_pass(module, "sdf-quantize", weights=w_bits, activations=a_bits)
    problem, _ = problem_of(module)
    return problem


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default=",".join(f"{m}:{b}" for m, b, *_ in PAPER))
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--one-pixel", action="store_true", help="every layer at one pixel a word (as AutoWS)")
    args = parser.parse_args()
    wanted = set(args.rows.split(","))
    print(f"machine: {host.machine()}, {host.system()}, python {host.python_version()}; "
          f"{CLOCK} MHz, batch 1, budget {BUDGET:.0%}, {'one pixel' if args.one_pixel else 'p pixels'} a word")
    print("| model | board | W/A | latency ms (model) | bound ms | AutoWS ms | vanilla ms (paper) | partitions | "
          "layers streaming | weights Gb/s | DSP | BRAM18 | URAM | seconds |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, board, w, a, autows, vanilla in PAPER:
        if f"{name}:{board}" not in wanted:
            continue
        start = time.monotonic()
        problem = quantized_problem(name, w, a)
        platform = load_platform(board)
        limits = Constraints(platform, CLOCK, 1, BUDGET, pixels=not args.one_pixel)
        bound = latency_bound(problem.specs, problem.edges, limits.capacity("dsp"), platform.family)
        bound_ms = f"{bound.cycles / (CLOCK * 1e3):.2f}" if bound else "-"
        design = explore(problem, limits, "latency", "greedy", seed=1,
                         time_limit=args.time_limit, progress=False)
        streaming = sum(1 for p in design.partitions for s in p.specs if s.weights_off_chip > 0)
        gbps = max(p.perf.bandwidth_gbps for p in design.partitions)
        res = [p.resources for p in design.partitions]
        print(f"| {name} | {board} | W{w}A{a} | {design.perf.latency_ms:.2f} | {bound_ms} | {autows} | "
              f"{vanilla if vanilla is not None else 'does not fit'} | {len(design.partitions)} | {streaming} | "
              f"{gbps:.1f} | {max(r.dsp for r in res):,} | {max(r.bram18 for r in res):,} | "
              f"{max(r.uram for r in res):,} | {time.monotonic() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main()
