"""Input and output handling shared by the command-line tools."""

from __future__ import annotations

import os
import sys
import tempfile
import traceback

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
    write_bytes_atomically(path, text.encode("utf-8"))


def write_bytes_atomically(path: str, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".fpga-sdf-", suffix=".tmp")
    except OSError as err:
        raise UserError(f"cannot write output file '{path}': {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600: give the file the usual mode
        os.replace(tmp, path)
    except OSError as err:
        os.unlink(tmp)
        raise UserError(f"cannot write output file '{path}': {err.strerror}") from None
    except BaseException:
        os.unlink(tmp)
        raise


def write_files(files: dict[str, bytes]) -> None:
    """Write the files passes produced (each atomically)."""
    for path, data in files.items():
        write_bytes_atomically(path, data)


def check_replaceable(out_dir: str, marker: str, tool: str) -> None:
    """Refuse to replace a directory that is not an earlier output of `tool` (one holding
    `marker`) and not empty: replacing an output directory must never delete a user's files."""
    out = os.path.abspath(out_dir)
    if not os.path.exists(out):
        return
    if not os.path.isdir(out):
        raise UserError(f"output '{out_dir}' exists and is not a directory")
    if out == os.getcwd() or os.listdir(out) and not os.path.exists(os.path.join(out, marker)):
        raise UserError(f"output directory '{out_dir}' is not empty and was not written by {tool}; "
                        "choose a new directory or remove it first")


def format_diagnostic(tool: str, d) -> str:
    """A diagnostic line; without a file position it is prefixed by the tool, as compilers do."""
    return str(d) if d.file or d.where else f"{tool}: {d}"


def print_diagnostics(tool: str, err: UserError) -> None:
    for d in err.diagnostics:
        print(format_diagnostic(tool, d), file=sys.stderr)


def run_tool(tool: str, parser, body, argv: list[str] | None) -> int:
    """Parse flags with `parser` and call `body(args)`: user errors exit 1, bugs exit 2.

    Neither shows a traceback unless --debug was given.
    """
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) and 1
    try:
        return body(args)
    except UserError as err:
        print_diagnostics(tool, err)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug must still not show users a traceback
        if getattr(args, "debug", False):
            traceback.print_exc()
        print(f"{tool}: internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)", file=sys.stderr)
        return 2
