"""`--split-input-file` and `--verify-diagnostics`, with mlir-opt's conventions.

An expectation is a comment `// expected-error @+1 {{text}}` (also -warning, -note, -remark;
the offset may be @+N, @-N, @above, @below, @unknown or absent for the same line). It is met
by a diagnostic of that severity, on that line, whose message contains the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .diagnostics import Diagnostic

_SEPARATOR = re.compile(r"^// -----\s*$")
_EXPECTED = re.compile(r"expected-(error|warning|note|remark)\s*(@(?:[+-]\d+|above|below|unknown))?\s*\{\{(.*?)\}\}")


def split_input(text: str) -> list[tuple[int, str]]:
    """Chunks between `// -----` lines, each with the line number it starts on."""
    chunks, start, current = [], 1, []
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if _SEPARATOR.match(line):
            chunks.append((start, "".join(current)))
            start, current = number + 1, []
        else:
            current.append(line)
    chunks.append((start, "".join(current)))
    return chunks


@dataclass
class Expectation:
    severity: str
    line: int | None  # None: @unknown (a diagnostic without a file position)
    text: str
    source_line: int
    met: bool = False


def expectations(text: str) -> list[Expectation]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _EXPECTED.finditer(line):
            severity, offset, wanted = match.groups()
            if offset is None:
                target = number
            elif offset == "@unknown":
                target = None
            elif offset == "@above":
                target = number - 1
            elif offset == "@below":
                target = number + 1
            else:
                target = number + int(offset[1:])
            found.append(Expectation(severity, target, wanted, number))
    return found


def check_expectations(text: str, filename: str, diagnostics: list[Diagnostic]) -> list[str]:
    """Problems: diagnostics nobody expected and expectations nothing met (empty = pass)."""
    wanted = expectations(text)
    problems = []
    flat = []
    for d in diagnostics:
        flat.append(d)
        flat += d.notes
    for d in flat:
        match = next((e for e in wanted if not e.met and e.severity == d.severity
                      and e.line == (d.line if d.file else None) and e.text in d.message), None)
        if match:
            match.met = True
        elif d.severity in ("error", "warning"):
            problems.append(f"{d.file or filename}:{d.line}:{d.col}: error: unexpected {d.severity}: {d.message}")
    for e in wanted:
        if not e.met:
            where = e.line if e.line is not None else "unknown location"
            problems.append(f"{filename}:{e.source_line}: error: expected {e.severity} \"{e.text}\" "
                            f"(at line {where}) was not produced")
    return problems
