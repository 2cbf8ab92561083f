"""Import speed and memory: ResNet-50 through `fpga-import` with sidecar weights.

Each run is a fresh `fpga-import --zoo resnet50 --weights=sidecar` process (building the
PyTorch model included, as a user would run it); wall time is measured around it and peak
memory is the child's maximum resident set size (`resource.getrusage(RUSAGE_CHILDREN)`).
`--phases` also times the steps in this process: build the model, torch.export + FX import,
--convert-torch-to-sdf, write IR + sidecar.

Run: .venv/bin/python benchmarks/bench_import.py [--model resnet50] [--repeats 3] [--phases]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time


def run_cli(model: str, repeats: int) -> tuple[float, float, int, int]:
    """(best wall seconds, peak RSS MiB, IR bytes, sidecar bytes) over `repeats` processes."""
    tool = os.path.join(os.path.dirname(sys.executable), "fpga-import")
    best = float("inf")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, f"{model}.mlir")
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([tool, "--zoo", model, "--weights=sidecar", "-o", out], check=True)
            best = min(best, time.perf_counter() - start)
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        ir_bytes = os.path.getsize(out)
        npz_bytes = os.path.getsize(os.path.join(tmp, f"{model}.weights.npz"))
    return best, peak_kib / 1024, ir_bytes, npz_bytes


def run_phases(model: str) -> dict[str, float]:
    from fpga_sdf.frontend import zoo
    from fpga_sdf.frontend.importer import Imported, to_sdf, torch_from_module

    phases = {}
    t = time.perf_counter()
    net, x = zoo.build(model)
    phases["build PyTorch model"] = time.perf_counter() - t
    t = time.perf_counter()
    module = torch_from_module(net, x, model)
    phases["torch.export + FX import"] = time.perf_counter() - t
    t = time.perf_counter()
    arrays = to_sdf(module, "sidecar", f"{model}.weights.npz")
    phases["--convert-torch-to-sdf (+ verify)"] = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        Imported(module, arrays, f"{model}.weights.npz").write(os.path.join(tmp, f"{model}.mlir"))
        phases["write IR + sidecar"] = time.perf_counter() - t
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--model", default="resnet50")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--phases", action="store_true", help="also time each step in-process")
    args = parser.parse_args()
    wall, peak, ir_bytes, npz_bytes = run_cli(args.model, args.repeats)
    print(f"fpga-import --zoo {args.model} --weights=sidecar: best of {args.repeats}: {wall:.2f} s, "
          f"peak RSS {peak:.0f} MiB, IR {ir_bytes / 1024:.0f} KiB, sidecar {npz_bytes / 2**20:.1f} MiB")
    if args.phases:
        for name, seconds in run_phases(args.model).items():
            print(f"  {name:<36} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
