"""Data-rate-matched designs (`--sdf-rate-match`) against seed 004's Table II.

MobileNetV2 (and V1) at 8 bits on the XCVU37P, one row per input data rate J/H of the
seed's table at the seed's clock: the model's fps, DSP, LUT and BRAM beside the paper's,
and how many layers needed more than one pixel per cycle (`pixels`; the RTL backend builds
the dense conv chain and ReLU-style activations at p > 1, docs/notes/rtl-backend.md "Multi-pixel
layers"). The flow is the command a user would run:

    fpga-opt m.mlir --sdf-quantize="weights=8 activations=8" \\
        --sdf-target="platform=xcvu37p clock=403.71" --sdf-rate-match="features=6 cycles=1" --sdf-report

    .venv/bin/python benchmarks/bench_rate_match.py [--models mobilenetv2,mobilenetv1]
"""

from __future__ import annotations

import argparse
import platform as host
import time

from fpga_sdf import api, network
from fpga_sdf.design_report import network_report
from fpga_sdf.frontend import zoo
from fpga_sdf.frontend.importer import import_model

# seed 004 Table II, MobileNetV2 8-bit on the XCVU37P: (J, H, clock MHz, fps, DSP, LUT, BRAM)
PAPER = [(6, 1, 403.71, 16020.40, 6302, 186_000, 1410), (3, 1, 404.53, 8026.40, 3168, 124_000, 1194.5),
         (3, 2, 400.64, 3974.61, 1765, 77_000, 1038), (3, 4, 405.52, 2011.48, 928, 52_000, 1048),
         (3, 8, 408.33, 1012.72, 526, 41_000, 1063.5), (3, 16, 410.00, 508.44, 306, 33_000, 1068),
         (3, 32, 353.48, 219.17, 212, 30_000, 1078)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mobilenetv2,mobilenetv1")
    args = parser.parse_args()
    print(f"machine: {host.machine()}, {host.system()}, python {host.python_version()}")
    print("| model | J/H | clock MHz | fps (model) | fps (paper) | DSP (model) | DSP (paper) | LUT (model) | "
          "BRAM18 (model) | layers with pixels > 1 | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in args.models.split(","):
        model, x = zoo.build(name)
        base = api.to_text(import_model(model, x, weights="inline"))
        for j, h, clock, fps, dsp, _lut, _bram in PAPER:
            start = time.monotonic()
            module = api.parse(base, name)
            api.run_pass(module, "sdf-quantize", weights=8, activations=8)
            api.run_pass(module, "sdf-target", platform="xcvu37p", clock=clock)
            api.run_pass(module, "sdf-rate-match", features=j, cycles=h)
            report = network_report(module, "bench_rate_match")["network"]
            multi = sum(network.layer_spec(n, op).pixels != (1, 1) for n, op in network.named_layers(module))
            paper = (f"{fps:,.0f}", f"{dsp:,}") if name == "mobilenetv2" else ("", "")
            res = report["resources"]
            print(f"| {name} | {j}/{h} | {clock} | {report['fps']:,.0f} | {paper[0]} | {res['dsp']:,} | {paper[1]} | "
                  f"{res['lut']:,} | {res['bram18']:,} | {multi} | {time.monotonic() - start:.1f} |", flush=True)


if __name__ == "__main__":
    main()
