"""The MLIR context, parsing and printing used by every tool and test.

One context per process is enough: it has the torch dialect (for imported networks) and
the sdf dialect loaded.
"""

from __future__ import annotations

import re

from torch_mlir import ir
from torch_mlir.dialects import torch as torch_dialect

from .diagnostics import Diagnostic, UserError, at, from_mlir, location_parts

_context: ir.Context | None = None


def context() -> ir.Context:
    """The process-wide context, created on first use with all our dialects loaded."""
    global _context
    if _context is None:
        from fpga_sdf.dialects import sdf, sdf_hw

        _context = ir.Context()
        torch_dialect.register_dialect(_context)
        sdf.load(_context)
        sdf_hw.load(_context)
    return _context


_MODULE_START = re.compile(r"\A(\s*(//[^\n]*\n\s*|#[\w$.-]+\s*=[^\n]*\n\s*)*)module\b")  # comments, location aliases
_ALIAS = re.compile(r"^[#!][^\s=]+\s*=")
_RESOURCES = re.compile(r"^\{-#")


_WRAP = "module {"
MAX_NESTING = 1000
"""Deepest bracket nesting accepted: MLIR's recursive-descent parser overflows the stack
(a segfault, no message) somewhere past ten thousand levels; real IR nests a few dozen."""


def _wrap_in_module(text: str) -> tuple[str, int | None]:
    """Put top-level ops in an implicit `module { }` as mlir-opt does, moving no line.

    Attribute/type alias definitions and the resource section stay outside the module;
    `module {` goes on a blank line before the first op where there is one, else in front
    of the first op's line, whose (1-based) number is returned so columns can be corrected.
    """
    lines = text.split("\n")

    def is_body(line: str) -> bool:
        stripped = line.strip()
        return bool(stripped) and not stripped.startswith("//") and not _ALIAS.match(line) \
            and not _RESOURCES.match(line)

    body = [i for i, line in enumerate(lines) if is_body(line)]
    if not body:
        return text, None
    first, last = body[0], body[-1]
    blank = next((j for j in range(first - 1, -1, -1) if not lines[j].strip()), None)
    shifted = None
    if blank is not None and all(not lines[j].strip() or lines[j].strip().startswith("//") for j in range(blank, first)):
        lines[blank] = _WRAP
    else:
        lines[first] = _WRAP + lines[first]
        shifted = first + 1
    lines[last] = lines[last] + "\n}"
    return "\n".join(lines), shifted


def _check_text(text: str, filename: str) -> None:
    """Refuse text MLIR would misread or crash on: bytes that are not UTF-8, a NUL byte (the
    parser stops there and ignores the rest) and nesting deep enough to overflow its stack."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise UserError(f"input '{filename}' is not UTF-8 text") from None
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise UserError(Diagnostic("error", "NUL byte in the input", filename, line, nul - text.rfind("\n", 0, nul)))
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()  # strings, comments and arrows are skipped whole
        if token in _OPENERS:
            depth += 1
            if depth > MAX_NESTING:
                offset = match.start()
                line = text.count("\n", 0, offset) + 1
                raise UserError(Diagnostic("error", f"brackets nested more than {MAX_NESTING} deep",
                                           filename, line, offset - text.rfind("\n", 0, offset)))
        elif token in _CLOSERS:
            depth = max(depth - 1, 0)


_OPENERS, _CLOSERS = set("([{<"), set(")]}>")
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|->|[()\[\]{}<>]')


def _unshift(diagnostics: list[Diagnostic], filename: str, line: int | None) -> list[Diagnostic]:
    """Columns on the line that got `module {` in front, as the user's file has them."""
    for d in diagnostics:
        if line is not None and d.file == filename and d.line == line and d.col > len(_WRAP):
            d.col -= len(_WRAP)
        _unshift(d.notes, filename, line)
    return diagnostics


def _unshift_locations(module, filename: str, line: int) -> None:
    """Op locations on the line that got `module {` in front, as the user's file has them."""
    def visit(op):
        file, at_line, col, _ = location_parts(op.location)
        if file == filename and at_line == line and col > len(_WRAP) and str(op.location).startswith("loc(\""):
            op.location = ir.Location.file(filename, line, col - len(_WRAP))
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)


def parse(text: str, filename: str = "<stdin>") -> ir.Operation:
    """Parse MLIR text into a `builtin.module`, wrapping bare top-level ops like mlir-opt.

    Errors (syntax, unknown ops, verifier failures) raise `UserError` with file:line:col.
    """
    _check_text(text, filename)
    shifted = None
    if not _MODULE_START.match(text):
        text, shifted = _wrap_in_module(text)
    with context():
        try:
            module = ir.Operation.parse(text, source_name=filename)
        except ir.MLIRError as err:
            diags = _unshift([from_mlir(d) for d in err.error_diagnostics], filename, shifted)
            raise UserError(diags or err.message) from None
        if shifted is not None:
            _unshift_locations(module, filename, shifted)
        _check_module(module)
        return module


def to_text(module, debug_info: bool = False) -> str:
    """Print a module the way fpga-opt writes it."""
    return module.operation.get_asm(enable_debug_info=debug_info, assume_verified=True)


def verify(module) -> None:
    """Run MLIR's verifier (and so the sdf semantic checks); raise `UserError` on failure."""
    with context():
        try:
            module.operation.verify()
        except ir.MLIRError as err:
            raise UserError([from_mlir(d) for d in err.error_diagnostics] or err.message) from None
        _check_module(module)


def _check_module(module) -> None:
    """The checks MLIR cannot run at one sdf op: function signatures, fan-out, partitions."""
    from fpga_sdf.dialects.sdf_verify import verify_module

    problems = verify_module(module)
    if problems:
        raise UserError([at(location, message) for location, message in problems])


def walk(module, name: str | None = None):
    """All ops below `module` in pre-order, optionally only those called `name`."""
    found = []

    def visit(op):
        if name is None or op.name == name:
            found.append(op.opview)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return [op for op in found if op.operation != module.operation]
