"""Build and run an HLS project written by `fpga-translate --sdf-to-hls` (C-simulation).

`build(dir)` runs `make build` in every partition, reusing binaries from the C-simulation
cache of `csim.py` (keyed by the content of the partition's sources, the templates, the
compiler and the flags), so an unchanged project is not recompiled. `run(dir, x)` quantizes
the float input with the network's input format, runs the partitions in schedule order
(feature maps between them as integers in the streaming order, weights reloading as
several runs assembled on the host, all through runtime.Runtime with the C-simulation as its
device) and returns the dequantized output: the same arrays in and out as the reference
executor's fixed mode.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from ...diagnostics import UserError
from ...network import apply_view
from ...progress import Progress
from ...interp.fixed import Fixed, dequantize, quantize
from . import csim

__all__ = ["load_schedule", "build", "run", "run_integers", "is_project"]


def is_project(path: str) -> bool:
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "schedule.json"))


def load_schedule(directory: str) -> dict:
    from ...cli import read_manifest

    return read_manifest(directory, "schedule.json", "an fpga-translate project")


def _digest(part_dir: Path, root: Path) -> str:
    h = hashlib.sha256()
    files = sorted(list(part_dir.glob("src/*.cpp")) + list(part_dir.glob("tb/*.cpp"))
                   + list(part_dir.glob("*.hpp")) + list(part_dir.glob("Makefile"))
                   + list((root / "include").glob("*.hpp")))
    for p in files:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    cxx = csim.compiler() or "g++"
    h.update(csim._compiler_id(cxx).encode())
    h.update(os.environ.get("CXXFLAGS", "").encode())
    return h.hexdigest()[:24]


def build(directory: str, jobs: int = 2, use_cache: bool = True) -> dict:
    """`make build` in every partition (cached); returns {partition: seconds compiling}."""
    root = Path(directory).resolve()
    schedule = load_schedule(str(root))
    if csim.compiler() is None:
        raise UserError("C-simulation needs a C++ compiler (set CXX or install g++)")
    try:
        ap = str(csim.ap_types_include())
    except csim.CsimError as err:
        raise UserError(f"C-simulation needs the ap_types headers: {err}") from None
    times = {}
    with Progress(len(schedule["partitions"]), "csim build") as bar:
        for part in schedule["partitions"]:
            times[part["name"]] = _build_partition(root, part, ap, jobs, use_cache)
            bar.step(part["name"])
    return times


def _build_partition(root: Path, part: dict, ap: str, jobs: int, use_cache: bool) -> float:
    """`make build` of one partition (or its cached binary); returns seconds compiling."""
    pdir = root / part["name"]
    binary = root / part["binary"]
    cached = csim._cache_dir() / f"hlsproj_{_digest(pdir, root)}.bin"
    if use_cache and cached.is_file():
        binary.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(cached, binary)
        return 0.0
    t0 = time.perf_counter()
    proc = subprocess.run(["make", "-s", f"-j{jobs}", "build", f"AP_TYPES={ap}",
                           f"CXX={csim.compiler()}"], cwd=pdir, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise UserError(f"make build failed in {pdir}:\n{proc.stdout[-4000:]}{proc.stderr[-6000:]}")
    if use_cache:
        tmp = cached.with_suffix(f".tmp{os.getpid()}")
        shutil.copy2(binary, tmp)
        os.replace(tmp, cached)
    return seconds


def run_integers(directory: str, x_int: np.ndarray) -> np.ndarray:
    """Run the partitions in schedule order on integer frames (N, *input shape) of the input
    format; return the integer output (N, *output shape) of the output format. The host
    runtime drives the C-simulation as it drives a board (runtime.py: packed buffers,
    reconfigurations, reload runs assembled on the host)."""
    from .runtime import CsimDevice, Runtime

    return Runtime(directory, CsimDevice(directory)).run(x_int)


def run(directory: str, x: np.ndarray) -> np.ndarray:
    """Float input -> float output through the C-simulated project (executor conventions)."""
    schedule = load_schedule(directory)
    fin = Fixed(*schedule["input_format"])
    fout = Fixed(*schedule["partitions"][-1]["output"]["format"])
    x = np.asarray(x, dtype=np.float32)
    shape_in = tuple(schedule["partitions"][0]["input"]["shape"])
    if x.shape[1:] != shape_in:
        raise UserError(f"input has shape {x.shape}, the network expects (N, {', '.join(map(str, shape_in))})")
    y = run_integers(directory, quantize(x, fin))
    return apply_view(dequantize(y, fout).astype(np.float32), schedule.get("output_view"))
