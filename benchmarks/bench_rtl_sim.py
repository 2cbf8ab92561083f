"""RTL simulation of a zoo network: bit-exactness against the fixed-point executor, measured
cycles beside the model's, Verilator build time and simulator speed.

    .venv/bin/python benchmarks/bench_rtl_sim.py tiny_resnet --frames 3 --out /tmp/rtl_bench
    .venv/bin/python benchmarks/bench_rtl_sim.py tiny_resnet --fold "coarse_out=2 layers=conv1" \
        --fold "coarse_in=2 fine=3 layers=layer1.0" --cuts layer1.0 --out /tmp/rtl_bench_f

Every factor is 1 unless `--fold` (repeatable: one --sdf-fold run each, in order) says
otherwise; `--cuts` runs --sdf-partition (cut after the named layers).

Quantizes on the frames it simulates (the zoo's example input plus seeded normal noise),
writes the RTL with fpga_sdf.backend.rtl.emit, simulates it with Verilator (sim.run_integers)
and prints per partition and per layer measured / modelled cycles per frame.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from fpga_sdf import ir as sdf_ir
from fpga_sdf.api import run_pass
from fpga_sdf.backend.rtl import sim
from fpga_sdf.backend.rtl.emit import emit, write_project
from fpga_sdf.interp.executor import _arg_format, entry_function, execute
from fpga_sdf.interp.fixed import Fixed, quantize




def main() -> None:
    from fpga_sdf.frontend import digits, zoo
    from fpga_sdf.frontend.importer import import_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("network", help="zoo name or 'digits'")
    ap.add_argument("--frames", type=int, default=3)
    ap.add_argument("--fold", action="append", default=[],
                    help="--sdf-fold options, e.g. 'coarse_in=2 layers=conv1' (repeatable, applied in order)")
    ap.add_argument("--cuts", default="", help="--sdf-partition cuts, e.g. 'features.3,features.5'")
    ap.add_argument("--out", default="rtl_bench")
    args = ap.parse_args()
    model, x = digits.build() if args.network == "digits" else zoo.build(args.network)
    rng = np.random.default_rng(7)
    xs = np.concatenate([x.numpy(), rng.standard_normal((args.frames - 1, *x.shape[1:])).astype(np.float32)])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    module = import_model(model, x)
    np.save(out / "calib.npy", xs)
    run_pass(module, "sdf-quantize", f"calibration={out / 'calib.npy'}")
    for fold in args.fold:
        run_pass(module, "sdf-fold", fold)
    if args.cuts:
        run_pass(module, "sdf-partition", f"cuts={args.cuts}")
    text = sdf_ir.to_text(module)
    t0 = time.perf_counter()
    project = emit(sdf_ir.parse(text, args.network), args.network)
    write_project(project, str(out / "rtl"))
    print(f"translate: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    binaries = sim.build(str(out / "rtl"))
    build_s = sum(b.seconds for b in binaries.values())
    print(f"verilator build: {build_s:.1f} s ({sum(b.cached for b in binaries.values())} of "
          f"{len(binaries)} tops cached)")
    t0 = time.perf_counter()
    y, stats = sim.run_integers(str(out / "rtl"), quantize(xs, _arg_format(entry_function(module), 0)))
    print(f"simulate: {time.perf_counter() - t0:.1f} s")
    fmt = sim.load_manifest(str(out / "rtl"))["partitions"][-1]["output"]["format"]
    ref = quantize(execute(module, [xs], "fixed")[0], Fixed(*fmt))
    print(f"bit-exact against the fixed-point executor: {np.array_equal(y, ref)}")
    for p in stats["partitions"]:
        print(f"partition {p['index']}: {p['cycles_per_frame']:.0f} cycles/frame measured, "
              f"{p['model_cycles_per_frame']} modelled; batch {p['batch_cycles']} (model {p['model_batch_cycles']})")
    for layer in stats["layers"]:
        print(f"  {layer['name']:28} {layer['kind']:14} {layer['cycles_per_frame']:>10.0f} "
              f"{layer['model_cycles_per_frame']:>10} (alone {layer['model_layer_interval']})")
    fifos = [(s["index"], s["depth"]) for p in sim.load_manifest(str(out / "rtl"))["partitions"]
             for s in p["streams"] if s["depth"] > 2]
    print(f"FIFOs (stream, depth): {fifos}")
    print(f"simulator: {stats['simulated_cycles']} cycles in {stats['simulation_seconds']:.2f} s = "
          f"{stats['cycles_per_second'] / 1e3:.0f} k cycles/s")
    stats["verilator_build_seconds"] = build_s
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")


if __name__ == "__main__":
    main()
