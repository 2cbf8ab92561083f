"""Fuzzing the command-line tools: seeded mutations of the lit inputs, adversarial files and
options, each run as a user would run it, checked for the promises the tools make.

A case fails when a tool exits with anything but 0 or 1, dies of a signal, hangs, prints
"internal error" or a Python traceback, or fails and yet changes the file or directory given
as its `-o` (which exists, with known contents, before every run).

The cases run in processes forked from one that has imported the tools (but created no MLIR
context), so a case costs tens of milliseconds, a crash costs only its own process, and a
signal or a hang is seen for what it is. Used by test/unit/test_fuzz.py (a few hundred cases)
and benchmarks/bench_fuzz.py (the larger corpus):

    python test/fuzz/fuzzing.py --mutations 1300 --jobs 2 [--seed 0] [--json results.json]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_DIR = os.path.join(ROOT, "test")
SENTINEL = b"pre-existing output: a failing run must leave this file as it is\n"
TIMEOUT_S = 120.0


@dataclass
class Case:
    """One run of the tools: `steps` are argument lists (tool name first) run in order in
    a fresh directory holding `files`; `OUT` in an argument names the pre-existing output."""

    name: str
    steps: list[list[str]]
    files: dict[str, bytes] = field(default_factory=dict)
    stdin: bytes = b""


@dataclass
class Result:
    name: str
    codes: list[int]
    failure: str | None  # None: the case kept every promise
    seconds: float


# ----------------------------------------------------------------------------- running


def _tool_mains() -> dict:
    """Import the tools (and, through them, torch-mlir and the passes) before forking."""
    from fpga_sdf.pass_registry import load_all
    from fpga_sdf.tools import fpga_import, fpga_opt, fpga_run, fpga_translate

    load_all()
    return {"fpga-opt": fpga_opt.main, "fpga-run": fpga_run.main, "fpga-translate": fpga_translate.main,
            "fpga-import": fpga_import.main}


def _output_kind(step: list[str]) -> str:
    return "dir" if step[0] == "fpga-translate" else "file"


def _prepare(case: Case, work: str) -> None:
    for name, data in case.files.items():
        path = os.path.join(work, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(work, "OUT"), "wb") as f:
        f.write(SENTINEL)
    os.makedirs(os.path.join(work, "OUTDIR"), exist_ok=True)
    with open(os.path.join(work, "OUTDIR", "mine.txt"), "wb") as f:
        f.write(SENTINEL)
    with open(os.path.join(work, "stdin"), "wb") as f:
        f.write(case.stdin)


def _snapshot(work: str) -> tuple:
    """What a failing run must not change: the -o file (bytes, mode) and the -o directory."""
    out = os.path.join(work, "OUT")
    with open(out, "rb") as f:
        data = f.read()
    listing = sorted(os.listdir(os.path.join(work, "OUTDIR")))
    with open(os.path.join(work, "OUTDIR", "mine.txt"), "rb") as f:
        mine = f.read()
    return data, os.stat(out).st_mode, listing, mine


def _child(mains: dict, case: Case, step: list[str], work: str) -> None:
    """In the forked process: run one step with stdio redirected, exit with its code."""
    os.chdir(work)
    stdin = os.open("stdin", os.O_RDONLY)
    out = os.open("stdout.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open("stderr.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    for fd, target in ((stdin, 0), (out, 1), (err, 2)):
        os.dup2(fd, target)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8", errors="surrogateescape")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8", line_buffering=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", line_buffering=True)
    code = 3
    try:
        code = mains[step[0]](step[1:])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - an escaped exception is itself a finding
        import traceback

        traceback.print_exc()
        code = 4
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) and 0 <= code < 256 else 5)


def _judge(status: int, stderr: str, before: tuple, after: tuple, timed_out: bool) -> tuple[int, str | None]:
    if timed_out:
        return -1, f"no answer within {TIMEOUT_S:.0f} s"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return -sig, f"killed by signal {signal.Signals(sig).name}"
    code = os.WEXITSTATUS(status)
    if code not in (0, 1):
        return code, f"exit code {code}: {stderr.strip().splitlines()[-1:] or ''}"
    if "internal error" in stderr or "Traceback (most recent call last)" in stderr:
        return code, f"internal error: {stderr.strip()[:400]}"
    if code == 1 and after != before:
        return code, "failed, yet changed its pre-existing -o target"
    if code == 1 and not stderr.strip():
        return code, "failed without a message"
    return code, None


class _Running:
    def __init__(self, case: Case, work: str):
        self.case, self.work, self.step, self.codes = case, work, 0, []
        self.start = time.monotonic()
        self.pid = None
        self.began = 0.0
        self.before = None


def run_cases(cases: list[Case], jobs: int = 2, progress=None, mains: dict | None = None) -> list[Result]:
    """Run every case, `jobs` processes at a time; results in the order of `cases`.

    `mains` maps tool names to `main(argv) -> int` (default: the real tools)."""
    mains = mains or _tool_mains()
    root = tempfile.mkdtemp(prefix="fpga-fuzz-")
    pending = list(enumerate(cases))
    running: dict[int, tuple[int, _Running]] = {}
    results: list[Result | None] = [None] * len(cases)

    def launch(index: int, state: _Running) -> None:
        step = state.case.steps[state.step]
        state.before = _snapshot(state.work)
        pid = os.fork()
        if pid == 0:
            _child(mains, state.case, step, state.work)
        state.pid, state.began = pid, time.monotonic()
        running[pid] = (index, state)

    def finish(index: int, state: _Running, failure: str | None) -> None:
        results[index] = Result(state.case.name, state.codes, failure, time.monotonic() - state.start)
        shutil.rmtree(state.work, ignore_errors=True)
        if progress:
            progress(results[index])

    try:
        while pending or running:
            while pending and len(running) < jobs:
                index, case = pending.pop(0)
                work = os.path.join(root, str(index))
                os.makedirs(work)
                _prepare(case, work)
                launch(index, _Running(case, work))
            pid, status = os.waitpid(-1, os.WNOHANG)
            timed_out = False
            if pid == 0:
                late = [p for p, (_, s) in running.items() if time.monotonic() - s.began > TIMEOUT_S]
                if not late:
                    time.sleep(0.005)
                    continue
                pid = late[0]
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                timed_out = True
            index, state = running.pop(pid)
            with open(os.path.join(state.work, "stderr.txt"), errors="replace") as f:
                stderr = f.read()
            code, failure = _judge(status, stderr, state.before, _snapshot(state.work), timed_out)
            state.codes.append(code)
            state.step += 1
            if failure is None and code == 0 and state.step < len(state.case.steps):
                launch(index, state)
            else:
                finish(index, state, failure)
    finally:
        for pid in running:
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)
    return results


# ------------------------------------------------------------------------ the lit inputs


def lit_chunks() -> list[tuple[str, str]]:
    """(name, text) of every `// -----` chunk of the .mlir files under test/."""
    chunks = []
    for directory, dirs, files in os.walk(TEST_DIR):
        dirs[:] = sorted(d for d in dirs if d not in ("Output", "unit", "fuzz"))
        for name in sorted(files):
            if not name.endswith(".mlir"):
                continue
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for i, chunk in enumerate(re.split(r"^// -----$", text, flags=re.M)):
                if chunk.strip():
                    chunks.append((f"{os.path.relpath(path, TEST_DIR)}#{i}", chunk))
    return chunks


INTERESTING_NUMBERS = ["0", "-1", "1", "2", "3", "7", "64", "65", "-100", "100000", "2147483647",
                       "9223372036854775807", "9223372036854775808", "1e308", "-0.0", "0x7FC00000", "nan"]
TYPES = ["f32", "i32", "f16", "f64", "i1", "complex<f32>", "index"]
WORDS = ["relu", "leaky_relu", "max", "avg", "add", "mul", "nearest", "sigmoid", "conv", "weights.npz",
         "sdf.conv", "sdf.pool", "sdf.split", "sdf.weights", "sdf.partition", "sdf.yield", "func.func"]
ATTRS = ["coarse_in", "coarse_out", "coarse_group", "fine", "wr_factor", "stride", "pad", "dilation", "groups",
         "kernel", "scale", "mode", "kind", "alpha", "output_format", "acc_width", "name", "value", "file", "key",
         "weights_memory", "weights_off_chip", "weights_fragments", "sparsity", "pixels", "count_include_pad", "sdf.format"]
SNIPPETS = ["#sdf.fixed<16, 8>", "#sdf.fixed<0, 3>", "#sdf.fixed<64, 300>", "tensor<*xf32>", "memref<1x4xf32>",
            "array<i64: 1, 1>", "array<i64: 0, 0, 0, 0>", "dense<0x7F800000>", "{", "}", "(", ")", "[", "]", "<",
            ">", "\x00", "\xff", "%0", "%x", "// -----", "loc(\"a\":1:1)", "\"sdf.split\"(%x)", "^bb1:"]
PIPELINES = [
    ["fpga-opt", "IN", "-o", "OUT"],
    ["fpga-opt", "IN", "--sdf-verify", "-o", "OUT"],
    ["fpga-opt", "IN", "--sdf-quantize", "-o", "OUT"],
    ["fpga-opt", "IN", "--sdf-target=platform=zc706 batch=4", "--sdf-report=format=json output=report.json", "-o", "OUT"],
    ["fpga-opt", "IN", "--dse=platform=zcu102 time_limit=5", "-o", "OUT"],
    ["fpga-opt", "IN", "--sdf-fold=coarse_in=2", "-o", "OUT"],
    ["fpga-opt", "IN", "--sdf-expand-modules", "-o", "OUT"],
    ["fpga-opt", "IN", "--sdf-partition=cuts=none", "--sdf-weights-reloading", "-o", "OUT"],
    ["fpga-opt", "IN", "--convert-torch-to-sdf", "-o", "OUT"],
    ["fpga-opt", "IN", "--canonicalize", "--cse", "-o", "OUT"],
    ["fpga-run", "IN", "--input", "x.npy", "-o", "OUT"],
    ["fpga-run", "IN", "--input", "x.npy", "--mode", "fixed", "-o", "OUT"],
]


def mutate(text: str, rng: random.Random) -> str:
    """One to three random edits of MLIR text, biased towards plausible-looking IR."""
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        kind = rng.randrange(9)
        i = rng.randrange(len(lines))
        if kind == 0 and len(lines) > 1:
            del lines[i]
        elif kind == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif kind == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == 3:
            numbers = list(re.finditer(r"(?<![\w%#])-?\d+(\.\d+)?(e[+-]?\d+)?", text))
            if numbers:
                m = rng.choice(numbers)
                text = text[:m.start()] + rng.choice(INTERESTING_NUMBERS) + text[m.end():]
                continue
        elif kind == 4:
            found = list(re.finditer(r"\b(f32|i64)\b", text))
            if found:
                m = rng.choice(found)
                text = text[:m.start()] + rng.choice(TYPES) + text[m.end():]
                continue
        elif kind == 5:
            found = list(re.finditer(r'"[\w.]+"', text))
            if found:
                m = rng.choice(found)
                text = text[:m.start()] + f'"{rng.choice(WORDS)}"' + text[m.end():]
                continue
        elif kind == 6:
            found = list(re.finditer(r"\b[a-z_.]+(?= = )", text))
            if found:
                m = rng.choice(found)
                text = text[:m.start()] + rng.choice(ATTRS) + text[m.end():]
                continue
        elif kind == 7:
            pos = rng.randrange(len(text) + 1)
            text = text[:pos] + rng.choice(SNIPPETS) + text[pos:]
            continue
        else:
            pos = rng.randrange(len(text) + 1)
            text = text[:pos] + text[pos + rng.randint(1, 40):]
            continue
        text = "\n".join(lines)
    return text


def _input_for(text: str) -> bytes:
    """An .npy input matching the first function's first argument, if one can be read off."""
    m = re.search(r"func\.func @\w+\(%\w+: tensor<([\dx]+)xf32>", text)
    shape = [int(d) for d in m.group(1).split("x")] if m else [1, 4, 8, 8]
    if math.prod(shape) > 1_000_000 or len(shape) < 2:
        shape = [1, 4, 8, 8]
    shape[0] = 2
    buffer = io.BytesIO()
    np.save(buffer, np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    return buffer.getvalue()


def mutation_cases(count: int, seed: int) -> list[Case]:
    rng = random.Random(seed)
    chunks = lit_chunks()
    npz = _npz({"w": np.ones((2, 2, 3, 3), np.float32)})
    cases = []
    for n in range(count):
        name, chunk = chunks[n % len(chunks)] if n < len(chunks) else rng.choice(chunks)
        text = mutate(chunk, rng)
        pipeline = rng.choice(PIPELINES)
        data = text.encode("utf-8", errors="surrogateescape")
        files = {"in.mlir": data, "x.npy": _input_for(text), "weights.npz": npz}
        cases.append(Case(f"mutation {n} of {name} | {' '.join(pipeline[2:])}",
                          [[a.replace("IN", "in.mlir") for a in pipeline]], files))
    return cases


# ---------------------------------------------------------------------- adversarial files


def _npz(arrays: dict, compress: bool = False) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


RELU = ('func.func @f(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {\n'
        '  %0 = "sdf.activation"(%x) {kind = "relu"ATTRS} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>\n'
        '  return %0 : tensor<1x4x8x8xf32>\n}\n')
CONV = ('func.func @f(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {\n'
        '  %w = "sdf.weights"() {WEIGHTS} : () -> tensor<2x2x3x3xf32>\n'
        '  %b = "sdf.weights"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>\n'
        '  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>\n'
        '  return %0 : tensor<1x2x2x2xf32>\n}\n')


def _relu(attrs: str = "") -> str:
    return RELU.replace("ATTRS", attrs)


def _conv(weights: str) -> str:
    return CONV.replace("WEIGHTS", weights)


def adversarial_files() -> dict[str, bytes]:
    """Hand-written inputs that once crashed a tool or were wrongly accepted (issue 9)."""
    good = np.ones((2, 2, 3, 3), np.float32)
    crc = bytearray(_npz({"w": good}))
    crc[crc.find(b"\x93NUMPY") + 130] ^= 0xFF
    texts = {
        "private.mlir": "func.func private @f(tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>\n",
        "two-functions.mlir": _relu() + _relu().replace("@f", "@g"),
        "name-int.mlir": _relu(", name = 5"),
        "format-int.mlir": _relu(", output_format = 5"),
        "format-string.mlir": _relu(', output_format = "x"'),
        "format-width0.mlir": _relu(", output_format = #sdf.fixed<0, 13>"),
        "format-width-big.mlir": _relu(", output_format = #sdf.fixed<2147483647, 13>"),
        "format-frac-big.mlir": _relu(", output_format = #sdf.fixed<16, 100000>"),
        "format-frac-neg.mlir": _relu(", output_format = #sdf.fixed<16, -100>"),
        "format-i128.mlir": _relu(", output_format = #sdf.fixed<16 : i128, 3>"),
        "arg-format-int.mlir": _relu().replace("%x: tensor<1x4x8x8xf32>)", "%x: tensor<1x4x8x8xf32> {sdf.format = 3})"),
        "arg-format-width0.mlir": _relu().replace("%x: tensor<1x4x8x8xf32>)",
                                                  "%x: tensor<1x4x8x8xf32> {sdf.format = #sdf.fixed<0, 3>})"),
        "alpha-nan.mlir": _relu().replace('kind = "relu"', 'kind = "leaky_relu", alpha = 0x7FF8000000000000 : f64'),
        "weights-nan.mlir": _conv("value = dense<0x7FC00000> : tensor<2x2x3x3xf32>"),
        "weights-inf.mlir": _conv("value = dense<0x7F800000> : tensor<2x2x3x3xf32>"),
        "weights-tiny.mlir": _conv("value = dense<1.0e-44> : tensor<2x2x3x3xf32>"),
        "weights-both.mlir": _conv('value = dense<1.0> : tensor<2x2x3x3xf32>, file = "good.npz", key = "w"'),
        "weights-args.mlir": ('func.func @f(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x3x3xf32>, %b: tensor<2xf32>) -> tensor<1x2x2x2xf32> {\n'
                              '  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>\n'
                              '  return %0 : tensor<1x2x2x2xf32>\n}\n'),
        "i32.mlir": _relu().replace("f32", "i32"),
        "f16.mlir": _relu().replace("f32", "f16"),
        "f64.mlir": _relu().replace("f32", "f64"),
        "complex.mlir": _relu().replace("f32", "complex<f32>"),
        "unranked.mlir": _relu().replace("tensor<1x4x8x8xf32>", "tensor<*xf32>"),
        "dynamic.mlir": _relu().replace("tensor<1x4x8x8xf32>", "tensor<?x4x8x8xf32>"),
        "memref.mlir": _relu().replace("tensor<1x4x8x8xf32>", "memref<1x4x8x8xf32>"),
        "rank1.mlir": _relu().replace("1x4x8x8", "4"),
        "after-nul.mlir": _relu() + "\0 this text is ignored by MLIR {{{",
        "nested-brackets.mlir": "module attributes {a = " + "[" * 20000 + "]" * 20000 + "} {}\n",
        "nested-types.mlir": "func.func private @f(" + "tuple<" * 20000 + "f32" + ">" * 20000 + ")\n",
        "nested-regions.mlir": "module {\n" + "module {\n" * 3000 + "}\n" * 3000 + "}\n",
        "column.mlir": '%0 = "sdf.bogus"() : () -> ()\n',
        "avg-pool-pad.mlir": ('func.func @f(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {\n'
                              '  %0 = "sdf.pool"(%x) {mode = "avg", kernel = array<i64: 1, 1>, pad = array<i64: 2, 2, 2, 2>, stride = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>\n'
                              '  return %0 : tensor<1x1x4x4xf32>\n}\n'),
        "zero-filters.mlir": ('func.func @f(%x: tensor<1x2x4x4xf32>) -> tensor<1x0x2x2xf32> {\n'
                              '  %w = "sdf.weights"() {value = dense<1.0> : tensor<0x2x3x3xf32>} : () -> tensor<0x2x3x3xf32>\n'
                              '  %b = "sdf.weights"() {value = dense<0.0> : tensor<0xf32>} : () -> tensor<0xf32>\n'
                              '  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x2x4x4xf32>, tensor<0x2x3x3xf32>, tensor<0xf32>) -> tensor<1x0x2x2xf32>\n'
                              '  return %0 : tensor<1x0x2x2xf32>\n}\n'),
        "huge-conv.mlir": ('func.func @f(%x: tensor<1x2x4x4xf32>) -> tensor<1x100000000x2x2xf32> {\n'
                           '  %w = "sdf.weights"() {value = dense<1.0> : tensor<100000000x2x3x3xf32>} : () -> tensor<100000000x2x3x3xf32>\n'
                           '  %b = "sdf.weights"() {value = dense<0.0> : tensor<100000000xf32>} : () -> tensor<100000000xf32>\n'
                           '  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x2x4x4xf32>, tensor<100000000x2x3x3xf32>, tensor<100000000xf32>) -> tensor<1x100000000x2x2xf32>\n'
                           '  return %0 : tensor<1x100000000x2x2xf32>\n}\n'),
        "huge-resize.mlir": ('func.func @f(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x400000x400000xf32> {\n'
                             '  %0 = "sdf.resize"(%x) {scale = array<i64: 100000, 100000>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x400000x400000xf32>\n'
                             '  return %0 : tensor<1x2x400000x400000xf32>\n}\n'),
        "huge-dim.mlir": _relu().replace("1x4x8x8", "1x4x8x9223372036854775807"),
        "fan-out.mlir": ('func.func @f(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {\n'
                         '  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>\n'
                         '  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>\n'
                         '  %2 = "sdf.eltwise"(%0, %1) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>\n'
                         '  return %2 : tensor<1x4x8x8xf32>\n}\n'),
        "weights-into-eltwise.mlir": ('func.func @f(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {\n'
                                      '  %w = "sdf.weights"() {value = dense<1.0> : tensor<1x4x8x8xf32>} : () -> tensor<1x4x8x8xf32>\n'
                                      '  %0 = "sdf.eltwise"(%x, %w) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>\n'
                                      '  return %0 : tensor<1x4x8x8xf32>\n}\n'),
        "partition-outside.mlir": ('func.func @f(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {\n'
                                   '  %s:2 = "sdf.split"(%x) : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)\n'
                                   '  %0 = "sdf.partition"(%s#0) ({\n'
                                   '  ^bb0(%a: tensor<1x4x8x8xf32>):\n'
                                   '    %e = "sdf.eltwise"(%a, %s#1) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>\n'
                                   '    "sdf.yield"(%e) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> ()\n'
                                   '  }) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>}'
                                   ' : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>\n'
                                   '  return %0 : tensor<1x4x8x8xf32>\n}\n'),
        "torch.mlir": ('func.func @f(%x: !torch.vtensor<[1,4,8,8],f32>) -> !torch.vtensor<[1,4,8,8],f32> {\n'
                       '  %0 = torch.aten.relu %x : !torch.vtensor<[1,4,8,8],f32> -> !torch.vtensor<[1,4,8,8],f32>\n'
                       '  return %0 : !torch.vtensor<[1,4,8,8],f32>\n}\n'),
        "empty.mlir": "",
        "only-comment.mlir": "// nothing here\n",
        "target-bad.mlir": 'module attributes {sdf.target = {platform = 3, clock_mhz = "x", batch = -1}} {\n' + _relu() + "}\n",
    }
    files = {name: text.encode("utf-8") for name, text in texts.items()}
    files["not-utf8.mlir"] = b"// \xff\xfe\n" + _relu().encode()
    sidecars = {
        "good": _npz({"w": good}), "truncated": _npz({"w": good})[:200], "empty": b"", "renamed": _npy(good),
        "string": _npz({"w": np.array(["a"] * 36).reshape(good.shape)}), "complex": _npz({"w": good * (1 + 2j)}),
        "bool": _npz({"w": good > 0}), "inf": _npz({"w": good * np.inf}), "crc": bytes(crc),
        "shape": _npz({"w": np.ones((3, 3), np.float32)}), "nokey": _npz({"v": good}),
        "compressed": _npz({"w": good}, compress=True), "float64": _npz({"w": good.astype(np.float64) * 1e300}),
        "object": _object_npz(good.shape),
    }
    for name, data in sidecars.items():
        files[f"{name}.npz"] = data
        files[f"sidecar-{name}.mlir"] = _conv(f'file = "{name}.npz", key = "w"').encode()
    files["sidecar-directory.mlir"] = _conv('file = "adir", key = "w"').encode()
    files["adir/keep"] = b""
    files["sidecar-empty-name.mlir"] = _conv('file = "", key = "w"').encode()
    files["sidecar-missing.mlir"] = _conv('file = "missing.npz", key = "w"').encode()
    return files


def _object_npz(shape) -> bytes:
    """An .npz whose array is pickled objects (numpy refuses to load it without pickle)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        member = io.BytesIO()
        np.save(member, np.array([None] * int(np.prod(shape)), dtype=object).reshape(shape), allow_pickle=True)
        archive.writestr("w.npy", member.getvalue())
    return buffer.getvalue()


def input_arrays() -> dict[str, bytes]:
    """Arrays for --input and calibration=: good ones and every kind numpy reads but we must refuse."""
    x = np.random.default_rng(0).standard_normal((2, 4, 8, 8)).astype(np.float32)
    return {
        "x.npy": _npy(x), "x.npz": _npz({"x": x}), "strings.npy": _npy(np.array(["a"] * x.size).reshape(x.shape)),
        "complex.npy": _npy(x * (1 + 1j)), "bool.npy": _npy(x > 0), "nan.npy": _npy(x * np.nan),
        "int.npy": _npy(np.ones(x.shape, np.int32)), "scalar.npy": _npy(np.float32(1.0)),
        "empty.npy": _npy(np.zeros((0, 4, 8, 8), np.float32)), "wrong-shape.npy": _npy(np.ones((2, 3), np.float32)),
        "huge-values.npy": _npy(x.astype(np.float64) * 1e300), "truncated.npy": _npy(x)[:100], "zero.npy": b"",
    }


OPTION_VALUES = ["", "-1", "0", "nan", "inf", "-inf", "1e308", "9223372036854775808", "abc", "x.npz",
                 "strings.npy", "complex.npy", "'unterminated", "a=b", "2.5"]


def option_cases(rng: random.Random | None = None, limit: int | None = None) -> list[Case]:
    """Every option of every pass given every bad value (or a seeded sample of `limit`)."""
    from fpga_sdf.pass_registry import load_all

    files = {"in.mlir": _relu().encode(), "conv.mlir": _conv("value = dense<0.5> : tensor<2x2x3x3xf32>").encode()}
    files.update(input_arrays())
    cases = []
    for name, cls in sorted(load_all().items()):
        for option in cls.options():
            for value in OPTION_VALUES:
                for source in ("in.mlir", "conv.mlir"):
                    setup = ["--sdf-target=platform=zc706"] if name in ("sdf-report", "sdf-fold", "sdf-weights-reloading") else []
                    argv = ["fpga-opt", source, *setup, f"--{name}={option.name}={value}", "-o", "OUT"]
                    cases.append(Case(f"option --{name}={option.name}={value} on {source}", [argv], dict(files)))
    for flag in ("--sdf-quantize=calibration={}", "--dse=platform={} time_limit=5", "--sdf-target=platform={}"):
        for value in list(input_arrays()) + ["conv.mlir", "/dev/null", "missing"]:
            argv = ["fpga-opt", "conv.mlir", flag.format(value), "-o", "OUT"]
            cases.append(Case(f"option {flag.format(value)}", [argv], dict(files)))
    if limit is not None and rng is not None and len(cases) > limit:
        cases = rng.sample(cases, limit)
    return cases


def adversarial_cases() -> list[Case]:
    """Every adversarial file through the tools, every bad array as input, odd command lines."""
    files = adversarial_files()
    files.update(input_arrays())
    cases = []
    pipelines = [["--sdf-verify"], ["--sdf-quantize"], ["--sdf-quantize", "--dse=platform=zcu102 time_limit=5"],
                 ["--sdf-expand-modules"], ["--sdf-target=platform=zc706", "--sdf-report"]]
    for name in sorted(n for n in files if n.endswith(".mlir")):
        for passes in pipelines:
            cases.append(Case(f"{name} {' '.join(passes)}", [["fpga-opt", name, *passes, "-o", "OUT"]], files))
        cases.append(Case(f"{name} fpga-run", [["fpga-run", name, "--input", "x.npy", "-o", "OUT"]], files))
        cases.append(Case(f"{name} through fpga-translate",
                          [["fpga-opt", name, "--sdf-quantize", "-o", "q.mlir"],
                           ["fpga-translate", "--sdf-to-hls", "q.mlir", "-o", "OUTDIR"]], files))
    relu = {"relu.mlir": _relu().encode(), **input_arrays()}
    for array in input_arrays():
        cases.append(Case(f"fpga-run --input {array}", [["fpga-run", "relu.mlir", "--input", array, "-o", "OUT"]], relu))
    cases += [
        Case("stdin not UTF-8", [["fpga-opt", "-", "-o", "OUT"]], relu, stdin=b"\xff\xfe\x00garbage"),
        Case("stdin empty", [["fpga-opt", "-", "--sdf-quantize", "-o", "OUT"]], relu),
        Case("fpga-run two outputs", [["fpga-run", "relu.mlir", "--input", "x.npy", "-o", "OUT", "-o", "nodir/y.npy"]], relu),
        Case("fpga-run a directory", [["fpga-run", "OUTDIR", "--input", "x.npy", "-o", "OUT"]], relu),
        Case("fpga-translate unquantized", [["fpga-translate", "--sdf-to-hls", "relu.mlir", "-o", "OUTDIR"]], relu),
        Case("fpga-opt unknown pass", [["fpga-opt", "relu.mlir", "--no-such-pass", "-o", "OUT"]], relu),
        Case("fpga-opt bad pipeline", [["fpga-opt", "relu.mlir", "--pass-pipeline=builtin.module(((", "-o", "OUT"]], relu),
        Case("fpga-opt split-input", [["fpga-opt", "relu.mlir", "--split-input-file", "--verify-diagnostics", "-o", "OUT"]], relu),
        Case("fpga-import exits", [["fpga-import", "exits.py:build", "-o", "OUT"]],
             {"exits.py": b"import sys\ndef build():\n    sys.exit(0)\n"}),
        Case("fpga-import raises", [["fpga-import", "raises.py", "-o", "OUT"]], {"raises.py": b"raise ValueError('no')\n"}),
        Case("fpga-import not python", [["fpga-import", "x.txt", "-o", "OUT"]], {"x.txt": b"hello"}),
        Case("fpga-import bad onnx", [["fpga-import", "bad.onnx", "-o", "OUT"]], {"bad.onnx": b"\x08\x07garbage"}),
    ]
    return cases


def corpus(mutations: int, seed: int, options: int | None) -> list[Case]:
    rng = random.Random(seed)
    return adversarial_cases() + option_cases(rng, options) + mutation_cases(mutations, seed)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--mutations", type=int, default=300, help="mutated lit inputs")
    p.add_argument("--options", type=int, default=None, help="sample this many option cases (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--only", default="", help="run only cases whose name contains this")
    p.add_argument("--json", help="write every result here")
    args = p.parse_args(argv)
    cases = [c for c in corpus(args.mutations, args.seed, args.options) if args.only in c.name]
    start = time.monotonic()
    results = run_cases(cases, args.jobs)
    failures = [r for r in results if r.failure]
    for r in failures:
        print(f"FAIL {r.name}: {r.failure}")
    codes = {c: sum(1 for r in results if r.codes and r.codes[-1] == c) for c in sorted({r.codes[-1] for r in results if r.codes})}
    print(f"{len(results)} cases in {time.monotonic() - start:.0f} s: {len(failures)} failures; "
          f"last exit codes {codes}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([r.__dict__ for r in results], f, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
