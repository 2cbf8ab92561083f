"""The files of an HLS project, from the partitions the generators built.

    Makefile                 `make csim`: builds and runs every partition's testbench
    schedule.json            host schedule: partitions in order, formats, ports, reload runs
    block_design.tcl         Vivado block design for the board of `sdf.target` (platform.py)
    include/                 the template library (sdf.hpp, dataflow.hpp, csim_stream.hpp, ...)
    p<i>/                    one Vitis HLS project per partition:
      p<i>.hpp               formats (typedefs) and the prototypes of the layer processes
      src/<layer>.cpp        one file per layer: its ROMs and one function per module process
      src/p<i>_top.cpp       top: AXI ports, DATAFLOW region, streams with depths, dma/squeezes
      tb/tb.cpp              C++ testbench: raw int64 frames in, raw int64 frames out
      tb/csim_all.cpp        every source in one translation unit (fast g++ build)
      Makefile, hls.tcl      g++ C-simulation (threads, bounded streams); Vitis HLS flow
      weights/*.bin          parameters loaded from off-chip memory (packed beats, run after run),
                             for values inline in the IR; values in the design's .npz sidecar
                             are named in schedule.json and packed by the host at load time

The g++ C-simulation runs every process in its own thread with every stream bounded at the
depth of its `#pragma HLS STREAM` line: the Makefile turns those lines into
build/depths.inc, so a depth edited by hand in the top changes Vitis and the C-simulation alike.
"""

from __future__ import annotations

import hashlib
import json
import math

from . import csim, cycles, platform
from .packing import pack
from .process import ctype

TB_FLAGS = ("-std=c++14", "-O2", "-Wno-unknown-pragmas", "-pthread", "-DSDF_THREADED_CSIM")
TEMPLATE_FILES = ("sdf_common.hpp", "sliding_window.hpp", "conv.hpp", "weights_fragments.hpp", "sparse_conv.hpp", "pool.hpp",
                  "activation.hpp", "streams.hpp", "sdf.hpp", "dataflow.hpp", "tb_io.hpp", "csim_stream.hpp")
EVICT_TEMPLATE = "evict.hpp"  # in the projects with a ring: an evicted skip stream or window (evict.py)
DEPTHS_SED = r"s/^#pragma HLS STREAM variable=\([A-Za-z_][A-Za-z0-9_]*\) depth=\([0-9][0-9]*\).*/SDF_DEPTH(\1, \2)/p"


def render(parts, target, source: str, in_fmt, output_view=None, network_output: str | None = None,
           sub_batch: int | None = None) -> tuple[dict, dict]:
    """The project's files and schedule; `output_view` is the per-sample shape the host hands
    the output back in (the network's `sdf.view`, e.g. PyTorch's final flatten), or None;
    `network_output` the tensor the network returns."""
    files: dict = {}
    for name in TEMPLATE_FILES + ((EVICT_TEMPLATE,) if any(part.rings for part in parts) else ()):
        files[f"include/{name}"] = (csim.TEMPLATES / name).read_text()
    entries = []
    for part in parts:
        _partition(part, files, target, source)
        entries.append(_schedule_entry(part, len(parts)))
        entries[-1]["cycles"] = cycles.summary(part, target.batch)
    schedule = {
        "generator": "fpga-translate --sdf-to-hls", "source": source,
        "platform": target.platform.name, "part": target.platform.part, "clock_mhz": target.clock_mhz,
        "batch": target.batch, "input_format": [in_fmt.width, in_fmt.frac],
        "word_order": "per frame: channels fastest, then W, H, D (values as integers of the format)",
        "partitions": entries,
        "tensors": _tensors(parts),
        "network_output": network_output or parts[-1].outputs[0].tensor,
    }
    if output_view is not None:
        schedule["output_view"] = list(output_view)
    if sub_batch is not None:  # the batch's tensors exceed DDR: the host runs passes of this many frames
        schedule["sub_batch"] = sub_batch
    files["schedule.json"] = json.dumps(schedule, indent=2) + "\n"
    files["Makefile"] = _root_makefile(parts)
    files.update(platform.files(parts, target, schedule))
    return files, schedule


def _tensors(parts) -> dict:
    """Every feature map crossing off-chip memory: the partition writing it (None for the
    network's input) and those reading it, so the host keeps its buffer from the writer to
    the last reader (a skip tensor may be read several partitions later)."""
    found: dict = {"input": {"writer": None, "readers": []}}
    for part in parts:
        for end in part.outputs:
            found[end.tensor] = {"writer": part.name, "readers": []}
    for part in parts:
        for end in part.inputs:
            found[end.tensor]["readers"].append(part.name)
    return found


def _end_entry(end, output: bool) -> dict:
    """A feature-map port (an `End`): shape, format, streams and packing of its beats."""
    b = end.bundle
    words = {"words": math.prod(end.shape[1:]), "words_per_run": b.words} if output else {"words": b.words}
    return {"shape": list(end.shape[1:]), "format": [b.fmt.width, b.fmt.frac], **words, "order": "channels_last",
            "streams": b.ways, "pixels": b.pixels, **_beats(b.words, b.fmt.width, end.per_beat),
            "tensor": end.tensor, "port": end.port}


def _schedule_entry(part, n_parts: int) -> dict:
    inputs = [_end_entry(e, False) for e in part.inputs]
    outputs = [_end_entry(e, True) for e in part.outputs]
    entry = {
        "name": part.name, "top": f"{part.name}_top", "binary": f"{part.name}/build/csim_tb",
        "input": inputs[0], "output": outputs[0],  # the ports `in` and `out`
        "inputs": inputs, "outputs": outputs,  # every tensor it reads / writes, in port order
        "reads": [e.tensor for e in part.inputs], "writes": [e.tensor for e in part.outputs],
        "reconfigure": n_parts > 1, "runs": 1, "weights_reload": None,
        "ports": [_port_entry(part, p) for p in part.ports],
    }
    if part.rings:  # evicted skip streams and windows: the host gives each ring buffer to all its ports
        entry["rings"] = [_ring_entry(r) for r in part.rings]
    r = part.reload
    if r is not None:
        entry["runs"] = r.runs
        entry["weights_reload"] = {"layer": r.layer, "filters_per_run": r.filters_per_run, "channels": r.channels,
                                   "output": r.output}  # the output it writes a share of a run; the others whole
    return entry


def _ring_entry(r) -> dict:
    """A ring buffer: one frame of beats, written through `ports[0]`, read back through the
    others (an evicted skip stream: one; a window_evicted layer: one per lagged tap, each a
    prefix of the frame), all given the same buffer."""
    entry = {"name": r.name, "kind": "window" if r.window else "skip", "edge": list(r.edge),
             "ports": list(r.ports), "per_beat": r.per_beat,
             "beat_bits": r.beat_bits, "beats": r.beats, "bytes": r.beats * -(-r.beat_bits // 8),
             "burst_beats": r.burst, "bursts": r.bursts, "bits_per_frame": r.bits_per_frame,
             "port_bits": list(r.port_bits)}
    if r.window:
        entry["read_words"] = list(r.reads)
    return entry


def _port_entry(part, p) -> dict:
    """A parameter port: where its packed images are (`file`), or, for values in the design's
    .npz sidecar, the `source` the host packs them from at load time (runtime.py) and the
    SHA-256 of the bytes, so a changed sidecar is an error rather than wrong weights."""
    entry = {"name": p.name, "layer": p.layer, "role": p.role, "file": f"{part.name}/weights/{p.name}.bin",
             "words_per_run": p.words, "format": [p.fmt.width, p.fmt.frac], "per_beat": p.per_beat,
             "beat_bits": p.beat_bits, "beats_per_run": p.beats}
    if p.source is not None:
        entry["source"] = dict(p.source)
        entry["sha256"] = hashlib.sha256(pack(p.runs, p.fmt.width, p.per_beat)).hexdigest()
    return entry


def _beats(words: int, width: int, per: int) -> dict:
    return {"per_beat": per, "beat_bits": per * width, "beats_per_frame": -(-words // per)}


def _partition(part, files: dict, target, source: str) -> None:
    p, P = part.name, part.name.upper()
    ends = part.inputs + part.outputs
    hdr = [f"// {p}: formats and process prototypes (generated by fpga-translate --sdf-to-hls)",
           f"#ifndef {P}_HPP", f"#define {P}_HPP", "", "#include \"sdf.hpp\"", "#include \"dataflow.hpp\""]
    hdr += [f"#include \"{EVICT_TEMPLATE}\""] if part.rings else []
    hdr += [""]
    for fmt in sorted(part.formats, key=lambda f: (f.width, f.frac)):
        hdr.append(f"typedef {fmt.hls_type()} {ctype(fmt)};")
    hdr += [""] + [f"typedef {ctype(e.bundle.fmt)} {p}_{e.port}_t;" for e in ends]
    hdr += ["// memory ports: beats of packed values (value k at bits k*width ..)"]
    hdr += [f"typedef ap_uint<{e.per_beat * e.bundle.fmt.width}> {p}_{e.port}_beat_t;" for e in ends]
    hdr += [f"const int {P}_{e.port.upper()}_WORDS = {e.bundle.words};" for e in ends]
    hdr += [f"const int {P}_{e.port.upper()}_BEATS = {e.beats};" for e in ends] + [""]
    for r in part.rings:
        what = f"window {r.edge[0]}'s dim-0 delay lines" if r.window else f"evicted {r.edge[0]} -> {r.edge[1]}"
        hdr += [f"// {what}: a ring of one frame, {r.bursts} bursts of {r.burst} beats",
                f"typedef ap_uint<{r.beat_bits}> {p}_{r.name}_beat_t;",
                f"const int {P}_{r.name.upper()}_BEATS = {r.beats};", ""]
    for port in part.ports:
        hdr.append(f"const int {port.name.upper()}_BEATS = {port.beats};  // per run, "
                   f"{port.per_beat} x {port.fmt.width}-bit values each")
    for layer in part.layers:
        for proc in layer.processes:
            hdr.append(proc.prototype() + ";")
    top_sig = _top_signature(part)
    hdr += [f"{top_sig};", "", f"#endif  // {P}_HPP", ""]
    files[f"{p}/{p}.hpp"] = "\n".join(hdr)
    for layer in part.layers:
        files[f"{p}/src/{layer.cname}.cpp"] = _layer_file(part, layer)
    files[f"{p}/src/{p}_top.cpp"] = _top(part, top_sig, source)
    files[f"{p}/tb/tb.cpp"] = _testbench(part)
    files[f"{p}/Makefile"] = _makefile(part)
    files[f"{p}/tb/csim_all.cpp"] = _unity(part)
    files[f"{p}/hls.tcl"] = platform.hls_tcl(part, target)
    for port in part.ports:
        if port.source is None:  # values inline in the IR: the project carries the image
            files[f"{p}/weights/{port.name}.bin"] = pack(port.runs, port.fmt.width, port.per_beat)


def _top_signature(part) -> str:
    p = part.name
    args = [f"const {p}_{e.port}_beat_t* {e.port}" for e in part.inputs]
    args += [f"{p}_{e.port}_beat_t* {e.port}" for e in part.outputs]
    args += [f"const ap_uint<{port.beat_bits}>* {port.name}" for port in part.ports]
    args += [f"hls::burst_maxi<{p}_{r.name}_beat_t> {port}" for r in part.rings for port in r.ports]
    return f"void {p}_top({', '.join(args + ['int frames'])})"


def _layer_file(part, layer) -> str:
    decls = "\n".join(layer.decls)
    procs = "\n".join(proc.definition() for proc in layer.processes)
    return (f"// layer '{layer.name}': {layer.kind} at {layer.location}\n"
            f"// modules (hardware model): {layer.modules}\n"
            f"// one DATAFLOW process per module, called by {part.name}_top\n"
            f"#include \"{part.name}.hpp\"\n\n"
            f"namespace ns_{layer.cname} {{\n{decls}\n}}  // namespace ns_{layer.cname}\n\n{procs}")


def _top(part, top_sig: str, source: str) -> str:
    p = part.name
    lines = [f"// {p}: top function (generated by fpga-translate --sdf-to-hls from {source})",
             f"#include \"{p}.hpp\"", "", "// the partition's own processes: memory ends and re-streaming", ""]
    lines += [proc.definition() for proc in part.top_processes]
    lines += ["// every process once, each looping over the `frames` of the batch", top_sig + " {"]
    # one m_axi bundle per feature map: its DMA process bursts on its own adapter, concurrently
    # with the others (the model shares the board's memory bandwidth among them)
    for e in part.inputs + part.outputs:
        lines.append(f"#pragma HLS INTERFACE m_axi port={e.port} offset=slave bundle=gmem_{e.port} depth={e.beats}")
    for i, port in enumerate(part.ports):
        lines.append(f"#pragma HLS INTERFACE m_axi port={port.name} offset=slave bundle=gmem_w{i} depth={port.beats}")
    # a ring (an evicted skip stream, a window's delay lines): its own masters to write it and to read it back
    for r in part.rings:
        for port in r.ports:
            lines.append(f"#pragma HLS INTERFACE m_axi port={port} offset=slave bundle=gmem_{port} depth={r.beats}")
    for name in part.memory_args() + ["frames"]:
        lines.append(f"#pragma HLS INTERFACE s_axilite port={name} bundle=control")
    lines += ["#pragma HLS INTERFACE s_axilite port=return bundle=control", "#pragma HLS DATAFLOW"]
    for s in part.streams:
        lines.append(f"    {s.decl()}")
        shape = f"{s.groups} x {s.lanes}" if s.groups else f"{s.lanes}"
        lines.append(f"#pragma HLS STREAM variable={s.name} depth={s.depth}  // {s.why}: {shape} x {s.elem}, "
                     f"{s.words} per frame each{' at most' if s.groups else ''}")
    lines += ["#ifdef SDF_THREADED_CSIM", "#include \"../build/depths.inc\"", "#endif", "    SDF_DATAFLOW_REGION"]
    lines += [f"    SDF_PROCESS({proc.call()[:-1]});" for proc in part.order]
    lines += ["}", ""]
    return "\n".join(lines)


def _testbench(part) -> str:
    p, P = part.name, part.name.upper()
    port_decls = "".join(
        f"    std::vector<ap_uint<{port.beat_bits}> > {port.name}_buf = read_beats<{port.beat_bits}>(\n"
        f"        argc > {4 + i} ? argv[{4 + i}] : NULL, {port.name.upper()}_BEATS);\n"
        for i, port in enumerate(part.ports))
    port_args = "".join(f", {port.name}_buf.data()" for port in part.ports)
    # a cut inside a residual block: the other tensors' files follow the parameter files
    extra_in, extra_out = part.inputs[1:], part.outputs[1:]
    first = 4 + len(part.ports)
    extra_in_decls = "".join(
        f"    std::vector<{p}_{e.port}_beat_t> {e.port} = read_beats<{p}_{e.port}_beat_t::width>(\n"
        f"        argc > {first + i} ? argv[{first + i}] : NULL, (size_t)frames * {P}_{e.port.upper()}_BEATS);\n"
        for i, e in enumerate(extra_in))
    extra_out_decls = "".join(f"    std::vector<{p}_{e.port}_beat_t> {e.port}((size_t)frames * {P}_{e.port.upper()}_BEATS);\n"
                              for e in extra_out)
    call = ", ".join(f"{e.port}.data()" for e in part.inputs + part.outputs)
    # a ring: scratch memory of the kernel, the same buffer on all its ports
    rings = "".join(f"    std::vector<{p}_{r.name}_beat_t> {r.name}({P}_{r.name.upper()}_BEATS);\n" for r in part.rings)
    ring_args = "".join(f", {r.name}.data()" * len(r.ports) for r in part.rings)
    writes = "".join("    {\n" + _write_beats(p, e.port, first + len(extra_in) + i, "    ") + "    }\n"
                     for i, e in enumerate(extra_out))
    usage = "".join(f" {port.name}.bin" for port in part.ports) + "".join(f" {e.port}.bin" for e in extra_in + extra_out)
    main_write = _write_beats(p, "out", 2, "")
    # the sparse engines' data-dependent cycles, as the C-simulation counted them
    counters = "".join(f"    std::printf(\"csim: {name} cycles %ld\\n\", sdf::sparse_conv_cycles<{i}>());\n"
                       for i, name in enumerate(part.counters))
    return f"""// {p}: C-simulation testbench (generated by fpga-translate --sdf-to-hls; not for synthesis).
//
//   csim_tb [in.bin out.bin frames{usage}]
//
// The files hold exactly what the board's buffers hold (fpga_sdf.backend.hls.runtime packs
// them): in.bin `frames` frames of {P}_IN_BEATS beats, out.bin receives {P}_OUT_BEATS per frame,
// each parameter file one run's image. All frames go through one call of the top (the batch
// loop is inside every process). Without arguments one all-zero frame runs (the Vitis HLS
// csim/cosim smoke test).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "{p}.hpp"

// `beats` beats of B bits from a file of little-endian bytes (zeros without a file).
template <int B>
static std::vector<ap_uint<B> > read_beats(const char* path, size_t beats) {{
    const size_t bytes = (B + 7) / 8;
    std::vector<ap_uint<B> > v(beats, 0);
    if (!path) return v;
    FILE* f = std::fopen(path, "rb");
    if (!f) {{ std::fprintf(stderr, "tb: cannot open %s\\n", path); std::exit(2); }}
    for (size_t i = 0; i < beats; i++) {{
        for (size_t b = 0; b < bytes; b++) {{
            int c = std::fgetc(f);
            if (c == EOF) {{ std::fprintf(stderr, "tb: %s is shorter than %zu beats\\n", path, beats); std::exit(2); }}
            v[i].range(8 * b + 7 < (size_t)B ? 8 * b + 7 : B - 1, 8 * b) = c;
        }}
    }}
    std::fclose(f);
    return v;
}}

int main(int argc, char** argv) {{
    const int frames = argc > 3 ? std::atoi(argv[3]) : 1;
    if (frames < 1) {{ std::fprintf(stderr, "tb: bad frame count\\n"); return 2; }}
    std::vector<{p}_in_beat_t> in = read_beats<{p}_in_beat_t::width>(argc > 2 ? argv[1] : NULL,
                                                                 (size_t)frames * {P}_IN_BEATS);
{port_decls}{extra_in_decls}    std::vector<{p}_out_beat_t> out((size_t)frames * {P}_OUT_BEATS);
{extra_out_decls}{rings}    {p}_top({call}{port_args}{ring_args}, frames);
{main_write}{writes}{counters}    SDF_PRINT_LOOP_COUNTS()
    return 0;
}}
"""


def _write_beats(p: str, port: str, arg: int, indent: str) -> str:
    """Testbench code writing output `port`'s beats to the file argv[arg] (if given) and
    printing their checksum (the first output's line is the one-stream testbench's)."""
    t, label = f"{p}_{port}_beat_t", "output" if port == "out" else f"output {port}"
    code = f"""FILE* f = argc > {arg} ? std::fopen(argv[{arg}], "wb") : NULL;
if (argc > {arg} && !f) {{ std::fprintf(stderr, "tb: cannot write %s\\n", argv[{arg}]); return 2; }}
unsigned long long checksum = 0;
for (size_t i = 0; i < {port}.size(); i++) {{
    for (int b = 0; b < ({t}::width + 7) / 8; b++) {{
        const int hi = 8 * b + 7 < {t}::width ? 8 * b + 7 : {t}::width - 1;
        const int c = (int){port}[i].range(hi, 8 * b).to_uint();
        checksum = checksum * 31 + c;
        if (f) std::fputc(c, f);
    }}
}}
if (f) std::fclose(f);
std::printf("{p}: %d frame(s), {label} checksum %llu\\n", frames, checksum);
"""
    return "".join(f"{indent}    {line}\n" if line else "\n" for line in code.splitlines())


def _makefile(part) -> str:
    p = part.name
    try:
        ap = str(csim.ap_types_include())
    except csim.CsimError:
        ap = "/path/to/ap_types"
    srcs = " ".join(f"src/{layer.cname}.cpp" for layer in part.layers) + f" src/{p}_top.cpp tb/tb.cpp"
    return f"""# {p}: g++ C-simulation of the HLS sources (generated by fpga-translate --sdf-to-hls).
#   make csim                    build build/csim_tb and run it on one all-zero frame
#   make csim ARGS="in.bin out.bin"
# Every process runs in its own thread and every stream is bounded at the depth of its
# `#pragma HLS STREAM` line in src/{p}_top.cpp (build/depths.inc is made from those lines),
# so a FIFO too shallow for the hardware deadlocks here too: the run stops with exit code 4,
# "csim: deadlock", and the streams the processes wait on.
# The binary is one translation unit (tb/csim_all.cpp includes every source).
# AP_TYPES: directory of ap_fixed.h / hls_stream.h (found by fpga_sdf.backend.hls.csim).
AP_TYPES ?= {ap}
CXX ?= g++
CXXFLAGS ?= {' '.join(TB_FLAGS)}
INCLUDES = -I. -I../include -isystem $(AP_TYPES)
SRCS = {srcs}

.PHONY: csim build clean
csim: build/csim_tb
\t./build/csim_tb $(ARGS)

build: build/csim_tb

build/depths.inc: src/{p}_top.cpp
\t@mkdir -p build
\tsed -n '{DEPTHS_SED}' $< > $@

build/csim_tb: tb/csim_all.cpp $(SRCS) {p}.hpp build/depths.inc
\t@mkdir -p build
\t$(CXX) $(CXXFLAGS) $(INCLUDES) tb/csim_all.cpp -o $@

clean:
\trm -rf build
"""


def _unity(part) -> str:
    p = part.name
    lines = [f"// {p}: every source in one translation unit, for a fast g++ C-simulation build"]
    lines += [f"#include \"../src/{layer.cname}.cpp\"" for layer in part.layers]
    lines += [f"#include \"../src/{p}_top.cpp\"", "#include \"tb.cpp\"", ""]
    return "\n".join(lines)


def _root_makefile(parts) -> str:
    names = " ".join(p.name for p in parts)
    return f"""# C-simulation of every partition (generated by fpga-translate --sdf-to-hls).
#   make csim      build and smoke-run each partition's testbench
#   make build     only build the binaries (fpga-run --backend csim runs them in schedule order)
PARTITIONS = {names}
.PHONY: csim build clean
csim:
\t@for p in $(PARTITIONS); do $(MAKE) -C $$p csim || exit 1; done
build:
\t@for p in $(PARTITIONS); do $(MAKE) -C $$p build || exit 1; done
clean:
\t@for p in $(PARTITIONS); do $(MAKE) -C $$p clean; done
"""
