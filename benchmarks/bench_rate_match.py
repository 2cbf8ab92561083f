"""Data-rate-matched designs (`--sdf-rate-match`) against seed 004's Table II.

MobileNetV2 (and V1) at 8 bits on the XCVU37P, one row per input data rate J/H of the
seed's table at the seed's clock: the model's fps (at batch 1, and in the steady state: a
frame every partition interval, the paper's continuous flow), DSP, LUT and BRAM beside the paper's,
and how many layers needed more than one pixel per cycle (`pixels`; the RTL backend builds
the dense conv chain and ReLU-style activations at p > 1, docs/notes/rtl-backend.md "Multi-pixel
layers"). The flow is the command a user would run:

    fpga-opt m.mlir --sdf-quantize="weights=8 activations=8" \\
        --sdf-target="platform=xcvu37p clock=403.71" --sdf-rate-match="features=6 cycles=1" --sdf-report

    .venv/bin/python benchmarks/bench_rate_match.py [--models mobilenetv2,mobilenetv1]
    .venv/bin/python benchmarks/bench_rate_match.py --models mobilenetv2 --breakdown 6/1

`--breakdown J/H` prints, for that one row, where the DSPs go: per layer its folding, the
multipliers it builds, the DSPs they take and the MACs per cycle the rate needs (the
layer's MACs per frame over the frame time), then the DSPs per layer kind.
"""

from __future__ import annotations

import argparse
import platform as host
import time

from collections import Counter
from fractions import Fraction
from math import prod

from fpga_sdf import api, network
from fpga_sdf.design_report import network_report
from fpga_sdf.frontend import zoo
from fpga_sdf.frontend.importer import import_model
from fpga_sdf.model import expand, layer_resources, load_platform, module_resources
from fpga_sdf.model.spec import kernel_of, pixels_of

# seed 004 Table II, MobileNetV2 8-bit on the XCVU37P: (J, H, clock MHz, fps, DSP, LUT, BRAM)
PAPER = [(6, 1, 403.71, 16020.40, 6302, 186_000, 1410), (3, 1, 404.53, 8026.40, 3168, 124_000, 1194.5),
         (3, 2, 400.64, 3974.61, 1765, 77_000, 1038), (3, 4, 405.52, 2011.48, 928, 52_000, 1048),
         (3, 8, 408.33, 1012.72, 526, 41_000, 1063.5), (3, 16, 410.00, 508.44, 306, 33_000, 1068),
         (3, 32, 353.48, 219.17, 212, 30_000, 1078)]


def design(base: str, name: str, j: int, h: int, clock: float):
    """The module after the user's passes for one row: quantize, target, rate-match."""
    module = api.parse(base, name)
    api.run_pass(module, "sdf-quantize", weights=8, activations=8)
    api.run_pass(module, "sdf-target", platform="xcvu37p", clock=clock)
    api.run_pass(module, "sdf-rate-match", features=j, cycles=h)
    return module


def layer_macs(spec) -> int:
    """Multiply-accumulates per frame of a conv / inner product (0 for other kinds)."""
    if spec.kind == "conv":
        cin_g = spec.inputs[0][0] // spec.groups
        return pixels_of(spec.outputs[0]) * spec.outputs[0][0] * cin_g * prod(kernel_of(spec))
    if spec.kind == "inner_product":
        return prod(spec.inputs[0]) * prod(spec.outputs[0])
    return 0


def breakdown(module, frame: Fraction) -> None:
    """Per layer: folding, multipliers built, DSPs, and MACs per cycle the rate needs."""
    device = load_platform("xcvu37p")
    print(f"frame time T = {float(frame):,.1f} cycles")
    print("| layer | kind | groups | ci/co/cg/fine | pixels | multipliers | DSP | MACs/cycle needed | "
          "DSP / needed |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    by_kind, total, needed_total = Counter(), 0, Fraction(0)
    for name, op in network.named_layers(module):
        spec = network.layer_spec(name, op)
        dsp = layer_resources(spec, device).dsp
        mults = sum(int(-(-m.instances * m.mults * m.lanes // 1)) for m in expand(spec))
        needed = Fraction(layer_macs(spec)) / frame
        kind = spec.kind + (" dw" if spec.kind == "conv" and spec.groups > 1 else
                            " 1x1" if spec.kind == "conv" and prod(kernel_of(spec)) == 1 else "")
        for m in expand(spec):
            by_kind[f"{kind}: {m.name}"] += module_resources(m, device.family, device.has_uram).dsp
        total += dsp
        needed_total += needed
        if dsp or needed:
            print(f"| {name} | {kind} | {getattr(spec, 'groups', 1)} | {spec.coarse_in}/{spec.coarse_out}/"
                  f"{spec.coarse_group}/{spec.fine} | {spec.pixels[0]} | {mults:,} | {dsp:,} | "
                  f"{float(needed):,.1f} | {dsp / float(needed) if needed else 0:.2f} |")
    print(f"\nlayers: {total:,} DSP for {float(needed_total):,.0f} MACs per cycle "
          f"({total / float(needed_total):.2f} DSP per MAC per cycle)")
    print("| layer kind: module | DSP |\n|---|---:|")
    for key, dsp in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        if dsp:
            print(f"| {key} | {dsp:,} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mobilenetv2,mobilenetv1")
    parser.add_argument("--breakdown", default="", help="J/H: the per-layer DSP breakdown of that row only")
    args = parser.parse_args()
    print(f"machine: {host.machine()}, {host.system()}, python {host.python_version()}")
    if args.breakdown:
        j, h = (int(v) for v in args.breakdown.split("/"))
        clock = next(row[2] for row in PAPER if row[:2] == (j, h))
        for name in args.models.split(","):
            model, x = zoo.build(name)
            module = design(api.to_text(import_model(model, x, weights="inline")), name, j, h, clock)
            print(f"\n{name} at {j}/{h}, {clock} MHz")
            breakdown(module, Fraction(prod(x.shape[1:]) * h, j))
        return
    print("| model | J/H | clock MHz | fps (model) | fps steady (model) | fps (paper) | DSP (model) | DSP (paper) | "
          "LUT (model) | BRAM18 (model) | layers with pixels > 1 | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models.split(","):
        model, x = zoo.build(name)
        base = api.to_text(import_model(model, x, weights="inline"))
        for j, h, clock, fps, dsp, _lut, _bram in PAPER:
            start = time.monotonic()
            module = design(base, name, j, h, clock)
            full = network_report(module, "bench_rate_match")
            report = full["network"]
            # once the pipeline is full a frame leaves every interval (of each partition in
            # turn); the report's fps, at batch 1, also waits for the pipeline depth
            steady = clock * 1e6 / sum(p["interval"] for p in full["partitions"])
            multi = sum(network.layer_spec(n, op).pixels != (1, 1) for n, op in network.named_layers(module))
            paper = (f"{fps:,.0f}", f"{dsp:,}") if name == "mobilenetv2" else ("", "")
            res = report["resources"]
            print(f"| {name} | {j}/{h} | {clock} | {report['fps']:,.0f} | {steady:,.0f} | {paper[0]} | {res['dsp']:,} | "
                  f"{paper[1]} | "
                  f"{res['lut']:,} | {res['bram18']:,} | {multi} | {time.monotonic() - start:.1f} |", flush=True)


if __name__ == "__main__":
    main()
