"""Input and output handling shared by the command-line tools."""

from __future__ import annotations

import json
import os
import shutil
import stat
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
    """Write `text` to `path` (stdout if None or '-') so a failure never leaves a truncated file."""
    write_outputs({path or "-": text.encode("utf-8")})


def write_bytes_atomically(path: str, data: bytes) -> None:
    write_outputs({path: data})


def write_files(files: dict[str, bytes]) -> None:
    """Write the files passes produced, all or nothing."""
    write_outputs(files)


def write_outputs(files: dict[str, bytes]) -> None:
    """Write every file or none: each is prepared first, then all are committed.

    Only a regular file (or a new name) is replaced atomically, by renaming a temporary file
    over it; the temporary keeps the old file's mode. A symlink is followed and its target
    written. Devices, FIFOs and sockets (`/dev/null`, a pipe) and regular files with several
    hard links are written through in place, since renaming over them would replace the
    node itself or split the links. '-' is stdout.
    """
    staged: list[tuple[str, str]] = []  # (temporary, final path)
    in_place: list[tuple[str, bytes]] = []
    try:
        for path, data in files.items():
            if path == "-":
                in_place.append((path, data))
                continue
            target = os.path.realpath(path)
            try:
                info = os.stat(target)
            except FileNotFoundError:
                info = None
            except OSError as err:
                raise UserError(f"cannot write output file '{path}': {err.strerror}") from None
            if info is not None and stat.S_ISDIR(info.st_mode):
                raise UserError(f"cannot write output file '{path}': it is a directory")
            if info is not None and (not stat.S_ISREG(info.st_mode) or info.st_nlink > 1):
                if not os.access(target, os.W_OK):
                    raise UserError(f"cannot write output file '{path}': permission denied")
                in_place.append((target, data))
                continue
            staged.append((_stage(path, target, data, info), target))
    except BaseException:
        for tmp, _ in staged:
            _unlink_quietly(tmp)
        raise
    for index, (tmp, target) in enumerate(staged):
        try:
            os.replace(tmp, target)
        except OSError as err:
            for later, _ in staged[index:]:
                _unlink_quietly(later)
            raise UserError(f"cannot write output file '{target}': {err.strerror}") from None
    for target, data in in_place:
        if target == "-":
            _write_stdout(data)
            continue
        try:
            regular = stat.S_ISREG(os.stat(target).st_mode)  # a hard-linked file: keep its inode
            with open(target, "r+b" if regular else "wb") as f:
                f.write(data)
                if regular:
                    f.truncate()
        except OSError as err:
            raise UserError(f"cannot write output file '{target}': {err.strerror}") from None


def _stage(path: str, target: str, data: bytes, info: os.stat_result | None) -> str:
    """A temporary file beside `target` holding `data`, with the mode `target` has (or
    would get as a new file)."""
    directory = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".fpga-sdf-", suffix=".tmp")
    except OSError as err:
        raise UserError(f"cannot write output file '{path}': {err.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if info is not None:
            os.chmod(tmp, stat.S_IMODE(info.st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600: a new file gets the usual mode
    except OSError as err:
        _unlink_quietly(tmp)
        raise UserError(f"cannot write output file '{path}': {err.strerror}") from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    return tmp


def _write_stdout(data: bytes) -> None:
    stream = getattr(sys.stdout, "buffer", None)
    if stream is None:  # a text-only stdout (captured in tests)
        sys.stdout.write(data.decode("utf-8"))
    else:
        sys.stdout.flush()
        stream.write(data)
    sys.stdout.flush()


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


MANIFEST = ".fpga-sdf-outputs"  # the files a tool wrote into an output directory


def check_replaceable(out_dir: str, tool: str) -> None:
    """Refuse to replace a directory unless it is empty or an earlier output of `tool` holding
    nothing but what that run wrote (its manifest) and build products (`build/` folders):
    replacing an output directory must never delete a user's files."""
    out = os.path.abspath(out_dir)
    if not os.path.exists(out):
        return
    if not os.path.isdir(out):
        raise UserError(f"output '{out_dir}' exists and is not a directory")
    if out == os.getcwd():
        raise UserError(f"output directory '{out_dir}' is the working directory; choose a new directory")
    present = _files_under(out)
    if not present:
        return
    try:
        with open(os.path.join(out, MANIFEST), encoding="utf-8") as f:
            written = set(f.read().splitlines())
    except (OSError, UnicodeDecodeError):
        raise UserError(f"output directory '{out_dir}' is not empty and was not written by {tool}; "
                        "choose a new directory or remove it first") from None
    foreign = sorted(p for p in present
                     if p != MANIFEST and p not in written and "build" not in p.split("/")[:-1])
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise UserError(f"output directory '{out_dir}' holds files {tool} did not write ({shown}); "
                        "move them or choose a new directory")


def replace_directory(staged: str, out_dir: str) -> None:
    """Record the files of the fully written directory `staged` in its manifest, then swap it
    in for `out_dir` (whose replaceability the caller checked before doing the work)."""
    files = _files_under(staged)
    with open(os.path.join(staged, MANIFEST), "w", encoding="utf-8") as f:
        f.write("".join(p + "\n" for p in files))
    out = os.path.abspath(out_dir)
    old = None
    if os.path.exists(out):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.old-", dir=os.path.dirname(out))
        os.rmdir(old)
        os.replace(out, old)
    try:
        os.replace(staged, out)
    except BaseException:
        if old is not None:
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def read_manifest(directory: str, name: str, what: str) -> dict:
    """The JSON file `name` a tool wrote into `directory` (schedule.json, rtl.json); a
    diagnostic naming `what` the directory should be when it cannot be read."""
    try:
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as err:
        raise UserError(f"'{directory}' is not {what}: cannot read {name} ({err})") from None


def write_directory(files: dict[str, str | bytes], out_dir: str, tool: str) -> None:
    """Write `files` (relative path -> content) as the directory `out_dir`, atomically: they
    are written into a temporary directory beside it, which is then swapped in. A failure
    leaves neither a half-written directory nor a damaged old one."""
    check_replaceable(out_dir, tool)
    out = os.path.abspath(out_dir)
    try:
        os.makedirs(os.path.dirname(out), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out)}.tmp-", dir=os.path.dirname(out))
    except OSError as err:
        raise UserError(f"cannot create the output directory '{out_dir}': {err.strerror}") from None
    try:
        for rel, content in files.items():
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            with open(path, "wb") as f:
                f.write(data)
        replace_directory(tmp, out)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"cannot write '{out_dir}': {err.strerror}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _files_under(directory: str) -> list[str]:
    """Relative paths ('/'-separated) of every file below `directory`."""
    found = []
    for here, _, names in os.walk(directory):
        rel = os.path.relpath(here, directory)
        for name in names:
            found.append(name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}")
    return sorted(found)


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
