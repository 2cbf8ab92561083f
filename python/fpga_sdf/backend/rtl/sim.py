"""Cycle-accurate simulation of an RTL project (`fpga-run DIR --backend rtl`) with Verilator.

Each partition top is compiled with a generated C++ testbench (`module_sim.harness_source`,
`verilator --cc --exe --build -O2`, cached by content). The batch is quantized with the
network's input format and streamed through the partitions in order, as the HLS backend's
`project.run` does (feature maps between partitions as integers in the streaming order); the
AXI-Stream input is offered every cycle and the output always taken, so the figures are the
design's own. Measured per partition: cycles per frame in the steady state (between the last
outputs of successive frames) and the cycles of the whole batch; per layer: cycles per frame
from the first and last word each of its output streams carries per frame (the `debug_valid`
/ `debug_ready` vectors of the top). A simulation where no stream moves for `stall_cycles`
stops with an error naming the streams that hold a word nobody takes and those waiting for one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from ...network import apply_view
from ...progress import Progress
from ...diagnostics import UserError
from ...interp.fixed import Fixed, dequantize, quantize
from ..hls.emit import stream_order
from ..hls.runtime import assemble_runs
from . import module_sim
from .module_sim import PortSpec
from .streams import StreamType, pack_words, unpack_words

__all__ = ["is_project", "load_manifest", "build", "run", "run_integers", "output_format", "DEFAULT_STALL_CYCLES"]

DEFAULT_STALL_CYCLES = 100_000


def is_project(path: str) -> bool:
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "rtl.json"))


def load_manifest(directory: str) -> dict:
    from ...cli import read_manifest

    return read_manifest(directory, "rtl.json", "an RTL project of fpga-translate --sdf-to-rtl")


def pixel_order(shape, streams: int, pixels: int) -> np.ndarray:
    """Positions in the streaming order (channels fastest) of the features of the AXI beats of
    a (C, *spatial) map on `streams` streams of `pixels`-pixel words: a beat is one word per
    stream, the word of stream k holding `pixels` consecutive pixels of a row of one channel
    (docs/notes/rtl-backend.md, "Multi-pixel layers"). The identity for one pixel a word."""
    total = int(np.prod(shape))
    if pixels == 1 or len(shape) < 2:
        return np.arange(total)
    c, dims = shape[0], tuple(shape[1:])
    index = np.arange(total).reshape(dims + (c,))  # the streaming order
    index = index.reshape(dims[:-1] + (dims[-1] // pixels, pixels, c // streams, streams))
    return np.moveaxis(index, -3, -1).reshape(-1)


def _reloaded(part: dict, k: int) -> dict | None:
    """The partition's `weights_reload` if its output `k` is the one the reloading layer
    writes a share of its filters a run, else None (that output is written whole every run)."""
    reload = part.get("weights_reload")
    return reload if reload and k == reload.get("output", 0) else None


def _run_shape(part: dict, k: int) -> tuple:
    """The map one run of the partition streams on output `k`: the reloaded output holds
    filters_per_run of the shape's filters, any other output all of it."""
    shape = tuple(_ends(part, "output")[k]["shape"])
    reload = _reloaded(part, k)
    return (reload["filters_per_run"],) + shape[1:] if reload else shape


def _pixels(end: dict) -> int:
    return int(end.get("pixels", 1))


def _ends(part: dict, side: str) -> list:
    """The partition's "input" or "output" tensors (one AXI port each)."""
    return part[side + "s"]


def _beat_type(end: dict) -> StreamType:
    return StreamType(end["format"][0], end["format"][1], end["streams"] * _pixels(end))


def _ports(part: dict) -> tuple[list, list, list]:
    """The AXI-Stream ports of the partition top: one slave per input, then one per fragmented
    layer's weights (AutoWS), then the read port of each evicted skip stream, then the read
    ports of each window_evicted layer (one per lagged tap); one master per output, then the
    write port of each evicted stream, then each evicted window's. And the loops the host's DMA
    closes through DDR: (write port's output index, read port's input index, burst beats,
    frame beats, the beats of each frame the read port reads: a prefix, the whole frame for a
    skip stream)."""
    def spec(q, bits, last):
        return PortSpec(f"{q}_tdata", f"{q}_tvalid", f"{q}_tready", bits, last=f"{q}_tlast" if last else None)
    ins = [spec(e["port"], _beat_type(e).bits, True) for e in _ends(part, "input")]
    ins += [spec(w["port"], w["beat_bits"], True) for w in part.get("weights", [])]
    outs = [spec(e["port"], _beat_type(e).bits, False) for e in _ends(part, "output")]
    loops = []
    for e in part.get("evictions", []):
        loops.append((len(outs), len(ins), e["burst_beats"], e["beats_per_frame"], e["beats_per_frame"]))
        ins.append(spec(e["read_port"], e["beat_bits"], True))
        outs.append(spec(e["write_port"], e["beat_bits"], False))
    for e in part.get("window_evictions", []):
        for port, prefix in zip(e["read_ports"], e["read_beats_per_frame"]):
            loops.append((len(outs), len(ins), e["burst_beats"], e["beats_per_frame"], prefix))
            ins.append(spec(port, e["beat_bits"], True))
        outs.append(spec(e["write_port"], e["beat_bits"], False))
    return ins, outs, loops


def _weights_beats(root: Path, entry: dict, frames: int) -> np.ndarray:
    """The beats a fragmented layer's weights port streams over `frames` frames: its image
    (rtl.json's `file`, one memory cycle) `repeat` times a frame, as the host's DMA reads it."""
    chunks = -(-entry["beat_bits"] // 32)
    try:
        image = np.fromfile(root / entry["file"], dtype="<u4")
    except OSError as err:
        raise UserError(f"cannot read {root / entry['file']}: {err.strerror}") from None
    if image.size != entry["image_beats"] * chunks:
        raise UserError(f"{root / entry['file']}: {image.size * 4} bytes, rtl.json says "
                        f"{entry['image_beats']} beats of {entry['beat_bits']} bits")
    return np.tile(image.reshape(entry["image_beats"], chunks), (frames * entry["repeat"], 1))


def build(directory: str, shared_bandwidth: bool = False) -> dict:
    """Compile every partition (cached); returns {partition: module_sim.Binary}. With
    `shared_bandwidth` the harness can limit the bits per cycle all ports share."""
    root = Path(directory)
    manifest = load_manifest(directory)
    binaries = {}
    bar = Progress(sum(len(part.get("run_tops") or [0]) for part in manifest["partitions"]), "verilator build")
    for part in manifest["partitions"]:
        s_axis, m_axis, loops = _ports(part)
        run_tops = part.get("run_tops") or [{"top": part["top"], "files": part["files"], "debug_bits": part["debug_bits"]}]
        for r, run in enumerate(run_tops):  # one top per weights-reloading run
            sources = {}
            for rel in run["files"]:
                try:
                    sources[Path(rel).name] = (root / rel).read_text()
                except OSError as err:
                    raise UserError(f"cannot read {root / rel}: {err.strerror}") from None
            harness = module_sim.harness_source(run["top"], s_axis, m_axis, run["debug_bits"], shared_bandwidth,
                                                loops)
            try:
                binaries[(part["name"], r)] = module_sim.build(sources, run["top"], harness)
            except RuntimeError as err:
                raise UserError(f"Verilator could not build {run['top']}: {err}") from None
            bar.step(run["top"])
    bar.close()
    return binaries


def _steady(last: list[int]) -> float:
    """Cycles per frame in the steady state: between the last outputs of successive frames,
    skipping the first frame (pipeline fill) when there are three or more."""
    if len(last) >= 3:
        return (last[-1] - last[1]) / (len(last) - 2)
    if len(last) == 2:
        return float(last[1] - last[0])
    return float("nan")


def _stall_report(part: dict, text: str, stall: int) -> str:
    blocked, starved = [], []
    cycle = "?"
    for line in text.splitlines():
        f = line.split()
        if f and f[0] == "cycle":
            cycle = f[1]
        if len(f) == 4 and f[0] == "stream":
            s = part["streams"][int(f[1])]
            desc = f"s{s['index']} {s['from'] or 'AXI s_axis'} -> {s['to'] or 'AXI m_axis'}"
            if f[2] == "1" and f[3] == "0":
                blocked.append(desc)
            elif f[2] == "0":
                starved.append(desc)
    msg = (f"partition {part['name']}: no stream moved for {stall} cycles (stopped at cycle {cycle}); "
           f"holding a word nobody takes (valid, not ready): {', '.join(blocked) or 'none'}")
    if starved:
        msg += f"; waiting for a word (not valid): {', '.join(starved[:12])}" + (
            f" and {len(starved) - 12} more" if len(starved) > 12 else "")
    return msg


def _run_partition(binary, part: dict, xs: list, stall_cycles: int | None,
                   backpressure: int = 0, bandwidth_bits: float | None = None,
                   root: Path | None = None) -> tuple[list, dict]:
    """One run of a partition over the batch: integers in (N, *shape) per input, integers out
    per output, figures. Every input port is offered a beat every cycle (the DMA keeps up,
    docs/notes/rtl-backend.md) unless `bandwidth_bits` (bits per cycle, a binary built with
    shared_bandwidth) limits what all ports move together; `backpressure`: percent of cycles
    each output's tready is low. A fragmented layer's weights port streams its image from the
    project `root`."""
    ins, outs = _ends(part, "input"), _ends(part, "output")
    n = xs[0].shape[0]
    interval = part["model"]["cycles_per_frame"]
    stall = stall_cycles or max(DEFAULT_STALL_CYCLES, 2 * interval)
    budget = 20 * (part["model"]["depth"] + interval * (n + 1)) + 10 * stall
    beats_out = [e["words"] // _beat_type(e).lanes for e in outs]
    with tempfile.TemporaryDirectory(prefix="sdf_rtlsim_") as tmp:
        work = Path(tmp)
        for k, (e, x) in enumerate(zip(ins, xs)):
            t = _beat_type(e)
            flat = stream_order(x)[:, pixel_order(e["shape"], e["streams"], _pixels(e))]
            pack_words(flat.reshape(-1, t.lanes), t).tofile(work / f"in{k}.bin")
        weights = part.get("weights", [])
        for k, w in enumerate(weights, len(ins)):
            _weights_beats(root, w, n).tofile(work / f"in{k}.bin")
        evictions = part.get("evictions", [])  # read back what the design wrote: no file
        windows = part.get("window_evictions", [])
        frame_beats = [e["words"] // _beat_type(e).lanes for e in ins] + [w["image_beats"] for w in weights] + \
            [e["beats_per_frame"] for e in evictions] + [b for e in windows for b in e["read_beats_per_frame"]]
        (work / "frames.txt").write_text(" ".join(map(str, frame_beats)) + "\n")
        expect = beats_out + [e["beats_per_frame"] for e in evictions] + [e["beats_per_frame"] for e in windows]
        (work / "expect.txt").write_text(" ".join(str(n * b) for b in expect) + "\n")
        (work / "config.txt").write_text(f"{budget} {stall} {int(backpressure)} 1\n")
        if bandwidth_bits:
            (work / "bandwidth.txt").write_text(f"{float(bandwidth_bits)!r}\n")
        track = []
        for layer in part["layers"]:
            for k, w in zip(layer["streams"], layer["words_per_frame"]):
                track.append((k, w))
        (work / "track.txt").write_text("".join(f"{k} {w}\n" for k, w in track))
        status, seconds = module_sim.run_binary(binary.path, work)
        cycles = int((work / "cycles.txt").read_text())
        moved = [int(v) for v in (work / "ports.txt").read_text().split()]
        if status == 3:
            raise UserError(_stall_report(part, (work / "stall.txt").read_text(), stall))
        ys, when = [], []
        for j, e in enumerate(outs):
            t = _beat_type(e)
            words = np.fromfile(work / f"out{j}.bin", dtype="<u4").reshape(-1, -(-t.bits // 32))
            when.append(np.fromfile(work / f"out{j}.cyc", dtype="<u8").astype(np.int64))
            packed = unpack_words(words, t).reshape(n, e["words"])
            y = np.empty_like(packed)
            y[:, pixel_order(_run_shape(part, j), e["streams"], _pixels(e))] = packed
            ys.append(y)
        trace = np.fromfile(work / "trace.bin", dtype="<u8").astype(np.int64)
    # a frame is done when its last beat has left on every output
    last = [max(int(w[(f + 1) * b - 1]) for w, b in zip(when, beats_out)) for f in range(n)]
    firsts, lasts, pos = [], [], 0
    for _ in track:
        c = int(trace[pos]); firsts.append(trace[pos + 1:pos + 1 + c].tolist()); pos += 1 + c
        c = int(trace[pos]); lasts.append(trace[pos + 1:pos + 1 + c].tolist()); pos += 1 + c
    layers, k = [], 0
    for layer in part["layers"]:
        m = len(layer["streams"])
        lf = [min(f[j] for f in firsts[k:k + m]) for j in range(n)] if m else []
        ll = [max(f[j] for f in lasts[k:k + m]) for j in range(n)] if m else []
        k += m
        layers.append({"name": layer["name"], "first": lf, "last": ll})
    first_out = min(int(w[0]) for w in when) if all(len(w) for w in when) else 0
    s_axis, m_axis, _ = _ports(part)
    beats = {p.data[:-len("_tdata")]: b for p, b in zip(s_axis + m_axis, moved)}
    figures = {"cycles": cycles, "seconds": seconds, "last": last, "first_out": first_out, "layers": layers,
               "port_beats": beats}
    return ys, figures


def run_integers(directory: str, x_int: np.ndarray, stall_cycles: int | None = None,
                 backpressure: int = 0, bandwidth_bits: float | None = None) -> tuple[np.ndarray, dict]:
    """Integer frames (N, *input shape) of the input format through every partition in order;
    returns the integer output and the stats (see docs/notes/rtl-backend.md). `bandwidth_bits`:
    the bits per cycle a partition's AXI ports share (its DMA's off-chip bandwidth); None, every
    port moves a beat every cycle."""
    manifest = load_manifest(directory)
    binaries = build(directory, shared_bandwidth=bandwidth_bits is not None)
    x = np.asarray(x_int, dtype=np.int64)
    n = x.shape[0]
    # the tensors between partitions, by who wrote them: a partition reads the network input
    # or an earlier partition's output (the skip tensor of a cut block, maybe several
    # partitions back), as the host would point its DMA at them in DDR
    tensors = {("network_input", 0): x}
    parts_stats, layer_stats = [], []
    sim_cycles, sim_seconds = 0, 0.0
    for index, part in enumerate(manifest["partitions"]):
        xs = []
        for e in _ends(part, "input"):
            src = e["from"]
            key = ("network_input", src["network_input"]) if "network_input" in src else (src["partition"], src["output"])
            t = tensors[key]
            if t.shape[1:] != tuple(e["shape"]):
                raise UserError(f"partition {part['name']} expects input (N, {', '.join(map(str, e['shape']))}), "
                                f"got {t.shape}")
            xs.append(t)
        # weights reloading: run r computes its share of the reloading layer's filters for the
        # whole batch; the host assembles that output's channels from the runs and keeps one
        # run's copy of every other output, checking the runs agree (the HLS runtime's rule)
        figs, shares = [], [[] for _ in _ends(part, "output")]
        for r in range(part["runs"]):
            ys, fig = _run_partition(binaries[(part["name"], r)], part, xs, stall_cycles, backpressure,
                                     bandwidth_bits, Path(directory))
            figs.append(fig)
            for got, y in zip(shares, ys):
                got.append(y)
        for j, (e, got) in enumerate(zip(_ends(part, "output"), shares)):
            tensors[(index, j)] = assemble_runs(got, _reloaded(part, j), (n,) + tuple(e["shape"]))
        sim_cycles += sum(f["cycles"] for f in figs)
        sim_seconds += sum(f["seconds"] for f in figs)
        model = part["model"]
        fig, per_run = figs[0], [_steady(f["last"]) for f in figs]
        parts_stats.append({
            "index": part["index"], "name": part["name"], "frames": n, "runs": len(figs),
            "cycles_per_frame": float(np.mean(per_run)), "run_cycles_per_frame": per_run,  # per reloading run
            "batch_cycles": sum(f["last"][-1] + 1 for f in figs if f["last"]),
            "model_cycles_per_frame": model["cycles_per_frame"],
            "model_batch_cycles": model["runs"] * (model["depth"] + model["cycles_per_frame"] * n),
            "model_depth": model["depth"], "first_output_cycle": fig["first_out"],
            "frame_done_cycles": fig["last"],  # per frame (the first run's), when its last beat left
            "port_beats": fig["port_beats"],  # per AXI port, the beats it moved over the batch (the first run's)
        })
        for k, (meta, lf) in enumerate(zip(part["layers"], fig["layers"])):
            layer_stats.append({
                "name": meta["name"], "partition": part["index"], "kind": meta["kind"],
                "cycles_per_frame": float(np.mean([_steady(f["layers"][k]["last"]) for f in figs])),
                "model_cycles_per_frame": meta["model_cycles_per_frame"],
                "model_layer_interval": meta["model_interval"],
                "first_output_cycle": lf["first"][0] if lf["first"] else None,
                "frame_span_cycles": (lf["last"][-1] - lf["first"][-1] + 1) if lf["first"] else None,
            })
    out = manifest["output"]
    x = tensors[(out["partition"], out["output"])]
    stats = {"frames": n, "partitions": parts_stats, "layers": layer_stats,
             "batch_cycles": sum(p["batch_cycles"] for p in parts_stats),
             "model_batch_cycles": sum(p["model_batch_cycles"] for p in parts_stats),
             "simulated_cycles": sim_cycles, "simulation_seconds": sim_seconds,
             "cycles_per_second": sim_cycles / sim_seconds if sim_seconds else None}
    return x, stats


def output_format(manifest: dict) -> list:
    """[width, frac] of the network's output (the partition output rtl.json names)."""
    out = manifest["output"]
    return _ends(manifest["partitions"][out["partition"]], "output")[out["output"]]["format"]


def run(directory: str, x: np.ndarray, stall_cycles: int | None = None) -> tuple[np.ndarray, dict]:
    """Float input -> float output through the simulated RTL (the executor's conventions)."""
    manifest = load_manifest(directory)
    fin = Fixed(*manifest["input_format"])
    fout = Fixed(*output_format(manifest))
    x = np.asarray(x, dtype=np.float32)
    shape_in = tuple(manifest["partitions"][0]["input"]["shape"])
    if x.shape[1:] != shape_in:
        raise UserError(f"input has shape {x.shape}, the network expects (N, {', '.join(map(str, shape_in))})")
    y, stats = run_integers(directory, quantize(x, fin), stall_cycles)
    y = dequantize(y, fout).astype(np.float32)
    return apply_view(y, manifest.get("output_view")), stats
