"""Dense against sparse (PASS) designs: measured sparsity on the trained digits CNN, assumed
ImageNet profiles on VGG16 and ResNet-18.

Every design comes from the same DSE (W16A16, 200 MHz, batch 256, 90% budget, objective
throughput, greedy); the sparse one differs only by the sparsity annotation, which lets the
DSE choose k MACs per sparse engine and size the FIFOs before them, and costs the crossbar's
LUTs/FFs and a 0.9x clock. GOP/s counts the dense network's operations (2 per MAC), as
PASS does. Rung: the analytical model (no hardware run).

With --rtl, the RTL rung: the digits CNN's generated RTL (features.3 on the sparse engine, k = 3
MACs per 3x3 window, coarse_in = coarse_out = 2) simulated in Verilator on held-out digits,
per layer measured cycles against the model's from the statistics measured on those digits,
dense against sparse, and PASS Fig. 6's buffer sizing: measured cycles per frame against the
sparse_buffer depth (model and rho_w beside; --plot writes it as a PNG).

    .venv/bin/python benchmarks/bench_sparsity.py [--zoo vgg16:0.65,resnet18:0.57] [--boards zc706,zcu102]
    .venv/bin/python benchmarks/bench_sparsity.py --rtl --skip-dse [--rtl-frames 10] [--rtl-depths 0,1,2,4,8,16,32,64] [--plot fig.png]
    .venv/bin/python benchmarks/bench_sparsity.py --skip-dse --synth 1,3,5,8   (yosys of one sparse engine per k)
    .venv/bin/python benchmarks/bench_sparsity.py --skip-digits --zoo vgg16:0.65 --boards zc706 --breakdown \
        [--crossbar-lut 7series=0.6241]   (per-partition losses; what-if crossbar cost)
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


def breakdown(found, board: str) -> str:
    """Where a design loses against the ideal, per partition: its share of the batch time,
    clock, interval (compute / off-chip), the resource that binds (highest use against the
    budget), DSPs, the useful-MAC efficiency of those DSPs (dense MACs x (1 - s) of the sparse
    engines per cycle over DSPs: 1.0 would be every DSP busy on a non-zero product every
    cycle) and each conv's (coarse_in, coarse_out, k). The reconfigurations' share is the
    last line. GOP/s/DSP divides by the largest partition's DSPs."""
    from fpga_sdf.model import layer_performance
    from fpga_sdf.model.resources import BOARD_RESOURCES
    from fpga_sdf.model.spec import sparse_engine

    platform = load_platform(board)
    total = found.perf.time_s
    lines = [f"per partition ({board}): time share, clock, interval, binding resource, DSPs, useful MACs per DSP-cycle",
             "| # | time % | MHz | interval (compute / bandwidth) | binds | DSP | MAC eff. | convs: ci, co, k (s = sparse) |",
             "|---:|---:|---:|---|---|---:|---:|---|"]
    for i, p in enumerate(found.partitions):
        use = p.resources.utilisation(platform)
        binds = max((r for r in BOARD_RESOURCES if getattr(platform, r)), key=lambda r: use[r])
        useful = 0.0
        for x in p.specs:
            if x.kind in ("conv", "inner_product"):
                density = 1 - sum(x.sparsity) / len(x.sparsity) if sparse_engine(x) else 1.0
                useful += layer_performance(x).ops / 2 * density  # per frame, all runs
        eff = useful / (p.perf.interval * p.perf.runs) / p.resources.dsp if p.resources.dsp else 0.0
        convs = "; ".join(f"{x.name}: {x.coarse_in}, {x.coarse_out}, {x.fine}{' s' if sparse_engine(x) else ''}"
                          for x in p.specs if x.kind in ("conv", "inner_product"))
        lines.append(f"| {i} | {100 * p.perf.time_s / total:.1f} | {p.perf.clock_mhz:.0f} | "
                     f"{p.perf.compute_interval} / {p.perf.bandwidth_interval} | {binds} {use[binds]:.0f}% | "
                     f"{p.resources.dsp} | {eff:.2f} | {convs} |")
    lines.append(f"reconfiguration: {found.perf.reconfigurations} x {platform.reconfiguration_ms} ms = "
                 f"{100 * found.perf.reconfiguration_s / total:.1f}% of the batch time")
    return "\n".join(lines) + "\n"


def zoo_rows(cases, boards, details=None):
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
                found, s = design(problem, board)
                if details is not None:
                    details.append(f"{name} {board}, sparse design:\n" + breakdown(found, board))
            except UserError as err:
                rows.append((name, profile, board, str(err), None, marked, convs))
                continue
            rows.append((name, profile, board, d, s, marked, convs))
    return rows


RTL_FOLDING = (("sdf-fold", "fine=9 layers=features.0"),  # k = K: the dense engine
               ("sdf-fold", "coarse_in=2 coarse_out=2 fine=3 layers=features.3"))
RTL_LAYER = "features.3"


def _run(module, flag: str, options: str) -> None:
    from torch_mlir import ir

    from fpga_sdf import ir as sdf_ir
    from fpga_sdf.diagnostics import Diagnostics
    from fpga_sdf.pass_registry import lookup

    diag = Diagnostics()
    with sdf_ir.context(), module.context, ir.Location.unknown():
        lookup(flag).from_options(options).run(module, diag)
    if diag.errors:
        raise UserError(diag.errors)


def rtl_design(x, sparse: bool, depth: int, work: str) -> str:
    """The digits CNN quantized (calibrated on x, held-out digits), with sparsity measured on x
    when `sparse`, folded as RTL_FOLDING, RTL_LAYER's FIFO `depth` windows deep: IR text."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf.dialects.sdf_attrs import set_int

    model, example = digits.build()
    module = import_model(model, example)
    data = os.path.join(work, "held_out.npy")
    np.save(data, x)
    _run(module, "sdf-quantize", f"calibration={data}")
    _run(module, "sdf-target", "platform=zc706")
    if sparse:
        _run(module, "sdf-sparsity", f"data={data}")
    for flag, options in RTL_FOLDING:
        _run(module, flag, options)
    if depth:
        set_int(dict(network.named_layers(module))[RTL_LAYER], "sparse_buffer", depth)
    return sdf_ir.to_text(module)


def rtl_simulate(text: str, x, work: str, tag: str) -> dict:
    """Emit, build (cached) and simulate; check bit-exactness against the fixed executor."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf.backend.rtl import sim
    from fpga_sdf.backend.rtl.emit import emit, write_project
    from fpga_sdf.interp.executor import _arg_format, entry_function, execute
    from fpga_sdf.interp.fixed import Fixed, quantize

    out = os.path.join(work, f"{tag}.rtl")
    write_project(emit(sdf_ir.parse(text, f"{tag}.mlir"), source=f"{tag}.mlir"), out)
    module = sdf_ir.parse(text, f"{tag}.mlir")
    start = time.monotonic()
    y, stats = sim.run_integers(out, quantize(x, _arg_format(entry_function(module), 0)))
    fmt = sim.load_manifest(out)["partitions"][-1]["output"]["format"]
    ref = quantize(execute(module, [x], "fixed")[0], Fixed(*fmt))
    stats["bit_exact"] = bool(np.array_equal(y.ravel(), ref.ravel()))
    stats["seconds"] = time.monotonic() - start
    stats["layer"] = {layer["name"]: layer for layer in stats["layers"]}
    return stats


def rtl_rows(frames: int, depths) -> dict:
    x = digits.load_test_set()[0].numpy()[:frames]
    work = tempfile.mkdtemp(prefix="bench-sparsity-rtl-")
    dense = rtl_simulate(rtl_design(x, False, 0, work), x, work, "dense")
    sweep = {}
    for depth in depths:
        text = rtl_design(x, True, depth, work)
        sweep[depth] = rtl_simulate(text, x, work, f"sparse_b{depth}")
    module = fpga_sdf.parse(text)
    op = dict(network.named_layers(module))[RTL_LAYER]
    spec = network.layer_spec(RTL_LAYER, op)
    windows, rho = read_rho(op)
    return {"dense": dense, "sweep": sweep, "spec": spec,
            "rho": dict(zip(windows, rho.get(fold_key(spec.coarse_in, spec.coarse_group), [])))}


def print_rtl(result: dict, frames: int, plot: str | None) -> None:
    dense, sweep, spec = result["dense"], result["sweep"], result["spec"]
    best = min(sweep, key=lambda d: sweep[d]["layer"][RTL_LAYER]["cycles_per_frame"])
    sparse = sweep[best]
    print(f"RTL (Verilator) on {frames} held-out digits, sparsity measured on the same digits; "
          f"{RTL_LAYER}: k = {spec.fine} of K = 9, coarse_in = {spec.coarse_in}, coarse_out = {spec.coarse_out}")
    print(f"bit-exact vs the fixed-point executor: dense {dense['bit_exact']}, sparse "
          + ", ".join(f"b{d} {s['bit_exact']}" for d, s in sweep.items()))
    print(f"\nper layer, cycles per frame (sparse: sparse_buffer = {best}):")
    print("| layer | dense measured | dense model | error | sparse measured | sparse model | error |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, d in dense["layer"].items():
        s = sparse["layer"][name]
        de = d["cycles_per_frame"] / d["model_cycles_per_frame"] - 1
        se = s["cycles_per_frame"] / s["model_cycles_per_frame"] - 1
        print(f"| {name} | {d['cycles_per_frame']:.0f} | {d['model_cycles_per_frame']} | {de:+.1%} | "
              f"{s['cycles_per_frame']:.0f} | {s['model_cycles_per_frame']} | {se:+.1%} |")
    print(f"\n{RTL_LAYER}: cycles per frame against the sparse_buffer depth (PASS Fig. 6)")
    print("| depth (windows) | measured | model | error | stall cycles vs model | rho_w |")
    print("|---:|---:|---:|---:|---:|---:|")
    for depth, s in sweep.items():
        layer = s["layer"][RTL_LAYER]
        m, model = layer["cycles_per_frame"], layer["model_cycles_per_frame"]
        rho = result["rho"].get(depth)
        print(f"| {depth} | {m:.0f} | {model} | {m / model - 1:+.1%} | {m - model:.0f} | "
              f"{'-' if rho is None else f'{rho:.4f}'} |")
    if plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        depths = list(sweep)
        layers = [sweep[d]["layer"][RTL_LAYER] for d in depths]
        overhead = [100 * (m["cycles_per_frame"] / m["model_cycles_per_frame"] - 1) for m in layers]
        xs = [max(d, 0.5) for d in depths]  # depth 0 (no FIFO) at 0.5 on the log axis
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(xs, overhead, "o-", label="RTL measured (Verilator) vs model")
        ax.axhline(0, color="tab:orange", ls="--", label="model (measured non-zeros per window)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("sparse_buffer depth (windows per stream; 0.5 = none)")
        ax.set_ylabel(f"{RTL_LAYER} cycles over the model (%)")
        ax.set_title(f"digits CNN {RTL_LAYER}: k={spec.fine}/9, {spec.coarse_in} streams, {frames} digits")
        if result["rho"]:
            ax2 = ax.twinx()
            ws = [w for w in result["rho"] if w <= max(depths)]
            ax2.plot(ws, [result["rho"][w] for w in ws], "s:", color="tab:green", label="rho_w (eq. 6)")
            ax2.set_ylabel("back-pressure rho_w")
            ax2.set_ylim(bottom=0)
            ax2.legend(loc="center right")
        ax.legend(loc="upper right")
        fig.tight_layout()
        fig.savefig(plot, dpi=120)
        print(f"\nfigure: {plot}")


def synth_rows(ks) -> str:
    """yosys synth_xilinx (xc7) of one sparse conv engine (3x3, W16A16, 38-bit accumulator)
    per k against the resource model's figures for it (crossbar LUTs included)."""
    from fpga_sdf.backend.rtl import sparse_conv, synth
    from fpga_sdf.backend.rtl.streams import ModuleParams, StreamType
    from fpga_sdf.model import expand
    from fpga_sdf.model.spec import LayerSpec

    x, w, acc = StreamType(16, 13, 9), StreamType(16, 15, 9), StreamType(38, 28, 1)
    lines = ["sparse conv engine (one S-MVE, K = 9, 16-bit data and weights): yosys xc7 vs model",
             "| k | yosys DSP | model DSP | yosys LUT | model LUT | yosys FF | model FF |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for k in ks:
        spec = LayerSpec("sc", "conv", ((16, 8, 8),), ((32, 8, 8),), kernel=(3, 3), stride=(1, 1),
                         pad=(1, 1, 1, 1), dilation=(1, 1), has_bias=True, coarse_in=2, coarse_out=2,
                         fine=k, data_width=16, weight_width=16, acc_width=38, sparsity=(0.5,) * 16)
        model = next(m for m in expand(spec) if m.name == "conv")
        p = ModuleParams("conv", "sc", 0, {}, [x, w], [acc], spec=spec, model=model,
                         name=f"synth_sparse_conv_k{k}")
        r = synth.synthesise_module(sparse_conv.generate(p), "xc7")
        m = synth.model_resources(model, "7series")
        lines.append(f"| {k} | {r.dsp} | {m['dsp']} | {r.lut} | {m['lut']:.0f} | {r.ff} | {m['ff']:.0f} |")
    return "\n".join(lines) + "\n"


def _override_crossbar(family: str, lut_per_bit: float) -> None:
    """Set the conv's crossbar_bits LUT coefficient of one family for this run (before any
    model figure is cached): how much the designs depend on the crossbar's cost."""
    from fpga_sdf.model.coefficients import logic_table, resource_coefficients

    data = resource_coefficients()
    table = data["logic"] if family == "ultrascale+" else data["logic_by_family"][family]
    table["conv"]["lut"]["crossbar_bits"] = lut_per_bit
    logic_table.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zoo", default="vgg16:0.65,resnet18:0.57", help="NAME:PROFILE pairs ('' to skip)")
    parser.add_argument("--boards", default="zc706,zcu102")
    parser.add_argument("--skip-digits", action="store_true")
    parser.add_argument("--skip-dse", action="store_true", help="skip the model's DSE sections (digits and zoo)")
    parser.add_argument("--rtl", action="store_true", help="the RTL rung: Verilator simulation of the digits CNN")
    parser.add_argument("--rtl-frames", type=int, default=10)
    parser.add_argument("--rtl-depths", default="0,1,2,4,8,16,32,64")
    parser.add_argument("--plot", default="", help="PNG of the buffer-depth sweep")
    parser.add_argument("--breakdown", action="store_true",
                        help="per partition of each zoo sparse design: time share, binding resource, DSP efficiency")
    parser.add_argument("--crossbar-lut", default="",
                        help="what-if: FAMILY=LUT per crossbar mux-input bit (e.g. 7series=0.6241, the fit on the "
                             "16-bit engines alone) instead of the calibrated coefficient")
    parser.add_argument("--synth", default="", help="k values (e.g. 1,3,5,8): yosys of one sparse conv engine each")
    args = parser.parse_args()
    boards = args.boards.split(",")
    print(f"machine: {os.cpu_count()} cores, {host.system()}, python {host.python_version()}")
    if args.crossbar_lut:
        family, value = args.crossbar_lut.split("=")
        _override_crossbar(family, float(value))
        print(f"what-if: {family} crossbar LUT coefficient {value} (not the calibrated one)")
    if args.rtl:
        result = rtl_rows(args.rtl_frames, [int(d) for d in args.rtl_depths.split(",")])
        print_rtl(result, args.rtl_frames, args.plot or None)
        print()
    if args.synth:
        print(synth_rows([int(k) for k in args.synth.split(",")]))
    if args.skip_dse:
        return
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
        details = [] if args.breakdown else None
        for name, profile, board, d, s, marked, convs in zoo_rows(cases, boards, details):
            if s is None:
                print(f"| {name} | {profile} | {board} | {marked}/{convs} | not mappable: {d} |")
                continue
            anchor = PASS_GOPS_PER_DSP.get((name, board))
            print(f"| {name} | {profile} | {board} | {marked}/{convs} | {d['partitions']}/{s['partitions']} | "
                  f"{d['gops']:.1f} | {s['gops']:.1f} | {d['gops_per_dsp']:.3f} | {s['gops_per_dsp']:.3f} | "
                  f"{s['gops_per_dsp'] / d['gops_per_dsp']:.2f} | {anchor if anchor else '-'} | "
                  f"{d['seconds']:.1f}/{s['seconds']:.1f} |")
        for text in details or ():
            print("\n" + text)


if __name__ == "__main__":
    main()
