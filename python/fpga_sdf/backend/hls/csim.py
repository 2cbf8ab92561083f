"""g++ C-simulation of the HLS templates, without Vitis.

The ap_types headers (ap_fixed.h, ap_int.h, hls_stream.h; Xilinx, Apache-2.0) come from the
hls4ml wheel. A test program is C++ source that includes `sdf.hpp` (and `tb_io.hpp`); it is
compiled once per distinct source/flags/headers (binaries are cached by content hash) and
run with integer arrays exchanged through text files: each array is written as its length
followed by its integers (see templates/tb_io.hpp), inputs in one file, outputs in another.

    prog = compile_program(source)
    y, = prog.run([x_ints])
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = [
    "CsimError", "Program", "TEMPLATES", "DEFAULT_FLAGS", "SYNTH_STYLE_FLAGS",
    "ap_types_include", "compiler", "available", "compile_program", "csim",
]

TEMPLATES = Path(__file__).resolve().parent / "templates"

DEFAULT_FLAGS = ("-std=c++14", "-O1", "-Wno-unknown-pragmas")
# Flags that reject what HLS cannot synthesize inside the templates: variable-length arrays and
# exceptions. (-fno-rtti is not usable: the hls_stream.h simulation model calls typeid.
# Dynamic memory and recursion are kept out by tests that scan the headers.)
# The ap_types headers are included with -isystem, so these judge the templates alone.
SYNTH_STYLE_FLAGS = ("-std=c++14", "-Wno-unknown-pragmas", "-Werror=vla", "-fno-exceptions",
                     "-pedantic-errors", "-Wall", "-Wextra", "-Wno-unused-label", "-Werror")


class CsimError(RuntimeError):
    """The compiler or the simulated program failed; the message carries its output."""


@lru_cache(maxsize=1)
def ap_types_include() -> Path:
    """Directory holding ap_fixed.h / hls_stream.h: $FPGA_SDF_AP_TYPES, else the hls4ml wheel."""
    env = os.environ.get("FPGA_SDF_AP_TYPES")
    if env:
        p = Path(env)
        if not (p / "ap_fixed.h").is_file():
            raise CsimError(f"FPGA_SDF_AP_TYPES={env} has no ap_fixed.h")
        return p
    try:
        import importlib.util
        spec = importlib.util.find_spec("hls4ml")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise CsimError("the ap_types headers come from the hls4ml wheel, which is not installed")
    for root in spec.submodule_search_locations:
        for hit in sorted(Path(root).rglob("ap_fixed.h")):
            if (hit.parent / "hls_stream.h").is_file():
                return hit.parent
    raise CsimError("no ap_fixed.h with hls_stream.h next to it in the hls4ml wheel")


def compiler() -> str | None:
    """The C++ compiler: $CXX or g++ on PATH (None when there is none)."""
    return shutil.which(os.environ.get("CXX", "g++"))


def available() -> bool:
    """True when C-simulation can run here (a compiler and the ap_types headers)."""
    if compiler() is None:
        return False
    try:
        ap_types_include()
    except CsimError:
        return False
    return True


def _cache_dir() -> Path:
    d = Path(os.environ.get("FPGA_SDF_CSIM_CACHE",
                            Path(tempfile.gettempdir()) / f"fpga_sdf_csim_{os.getuid()}"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@lru_cache(maxsize=4)
def _compiler_id(cxx: str) -> str:
    out = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.splitlines()[0] if out.stdout else cxx


def _headers_digest() -> str:
    h = hashlib.sha256()
    for p in sorted(TEMPLATES.glob("*.hpp")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Program:
    """A compiled C-simulation program."""

    path: Path
    compile_seconds: float  # 0.0 when the binary came from the cache
    cached: bool

    def run(self, inputs: Sequence, timeout: float = 120.0) -> list[np.ndarray]:
        """Run with integer arrays in; return the integer arrays it writes, in order."""
        with tempfile.TemporaryDirectory(prefix="sdf_csim_run_") as tmp:
            fin, fout = Path(tmp) / "in.txt", Path(tmp) / "out.txt"
            with open(fin, "w") as f:
                for a in inputs:
                    a = np.asarray(a)
                    if a.size and not np.issubdtype(a.dtype, np.integer):
                        raise TypeError(f"inputs must be integer arrays, got {a.dtype}")
                    flat = a.astype(np.int64).ravel()
                    f.write(f"{flat.size} " + " ".join(map(str, flat.tolist())) + "\n")
            proc = subprocess.run([str(self.path), str(fin), str(fout)], capture_output=True,
                                  text=True, timeout=timeout, check=False)
            if proc.returncode != 0:
                raise CsimError(f"{self.path.name} exited with {proc.returncode}:\n"
                                f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
            return _read_arrays(fout.read_text())


def _read_arrays(text: str) -> list[np.ndarray]:
    toks = text.split()
    out, i = [], 0
    while i < len(toks):
        n = int(toks[i])
        out.append(np.array([int(t) for t in toks[i + 1:i + 1 + n]], dtype=np.int64))
        i += 1 + n
    return out


def compile_program(source: str, flags: Sequence[str] = DEFAULT_FLAGS,
                    link: bool = True) -> Program:
    """Compile `source` against the templates and ap_types headers (cached by content hash).

    With link=False only checks that it compiles (-fsyntax-only); the Program path is then
    the source file.
    """
    cxx = compiler()
    if cxx is None:
        raise CsimError("no C++ compiler (set CXX or install g++)")
    inc = ap_types_include()
    key = hashlib.sha256("\0".join(
        [source, " ".join(flags), str(link), _compiler_id(cxx), str(inc), _headers_digest()]
    ).encode()).hexdigest()[:24]
    cache = _cache_dir()
    src = cache / f"sdf_{key}.cpp"
    binary = cache / f"sdf_{key}.bin"
    target = binary if link else cache / f"sdf_{key}.ok"
    if target.is_file():
        return Program(binary if link else src, 0.0, True)
    # written under a name of this process, then renamed: parallel test workers compiling the
    # same source must not truncate the file another compiler is reading
    src_tmp = src.with_suffix(f".tmp{os.getpid()}.cpp")
    src_tmp.write_text(source)
    os.replace(src_tmp, src)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    cmd = [cxx, *flags, f"-I{TEMPLATES}", "-isystem", str(inc), str(src)]  # no header noise
    cmd += ["-o", str(tmp)] if link else ["-fsyntax-only"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise CsimError(f"compilation failed ({' '.join(cmd)}):\n{proc.stderr[-8000:]}")
    if link:
        os.replace(tmp, binary)
    else:
        target.write_text(proc.stderr)
    return Program(binary if link else src, seconds, False)


def csim(source: str, inputs: Sequence, flags: Sequence[str] = DEFAULT_FLAGS) -> list[np.ndarray]:
    """Compile (or reuse) and run a C-simulation program."""
    return compile_program(source, flags).run(inputs)
