"""SMOF eviction (`--sdf-evict`, issue 12): what evicting skip-connection FIFOs and sliding
windows' outer delay lines to off-chip memory saves and costs, on the model.

Two cases: ResNet-18 on the ZC706 (W16A16, 200 MHz, batch 256, budget 0.9: bench_dse's
settings), the DSE's design, then per partition every buffer the greedy evicts when asked
for all that save BRAM; and R(2+1)D-18's first residual block (3D maps) as one partition at
the imported folding on the ZCU102, whose skip FIFO and frame buffers are large: the greedy's
first pick, then everything that saves BRAM.

    .venv/bin/python benchmarks/bench_evict.py [--cases resnet18,r2plus1d_18]
"""

from __future__ import annotations

import argparse
import platform as host

from fpga_sdf.dse.evict import candidates, greedy_evictions
from fpga_sdf.dse.explore import explore
from fpga_sdf.dse.ir_bridge import problem_of
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.frontend import zoo
from fpga_sdf.frontend.importer import import_model
from fpga_sdf.model import load_platform, partition_performance, partition_resources

CLOCK, BATCH = 200.0, 256


def _problem(name: str):
    model, example = zoo.build(name)
    return problem_of(import_model(model, example, weights="inline"))[0]


def resnet18_zc706() -> None:
    board = load_platform("zc706")
    design = explore(_problem("resnet18"), Constraints(board, CLOCK, BATCH, 0.9), "throughput", "greedy",
                     seed=1, time_limit=600, progress=False)
    print(f"resnet18/zc706: the DSE's design, {len(design.partitions)} partitions, {design.perf.gops:.1f} GOP/s")
    saved_total = bits_total = 0
    for i, p in enumerate(design.partitions):
        plan = greedy_evictions(p.specs, p.edges, board, 0, CLOCK)  # budget 0: every eviction that saves BRAM
        if not plan.evictions:
            continue
        after = partition_performance(plan.layers, p.edges, board, CLOCK, BATCH)
        bits = sum(e.bits_per_frame for e in plan.evictions)
        saved = p.resources.bram18 - plan.bram18
        saved_total, bits_total = saved_total + saved, bits_total + bits
        print(f"  P{i}: BRAM18 {p.resources.bram18} -> {plan.bram18} (-{saved}), "
              f"{len(plan.evictions)} of {len(candidates(p.specs, p.edges, board, CLOCK))} candidate buffers evicted, "
              f"+{bits} bits/frame; interval {p.perf.interval} -> {after.interval} "
              f"(bandwidth {p.perf.bandwidth_interval} -> {after.bandwidth_interval})")
        for e in plan.evictions:
            print(f"      {_what(e)}: saves {e.bram18_saved} BRAM18, {e.bits_per_frame} bits/frame")
    print(f"  total: -{saved_total} BRAM18, +{bits_total} bits/frame")


def r2plus1d_block_zcu102() -> None:
    problem = _problem("r2plus1d_18")
    names = [s.name for s in problem.specs]
    first = next(i for i, n in enumerate(names) if n.startswith("layer1.0"))
    last = max(i for i, n in enumerate(names) if n.startswith("layer1.0"))
    specs = problem.specs[first - 1:last + 1]
    inside = {s.name for s in specs}
    edges = tuple(e for e in problem.edges if e[0] in inside and e[1] in inside)
    board = load_platform("zcu102")
    perf = partition_performance(specs, edges, board, CLOCK)
    used = partition_resources(specs, edges, board, perf, CLOCK)
    print(f"r2plus1d_18/zcu102, {specs[0].name} .. {specs[-1].name} as one partition: BRAM18 {used.bram18}, "
          f"interval {perf.interval} (bandwidth {perf.bandwidth_interval})")
    for label, budget in (("the greedy's first pick", used.bram18 - 1), ("everything that saves BRAM", 0)):
        plan = greedy_evictions(specs, edges, board, budget, CLOCK)
        after = partition_performance(plan.layers, edges, board, CLOCK)
        print(f"  {label}:")
        for e in plan.evictions:
            print(f"    evicted {_what(e)}: saves {e.bram18_saved} BRAM18 for {e.bits_per_frame} bits/frame")
        print(f"    BRAM18 {used.bram18} -> {plan.bram18}; interval {perf.interval} -> {after.interval} "
              f"(bandwidth {perf.bandwidth_interval} -> {after.bandwidth_interval})")


def _what(e) -> str:
    """An eviction, as the report names it."""
    return f"the window of {e.window}" if e.window else f"{e.edge[0]} -> {e.edge[1]} #{e.operand}"


CASES = {"resnet18": resnet18_zc706, "r2plus1d_18": r2plus1d_block_zcu102}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    args = parser.parse_args()
    print(f"machine: {host.machine()}, {host.system()}, python {host.python_version()}")
    for name in args.cases.split(","):
        CASES[name]()


if __name__ == "__main__":
    main()
