"""Verilator simulation of generated RTL: one module on numpy stream inputs (generator unit
tests), and the shared pieces the partition simulator (sim.py) builds on.

    outs = simulate(cls, [StreamType...], [StreamType...], [x0, x1], backpressure=0.3)
    outs[j].values   # (n, lanes) integers that left out{j}
    outs[j].cycles   # the cycle each of them moved

`elaborate(cls)` turns a PyCDE module class into SystemVerilog files (without PyCDE's
location comments). `harness_source` writes a generic C++ testbench for a top with valid/ready
stream ports; `build` compiles it with `verilator --cc --exe --build -O2`, cached by the
content of the sources (like backend/hls/csim.py), so an unchanged module is not rebuilt.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ...diagnostics import UserError
from ...model.fifo_depths import DMA_FIFO_BEATS
from .streams import StreamType, pack_words, port_names, unpack_words

__all__ = ["elaborate", "PortSpec", "harness_source", "build", "run_binary", "simulate", "SimOutput",
           "StallError", "verilator"]

LOWERING_OPTIONS = "locationInfoStyle=none,omitVersionComment"


# DMA_FIFO_BEATS (model/fifo_depths.py): beats per AXI port the DMA buffers (prefetched
# reads, pending writes) in a simulation with shared bandwidth: the bandwidth a stalled design
# leaves unused is banked up to that many beats of every port. With 1 the DMA idles through
# every stall of the design: the lit test's first partition then runs 3.5% slower than the
# model's bandwidth bound, which assumes a DMA busy every cycle (at 64 the two agree within
# 0.3%, docs/notes/rtl-backend.md). The model reads the same figure for the runs of a
# window's padding where no port can move (fifo_depths.dma_idle_cycles).


class StallError(RuntimeError):
    """No stream moved for the stall bound; the message names the stalled streams."""


def verilator() -> str:
    path = shutil.which("verilator")
    if path is None:
        raise UserError("RTL simulation needs Verilator (apt-get install verilator; scripts/setup.sh installs it)")
    return path


# ------------------------------------------------------------------------------ SV


def elaborate(top, name: str | None = None) -> dict[str, str]:
    """SystemVerilog of a PyCDE module class and everything it instantiates: {file: text}."""
    from pycde import System
    from pycde.circt import ir

    # PyCDE runs gc.collect() after every lowering pass; in a process holding many objects
    # (torch, a test session) each collection scans them all. Freezing what exists now keeps
    # those collections to PyCDE's own objects (10x faster elaboration in the test suite).
    gc.freeze()
    try:
        with tempfile.TemporaryDirectory(prefix="sdf_pycde_") as tmp:
            system = System([top], name=name or "design", output_directory=tmp)
            system.mod.operation.attributes["circt.loweringOptions"] = ir.StringAttr.get(LOWERING_OPTIONS)
            system.compile()
            hw = Path(tmp) / "hw"
            files = {p.name: p.read_text() for p in sorted(hw.glob("*.sv"))}
    finally:
        gc.unfreeze()
    return files


# ------------------------------------------------------------------------------ harness


@dataclass(frozen=True)
class PortSpec:
    """A stream port of the simulated top: signal names and the data width in bits."""

    data: str
    valid: str
    ready: str
    bits: int
    last: str | None = None  # AXI-Stream tlast (inputs: driven at each frame's last beat)

    @property
    def chunks(self) -> int:
        return -(-self.bits // 32)

    @staticmethod
    def stream(prefix: str, t: StreamType) -> "PortSpec":
        d, v, r = port_names(prefix)
        return PortSpec(d, v, r, t.bits)


def harness_source(top: str, inputs: list[PortSpec], outputs: list[PortSpec],
                   debug_bits: int = 0, shared_bandwidth: bool = False, loops=()) -> str:
    """C++ testbench: drives every input from in<i>.bin (uint32 chunks per word) as fast as the
    design takes it, holds each output's ready high except for a random `backpressure` share of
    cycles, writes out<j>.bin and out<j>.cyc (uint64 cycle of each word). With `debug_bits` the
    top has `debug_valid` / `debug_ready` vectors: a stream moves when both bits are set;
    track.txt lists (bit, words per frame) pairs whose first and last word of every frame are
    written to trace.bin. Stops when every output has its expected word count, or when nothing
    moved for `stall` cycles (stall.txt lists the blocked and starved streams; exit 3).
    ports.txt: the beats every input, then every output, moved.

    With `shared_bandwidth`, bandwidth.txt gives the bits per cycle that all ports share, as
    the ports of a partition share its DMA's off-chip bandwidth: a budget that grows by that
    much a cycle, up to one cycle's worth plus DMA_FIFO_BEATS beats of every port (the DMA's
    FIFOs: bandwidth left unused while the design stalls is banked that far, then lost), and
    that every beat moved on any port spends. A port is offered a cycle (input valid,
    output ready) when the budget left covers its beat, taking the ports in a rotating order;
    an offered input that did not move keeps its turn (AXI: tvalid stays up until the beat
    moves). No file, or 0: every port every cycle.

    `loops` (output j, input i, burst, frame beats[, prefix beats]) close a port pair through
    the host's DDR (an evicted skip stream, a window_evicted layer's write and a lagged tap's
    read): input i reads back, in order, the beats output j wrote, from in<i>.bin's place (no
    file), each once its burst is written; with `prefix` < frame only the first `prefix` beats
    of each frame (a lagged tap reads the slices it still reaches). A burst ends after `burst`
    beats, at a frame's last beat, or when the writer has no beat to send (the DMA does not
    hold a partial burst back while the reader may need it)."""
    loops = [tuple(loop) + (loop[3],) * (5 - len(loop)) for loop in loops]
    lines = [
        f'#include "V{top}.h"', '#include "verilated.h"', "#include <cstdint>", "#include <cstdio>",
        "#include <cstdlib>", "#include <string>", "#include <vector>", "",
        "template <typename T> static void set_w(T& s, const uint32_t* w, int n) {",
        "  uint64_t v = w[0]; if (n > 1) v |= (uint64_t)w[1] << 32; s = (T)v; }",
        "template <std::size_t N> static void set_w(VlWide<N>& s, const uint32_t* w, int) {",
        "  for (std::size_t i = 0; i < N; i++) s[i] = w[i]; }",
        "template <typename T> static void get_w(const T& s, uint32_t* w, int n) {",
        "  uint64_t v = (uint64_t)s; w[0] = (uint32_t)v; if (n > 1) w[1] = (uint32_t)(v >> 32); }",
        "template <std::size_t N> static void get_w(const VlWide<N>& s, uint32_t* w, int) {",
        "  for (std::size_t i = 0; i < N; i++) w[i] = s[i]; }",
        "template <typename T> static bool bit_of(const T& s, int b) { return ((uint64_t)s >> b) & 1; }",
        "template <std::size_t N> static bool bit_of(const VlWide<N>& s, int b) { return (s[b / 32] >> (b % 32)) & 1; }",
        "static std::vector<uint32_t> load(const std::string& p) {",
        "  std::vector<uint32_t> v; FILE* f = fopen(p.c_str(), \"rb\"); if (!f) return v;",
        "  fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET); v.resize(n / 4);",
        "  if (n && fread(v.data(), 4, n / 4, f) != (size_t)(n / 4)) exit(4); fclose(f); return v; }",
        "static void save(const std::string& p, const void* d, size_t bytes) {",
        "  FILE* f = fopen(p.c_str(), \"wb\"); if (!f) exit(5); if (bytes) fwrite(d, 1, bytes, f); fclose(f); }",
        "",
        "int main(int argc, char** argv) {",
        "  if (argc < 2) { fprintf(stderr, \"usage: sim DIR\\n\"); return 2; }",
        "  std::string dir = argv[1];",
        "  long long max_cycles = 1000000000LL, stall = 100000; int bp = 0; unsigned seed = 1;",
        "  { FILE* f = fopen((dir + \"/config.txt\").c_str(), \"r\");",
        "    if (f) { if (fscanf(f, \"%lld %lld %d %u\", &max_cycles, &stall, &bp, &seed) != 4) return 6; fclose(f); } }",
        "  srand(seed);",
        "  VerilatedContext* ctx = new VerilatedContext; ctx->commandArgs(argc, argv);",
        f"  V{top}* top = new V{top}{{ctx}};",
    ]
    ni, no = len(inputs), len(outputs)
    lines += [f"  const int NI = {ni}, NO = {no};",
              f"  const int ICH[{max(ni, 1)}] = {{{', '.join(str(p.chunks) for p in inputs) or '0'}}};",
              f"  const int OCH[{max(no, 1)}] = {{{', '.join(str(p.chunks) for p in outputs) or '0'}}};",
              "  std::vector<uint32_t> in[NI > 0 ? NI : 1]; size_t in_n[NI > 0 ? NI : 1], in_i[NI > 0 ? NI : 1];",
              "  long long frame_words[NI > 0 ? NI : 1];",
              "  for (int i = 0; i < NI; i++) { in[i] = load(dir + \"/in\" + std::to_string(i) + \".bin\");",
              "    in_n[i] = in[i].size() / ICH[i]; in_i[i] = 0; frame_words[i] = (long long)in_n[i]; }",
              "  { FILE* f = fopen((dir + \"/frames.txt\").c_str(), \"r\");",
              "    if (f) { for (int i = 0; i < NI; i++) if (fscanf(f, \"%lld\", &frame_words[i]) != 1) return 6; fclose(f); } }",
              "  long long expect[NO > 0 ? NO : 1];",
              "  for (int j = 0; j < NO; j++) expect[j] = -1;",
              "  { FILE* f = fopen((dir + \"/expect.txt\").c_str(), \"r\");",
              "    if (f) { for (int j = 0; j < NO; j++) if (fscanf(f, \"%lld\", &expect[j]) != 1) return 6; fclose(f); } }",
              "  std::vector<uint32_t> out[NO > 0 ? NO : 1]; std::vector<uint64_t> cyc[NO > 0 ? NO : 1];",
              "  bool ordy[NO > 0 ? NO : 1];",
              *[f"  in_n[{i}] = (size_t)(expect[{j}] / {frame} * {prefix}); size_t in_a{i} = 0, pend{i} = 0;"
                if prefix != frame else f"  in_n[{i}] = (size_t)expect[{j}]; size_t in_a{i} = 0, pend{i} = 0;"
                for j, i, _, frame, prefix in loops],
              "  std::vector<int> tb; std::vector<long long> tw;",
              "  { FILE* f = fopen((dir + \"/track.txt\").c_str(), \"r\");",
              "    if (f) { int b; long long w; while (fscanf(f, \"%d %lld\", &b, &w) == 2) { tb.push_back(b); tw.push_back(w); } fclose(f); } }",
              "  std::vector<long long> tcount(tb.size(), 0); std::vector<uint64_t> trace;",
              "  std::vector<std::vector<uint64_t>> tfirst(tb.size()), tlast(tb.size());",
              "  top->clk = 0; top->rst = 1;",
              "  for (int k = 0; k < 4; k++) { top->clk = 0; top->eval(); top->clk = 1; top->eval(); }",
              "  top->rst = 0;",
              "  long long cycle = 0, idle = 0; int status = 0;",
              "  uint32_t buf[4096];",
              "  while (cycle < max_cycles) {"]
    np_ = ni + no
    if shared_bandwidth:
        bits = [p.bits for p in inputs] + [p.bits for p in outputs]
        lines[-1:-1] = [
            "  double bw = 0, credit = 0; int rr = 0;",
            "  { FILE* f = fopen((dir + \"/bandwidth.txt\").c_str(), \"r\");",
            "    if (f) { if (fscanf(f, \"%lf\", &bw) != 1) return 6; fclose(f); } }",
            f"  const int NP = {np_}; const double PB[{np_}] = {{{', '.join(map(str, bits))}}};",
            f"  const double cap = bw + {sum(bits) * DMA_FIFO_BEATS};",
            f"  bool grant[{np_}], held[{np_}];",
            "  for (int q = 0; q < NP; q++) { grant[q] = true; held[q] = false; }"]
        lines += ["    if (bw > 0) {",
                  "      credit = credit + bw < cap ? credit + bw : cap; double left = credit;",
                  "      for (int q = 0; q < NP; q++) if (held[q]) { grant[q] = true; left -= PB[q]; }",
                  "      for (int k = 0; k < NP; k++) { int q = (rr + k) % NP; if (held[q]) continue;",
                  "        grant[q] = left >= PB[q]; if (grant[q]) left -= PB[q]; }",
                  "      rr = (rr + 1) % NP; }"]
    source = {i: (j, frame, prefix) for j, i, _, frame, prefix in loops}
    for i, p in enumerate(inputs):
        g = f" && grant[{i}]" if shared_bandwidth else ""
        if i in source and source[i][1] != source[i][2]:  # a prefix of each frame the output wrote
            j, frame, prefix = source[i]
            lines += [f"    size_t src{i} = in_i[{i}] / {prefix} * {frame} + in_i[{i}] % {prefix};",
                      f"    top->{p.valid} = in_i[{i}] < in_n[{i}] && src{i} < in_a{i}{g};",
                      f"    if (top->{p.valid}) set_w(top->{p.data}, &out[{j}][src{i} * OCH[{j}]], ICH[{i}]);"]
        elif i in source:  # what output source[i] wrote, as far as whole bursts of it are written
            j = source[i][0]
            lines += [f"    top->{p.valid} = in_i[{i}] < in_a{i}{g};",
                      f"    if (in_i[{i}] < in_a{i}) set_w(top->{p.data}, &out[{j}][in_i[{i}] * OCH[{j}]], "
                      f"ICH[{i}]);"]
        else:
            lines += [f"    top->{p.valid} = in_i[{i}] < in_n[{i}]{g};",
                      f"    if (in_i[{i}] < in_n[{i}]) set_w(top->{p.data}, &in[{i}][in_i[{i}] * ICH[{i}]], ICH[{i}]);"]
        if p.last:
            lines.append(f"    top->{p.last} = (in_i[{i}] + 1) % frame_words[{i}] == 0;")
    for j, p in enumerate(outputs):
        g = f" && grant[{ni + j}]" if shared_bandwidth else ""
        offer = f"(bp == 0 || (rand() % 100) >= bp){g}" if g else "bp == 0 || (rand() % 100) >= bp"
        lines += [f"    ordy[{j}] = {offer};", f"    top->{p.ready} = ordy[{j}];"]
    lines += ["    top->clk = 0; top->eval();", "    bool moved = false;"]
    for i, p in enumerate(inputs):
        spend = f" if (bw > 0) credit -= PB[{i}];" if shared_bandwidth else ""
        lines.append(f"    if (top->{p.valid} && top->{p.ready}) {{ in_i[{i}]++; moved = true;{spend} }}")
        if shared_bandwidth:
            lines.append(f"    held[{i}] = bw > 0 && top->{p.valid} && !top->{p.ready};")
    for j, p in enumerate(outputs):
        spend = f" if (bw > 0) credit -= PB[{ni + j}];" if shared_bandwidth else ""
        lines += [f"    if (top->{p.valid} && ordy[{j}]) {{ get_w(top->{p.data}, buf, OCH[{j}]);{spend}",
                  f"      out[{j}].insert(out[{j}].end(), buf, buf + OCH[{j}]); cyc[{j}].push_back(cycle); moved = true; }}"]
    for j, i, burst, frame, _ in loops:  # the burst in flight on output j ends: input i may read it
        lines += [f"    {{ bool w = top->{outputs[j].valid} && ordy[{j}]; if (w) pend{i}++;",
                  f"      if (pend{i} && ((w && (pend{i} == {burst} || cyc[{j}].size() % {frame} == 0)) || "
                  f"!top->{outputs[j].valid})) {{ in_a{i} += pend{i}; pend{i} = 0; }} }}"]
    if debug_bits:
        lines += ["    for (int d = 0; d < " + str(debug_bits) + "; d++)",
                  "      if (bit_of(top->debug_valid, d) && bit_of(top->debug_ready, d)) { moved = true; break; }",
                  "    for (size_t k = 0; k < tb.size(); k++)",
                  "      if (bit_of(top->debug_valid, tb[k]) && bit_of(top->debug_ready, tb[k])) {",
                  "        long long c = tcount[k]++;",
                  "        if (c % tw[k] == 0) tfirst[k].push_back(cycle);",
                  "        if (c % tw[k] == tw[k] - 1) tlast[k].push_back(cycle); }"]
    lines += ["    top->clk = 1; top->eval();", "    cycle++;",
              "    bool done = true;",
              "    for (int i = 0; i < NI; i++) done = done && in_i[i] == in_n[i];",
              "    bool known = true;",
              "    for (int j = 0; j < NO; j++) { if (expect[j] < 0) known = false; else done = done && (long long)cyc[j].size() >= expect[j]; }",
              "    if (done && known) break;",
              "    idle = moved ? 0 : idle + 1;",
              "    if (idle >= stall) { if (known) status = 3; break; }",
              "  }",
              "  if (cycle >= max_cycles) status = 3;",
              "  if (status == 3) {",
              "    FILE* f = fopen((dir + \"/stall.txt\").c_str(), \"w\");",
              "    fprintf(f, \"cycle %lld\\n\", cycle);"]
    for i, p in enumerate(inputs):
        lines.append(f'    fprintf(f, "port in{i} %d %d %zu/%zu\\n", (int)top->{p.valid}, (int)top->{p.ready}, in_i[{i}], in_n[{i}]);')
    for j, p in enumerate(outputs):
        lines.append(f'    fprintf(f, "port out{j} %d %d %zu/%lld\\n", (int)top->{p.valid}, (int)ordy[{j}], cyc[{j}].size(), expect[{j}]);')
    if debug_bits:
        lines += [f"    for (int d = 0; d < {debug_bits}; d++)",
                  '      fprintf(f, "stream %d %d %d\\n", d, (int)bit_of(top->debug_valid, d), (int)bit_of(top->debug_ready, d));']
    lines += ["    fclose(f);", "  }",
              "  for (int j = 0; j < NO; j++) {",
              "    save(dir + \"/out\" + std::to_string(j) + \".bin\", out[j].data(), out[j].size() * 4);",
              "    save(dir + \"/out\" + std::to_string(j) + \".cyc\", cyc[j].data(), cyc[j].size() * 8); }",
              "  for (size_t k = 0; k < tb.size(); k++) {",
              "    trace.push_back(tfirst[k].size());",
              "    trace.insert(trace.end(), tfirst[k].begin(), tfirst[k].end());",
              "    trace.push_back(tlast[k].size());",
              "    trace.insert(trace.end(), tlast[k].begin(), tlast[k].end()); }",
              "  save(dir + \"/trace.bin\", trace.data(), trace.size() * 8);",
              "  { FILE* f = fopen((dir + \"/cycles.txt\").c_str(), \"w\"); fprintf(f, \"%lld\\n\", cycle); fclose(f); }",
              "  { FILE* f = fopen((dir + \"/ports.txt\").c_str(), \"w\");",
              "    for (int i = 0; i < NI; i++) fprintf(f, \"%zu \", in_i[i]);",
              "    for (int j = 0; j < NO; j++) fprintf(f, \"%zu \", cyc[j].size());",
              "    fprintf(f, \"\\n\"); fclose(f); }",
              "  top->final(); delete top; delete ctx;",
              "  return status;", "}", ""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ build


def _cache_dir() -> Path:
    d = Path(os.environ.get("FPGA_SDF_RTL_CACHE", Path(tempfile.gettempdir()) / f"fpga_sdf_rtl_{os.getuid()}"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@lru_cache(maxsize=1)
def _verilator_version() -> str:
    out = subprocess.run([verilator(), "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


VERILATOR_FLAGS = ("--cc", "--exe", "--build", "-O2", "-Wno-fatal", "-Wno-lint", "-Wno-style",
                   "--x-assign", "0", "--x-initial", "0")


@dataclass(frozen=True)
class Binary:
    path: Path
    seconds: float  # compile time, 0.0 from the cache
    cached: bool


def build(sources: dict[str, str], top: str, harness: str, jobs: int | None = None) -> Binary:
    """Compile SV `sources` ({file: text}) with the harness into a simulator (cached)."""
    tool = verilator()
    h = hashlib.sha256()
    for name in sorted(sources):
        h.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    h.update(harness.encode() + top.encode() + " ".join(VERILATOR_FLAGS).encode() + _verilator_version().encode())
    key = h.hexdigest()[:24]
    cached = _cache_dir() / f"vsim_{key}.bin"
    if cached.is_file():
        return Binary(cached, 0.0, True)
    jobs = jobs or int(os.environ.get("FPGA_SDF_RTL_JOBS", "1"))
    with tempfile.TemporaryDirectory(prefix="sdf_vbuild_") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        files = []
        for name, text in sources.items():
            (src / name).write_text(text)
            files.append(str(src / name))
        (src / "harness.cpp").write_text(harness)
        cmd = [tool, *VERILATOR_FLAGS, "-j", str(jobs), "--top-module", top, "-Mdir", str(Path(tmp) / "obj"),
               "-o", "sim", *files, str(src / "harness.cpp")]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"verilator failed ({' '.join(cmd[:8])} ...):\n{proc.stdout[-3000:]}{proc.stderr[-6000:]}")
        tmp_bin = cached.with_suffix(f".tmp{os.getpid()}")
        shutil.copy2(Path(tmp) / "obj" / "sim", tmp_bin)
        os.replace(tmp_bin, cached)
    return Binary(cached, seconds, False)


def run_binary(binary: Path, work: Path, timeout: float = 3600.0) -> tuple[int, float]:
    """Run a built simulator in directory `work`; returns (exit status, seconds)."""
    t0 = time.perf_counter()
    proc = subprocess.run([str(binary), str(work)], capture_output=True, text=True, timeout=timeout, check=False)
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 3):
        raise RuntimeError(f"{binary} exited with {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
    return proc.returncode, seconds


# ------------------------------------------------------------------------------ one module


@dataclass
class SimOutput:
    values: np.ndarray  # (n, lanes) integers
    cycles: np.ndarray  # (n,) cycle of each word


def simulate(cls, inputs: list[StreamType], outputs: list[StreamType], data: list, expect: list[int] | None = None,
             backpressure: float = 0.0, seed: int = 1, stall_cycles: int = 10000,
             max_cycles: int = 100_000_000) -> list[SimOutput]:
    """Simulate the PyCDE module `cls` (stream ports in<i> / out<j> of the given types) on
    integer arrays `data[i]` ((n, lanes) or flat), with output ready low on a random
    `backpressure` share of cycles. Without `expect` (words per output) the simulation ends
    when nothing has moved for `stall_cycles`; with it, that is a StallError."""
    name = getattr(cls, "module_name", cls.__name__)
    sources = elaborate(cls, name)
    ports_in = [PortSpec.stream(f"in{i}", t) for i, t in enumerate(inputs)]
    ports_out = [PortSpec.stream(f"out{j}", t) for j, t in enumerate(outputs)]
    binary = build(sources, name, harness_source(name, ports_in, ports_out))
    with tempfile.TemporaryDirectory(prefix="sdf_msim_") as tmp:
        work = Path(tmp)
        for i, (t, x) in enumerate(zip(inputs, data)):
            pack_words(np.asarray(x), t).tofile(work / f"in{i}.bin")
        (work / "config.txt").write_text(f"{max_cycles} {stall_cycles} {int(round(backpressure * 100))} {seed}\n")
        if expect is not None:
            (work / "expect.txt").write_text(" ".join(str(int(e)) for e in expect) + "\n")
        status, _ = run_binary(binary.path, work)
        if status == 3:
            raise StallError(f"{name}: no stream moved for {stall_cycles} cycles:\n" + (work / "stall.txt").read_text())
        result = []
        for j, t in enumerate(outputs):
            words = np.fromfile(work / f"out{j}.bin", dtype="<u4").reshape(-1, -(-t.bits // 32))
            result.append(SimOutput(unpack_words(words, t), np.fromfile(work / f"out{j}.cyc", dtype="<u8").astype(np.int64)))
    return result
