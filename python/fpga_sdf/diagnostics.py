"""MLIR-style diagnostics (`file:line:col: error: message`) and the error users see.

Every user mistake ends as a `UserError` carrying diagnostics; the command-line tools print
them and exit 1. Only `--debug` shows a Python traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FILE_LINE_COL = re.compile(r'"([^"]*)":(\d+):(\d+)')
_NAME = re.compile(r'^loc\("([^"]*)"\)$')


@dataclass
class Diagnostic:
    severity: str  # "error", "warning", "note", "remark"
    message: str
    file: str | None = None
    line: int = 0
    col: int = 0
    where: str | None = None  # a name when there is no file position (a pass, a layer)
    notes: list["Diagnostic"] = field(default_factory=list)

    def __str__(self) -> str:
        if self.file is not None:
            head = f"{self.file}:{self.line}:{self.col}: "
        elif self.where:
            head = f"{self.where}: "
        else:
            head = ""
        text = f"{head}{self.severity}: {self.message}"
        return "\n".join([text] + [str(n) for n in self.notes])


def location_parts(location) -> tuple[str | None, int, int, str | None]:
    """(file, line, col, name) from an MLIR location or its printed form."""
    text = str(location)
    match = _FILE_LINE_COL.search(text)
    if match:
        return match.group(1), int(match.group(2)), int(match.group(3)), None
    name = _NAME.match(text)
    return None, 0, 0, (name.group(1) if name else None)


_SEVERITIES = {"DiagnosticSeverity.ERROR": "error", "DiagnosticSeverity.WARNING": "warning",
               "DiagnosticSeverity.NOTE": "note", "DiagnosticSeverity.REMARK": "remark"}


def from_mlir(diag, severity: str | None = None) -> Diagnostic:
    """Convert an `ir.Diagnostic` / `ir.DiagnosticInfo` (with its notes)."""
    sev = severity or _SEVERITIES.get(str(getattr(diag, "severity", "")), "error")
    file, line, col, name = location_parts(diag.location)
    notes = [from_mlir(n, "note") for n in getattr(diag, "notes", [])]
    notes = [n for n in notes if not n.message.startswith("see current operation")]
    return Diagnostic(sev, diag.message, file, line, col, name, notes)


def at(location, message: str, severity: str = "error") -> Diagnostic:
    """A diagnostic at an MLIR location (an op's `.location`)."""
    file, line, col, name = location_parts(location)
    return Diagnostic(severity, message, file, line, col, name)


class UserError(Exception):
    """A mistake in the user's input; carries the diagnostics to print."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic | str):
        if isinstance(diagnostics, str):
            diagnostics = [Diagnostic("error", diagnostics)]
        elif isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics = diagnostics
        super().__init__("\n".join(str(d) for d in diagnostics))


class Diagnostics:
    """What a pass reports while it runs: diagnostics (errors stop the pipeline after the
    pass) and files it produces (reports, plots), which the driver writes only once the
    whole pipeline has succeeded, so a failed run leaves earlier outputs intact."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []
        self.files: dict[str, bytes] = {}

    def file(self, path: str, data: bytes | str) -> None:
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data

    def error(self, op_or_location, message: str) -> None:
        self._add(op_or_location, message, "error")

    def warning(self, op_or_location, message: str) -> None:
        self._add(op_or_location, message, "warning")

    def remark(self, op_or_location, message: str) -> None:
        self._add(op_or_location, message, "remark")

    def _add(self, where, message: str, severity: str) -> None:
        if where is None:
            self.items.append(Diagnostic(severity, message))
            return
        location = getattr(where, "location", where)
        self.items.append(at(location, message, severity))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]
