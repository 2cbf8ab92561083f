"""The Python API: a network to a design in one call, as hls4ml users are used to.

    import fpga_sdf
    design = fpga_sdf.compile(model, example_input, platform="zcu102", precision="w8a8")
    print(design)                 # the report table
    y = design.predict(x)         # bit-exact fixed-point executor (numpy in, numpy out)
    y = design.csim(x)            # C-simulation of the emitted HLS project
    y, stats = design.rtlsim(x)   # RTL simulation: outputs and measured cycles
    design.write("out/")          # what fpga-compile writes

It runs exactly the flow of `fpga-compile` (`fpga_sdf.flow`), so a design made here and one
made on the command line with the same options are the same design. Passes can be run one
at a time on an `ir.Module` with `run_pass`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import weakref

import numpy as np

from .diagnostics import Diagnostics, UserError

__all__ = ["compile", "Design", "run_pass", "parse", "to_text"]


def compile(model, example_input=None, *, platform: str, precision: str = "w16a16",  # noqa: A001
            objective: str = "throughput", batch: int = 1, clock: float = 0.0, budget: float = 0.9,
            strategy: str = "greedy", seed: int = 1, time_limit: float = 60.0,
            calibration: np.ndarray | str | None = None) -> "Design":
    """Import, quantize and explore `model` for `platform`; returns the chosen Design.

    `model` is a torch nn.Module (with `example_input`), an .onnx path, or a zoo name
    (`fpga_sdf.frontend.zoo.names()`). `calibration` (an array or .npy path of inputs) sets
    the quantization ranges; by default the zoo network's own data, else `example_input`.
    Raises UserError (with located diagnostics) on any user mistake.
    """
    from .flow import CompileOptions, compile_network
    from .frontend import zoo

    network, path, zoo_name = None, None, None
    if isinstance(model, str):
        if model in zoo.names():
            zoo_name = model
        else:
            path = model
    else:
        if example_input is None:
            raise UserError("compile(nn.Module, example_input, ...): the example input is needed to trace the network")
        network = (model, example_input)
    if calibration is None and network is not None:
        calibration = np.asarray(example_input.detach().numpy() if hasattr(example_input, "detach") else example_input,
                                 dtype=np.float32)
    options = CompileOptions(platform=platform, objective=objective, precision=precision, batch=batch, clock=clock,
                             budget=budget, strategy=strategy, seed=seed, time_limit=time_limit,
                             calibration=calibration if calibration is not None else "", emit_hls=False)
    home = tempfile.mkdtemp(prefix="fpga-sdf-design-")
    out = os.path.join(home, "design")
    try:
        result = compile_network(path, zoo_name, out, options, network=network)
    except BaseException:
        shutil.rmtree(home, ignore_errors=True)
        raise
    return Design(out, home, result.warnings)


class Design:
    """A compiled design: its IR (`module`), `report` (the JSON report's dict), `table`, and
    ways to run it. Files live in a private directory removed with the object."""

    def __init__(self, directory: str, home: str, warnings: list[str]):
        from . import ir as sdf_ir
        from . import weights

        self.directory = directory
        self.warnings = warnings
        weakref.finalize(self, shutil.rmtree, home, True)
        with open(os.path.join(directory, "report.json"), encoding="utf-8") as f:
            self.report: dict = json.load(f)
        with open(os.path.join(directory, "report.txt"), encoding="utf-8") as f:
            self.table: str = f.read().rstrip("\n")
        weights.add_search_dir(directory)
        model_path = os.path.join(directory, "model.mlir")
        with open(model_path, encoding="utf-8") as f:
            self.module = sdf_ir.parse(f.read(), model_path)

    def __str__(self) -> str:
        return self.table

    def __repr__(self) -> str:
        net = self.report.get("network", {})
        return f"<Design {net.get('fps', 0):.1f} fps, {len(self.report.get('partitions', []))} partition(s)>"

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The design's output on `x` (batch first), computed by the bit-exact fixed-point
        executor: what the hardware returns."""
        from .interp.executor import execute

        return execute(self.module, [np.asarray(x, dtype=np.float32)], "fixed")[0]

    def csim(self, x: np.ndarray) -> np.ndarray:
        """The output of the emitted HLS project's C-simulation on `x` (builds it once)."""
        from .backend.hls import project

        hls = self._hls()
        project.build(hls)
        return project.run(hls, np.asarray(x, dtype=np.float32))

    def rtlsim(self, x: np.ndarray, stall_cycles: int | None = None) -> tuple[np.ndarray, dict]:
        """The output of the design's RTL (PyCDE SystemVerilog, simulated in Verilator) on
        `x`, and the stats `fpga-run --backend rtl --stats` writes: measured cycles per
        partition and layer beside the model's."""
        from .backend.rtl import sim

        return sim.run(self._rtl(), np.asarray(x, dtype=np.float32), stall_cycles)

    def write(self, out_dir: str, hls: bool = True) -> None:
        """Write model.mlir (+ weights), report.json/.txt, the pictures and, with `hls`, the
        HLS project into `out_dir`, as fpga-compile does (replaced only as a whole)."""
        from .cli import check_replaceable, replace_directory

        if hls:
            self._hls()
        check_replaceable(out_dir, "fpga-sdf")
        parent = os.path.dirname(os.path.abspath(out_dir))
        os.makedirs(parent, exist_ok=True)
        staged = tempfile.mkdtemp(prefix=".fpga-sdf-write-", dir=parent)
        try:
            shutil.copytree(self.directory, staged, dirs_exist_ok=True,
                            ignore=None if hls else shutil.ignore_patterns("hls"))
            replace_directory(staged, out_dir)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise

    def _rtl(self) -> str:
        from . import ir as sdf_ir
        from .backend.rtl.emit import emit, write_project

        rtl = os.path.join(self.directory, "rtl")
        if not os.path.isdir(rtl):
            model_path = os.path.join(self.directory, "model.mlir")
            with open(model_path, encoding="utf-8") as f:
                module = sdf_ir.parse(f.read(), model_path)  # a copy: the RTL driver expands it in place
            write_project(emit(module, source=model_path), rtl)
        return rtl

    def _hls(self) -> str:
        from .backend.hls.emit import emit, write_project

        hls = os.path.join(self.directory, "hls")
        if not os.path.isdir(hls):
            write_project(emit(self.module, source=os.path.join(self.directory, "model.mlir")), hls)
        return hls


def run_pass(module, name: str, text: str = "", **options) -> list:
    """Run the pass `name` (its flag without dashes, e.g. "sdf-fold") with `options` on
    `module` in place; returns its warnings and remarks, raises UserError on errors.
    `text` gives the options as on the command line instead ("coarse_in=2 layers=conv1")."""
    from torch_mlir import ir

    from . import ir as sdf_ir
    from .pass_registry import lookup

    cls = lookup(name)
    if cls is None:
        raise UserError(f"unknown pass '{name}'")
    if text:
        if options:
            raise UserError(f"--{name}: give the options as text or as keywords, not both")
        instance = cls.from_options(text)
    known = {f.name for f in cls.options()}
    unknown = sorted(set(options) - known)
    if unknown:
        raise UserError(f"--{name}: unknown option(s) {', '.join(unknown)} (options: {', '.join(sorted(known)) or 'none'})")
    diag = Diagnostics()
    with sdf_ir.context(), ir.Location.unknown():
        (instance if text else cls(**options)).run(module, diag)
        if diag.errors:
            raise UserError(diag.errors)
        sdf_ir.verify(module)
    return [d for d in diag.items if d.severity != "error"]


def parse(text: str, filename: str = "<string>"):
    """sdf IR text -> ir.Module (verified)."""
    from . import ir as sdf_ir

    return sdf_ir.parse(text, filename)


def to_text(module) -> str:
    from . import ir as sdf_ir

    return sdf_ir.to_text(module)
