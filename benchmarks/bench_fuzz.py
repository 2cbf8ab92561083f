"""The larger fuzz corpus of issue 9: how many cases, how each ended, how many broke a promise.

Same harness and checks as test/unit/test_fuzz.py (test/fuzz/fuzzing.py), with more seeded
mutations of the lit inputs and every bad value of every pass option:

    .venv/bin/python benchmarks/bench_fuzz.py [--mutations 1300] [--seed 1] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "test", "fuzz"))

import fuzzing  # noqa: E402


def category(name: str) -> str:
    if name.startswith("mutation"):
        return "mutated lit inputs"
    if name.startswith("option"):
        return "bad options and calibration files"
    return "adversarial files, arrays, command lines"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--mutations", type=int, default=1300)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--jobs", type=int, default=2)
    args = p.parse_args()
    cases = fuzzing.corpus(args.mutations, args.seed, options=None)
    start = time.monotonic()
    results = fuzzing.run_cases(cases, args.jobs)
    seconds = time.monotonic() - start
    print("| cases | count | exit 0 | exit 1 | broken promises |")
    print("|---|---:|---:|---:|---:|")
    for kind in sorted({category(r.name) for r in results}):
        rows = [r for r in results if category(r.name) == kind]
        ends = [r.codes[-1] for r in rows]
        print(f"| {kind} | {len(rows)} | {ends.count(0)} | {ends.count(1)} | {sum(1 for r in rows if r.failure)} |")
    ends = [r.codes[-1] for r in results]
    failures = [r for r in results if r.failure]
    print(f"| all | {len(results)} | {ends.count(0)} | {ends.count(1)} | {len(failures)} |")
    print(f"\n{seconds:.0f} s wall, {args.jobs} processes; tool runs: {sum(len(r.codes) for r in results)}")
    for r in failures:
        print(f"FAIL {r.name}: {r.failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
