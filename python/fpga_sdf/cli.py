"""Input and output handling shared by the command-line tools."""

from __future__ import annotations

import os
import sys
import tempfile

from .diagnostics import UserError


def read_input(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as err:
        raise UserError(f"cannot open input file '{path}': {err.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"input file '{path}' is not UTF-8 text") from None


def write_output_atomically(path: str | None, text: str) -> None:
    """Write `text` to `path` (stdout if None) so a failure never leaves a truncated file."""
    if path is None or path == "-":
        sys.stdout.write(text)
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".fpga-sdf-", suffix=".tmp")
    except OSError as err:
        raise UserError(f"cannot write output file '{path}': {err.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
