"""yosys `synth_xilinx` of generated SystemVerilog, with cell counts read back as resources.

The RTL is the reference for what the resource model means: each generated module (and each
layer) is synthesised for the platform's family and its DSP, BRAM, URAM, LUT and FF counts are
put next to the model's figures (`fpga-synth`, `scripts/calibrate_resources.py`). Results are
cached on the sources' contents, so re-running a test or a report costs nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from ...progress import Progress

# Platform families of the model -> yosys synth_xilinx -family.
FAMILIES = {"7series": "xc7", "ultrascale+": "xcup"}

# LUTs a distributed-RAM or shift-register cell occupies (Xilinx UG474 / UG574).
LUTRAM_CELLS = {
    "RAM32X1S": 1, "RAM32X1D": 2, "RAM64X1S": 1, "RAM64X1D": 2, "RAM128X1S": 2,
    "RAM128X1D": 4, "RAM256X1S": 4, "RAM32M": 4, "RAM64M": 4, "RAM32M16": 8, "RAM64M8": 8,
    "SRL16E": 1, "SRLC16E": 1, "SRLC32E": 1,
}
FF_CELLS = ("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE")


@dataclass(frozen=True)
class SynthResult:
    """Resources of one synthesised top; `bram18` counts BRAM18 units (a BRAM36 is two),
    `lut` includes the LUTs used as memory (`lutram`), as the model counts them."""

    dsp: int = 0
    bram18: int = 0
    bram36: int = 0
    uram: int = 0
    lut: int = 0
    ff: int = 0
    lutram: int = 0

    @property
    def bram18_units(self) -> int:
        return self.bram18 + 2 * self.bram36

    def as_dict(self) -> dict:
        return dict(asdict(self), bram18_units=self.bram18_units)


def yosys_family(family: str) -> str:
    """The synth_xilinx family of a platform family ('7series' -> 'xc7')."""
    if family in FAMILIES.values():
        return family
    try:
        return FAMILIES[family]
    except KeyError:
        raise ValueError(f"no yosys family for platform family {family!r}; "
                         f"known: {', '.join(FAMILIES)}") from None


def parse_stat(text: str) -> dict[str, int]:
    """Cell counts of the last `stat` report in a yosys log (the flattened top)."""
    blocks = text.split("Number of cells:")
    if len(blocks) < 2:
        raise ValueError("no 'Number of cells' in the yosys stat output")
    cells = {}
    for line in blocks[-1].splitlines()[1:]:
        m = re.match(r"^\s+(\S+)\s+(\d+)\s*$", line)
        if not m:
            if cells and line.strip():
                break
            continue
        cells[m.group(1)] = int(m.group(2))
    return cells


def resources_of(cells: dict[str, int]) -> SynthResult:
    """Resources from Xilinx primitive counts."""
    count = lambda *names: sum(cells.get(n, 0) for n in names)  # noqa: E731
    lutram = sum(cells.get(n, 0) * luts for n, luts in LUTRAM_CELLS.items())
    luts = sum(v for k, v in cells.items() if re.fullmatch(r"LUT[1-6]", k))
    return SynthResult(
        dsp=count("DSP48E1", "DSP48E2"),
        bram18=count("RAMB18E1", "RAMB18E2"),
        bram36=count("RAMB36E1", "RAMB36E2"),
        uram=count("URAM288", "URAM288_BASE"),
        lut=luts + lutram, ff=count(*FF_CELLS), lutram=lutram)


def yosys_version() -> str:
    exe = shutil.which("yosys")
    if exe is None:
        raise RuntimeError("yosys is not installed (scripts/setup.sh installs it)")
    return subprocess.run([exe, "-V"], capture_output=True, text=True, check=True).stdout.strip()


def cache_dir() -> Path:
    root = os.environ.get("FPGA_SDF_SYNTH_CACHE") or Path.home() / ".cache" / "fpga-sdf" / "synth"
    return Path(root)


def synthesise(sources, top: str, family: str, cache: bool = True,
               log: Path | None = None) -> SynthResult:
    """Run `synth_xilinx -family F -top top -flatten` on the SystemVerilog `sources`.

    No I/O buffers or clock buffers are inserted (`-noiopad -noclkbuf`): a module is measured
    as a block inside a design, as the model costs it.
    """
    fam = yosys_family(family)
    sources = [Path(s) for s in sources]
    key = hashlib.sha256()
    for part in (yosys_version(), fam, top):
        key.update(part.encode() + b"\0")
    for s in sorted(sources, key=lambda p: p.name):
        key.update(s.name.encode() + b"\0" + s.read_bytes() + b"\0")
    cached = cache_dir() / f"{key.hexdigest()}.json"
    if cache and cached.exists():
        return SynthResult(**json.loads(cached.read_text())["resources"])
    with tempfile.TemporaryDirectory(prefix="fpga-synth-") as tmp:
        stat = Path(tmp) / "stat.txt"
        reads = "; ".join(f"read_verilog -sv -defer {_quote(s)}" for s in sources)
        script = (f"{reads}; synth_xilinx -family {fam} -top {top} -flatten -noiopad -noclkbuf; "
                  f"tee -q -o {_quote(stat)} stat")
        run = subprocess.run(["yosys", "-q", "-p", script], capture_output=True, text=True, cwd=tmp)
        if log is not None:
            Path(log).write_text(run.stdout + run.stderr)
        if run.returncode != 0 or not stat.exists():
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-15:])
            raise RuntimeError(f"yosys failed on {top} ({fam}):\n{tail}")
        cells = parse_stat(stat.read_text())
    result = resources_of(cells)
    if cache:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp_file = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp_file.write_text(json.dumps({"top": top, "family": fam, "cells": cells,
                                        "resources": asdict(result)}))
        tmp_file.replace(cached)
    return result


def _quote(path) -> str:
    s = str(path)
    if any(c in s for c in ' ;"'):
        raise ValueError(f"yosys cannot read a path with spaces or ';': {s}")
    return s


def synthesise_sources(sources: dict[str, str], top: str, family: str, cache: bool = True) -> SynthResult:
    """Synthesise SystemVerilog given as {file name: text}."""
    with tempfile.TemporaryDirectory(prefix="fpga-synth-src-") as tmp:
        files = []
        for name, text in sources.items():
            path = Path(tmp) / name
            path.write_text(text)
            files.append(path)
        return synthesise(files, top, family, cache=cache)


# yosys 0.23 reads neither `automatic` block-local variables nor packed arrays of arrays:
# CIRCT is asked for neither (array muxes become comb logic).
LOWERING_OPTIONS = "locationInfoStyle=none,omitVersionComment,disallowLocalVariables,disallowPackedArrays"
AGGREGATE_PASS = "builtin.module(hw.module(hw-aggregate-to-comb))"


@contextlib.contextmanager
def _yosys_lowering():
    """Elaborate (here or in module_sim / emit) into the SystemVerilog subset yosys reads: the
    same circuit, without block-local variables or packed arrays."""
    from pycde import System

    from . import module_sim

    saved_options, saved_passes = module_sim.LOWERING_OPTIONS, System.FINAL_LOWERING_PASSES
    module_sim.LOWERING_OPTIONS = LOWERING_OPTIONS
    at = next(i for i, p in enumerate(saved_passes) if "lower-hw-to-sv" in p)
    System.FINAL_LOWERING_PASSES = saved_passes[:at] + [AGGREGATE_PASS] + saved_passes[at:]
    try:
        yield
    finally:
        module_sim.LOWERING_OPTIONS, System.FINAL_LOWERING_PASSES = saved_options, saved_passes


def elaborate_for_yosys(module_class, name: str) -> dict[str, str]:
    """SystemVerilog of a PyCDE class in the subset yosys reads: {file: text}."""
    from .module_sim import elaborate

    with _yosys_lowering():
        return elaborate(module_class, name)


def synthesise_module(module_class, family: str, cache: bool = True) -> SynthResult:
    """Synthesise one generated module (a PyCDE class, e.g. a generator's result)."""
    top = getattr(module_class, "module_name", module_class.__name__)
    return synthesise_sources(elaborate_for_yosys(module_class, top), top, family, cache=cache)


def model_resources(module, family: str, has_uram: bool = False) -> dict:
    """The model's figures for ONE instance of a model Module (fpga_sdf.model.modules)."""
    from dataclasses import replace

    from fpga_sdf.model.resources import module_resources

    r = module_resources(replace(module, instances=1), family, has_uram)
    return r.as_dict()


# ------------------------------------------------------------------------------ projects

_INSTANCE = re.compile(r"^(?P<kind>[a-z_]+?)(?P<instance>\d+)$")


def _design_source(rtl_dir: Path, manifest: dict, design) -> Path | None:
    if design is not None:
        return Path(design)
    source = manifest.get("source")
    for candidate in (Path(source) if source else None, rtl_dir.parent / source if source else None):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _layer_specs(module) -> dict:
    from fpga_sdf import network

    return {name: network.layer_spec(name, op) for name, op in network.named_layers(module)}


def _owner(module_name: str, partition: str, layers: dict):
    """(layer, kind, instance) of a generated module `<partition>_<layer>_<kind><i>`, or
    (None, module name, None) for partition-level modules (dma, squeeze, FIFOs)."""
    rest = module_name[len(partition) + 1:] if module_name.startswith(partition + "_") else module_name
    for ident_name in sorted(layers, key=len, reverse=True):
        if rest.startswith(ident_name + "_"):
            m = _INSTANCE.match(rest[len(ident_name) + 1:])
            if m:
                return layers[ident_name], m.group("kind"), int(m.group("instance"))
    return None, rest, None


def synthesise_project(rtl_dir, design=None, family: str | None = None, cache: bool = True,
                       progress=None) -> dict:
    """Synthesise every module and every layer of an `fpga-translate --sdf-to-rtl` project.

    The layer specs (for the model's figures) come from the design the project was written
    from (`design`, else rtl.json's `source`); the SystemVerilog is re-elaborated from it with
    yosys-readable lowering options. Without the design the project's files are synthesised as
    they are, without model figures. A layer's synthesis is the sum of its modules'.
    Returns the synth.json contents."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf.model import expand, layer_resources, load_platform

    from .emit import emit, ident

    rtl_dir = Path(rtl_dir)
    manifest = json.loads((rtl_dir / "rtl.json").read_text())
    platform = load_platform(manifest["platform"])
    family = family or platform.family
    source = _design_source(rtl_dir, manifest, design)
    specs, files = {}, None
    if source is not None:
        text = source.read_text()
        specs = _layer_specs(sdf_ir.parse(text, str(source)))
        with _yosys_lowering():
            files = emit(sdf_ir.parse(text, str(source)), source=str(source), platform=manifest["platform"]).files
    modules, layers = [], {}
    bar = Progress(sum(len(part["files"]) - 1 for part in manifest["partitions"]), "synth")
    for part in manifest["partitions"]:
        names = {ident(layer["name"]): layer["name"] for layer in part["layers"]}
        sources = {Path(f).name: (files[f] if files is not None else (rtl_dir / f).read_text())
                   for f in part["files"]}
        for fname in sorted(sources):
            top = Path(fname).stem
            if top == part["top"]:
                continue
            layer, kind, instance = _owner(top, part["name"], names)
            if progress:
                progress(top)
            got = synthesise_sources(sources, top, family, cache=cache)
            bar.step(top)
            entry = {"module": top, "partition": part["name"], "layer": layer, "kind": kind,
                     "instance": instance, "yosys": got.as_dict(), "model": None}
            spec = specs.get(layer)
            model = next((m for m in expand(spec) if m.name == kind), None) if spec is not None else None
            if model is not None:
                entry["model"] = model_resources(model, family, platform.has_uram)
            modules.append(entry)
            if layer is not None:
                total = layers.setdefault(layer, {"layer": layer, "yosys": SynthResult().as_dict(), "model": None})
                for k, v in got.as_dict().items():
                    total["yosys"][k] += v
                if spec is not None:
                    total["model"] = layer_resources(spec, platform).as_dict()
    bar.close()
    return {"rtl": str(rtl_dir), "platform": platform.name, "family": family,
            "yosys_family": yosys_family(family), "yosys": yosys_version(),
            "design": str(source) if source else None, "modules": modules, "layers": list(layers.values())}
