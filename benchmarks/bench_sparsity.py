"""Dense against sparse (PASS) designs: measured sparsity on the trained digits CNN, assumed
ImageNet profiles on VGG16 and ResNet-18.

Every design comes from the same DSE (W16A16, 200 MHz, batch 256, 90% budget, objective
throughput, greedy); the sparse one differs only by the sparsity annotation, which lets the
DSE choose k MACs per sparse engine and size the FIFOs before them, and costs the crossbar's
LUTs/FFs and a 0.9x clock. GOP/s counts the dense network's operations (2 per MAC), as
PASS does. Rung: the analytical model (no hardware run).

    .venv/bin/python benchmarks/bench_sparsity.py [--zoo vgg16:0.65,resnet18:0.57] [--boards zc706,zcu102]
"""

from __future__ import annotations

import argparse
import os
import platform as host
import tempfile
import time
from dataclasses import replace
from math import ceil

import numpy as np

import fpga_sdf
from fpga_sdf import network
from fpga_sdf.diagnostics import UserError
from fpga_sdf.dse.explore import explore
from fpga_sdf.dse.ir_bridge import problem_of
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.dse.sparse_buffers import buffer_lutram
from fpga_sdf.frontend import digits, zoo
from fpga_sdf.frontend.importer import import_model
from fpga_sdf.model import load_platform
from fpga_sdf.model.performance import SPARSE_CLOCK_FACTOR
from fpga_sdf.sparsity import fold_key, read_rho

CLOCK, BATCH, BUDGET = 200.0, 256, 0.9
PASS_GOPS_PER_DSP = {("vgg16", "zc706"): 0.61, ("vgg16", "zcu102"): 0.52, ("resnet18", "zc706"): 0.35}


def design(problem, board):
    """The DSE's throughput design of the problem on the board, and its figures."""
    c = Constraints(load_platform(board), CLOCK, BATCH, BUDGET)
    start = time.monotonic()
    found = explore(problem, c, "throughput", "greedy", seed=1, time_limit=600, progress=False)
    seconds = time.monotonic() - start
    dsp = max(p.resources.dsp for p in found.partitions)
    return found, {"fps": found.perf.fps, "gops": found.perf.gops, "dsp": dsp, "gops_per_dsp": found.perf.gops / dsp,
                   "partitions": len(found.partitions), "seconds": seconds}


def digits_rows(boards):
    """Measured sparsity of the trained digits CNN on its 360 held-out digits (fixed point)."""
    model, example = digits.build()
    x_test, _ = digits.load_test_set()
    x_train, _ = digits.load_train_set()
    work = tempfile.mkdtemp(prefix="bench-sparsity-")
    calibration, held_out = os.path.join(work, "train.npy"), os.path.join(work, "test.npy")
    np.save(calibration, x_train[:256].numpy())
    np.save(held_out, x_test.numpy())
    sparse = import_model(model, example, weights="inline")
    fpga_sdf.run_pass(sparse, "sdf-quantize", weights=16, activations=16, calibration=calibration)
    dense, _ = problem_of(sparse)
    fpga_sdf.run_pass(sparse, "sdf-sparsity", data=held_out)
    problem, _ = problem_of(sparse)
    layers = []
    for name, op in network.named_layers(sparse):
        spec = network.layer_spec(name, op)
        if spec.sparsity:
            s = spec.sparsity
            layers.append((name, spec.kernel, sum(s) / len(s), min(s), max(s)))
    rows = []
    for board in boards:
        _, d = design(dense, board)
        found, s = design(problem, board)
        # the same problem with no more DSPs than the dense design used: GOP/s/DSP at equal DSPs
        _, matched = design(problem, replace(load_platform(board), dsp=ceil(d["dsp"] / BUDGET)))
        s["matched"] = matched
        specs = {spec.name: spec for p in found.partitions for spec in p.specs}
        chosen = {name: (specs[name].fine, specs[name].coarse_in, specs[name].coarse_out) for name, *_ in layers}
        fifo = _fifos(sparse, board)
        rows.append((board, d, s, chosen, fifo))
    return layers, rows, sparse


def _fifos(module, board: str) -> dict:
    """The FIFO depths --dse writes (it sizes them after the search)."""
    copy = fpga_sdf.parse(fpga_sdf.to_text(module))  # small: the digits CNN
    fpga_sdf.run_pass(copy, "dse", platform=board, batch=BATCH, clock=CLOCK, budget=BUDGET)
    return {name: network.layer_spec(name, op).sparse_buffer for name, op in network.named_layers(copy)
            if network.layer_spec(name, op).sparsity}


def rho_table(module, board: str, chosen: dict) -> str:
    """PASS Fig. 6's trade-off from the measured attributes: back-pressure rho_w against the
    LUTRAM of the FIFOs, for each sparse conv at the folding the DSE chose on `board`."""
    platform = load_platform(board)
    lines = [f"back-pressure metric rho_w (eq. 6) by FIFO depth w, at the folding chosen on {board}:",
             "| layer | streams | w | rho_w | FIFO LUTRAM | FIFO BRAM18 |", "|---|---:|---:|---:|---:|---:|"]
    for name, op in network.named_layers(module):
        windows, rho = read_rho(op)
        if name not in chosen or not rho:
            continue
        k, ci, co = chosen[name]
        spec = replace(network.layer_spec(name, op), fine=k, coarse_in=ci, coarse_out=co)
        for w, r in zip(windows, rho[fold_key(ci, 1)]):
            luts, brams = buffer_lutram(spec, w, platform)
            lines.append(f"| {name} | {ci} | {w} | {r:.4f} | {luts} | {brams} |")
    return "\n".join(lines) + "\n"


def zoo_rows(cases, boards):
    rows = []
    for name, profile in cases:
        model, example = zoo.build(name)
        sparse = import_model(model, example, weights="sidecar")  # structure only: no weights in the IR
        dense, _ = problem_of(sparse)
        fpga_sdf.run_pass(sparse, "sdf-sparsity", profile=profile)
        problem, _ = problem_of(sparse)
        del model
        marked = sum(1 for _, op in network.named_layers(sparse) if "sparsity" in op.operation.attributes)
        convs = sum(1 for _, op in network.named_layers(sparse) if op.operation.name == "sdf.conv")
        for board in boards:
            try:
                _, d = design(dense, board)
                _, s = design(problem, board)
            except UserError as err:
                rows.append((name, profile, board, str(err), None, marked, convs))
                continue
            rows.append((name, profile, board, d, s, marked, convs))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", default="vgg16:0.65,resnet18:0.57", help="NAME:PROFILE pairs ('' to skip)")
    parser.add_argument("--boards", default="zc706,zcu102")
    parser.add_argument("--skip-digits", action="store_true")
    args = parser.parse_args()
    boards = args.boards.split(",")
    print(f"machine: {os.cpu_count()} cores, {host.system()}, python {host.python_version()}")
    print(f"W16A16, {CLOCK:g} MHz (sparse partitions {CLOCK * SPARSE_CLOCK_FACTOR:g} MHz), batch {BATCH}, "
          f"budget {BUDGET:.0%}, throughput, greedy\n")
    if not args.skip_digits:
        layers, rows, measured = digits_rows(boards)
        print("digits CNN: sparsity measured on its 360 held-out digits (fixed point), per conv input")
        print("| layer | kernel | mean | min channel | max channel |\n|---|---|---:|---:|---:|")
        for name, kernel, mean, lo, hi in layers:
            print(f"| {name} | {'x'.join(map(str, kernel))} | {mean:.3f} | {lo:.3f} | {hi:.3f} |")
        print("\n| board | dense fps | sparse fps | speed-up | dense GOP/s/DSP | sparse GOP/s/DSP | DSP d/s | "
              "sparse at dense DSPs: fps, DSP, GOP/s/DSP | sparse k, coarse_in, coarse_out per conv | "
              "FIFO depth per conv |\n|---|---:|---:|---:|---:|---:|---:|---|---|---|")
        for board, d, s, chosen, fifo in rows:
            folds = "; ".join(f"{n}: {k}, {ci}, {co}" for n, (k, ci, co) in chosen.items())
            depths = "; ".join(f"{n}: {w}" for n, w in fifo.items())
            m = s["matched"]
            print(f"| {board} | {d['fps']:.0f} | {s['fps']:.0f} | {s['fps'] / d['fps']:.2f} | {d['gops_per_dsp']:.3f} | "
                  f"{s['gops_per_dsp']:.3f} | {d['dsp']}/{s['dsp']} | {m['fps']:.0f}, {m['dsp']}, "
                  f"{m['gops_per_dsp']:.3f} | {folds} | {depths} |")
        print()
        print(rho_table(measured, rows[0][0], rows[0][3]))
    cases = [(c.split(":")[0], float(c.split(":")[1])) for c in args.zoo.split(",") if c]
    if cases:
        print("zoo networks, sparsity ASSUMED (profile=S on every conv after a ReLU), not measured")
        print("| model | profile | board | convs marked | parts d/s | dense GOP/s | sparse GOP/s | dense GOP/s/DSP | "
              "sparse GOP/s/DSP | gain | PASS GOP/s/DSP | DSE s d/s |\n|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, profile, board, d, s, marked, convs in zoo_rows(cases, boards):
            if s is None:
                print(f"| {name} | {profile} | {board} | {marked}/{convs} | not mappable: {d} |")
                continue
            anchor = PASS_GOPS_PER_DSP.get((name, board))
            print(f"| {name} | {profile} | {board} | {marked}/{convs} | {d['partitions']}/{s['partitions']} | "
                  f"{d['gops']:.1f} | {s['gops']:.1f} | {d['gops_per_dsp']:.3f} | {s['gops_per_dsp']:.3f} | "
                  f"{s['gops_per_dsp'] / d['gops_per_dsp']:.2f} | {anchor if anchor else '-'} | "
                  f"{d['seconds']:.1f}/{s['seconds']:.1f} |")


if __name__ == "__main__":
    main()
