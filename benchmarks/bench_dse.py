"""Quality of result and speed of the DSE over the model zoo.

For each network x board (W16A16, 200 MHz, batch 256, throughput objective): fps, GOP/s,
GOP/s per DSP, DSP and BRAM use, the fraction of the DSP roofline (2 ops x DSPs x clock)
reached, the cuts inside residual blocks, the share of the time spent reconfiguring, and the
seconds the exploration took on this machine. Also checks that annealing for twice as many
steps finds no design more than 2% better.

    .venv/bin/python benchmarks/bench_dse.py [--models a,b] [--boards x,y] [--anneal-check MODEL:BOARD]
                                             [--no-block-cuts] [--partitions] [--check-ir]

--partitions also prints each design's partitions: layers, runs and reloaded layers, compute
and bandwidth intervals, DSP/BRAM, off-chip tensors and their DDR space (what bounds it).
--check-ir writes each design into the network's IR (`sdf.partition` regions, as `--dse`
does), verifies it, and costs it again from the IR: the figure must be the explorer's.
"""

from __future__ import annotations

import argparse
import platform as host
import time

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf.diagnostics import UserError
from fpga_sdf.dse.explore import explore, live_streams
from fpga_sdf.dse.ir_bridge import network_links, problem_of, write_design
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.frontend import zoo
from fpga_sdf.frontend.importer import import_model
from fpga_sdf.model import load_platform, network_performance

MODELS = ["lenet", "alexnet", "vgg11", "vgg16", "resnet18", "resnet50", "mobilenetv2", "c3d", "r2plus1d_18"]
BOARDS = ["zc706", "zcu102", "u250"]
CLOCK, BATCH, BUDGET = 200.0, 256, 0.9


def module_for(name: str):
    model, example = zoo.build(name)
    return import_model(model, example, weights="inline")


def problem_for(name: str):
    problem, _ = problem_of(module_for(name))
    return problem


def ir_check(name: str, board: str, design) -> str:
    """The design written into the IR, verified, and costed again from the IR."""
    module = module_for(name)
    _, ops = problem_of(module)
    with module.context:
        write_design(module, design, ops)
    sdf_ir.verify(module)
    perf = network_performance(network.model_partitions(module), load_platform(board), CLOCK, BATCH,
                               network_links(module))
    several = sum(1 for p in network.partitions(module)
                  if any(sum(1 for n in p.operation.attributes[a] if n) > 1
                         for a in ("operandSegmentSizes", "resultSegmentSizes")))
    return (f"  IR: {len(network.partitions(module))} partitions written and verified, {several} with tensors of "
            f"several types; costed from the IR {perf.gops:.1f} GOP/s ({perf.fps:.1f} fps)")


def row(name, board, problem, strategy="greedy", steps=2000, block_cuts=True):
    platform = load_platform(board)
    c = Constraints(platform, CLOCK, BATCH, BUDGET, block_cuts=block_cuts)
    start = time.monotonic()
    design = explore(problem, c, "throughput", strategy, seed=1, time_limit=600, progress=False, anneal_steps=steps)
    seconds = time.monotonic() - start
    dsp = max(p.resources.dsp for p in design.partitions)
    bram = max(p.resources.bram18 for p in design.partitions)
    gops = design.perf.gops
    return {
        "model": name, "board": board, "partitions": len(design.partitions), "fps": design.perf.fps, "gops": gops,
        "gops_per_dsp": gops / dsp, "dsp_pct": 100 * dsp / platform.dsp, "bram_pct": 100 * bram / platform.bram18,
        "roofline": gops / (2 * platform.dsp * CLOCK / 1e3), "reloads": max(p.perf.runs for p in design.partitions),
        "seconds": seconds, "cost": design.cost,
        "block_cuts": sum(1 for cut in design.cuts if live_streams(problem)[cut] > 1),
        "reconfig_pct": 100 * design.perf.reconfiguration_s / design.perf.time_s,
        "design": design,
    }


def _evictions(specs) -> str:
    """What the partition keeps in DDR instead of BRAM (SMOF): skip streams, windows' lines."""
    skips = sum(len(s.evicted) for s in specs)
    windows = [s.name for s in specs if s.window_evicted]
    found = ([f"{skips} skip stream(s)"] if skips else []) + ([f"windows of {', '.join(windows)}"] if windows else [])
    return f", evicts {' and '.join(found)}" if found else ""


def partition_lines(design) -> list[str]:
    """One line per partition: what it holds and what bounds it."""
    lines = []
    for i, p in enumerate(design.partitions):
        reloads = ", ".join(f"{s.name} x{s.wr_factor}" for s in p.specs if s.wr_factor > 1) or "-"
        perf = p.perf
        lines.append(f"  P{i}: {p.specs[0].name} .. {p.specs[-1].name} ({len(p.specs)} layers), runs {perf.runs} "
                     f"(reload {reloads}), interval {perf.interval} (compute {perf.compute_interval}, bandwidth "
                     f"{perf.bandwidth_interval}), bottleneck {perf.bottleneck}, {perf.time_s:.3f} s, DSP "
                     f"{p.resources.dsp}, BRAM18 {p.resources.bram18}, {perf.bandwidth_gbps:.2f} Gb/s, "
                     f"{len(perf.offchip_tensors)} off-chip tensors, DDR {perf.ddr_bytes / 1e6:.1f} MB"
                     f"{_evictions(p.specs)}")
    lines.append(f"  reconfiguration {design.perf.reconfiguration_s:.2f} s of {design.perf.time_s:.2f} s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--boards", default=",".join(BOARDS))
    parser.add_argument("--anneal-check", default="resnet50:u250", help="MODEL:BOARD for the 2x annealing check ('' to skip)")
    parser.add_argument("--no-block-cuts", action="store_true", help="no cuts inside residual blocks (one tensor in and out of each partition)")
    parser.add_argument("--partitions", action="store_true", help="print each design's partitions")
    parser.add_argument("--check-ir", action="store_true", help="write each design into the IR, verify, re-cost")
    args = parser.parse_args()
    print(f"machine: {host.processor() or host.machine()}, {host.system()}, python {host.python_version()}")
    print(f"W16A16, {CLOCK:.0f} MHz, batch {BATCH}, budget {BUDGET:.0%}, objective throughput, strategy greedy, "
          f"cuts inside blocks {'off' if args.no_block_cuts else 'on'}\n")
    print("| model | board | parts | in-block cuts | max reload | fps | GOP/s | GOP/s/DSP | DSP % | BRAM % | roofline "
          "| reconfig % | DSE s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    problems = {}
    for name in args.models.split(","):
        problems[name] = problem_for(name)
        for board in args.boards.split(","):
            try:
                r = row(name, board, problems[name], block_cuts=not args.no_block_cuts)
            except UserError as err:
                print(f"| {name} | {board} | not mappable: {err.diagnostics[0].message} |", flush=True)
                continue
            print(f"| {name} | {board} | {r['partitions']} | {r['block_cuts']} | {r['reloads']} | {r['fps']:.1f} | "
                  f"{r['gops']:.1f} | {r['gops_per_dsp']:.3f} | {r['dsp_pct']:.0f} | {r['bram_pct']:.0f} | "
                  f"{r['roofline']:.2f} | {r['reconfig_pct']:.0f} | {r['seconds']:.1f} |", flush=True)
            if args.partitions:
                print("\n".join(partition_lines(r["design"])), flush=True)
            if args.check_ir:
                print(ir_check(name, board, r["design"]), flush=True)
    if args.anneal_check:
        name, board = args.anneal_check.split(":")
        problem = problems.get(name) or problem_for(name)
        greedy = row(name, board, problem)
        once = row(name, board, problem, "anneal", 2000)
        twice = row(name, board, problem, "anneal", 4000)
        gain = (once["cost"] - twice["cost"]) / once["cost"]
        print(f"\nannealing check on {name}/{board}: greedy {greedy['fps']:.1f} fps ({greedy['seconds']:.1f} s); "
              f"anneal 2000 steps {once['fps']:.1f} fps ({once['seconds']:.1f} s); 4000 steps {twice['fps']:.1f} fps "
              f"({twice['seconds']:.1f} s): twice as long is {100 * gain:.2f}% better")


if __name__ == "__main__":
    main()
