"""Emission-time structural check: can every pipelined loop reach II=1?

Why: Vitis meets II=1 only if each array's banks serve what one iteration reads and writes:
a weights ROM partitioned `cyclic factor=FINE` while the MAC loop reads CG*CO*CI*FINE words
per cycle gets II >= 128 silently, and the design runs 128x slower than the model says. The
generators say, per pipelined loop, which indices of each array one iteration touches
(process.Access); this module reads the banks off the pragmas actually emitted (the
process's own, or the template function's) and computes the II the ports allow.

    report = check(partitions)      # per layer: [(process, loop, array, banks, per bank, ii)]
    problems = failures(report)     # the loops whose II would exceed 1
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from .csim import TEMPLATES

PRAGMA = re.compile(r"#pragma HLS ARRAY_(PARTITION|RESHAPE)\s+variable=(\S+)\s+(complete|cyclic|block)"
                    r"(?:\s+factor=(\S+))?(?:\s+dim=(\d+))?")


@dataclass(frozen=True)
class LoopCheck:
    layer: str
    process: str
    loop: str
    array: str
    banks: int  # memories the array is split into
    per_bank: int  # accesses of one iteration on the busiest bank (reads and writes)
    ports: int
    ii: int

    def line(self) -> str:
        return (f"{self.layer or '(partition)'}: {self.process}/{self.loop}: {self.array} in {self.banks} bank(s), "
                f"{self.per_bank} access(es) per cycle on the busiest of {self.ports} port(s): II {self.ii}")


@lru_cache(maxsize=64)
def template_function(name: str) -> str:
    """The text of template function `name` in templates/*.hpp ('' when there is none)."""
    for path in sorted(TEMPLATES.glob("*.hpp")):
        text = path.read_text()
        m = re.search(rf"\nvoid {re.escape(name)}\(", text)
        if m:
            end = text.find("\n}\n", m.start())
            return text[m.start():end]
    return ""


def _value(token: str, symbols: dict) -> int:
    return int(symbols.get(token, token))


def per_bank_accesses(pragmas: str, array: str, dims, touched, symbols=None) -> tuple[int, int]:
    """(banks, reads of one iteration on the busiest bank) of `array` under `pragmas`."""
    symbols = symbols or {}
    plan = {}
    for kind, var, how, factor, dim in PRAGMA.findall(pragmas):
        if var != array:
            continue
        which = range(1, len(dims) + 1) if dim in ("", "0") else [int(dim)]
        for d in which:
            plan[d] = (kind, how, _value(factor, symbols) if factor else 0)
    banks, busiest = 1, 1
    for d, (size, n) in enumerate(zip(dims, touched), start=1):
        kind, how, factor = plan.get(d, (None, None, 0))
        if kind == "RESHAPE":  # the dim's elements share one wide word
            words = 1 if how == "complete" else math.ceil(n / max(factor, 1))
            busiest *= words
        elif kind == "PARTITION":
            count = size if how == "complete" else max(factor, 1)
            banks *= count
            per = 1 if how == "complete" else (math.ceil(n / count) if how == "cyclic"
                                                else min(n, math.ceil(size / count)))
            busiest *= per
        else:
            busiest *= n
    return banks, busiest


def check(parts) -> dict[str, list[LoopCheck]]:
    """Per layer (name; '' for the partition's own processes), every checked loop access."""
    report: dict[str, list[LoopCheck]] = {}
    for part in parts:
        for proc in part.order:
            own = proc.pragmas + proc.body
            for loop in proc.loops:
                for acc in loop.accesses:
                    text = own + (template_function(acc.template) if acc.template else "")
                    banks, reads = per_bank_accesses(text, acc.array, acc.dims, acc.touched, acc.symbols)
                    busy = reads + acc.writes
                    report.setdefault(proc.layer, []).append(LoopCheck(
                        proc.layer, proc.name, loop.label, acc.array, banks, busy, acc.ports,
                        math.ceil(busy / acc.ports)))
    return report


def failures(report) -> list[LoopCheck]:
    return [c for checks in report.values() for c in checks if c.ii > 1]


def text(report) -> str:
    """The report as the project's structure.txt: one line per loop access, by layer."""
    lines = ["# Structural check (fpga_sdf.backend.hls.structure): per pipelined loop, the accesses of",
             "# one iteration on each array's busiest bank against its ports; II 1 is reachable when",
             "# every line says II 1."]
    for layer, checks in report.items():
        lines += [c.line() for c in checks]
    return "\n".join(lines) + "\n"
