"""Simulator speed on ONE ResNet-18 layer: the zoo's resnet18 layer2.0.conv2 (3x3, 128 -> 128,
28 x 28, stride 1) as a network of its own (one partition), quantized W16A16, folded, lowered
to RTL, built with Verilator and simulated; bit-exactness against the fixed-point executor
and measured against modelled cycles.

    nice -n 5 .venv/bin/python benchmarks/bench_rtl_layer.py --frames 1 --fold "coarse_in=4 coarse_out=4 fine=3"

The layer keeps the zoo's weights; its input frames are the activations that reach it in
resnet18 (the zoo's example input, then seeded normal noise, through the network up to it).
Prints translate, Verilator build and simulation seconds, simulated cycles and cycles/s.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn


from fpga_sdf import ir as sdf_ir
from fpga_sdf.api import run_pass
from fpga_sdf.backend.rtl import sim
from fpga_sdf.backend.rtl.emit import emit, write_project
from fpga_sdf.interp.executor import _arg_format, entry_function, execute
from fpga_sdf.interp.fixed import Fixed, quantize




class Layer(nn.Module):
    """One layer of a network, as a network (its name in the IR is `conv`)."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        self.conv = conv

    def forward(self, x):
        return self.conv(x)


def layer_and_inputs(name: str, frames: int):
    """The zoo resnet18's layer `name` (a dotted module path) and `frames` inputs it sees."""
    from fpga_sdf.frontend import zoo

    model, x = zoo.build("resnet18")
    conv = model.get_submodule(name)
    rng = np.random.default_rng(7)
    xs = torch.cat([x, torch.from_numpy(rng.standard_normal((frames - 1, *x.shape[1:])).astype(np.float32))])
    seen = []
    hook = conv.register_forward_hook(lambda _m, args, _out: seen.append(args[0].detach()))
    with torch.no_grad():
        model(xs)
    hook.remove()
    return Layer(conv).eval(), seen[0].contiguous()


def main() -> None:
    from fpga_sdf.frontend.importer import import_model

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layer", default="layer2.0.conv2", help="resnet18 module path of a conv")
    ap.add_argument("--frames", type=int, default=1)
    ap.add_argument("--fold", default="coarse_in=4 coarse_out=4 fine=3", help="--sdf-fold options for the layer")
    ap.add_argument("--platform", default="zcu102")
    ap.add_argument("--out", default="/tmp/rtl_layer_bench")
    args = ap.parse_args()
    layer, xs = layer_and_inputs(args.layer, args.frames)
    print(f"resnet18 {args.layer}: {layer.conv}, input {tuple(xs.shape)}", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    module = import_model(layer, xs[:1])
    np.save(out / "calib.npy", xs.numpy())
    run_pass(module, "sdf-quantize", f"calibration={out / 'calib.npy'} weights=16 activations=16")
    run_pass(module, "sdf-target", f"platform={args.platform}")
    if args.fold:
        run_pass(module, "sdf-fold", f"{args.fold} layers=conv")
    text = sdf_ir.to_text(module)
    (out / "layer.mlir").write_text(text)
    t0 = time.perf_counter()
    project = emit(sdf_ir.parse(text, "layer.mlir"), str(out / "layer.mlir"))
    write_project(project, str(out / "rtl"))
    translate_s = time.perf_counter() - t0
    print(f"translate: {translate_s:.1f} s", flush=True)
    x_int = quantize(xs.numpy(), _arg_format(entry_function(module), 0))
    t0 = time.perf_counter()
    y, stats = sim.run_integers(str(out / "rtl"), x_int)
    total_s = time.perf_counter() - t0
    build_s = total_s - stats["simulation_seconds"]
    fmt = sim.load_manifest(str(out / "rtl"))["partitions"][-1]["output"]["format"]
    ref = quantize(execute(module, [xs.numpy()], "fixed")[0], Fixed(*fmt))
    exact = bool(np.array_equal(y, ref))
    part = stats["partitions"][0]
    summary = {
        "layer": args.layer, "fold": args.fold, "frames": args.frames, "platform": args.platform,
        "translate_seconds": round(translate_s, 1), "verilator_build_seconds": round(build_s, 1),
        "simulation_seconds": round(stats["simulation_seconds"], 1),
        "simulated_cycles": stats["simulated_cycles"], "cycles_per_second": round(stats["cycles_per_second"]),
        "bit_exact": exact, "cycles_per_frame": part["cycles_per_frame"],
        "model_cycles_per_frame": part["model_cycles_per_frame"],
        "batch_cycles": part["batch_cycles"], "model_batch_cycles": part["model_batch_cycles"],
    }
    print(f"Verilator build (and load) {build_s:.1f} s; bit-exact against the fixed-point executor: {exact}")
    print(f"cycles/frame measured {part['cycles_per_frame']:.0f}, model {part['model_cycles_per_frame']}; "
          f"batch {part['batch_cycles']} (model {part['model_batch_cycles']})")
    print(f"simulator: {stats['simulated_cycles']} cycles in {stats['simulation_seconds']:.1f} s = "
          f"{stats['cycles_per_second'] / 1e3:.1f} k cycles/s")
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n")


if __name__ == "__main__":
    main()
