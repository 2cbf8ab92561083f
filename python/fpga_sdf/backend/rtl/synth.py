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
                       progress=None, layers=None, modules: bool = True) -> dict:
    """Synthesise every module and every layer of an `fpga-translate --sdf-to-rtl` project.

    The layer specs (for the model's figures) come from the design the project was written
    from (`design`, else rtl.json's `source`); the SystemVerilog is re-elaborated from it with
    yosys-readable lowering options. Without the design the project's files are synthesised as
    they are, without model figures. A layer is synthesised as one block (`layer_block`: its
    modules wired as in the partition top, and the FIFOs on the streams into it), so
    cross-module optimisation and sharing show; `yosys_sum` is the sum of its modules alone.
    `layers` (names) limits the work to those layers; `modules=False` synthesises only the
    layer blocks. Returns the synth.json contents."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf.model import expand, load_platform

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
    wanted = None if layers is None else set(layers)
    modules_out, blocks = [], []
    work = []  # (partition, sources, owners, module tops to synthesise, layers)
    for part in manifest["partitions"]:
        names = {ident(layer["name"]): layer["name"] for layer in part["layers"]}
        sources = {Path(f).name: (files[f] if files is not None else (rtl_dir / f).read_text())
                   for f in part["files"]}
        owners = {Path(f).stem: _owner(Path(f).stem, part["name"], names)
                  for f in sorted(sources) if Path(f).stem != part["top"]}
        keep = lambda layer: wanted is None or layer in wanted  # noqa: E731
        tops = [t for t, (layer, _, _) in owners.items() if modules and keep(layer)
                and (layer is not None or wanted is None)]
        work.append((part, sources, owners, tops, [x["name"] for x in part["layers"] if keep(x["name"])]))
    bar = Progress(sum(len(w[3]) + len(w[4]) for w in work), "synth")
    for part, sources, owners, tops, part_layers in work:
        for top in tops:
            layer, kind, instance = owners[top]
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
            modules_out.append(entry)
        for name in part_layers:
            top, wrapper, fifos = layer_block(part, name, {t: o[0] for t, o in owners.items()}, sources)
            if progress:
                progress(top)
            got = synthesise_sources(dict(sources, **{f"{top}.sv": wrapper}), top, family, cache=cache)
            bar.step(top)
            total = SynthResult().as_dict()
            for m in modules_out:
                if m["partition"] == part["name"] and m["layer"] == name:
                    for k, v in m["yosys"].items():
                        total[k] += v
            entry = {"layer": name, "partition": part["name"], "block": top, "yosys": got.as_dict(),
                     "yosys_sum": total if modules else None, "fifos": [list(f) for f in fifos], "model": None}
            if name in specs:
                entry["model"] = block_model(specs[name], fifos, family, platform.has_uram)
            blocks.append(entry)
    bar.close()
    return {"rtl": str(rtl_dir), "platform": platform.name, "family": family,
            "yosys_family": yosys_family(family), "yosys": yosys_version(),
            "design": str(source) if source else None, "modules": modules_out, "layers": blocks}


def block_model(spec, fifos, family: str, has_uram: bool) -> dict:
    """The model's figures of a layer block: the layer (sum of its modules, as
    model.layer_resources) plus the FIFOs (bits, depth) on the streams into it, costed as the
    model's FIFO module."""
    from fpga_sdf.model import expand
    from fpga_sdf.model.performance import fifo_module
    from fpga_sdf.model.resources import Resources, module_resources

    total = Resources()
    for module in expand(spec):
        total = total + module_resources(module, family, has_uram)
    for bits, depth in fifos:
        total = total + module_resources(fifo_module(1, bits, depth), family, has_uram)
    return total.as_dict()


_PORT = re.compile(r"^\s*(?:(input|output)\s+)?(?:\[[^\]]*\]\s*)?([A-Za-z_][A-Za-z0-9_$]*)\s*,?\s*$")


def module_inputs(text: str, name: str) -> list[str]:
    """Input port names of module `name` in CIRCT's SystemVerilog (one port per line, a line
    without a direction continuing the previous one)."""
    m = re.search(rf"^module {re.escape(name)}\((.*?)\);", text, re.S | re.M)
    if m is None:
        raise ValueError(f"no module {name} in its SystemVerilog")
    inputs, direction = [], None
    for line in m.group(1).splitlines():
        p = _PORT.match(line.split("//")[0])
        if p is None:
            continue
        direction = p.group(1) or direction
        if direction == "input":
            inputs.append(p.group(2))
    return inputs


def layer_block(part: dict, layer: str, owners: dict, sources: dict) -> tuple[str, str, list]:
    """(top, SystemVerilog, FIFOs) of a wrapper holding every module of `layer` in partition
    `part` (rtl.json), wired by the partition's streams: streams between two of its modules
    are wires, streams to or from other modules are ports, and a stream into the layer that
    has a FIFO in the partition top (depth > 2) gets that FIFO inside the block, as does a
    window_evicted window's write stream out of it: its burst buffers (read and write) are the
    layer's, which the model counts in its sliding window (window_dma), so they are not among
    the FIFOs returned. Inputs the streams do not drive (a weights-load port) are tied to 0."""
    mods = sorted(m for m, owner in owners.items() if owner == layer)
    if not mods:
        raise ValueError(f"layer {layer} of {part['name']} has no modules")
    top = f"{part['name']}_{re.sub(r'[^A-Za-z0-9_]', '_', layer)}_block"
    ends = lambda end: tuple(end.split(".")) if end else (None, None)  # noqa: E731
    ports, wires, fifo_insts, fifos = ["input clk", "input rst"], [], [], []
    conns = {m: {"clk": "clk", "rst": "rst"} for m in mods}
    for s in part["streams"]:
        (src, out), (dst, inp) = ends(s["from"]), ends(s["to"])
        inside_src, inside_dst = src in conns, dst in conns
        if not (inside_src or inside_dst):
            continue
        k, width = s["index"], f"[{s['bits'] - 1}:0] " if s["bits"] > 1 else ""
        sig = {d: f"s{k}_{d}" for d in ("data", "valid", "ready")}
        if inside_src and inside_dst:
            wires += [f"wire {width}{sig['data']};", f"wire {sig['valid']};", f"wire {sig['ready']};"]
        elif inside_dst:
            if s["depth"] > 2:  # the partition top's FIFO on this stream feeds the layer
                fifo = f"sdf_fifo_w{s['bits']}_d{s['depth']}"
                wires += [f"wire {width}{sig['data']};", f"wire {sig['valid']};", f"wire {sig['ready']};"]
                sig_in = {d: f"s{k}_in_{d}" for d in ("data", "valid", "ready")}
                ports += [f"input {width}{sig_in['data']}", f"input {sig_in['valid']}", f"output {sig_in['ready']}"]
                fifo_insts.append(_fifo_instance(fifo, k, sig_in, sig))
                if not s.get("role"):  # a window's burst buffers are the layer's (model: window_dma)
                    fifos.append((s["bits"], s["depth"]))
            else:
                ports += [f"input {width}{sig['data']}", f"input {sig['valid']}", f"output {sig['ready']}"]
        elif s.get("role") == "window_write" and s["depth"] > 2:  # its write burst buffer, in the block
            fifo = f"sdf_fifo_w{s['bits']}_d{s['depth']}"
            wires += [f"wire {width}{sig['data']};", f"wire {sig['valid']};", f"wire {sig['ready']};"]
            sig_out = {d: f"s{k}_out_{d}" for d in ("data", "valid", "ready")}
            ports += [f"output {width}{sig_out['data']}", f"output {sig_out['valid']}", f"input {sig_out['ready']}"]
            fifo_insts.append(_fifo_instance(fifo, k, sig, sig_out))
        else:
            ports += [f"output {width}{sig['data']}", f"output {sig['valid']}", f"input {sig['ready']}"]
        if inside_src:
            conns[src].update({f"{out}_data": sig["data"], f"{out}_valid": sig["valid"],
                               f"{out}_ready": sig["ready"]})
        if inside_dst:
            conns[dst].update({f"{inp}_data": sig["data"], f"{inp}_valid": sig["valid"],
                               f"{inp}_ready": sig["ready"]})
    insts = []
    for m in mods:
        for name in module_inputs(sources[f"{m}.sv"], m):
            conns[m].setdefault(name, "'0")
        insts.append(f"{m} {m} (" + ", ".join(f".{p}({sig})" for p, sig in conns[m].items()) + ");")
    text = "\n".join([f"// {layer} of {part['name']} as one block (fpga-synth)", f"module {top}(",
                      ",\n".join(f"  {p}" for p in ports), ");"] + [f"  {w}" for w in wires + fifo_insts + insts]
                     + ["endmodule", ""])
    return top, text, fifos


def _fifo_instance(fifo: str, k: int, src: dict, dst: dict) -> str:
    """A FIFO instance on stream k, from the `src` signals (data, valid, ready) to `dst`."""
    return (f"{fifo} fifo_s{k} (.clk(clk), .rst(rst), .in0_data({src['data']}), .in0_valid({src['valid']}), "
            f".in0_ready({src['ready']}), .out0_data({dst['data']}), .out0_valid({dst['valid']}), "
            f".out0_ready({dst['ready']}));")
