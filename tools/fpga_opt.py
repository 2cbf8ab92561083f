"""fpga-opt: run sdf passes (and upstream MLIR passes) over an MLIR file, like mlir-opt.

    fpga-opt [options] [input.mlir|-] [--pass[="key=value ..."]]... [-o out.mlir]

Passes run in the order their flags appear. Errors are printed as file:line:col diagnostics
and exit 1; the output file is only written when everything succeeded.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass

from fpga_sdf import ir as sdf_ir
from fpga_sdf import weights
from fpga_sdf.cli import format_diagnostic, print_diagnostics, read_input, write_outputs
from fpga_sdf.diagnostics import Diagnostic, Diagnostics, UserError
from fpga_sdf.pass_registry import Pass, load_all, lookup
from fpga_sdf.verify_diagnostics import check_expectations, split_input

UPSTREAM_EXAMPLES = "canonicalize, cse, symbol-dce, inline, sccp"

USAGE = "usage: fpga-opt [options] [input.mlir|-] [--<pass>[=\"key=value ...\"]]... [-o output.mlir]"

GENERAL_OPTIONS = [
    ("-o FILE", "write the output here instead of stdout (only written on success)"),
    ("--pass-pipeline=PIPELINE", "a textual pipeline, e.g. 'builtin.module(sdf-verify, canonicalize)'"),
    ("--split-input-file", "process each chunk between '// -----' lines as its own file"),
    ("--verify-diagnostics", "check '// expected-error @+1 {{...}}' comments against the diagnostics"),
    ("--mlir-print-ir-after-all", "print the IR to stderr after every pass"),
    ("--mlir-print-debuginfo", "print op locations in the output"),
    ("--debug", "show Python tracebacks of internal errors"),
    ("-h, --help", "show this help"),
]


@dataclass
class Options:
    input: str = "-"
    output: str | None = None
    split_input_file: bool = False
    verify_diagnostics: bool = False
    print_ir_after_all: bool = False
    debug_info: bool = False
    debug: bool = False
    help: bool = False


@dataclass
class Step:
    """One pass of the pipeline: ours (a Pass instance) or upstream MLIR (pipeline text)."""

    label: str
    ours: Pass | None = None
    upstream: str | None = None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        options, steps = parse_command_line(argv)
        if options.help:
            print(help_text())
            return 0
        return run(options, steps)
    except UserError as err:
        print_diagnostics("fpga-opt", err)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug must still not show users a traceback
        if debug:
            traceback.print_exc()
        print(f"fpga-opt: internal error: {type(exc).__name__}: {exc} (rerun with --debug for a traceback)",
              file=sys.stderr)
        return 2


def parse_command_line(argv: list[str]) -> tuple[Options, list[Step]]:
    options = Options()
    steps: list[Step] = []
    positional: list[str] = []
    flags = {
        "--split-input-file": "split_input_file",
        "--verify-diagnostics": "verify_diagnostics",
        "--mlir-print-ir-after-all": "print_ir_after_all",
        "--mlir-print-debuginfo": "debug_info",
        "--debug": "debug",
        "--help": "help",
        "-h": "help",
    }
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in flags:
            setattr(options, flags[arg], True)
        elif arg == "-o":
            if i + 1 >= len(argv):
                raise UserError("option '-o' needs a file name")
            options.output = argv[i + 1]
            i += 1
        elif arg.startswith("-o") and len(arg) > 2:
            options.output = arg[2:]
        elif arg.startswith("--pass-pipeline"):
            _, eq, text = arg.partition("=")
            if not eq:
                if i + 1 >= len(argv):
                    raise UserError("option '--pass-pipeline' needs a pipeline")
                text = argv[i + 1]
                i += 1
            steps += pipeline_steps(text)
        elif arg.startswith("--") and len(arg) > 2:
            name, _, text = arg[2:].partition("=")
            steps.append(make_step(name, text))
        elif arg == "-" or not arg.startswith("-"):
            positional.append(arg)
        else:
            raise UserError(f"unknown option '{arg}' (see fpga-opt --help)")
        i += 1
    if len(positional) > 1:
        raise UserError(f"expected one input file, got {len(positional)}: {' '.join(positional)}")
    if positional:
        options.input = positional[0]
    return options, steps


def make_step(name: str, option_text: str) -> Step:
    """A pipeline step for `--name=options`: our pass if registered, else an upstream one."""
    cls = lookup(name)
    if cls is not None:
        return Step(name, ours=cls.from_options(option_text))
    upstream = f"{name}{{{option_text}}}" if option_text else name
    if not _is_upstream_pass(upstream):
        raise UserError(f"unknown pass or option '--{name}' (see fpga-opt --help for the passes)")
    return Step(name, upstream=upstream)


def _is_upstream_pass(text: str) -> bool:
    from torch_mlir.passmanager import PassManager

    with sdf_ir.context():
        try:
            PassManager.parse(f"builtin.module({text})")
            return True
        except Exception:  # noqa: BLE001 - the parser's way of saying "no such pass"
            return False


def pipeline_steps(text: str) -> list[Step]:
    """Steps of `builtin.module(a, b{k=v}, func.func(cse))`; nested pipelines go upstream."""
    text = text.strip()
    if text.startswith("builtin.module(") and text.endswith(")"):
        text = text[len("builtin.module("):-1]
    steps = []
    for entry in _split_top_level(text):
        name, brace, rest = entry.partition("{")
        if "(" in name:  # an op-anchored nested pipeline such as func.func(cse)
            if not _is_upstream_pass(entry):
                raise UserError(f"--pass-pipeline: cannot parse '{entry}'")
            steps.append(Step(entry, upstream=entry))
            continue
        option_text = rest[:-1] if brace and rest.endswith("}") else ""
        if brace and not rest.endswith("}"):
            raise UserError(f"--pass-pipeline: unbalanced '{{' in '{entry}'")
        steps.append(make_step(name.strip(), option_text))
    return steps


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def run(options: Options, steps: list[Step]) -> int:
    text = read_input(options.input)
    filename = "<stdin>" if options.input == "-" else options.input
    if options.input != "-":
        weights.add_search_dir(os.path.dirname(os.path.abspath(options.input)))
    out_dir = os.getcwd() if options.output in (None, "-") else os.path.dirname(os.path.abspath(options.output))
    chunks = split_input(text) if options.split_input_file else [(1, text)]
    outputs: list[str] = []
    files: dict[str, bytes] = {}
    failed = False
    for first_line, chunk in chunks:
        # Pad with newlines so diagnostics carry the line numbers of the whole file.
        padded = "\n" * (first_line - 1) + chunk
        diagnostics: list[Diagnostic] = []
        result = None
        try:
            module = sdf_ir.parse(padded, filename)
            run_pipeline(module, steps, options, diagnostics, files)
            weights.relocate(module, out_dir)  # sidecar references stay valid where the IR lands
            result = sdf_ir.to_text(module, options.debug_info)
        except UserError as err:
            diagnostics += err.diagnostics
        if options.verify_diagnostics:
            problems = check_expectations(padded, filename, diagnostics)
            for problem in problems:
                print(problem, file=sys.stderr)
            failed |= bool(problems)
        else:
            for d in diagnostics:
                print(format_diagnostic("fpga-opt", d), file=sys.stderr)
            failed |= any(d.severity == "error" for d in diagnostics)
        if result is not None:
            outputs.append(result)
    if failed:
        return 1
    files[options.output or "-"] = "// -----\n".join(outputs).encode("utf-8")
    write_outputs(files)  # the IR and the files passes produced: all or nothing
    return 0


def run_pipeline(module, steps: list[Step], options: Options, diagnostics: list[Diagnostic],
                 files: dict[str, bytes]) -> None:
    from torch_mlir import ir
    from torch_mlir.passmanager import PassManager

    with sdf_ir.context(), ir.Location.unknown():
        for step in steps:
            if step.ours is not None:
                diag = Diagnostics()
                step.ours.run(module, diag)
                diagnostics += [d for d in diag.items if d.severity != "error"]
                if diag.errors:
                    raise UserError(diag.errors)
                files.update(diag.files)
            else:
                try:
                    PassManager.parse(f"builtin.module({step.upstream})").run(module.operation)
                except ir.MLIRError as err:
                    from fpga_sdf.diagnostics import from_mlir

                    raise UserError([from_mlir(d) for d in err.error_diagnostics] or err.message) from None
            try:
                sdf_ir.verify(module)
            except UserError as err:
                for d in err.diagnostics:
                    d.message = f"after pass '{step.label}': {d.message}"
                raise
            if options.print_ir_after_all:
                print(f"// -----// IR Dump After {step.label} //----- //", file=sys.stderr)
                print(sdf_ir.to_text(module, options.debug_info), file=sys.stderr)


def help_text() -> str:
    lines = [USAGE, "", "Run sdf passes over MLIR, in the order given.", "", "General options:"]
    lines += [f"  {flag:<28} {text}" for flag, text in GENERAL_OPTIONS]
    lines += ["", "Passes (options as --pass=\"key=value key2=value2\"):"]
    for name, cls in sorted(load_all().items()):
        lines.append(f"  --{name:<26} {cls.summary()}")
        for f in cls.options():
            doc = f.metadata.get("help", "")
            default = f.default if f.default is not f.default_factory else "..."
            lines.append(f"      {f.name}={_type_name(cls, f.name)} (default {default!r}) {doc}".rstrip())
    lines += ["", f"Upstream MLIR passes are accepted by name too ({UPSTREAM_EXAMPLES}, ...)."]
    return "\n".join(lines)


def _type_name(cls, field_name: str) -> str:
    import typing

    return typing.get_type_hints(cls)[field_name].__name__


if __name__ == "__main__":
    sys.exit(main())
