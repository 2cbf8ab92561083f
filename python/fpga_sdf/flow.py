"""The one-shot flow behind fpga-compile: import, quantize, explore, report, emit.

Every step is the same pass or translation a user can run by hand (fpga-import, fpga-opt
--sdf-quantize / --dse / --sdf-report, fpga-translate --sdf-to-hls); this module only
chains them and writes the results into one directory, atomically.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass

import numpy as np

from . import ir as sdf_ir
from .cli import check_replaceable, replace_directory, write_files
from . import weights as weight_store
from .diagnostics import Diagnostic, Diagnostics, UserError
from .frontend import sources, zoo
from .design_plots import picture_files
from .design_report import network_report
from .model import format_table
from .pass_registry import lookup

_PRECISION = re.compile(r"^w(\d+)a(\d+)$")


@dataclass(frozen=True)
class CompileOptions:
    platform: str
    objective: str = "throughput"
    precision: str = "w16a16"
    batch: int = 1
    clock: float = 0.0
    budget: float = 0.9
    strategy: str = "greedy"
    seed: int = 1
    time_limit: float = 60.0
    calibration: object = ""  # .npy path or an array; empty: the zoo model's own data, else synthetic
    emit_hls: bool = True


@dataclass
class CompileResult:
    report: dict
    table: str
    warnings: list[str]


def precision_bits(text: str) -> tuple[int, int]:
    match = _PRECISION.match(text.lower())
    if not match:
        raise UserError(f"precision '{text}' must look like w16a16 (weight and activation bits)")
    return int(match.group(1)), int(match.group(2))


def compile_network(model: str | None, zoo_name: str | None, out_dir: str, options: CompileOptions,
                    network=None) -> CompileResult:
    """Compile MODEL (or a zoo network, or `network` = (nn.Module, example input) from Python)
    into `out_dir`: model.mlir (+ weights), report.json, report.txt and, with emit_hls, the
    HLS project in hls/. `out_dir` is replaced only when every step succeeded."""
    w_bits, a_bits = precision_bits(options.precision)
    check_replaceable(out_dir, "fpga-compile")
    parent = os.path.dirname(os.path.abspath(out_dir))
    try:
        os.makedirs(parent, exist_ok=True)
        work = tempfile.mkdtemp(prefix=".fpga-compile-", dir=parent)
    except OSError as err:
        raise UserError(f"cannot create the output directory '{out_dir}': {err.strerror}") from None
    try:
        result = _compile_into(work, model, zoo_name, options, w_bits, a_bits, network)
        replace_directory(work, out_dir)
        return result
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _compile_into(work, model, zoo_name, options, w_bits, a_bits, network) -> CompileResult:
    import_options = dict(emit="sdf", weights="auto", sidecar="model.weights.npz", full=True)
    if network is not None:
        from .frontend.importer import import_model

        imported = import_model(network[0], network[1], func_name="forward", **import_options)
    else:
        imported = sources.load(model, zoo_name, None, **import_options)
    module = imported.module
    imported.write(os.path.join(work, "imported.mlir"))
    weight_store.add_search_dir(work)
    warnings: list[str] = []

    calibration = options.calibration
    if isinstance(calibration, np.ndarray):  # from the Python API
        np.save(os.path.join(work, "calibration.npy"), calibration)
        calibration = os.path.join(work, "calibration.npy")
    elif not calibration and zoo_name and zoo.calibration_data(zoo_name) is not None:
        calibration = os.path.join(work, "calibration.npy")
        np.save(calibration, zoo.calibration_data(zoo_name))
    steps = [
        ("sdf-quantize", dict(weights=w_bits, activations=a_bits, calibration=calibration)),
        ("dse", dict(platform=options.platform, objective=options.objective, batch=options.batch,
                     clock=options.clock, budget=options.budget, strategy=options.strategy, seed=options.seed,
                     time_limit=options.time_limit, pareto_output=os.path.join(work, "pareto"))),
        ("sdf-verify", {}),
    ]
    files: dict[str, bytes] = {}
    with sdf_ir.context():
        from torch_mlir import ir

        with ir.Location.unknown():
            for name, values in steps:
                diag = Diagnostics()
                lookup(name)(**values).run(module, diag)
                warnings += [str(d) for d in diag.items if d.severity == "warning"]
                if diag.errors:
                    raise UserError(diag.errors)
                files.update(diag.files)
                sdf_ir.verify(module)
    write_files(files)
    report = network_report(module, "fpga-compile")
    table = format_table(report)
    _write(os.path.join(work, "model.mlir"), sdf_ir.to_text(module, debug_info=True))
    _write(os.path.join(work, "report.json"), json.dumps(report, indent=2) + "\n")
    _write(os.path.join(work, "report.txt"), table + "\n")
    for path, data in picture_files(report, work + os.sep).items():
        with open(path, "wb") as f:
            f.write(data)
    if options.emit_hls:
        from .backend.hls.emit import emit, write_project

        try:
            project = emit(module, source=os.path.join(work, "model.mlir"))
        except UserError as err:
            err.diagnostics.append(Diagnostic("note", "the design cannot be emitted as HLS yet; "
                                                      "--no-hls writes the design and its report"))
            raise
        write_project(project, os.path.join(work, "hls"))
    return CompileResult(report, table, warnings)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
