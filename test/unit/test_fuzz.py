"""Bad input never crashes a tool, and a failing run never touches its output (issue 9).

The corpus (test/fuzz/fuzzing.py) is seeded, so a failure here reproduces with
`python test/fuzz/fuzzing.py --mutations 150 --options 80 --seed 0 --only 'NAME'`.
It runs in its own process: cases are forked from one that has created no MLIR context.
"""

import faulthandler
import json
import os
import signal
import subprocess
import sys

import pytest

FUZZ_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz")
sys.path.insert(0, FUZZ_DIR)

import fuzzing  # noqa: E402


def test_corpus_keeps_every_promise(tmp_path):
    report = tmp_path / "results.json"
    jobs = str(min(2, os.cpu_count() or 1))
    run = subprocess.run([sys.executable, os.path.join(FUZZ_DIR, "fuzzing.py"), "--mutations", "150",
                          "--options", "80", "--seed", "0", "--jobs", jobs, "--json", str(report)],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    results = json.loads(report.read_text())
    assert len(results) >= 650
    # The corpus exercises both sides: valid inputs that compile and bad ones that are refused.
    last = [r["codes"][-1] for r in results]
    assert last.count(0) >= 50 and last.count(1) >= 400
    mutations = [r for r in results if r["name"].startswith("mutation")]
    assert len(mutations) == 150 and any(r["codes"][-1] == 0 for r in mutations)


def _crash(argv):
    faulthandler.disable()  # the child's deliberate crash need not print pytest's stack dump
    os.kill(os.getpid(), signal.SIGSEGV)


def _clobber(argv):
    with open("OUT", "wb") as f:
        f.write(b"half written")
    print("error: something", file=sys.stderr)
    return 1


def _internal(argv):
    print("fpga-opt: internal error: KeyError: 3", file=sys.stderr)
    return 2


def _refuse(argv):
    print("x.mlir:1:1: error: refused", file=sys.stderr)
    return 1


@pytest.mark.parametrize("tool, verdict", [
    ("crash", "killed by signal SIGSEGV"), ("clobber", "changed its pre-existing -o target"),
    ("internal", "exit code 2"), ("refuse", None)])
def test_harness_sees_each_broken_promise(tool, verdict):
    mains = {"crash": _crash, "clobber": _clobber, "internal": _internal, "refuse": _refuse}
    (result,) = fuzzing.run_cases([fuzzing.Case(tool, [[tool, "-o", "OUT"]])], jobs=1, mains=mains)
    if verdict is None:
        assert result.failure is None and result.codes == [1]
    else:
        assert result.failure is not None and verdict in result.failure
