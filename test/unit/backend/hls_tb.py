"""Builds batched C-simulation testbenches for the HLS templates (test helper).

A `Bench` collects cases; each case declares its types/constants in its own namespace and
a body that reads its input arrays, runs one template and writes its output arrays. All
cases are compiled into one program (one g++ run) and run once; `results()` maps each case
to (outputs from C++, expected outputs from the numpy kernels).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from fpga_sdf.backend.hls import csim
from fpga_sdf.backend.hls.tables import acc_type, array_initializer
from fpga_sdf.interp.fixed import Fixed

T = Fixed.hls_type  # Fixed -> "ap_fixed<W, I, AP_RND, AP_SAT>"


def to_stream(x: np.ndarray) -> np.ndarray:
    """(C, *spatial) -> flat stream order: channels fastest, then W, H, D."""
    return np.moveaxis(np.asarray(x), 0, -1).ravel()


def from_stream(flat: np.ndarray, shape) -> np.ndarray:
    """Inverse of to_stream for an array of `shape` = (C, *spatial)."""
    c, spatial = shape[0], tuple(shape[1:])
    return np.moveaxis(np.asarray(flat).reshape(spatial + (c,)), -1, 0)


def rand_fixed(rng: np.random.Generator, fmt: Fixed, shape, lo=None, hi=None) -> np.ndarray:
    """Uniform integers over fmt's range (or [lo, hi])."""
    lo = fmt.min_int if lo is None else lo
    hi = fmt.max_int if hi is None else hi
    return rng.integers(lo, hi + 1, size=shape, dtype=np.int64)


def const_array(name: str, q, fmt: Fixed) -> str:
    """`static const ap_fixed<...> name[n] = {...};` (the ROM the generated code emits)."""
    q = np.asarray(q)
    return f"static const {T(fmt)} {name}[{q.size}] = {array_initializer(q, fmt)};\n"


def geometry(spatial, kernel, stride=1, pad=0, dilation=1) -> str:
    """sdf::geometry<...> for a 2D (H, W) or 3D (D, H, W) layer; pad as in kernels.py."""
    nd = len(spatial)
    per = lambda v: (v,) * nd if np.isscalar(v) else tuple(v)  # noqa: E731
    k, s, d = per(kernel), per(stride), per(dilation)
    p = per(pad)
    if len(p) == nd:
        p = p + p
    lift = lambda t, one: (one,) * (3 - nd) + tuple(t)  # noqa: E731
    b, e = lift(p[:nd], 0), lift(p[nd:], 0)
    args = lift(spatial, 1) + lift(k, 1) + lift(s, 1) + b + e + lift(d, 1)
    return f"sdf::geometry<{', '.join(map(str, args))}>"


@dataclass
class Case:
    name: str
    decls: str
    body: str
    inputs: list
    expected: list


@dataclass
class Bench:
    name: str
    cases: list = field(default_factory=list)
    compile_seconds: float = 0.0
    run_seconds: float = 0.0
    cached: bool = False
    _results: dict | None = None

    def add(self, name, decls, body, inputs, expected):
        if any(c.name == name for c in self.cases):
            raise ValueError(f"duplicate case {name}")
        self.cases.append(Case(name, decls, body, [np.asarray(a) for a in inputs],
                               [np.asarray(a) for a in expected]))

    def source(self) -> str:
        parts = ["// generated C-simulation testbench: " + self.name,
                 "#include \"sdf.hpp\"", "#include \"tb_io.hpp\"", ""]
        for i, c in enumerate(self.cases):
            parts.append(f"namespace case_{i} {{  // {c.name}\n{c.decls}\n"
                         f"void run(std::istream& fin, std::ostream& fout) {{\n{c.body}\n}}\n}}\n")
        parts.append("int main(int argc, char** argv) {")
        parts.append("    if (argc != 3) { std::cerr << \"usage: tb in out\\n\"; return 2; }")
        parts.append("    std::ifstream fin(argv[1]);\n    std::ofstream fout(argv[2]);")
        for i, _ in enumerate(self.cases):
            parts.append(f"    case_{i}::run(fin, fout);")
        parts.append("    return 0;\n}\n")
        return "\n".join(parts)

    def results(self) -> dict:
        if self._results is None:
            prog = csim.compile_program(self.source())
            self.compile_seconds, self.cached = prog.compile_seconds, prog.cached
            t0 = time.perf_counter()
            outs = prog.run([a for c in self.cases for a in c.inputs])
            self.run_seconds = time.perf_counter() - t0
            n_out = sum(len(c.expected) for c in self.cases)
            assert len(outs) == n_out, f"{len(outs)} output arrays, expected {n_out}"
            self._results, k = {}, 0
            for c in self.cases:
                got = outs[k:k + len(c.expected)]
                k += len(c.expected)
                self._results[c.name] = (got, c.expected)
        return self._results

    def check(self, name: str) -> None:
        got, exp = self.results()[name]
        for g, e in zip(got, exp):
            e = np.asarray(e).ravel()
            assert g.shape == e.shape, f"{name}: {g.shape} words, expected {e.shape}"
            bad = np.flatnonzero(g != e)
            assert bad.size == 0, (f"{name}: {bad.size}/{e.size} words differ; first at "
                                   f"{bad[0]}: C++ {g[bad[0]]} vs numpy {e[bad[0]]}")


def stream_io(in_t: str, n_in: int, out_t: str, n_out: int, n_words: int, call: str,
              in_name="in", out_name="out") -> str:
    """Body: read one array into n_in streams, run `call`, drain n_words from n_out streams."""
    return (f"    std::vector<long long> x = sdf::tb::read_array(fin);\n"
            f"    hls::stream<{in_t}> {in_name}[{n_in}];\n"
            f"    sdf::tb::feed(x, {in_name}, {n_in});\n"
            f"    hls::stream<{out_t}> {out_name}[{n_out}];\n"
            f"    {call};\n"
            f"    sdf::tb::check_empty({in_name}, {n_in}, \"input\");\n"
            f"    sdf::tb::write_array(fout, sdf::tb::drain({out_name}, {n_out}, {n_words}));\n")


__all__ = ["Bench", "T", "acc_type", "const_array", "from_stream", "geometry", "rand_fixed",
           "stream_io", "to_stream", "math"]


def compile_synth_style(project_dir) -> None:
    """Every partition's layer files and top (the synthesized part, not the testbench) compile
    with the synthesizable-style flags (no VLAs, no exceptions, -pedantic-errors -Wall
    -Wextra -Werror), as test_hls_project checks for its networks."""
    from pathlib import Path

    root = Path(project_dir)
    for part in sorted(p for p in root.glob("p*") if (p / "src").is_dir()):
        unity = "".join(f'#include "{src}"\n' for src in sorted(part.glob("src/*.cpp")))
        csim.compile_program(unity, flags=csim.SYNTH_STYLE_FLAGS + ("-I", str(part), "-I", str(root / "include")),
                             link=False)


def run_project(module, x: np.ndarray, out, reference=None):
    """Emit `module` as an HLS project in `out`, build it and C-simulate it on x through the
    host runtime, as a board would run it: (project, the integer output, the fixed-point
    executor's integer output of `reference` (default: the module itself), the simulation's
    stdout with its loop counts)."""
    from fpga_sdf.backend.hls import project
    from fpga_sdf.backend.hls.emit import emit, write_project
    from fpga_sdf.backend.hls.runtime import CsimDevice, Runtime
    from fpga_sdf.interp.executor import _arg_format, entry_function, execute
    from fpga_sdf.interp.fixed import quantize

    reference = module if reference is None else reference
    proj = emit(module, source="net.mlir")
    write_project(proj, str(out))
    project.build(str(out))
    device = CsimDevice(str(out))
    y = Runtime(str(out), device).run(quantize(x, _arg_format(entry_function(reference), 0)).reshape(x.shape))
    fmt = project.load_schedule(str(out))["partitions"][-1]["output"]["format"]
    ref = quantize(execute(reference, [x], "fixed")[0], Fixed(*fmt))
    return proj, y.reshape(ref.shape), ref, "".join(device.stdout)
