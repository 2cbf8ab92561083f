"""The MLIR context, parsing and printing used by every tool and test.

One context per process is enough: it has the torch dialect (for imported networks) and
the sdf dialect loaded.
"""

from __future__ import annotations

import re

from torch_mlir import ir
from torch_mlir.dialects import torch as torch_dialect

from .diagnostics import UserError, from_mlir

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


def _wrap_in_module(text: str) -> str:
    """Put top-level ops in an implicit `module { }` as mlir-opt does, moving no line.

    Attribute/type alias definitions and the resource section stay outside the module;
    `module {` goes on a blank line before the first op where there is one.
    """
    lines = text.split("\n")

    def is_body(line: str) -> bool:
        stripped = line.strip()
        return bool(stripped) and not stripped.startswith("//") and not _ALIAS.match(line) \
            and not _RESOURCES.match(line)

    body = [i for i, line in enumerate(lines) if is_body(line)]
    if not body:
        return text
    first, last = body[0], body[-1]
    blank = next((j for j in range(first - 1, -1, -1) if not lines[j].strip()), None)
    if blank is not None and all(not lines[j].strip() or lines[j].strip().startswith("//") for j in range(blank, first)):
        lines[blank] = "module {"
    else:
        lines[first] = "module {" + lines[first]
    lines[last] = lines[last] + "\n}"
    return "\n".join(lines)


def parse(text: str, filename: str = "<stdin>") -> ir.Operation:
    """Parse MLIR text into a `builtin.module`, wrapping bare top-level ops like mlir-opt.

    Errors (syntax, unknown ops, verifier failures) raise `UserError` with file:line:col.
    """
    if not _MODULE_START.match(text):
        text = _wrap_in_module(text)
    with context():
        try:
            return ir.Operation.parse(text, source_name=filename)
        except ir.MLIRError as err:
            diags = [from_mlir(d) for d in err.error_diagnostics]
            raise UserError(diags or err.message) from None


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


def walk(module, name: str | None = None):
    """All ops below `module` in pre-order, optionally only those called `name`."""
    found = []

    def visit(op):
        if name is None or op.name == name:
            found.append(op.opview)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return [op for op in found if op.operation != module.operation]
