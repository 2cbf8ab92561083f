"""Cycles of the emitted HLS design, from its own loops, next to the model's.

Every generator states the loops of its process as emitted (process.Timing: trip count per
frame, II, pipeline depth, and whether the loop runs over the whole batch, restarts every
frame or runs once per run). From those alone:

- a process takes `interval()` cycles per frame (its per-frame loops one after another);
- a layer's processes run concurrently (DATAFLOW), so the layer takes the slowest one's
  interval, except behind a sliding window: the streams inside a layer are register pairs,
  so a window consumer slower than one window per cycle (W cycles per window) stalls the
  window at every window and idles, once it has drained the stream, through every run of
  words that make no window (`burst_interval`: windows x W + sum over windowless runs of
  max(0, n - 2 W); benchmarks/RESULTS.md, RTL disagreement 1);
- a partition runs at its slowest process (squeezes and DMA included);
- over a batch of `frames`: frames x interval + every loop's pipeline depth + the loads
  that run once per run (a first-frame line-buffer fill is not counted);
- a loop whose trip count depends on the data (the sparse engine: a dot product of n non-zero
  taps takes max(1, ceil(n / k)) cycles) states the model's expected figure from the layer's
  measured statistics (`model.sparse_engine.stream_cycles`); such layers are marked "expected"
  in cycles.txt and `"data_dependent": true` in schedule.json.

The model's figures are `fpga_sdf.model.performance` (layer_performance: the layer alone;
partition_performance: the partition), which the driver puts on each Layer / Partition.
"""

from __future__ import annotations

__all__ = ["layer_interval", "burst_interval", "partition_interval", "overhead", "summary", "text", "data_dependent"]


def burst_interval(layer) -> int:
    """Cycles per frame of the sliding window coupled to its consumer through the stream
    between them (0 for a layer without a sliding window).

    The window loop (templates/sliding_window.hpp) takes one padded word per cycle and, at a
    position on the stride grid, writes one window per channel, stalling while the stream
    (`slack` windows deep) is full; the consumer takes W cycles per window. So every window
    costs max(1, W) cycles, and every run of n words that make no window (the other stride
    phases of a row, its borders, whole rows off the grid, the frame's border rows, across
    row and frame boundaries) costs max(0, n - slack x W): the consumer drains the stream,
    then idles. At W <= 1 the window runs at its words."""
    g = layer.window
    if not g:
        return 0
    (pd, ph, pw), (ed, eh, ew), (sd, sh, sw), (od, oh, ow) = g["padded"], g["span"], g["stride"], g["out"]
    ch = g["channels"]
    words = pd * ph * pw * ch
    work = max((p.interval() for p in layer.processes if p.kind != "sliding_window"), default=0)
    windows = od * oh * ow * ch
    per_window = work / windows if windows else 0.0
    if per_window <= 1:
        return words
    drain = g["slack"] * per_window
    idle = lambda n: max(0.0, n - drain)  # noqa: E731
    lead = (ew - 1) * ch  # words of a row before its first window position
    tail = (pw - ew - (ow - 1) * sw) * ch  # after its last
    row = ow * ch * per_window + (ow - 1) * idle((sw - 1) * ch)  # a row's windows and inner gaps
    total, run, first = 0.0, 0, None
    for d in range(pd):
        d_ready = d >= ed - 1 and (d - (ed - 1)) % sd == 0 and (d - (ed - 1)) // sd < od
        for h in range(ph):
            if d_ready and h >= eh - 1 and (h - (eh - 1)) % sh == 0 and (h - (eh - 1)) // sh < oh:
                run += lead
                if first is None:
                    first = run
                else:
                    total += idle(run)
                total += row
                run = tail
            else:
                run += pw * ch
    if first is not None:  # the frame's last run and the next frame's first are one run
        total += idle(first + run)
    return int(-(-max(total, words) // 1))


def layer_interval(layer) -> int:
    """Cycles per frame of a layer's processes running together."""
    return max([p.interval() for p in layer.processes] + [burst_interval(layer)])


def overhead(processes, frames: int) -> int:
    """What a batch adds to frames x interval: pipeline depths and once-per-run loads."""
    return sum(p.batch(frames) - frames * p.interval() for p in processes)


def partition_interval(part) -> int:
    intervals = [layer_interval(layer) for layer in part.layers]
    intervals += [p.interval() for p in part.top_processes]
    return max(intervals, default=0)


def data_dependent(process) -> bool:
    """Whether a process's cycles are an expected figure (a data-dependent trip count)."""
    return any(t.expected for t in process.timing)


def _delta(hls: int, model: int) -> float | None:
    return (hls - model) / model if model else None


def summary(part, frames: int) -> dict:
    """The partition's cycles for schedule.json: per layer and per process, HLS and model."""
    interval = partition_interval(part)
    model = part.model or {}
    runs = part.reload.runs if part.reload else 1
    layers = []
    for layer in part.layers:
        hls = layer_interval(layer)
        layers.append({
            "name": layer.name, "kind": layer.kind, "cycles_per_frame": hls,
            "burst_cycles_per_frame": burst_interval(layer) or None,
            "model_interval": layer.model_interval, "delta": _delta(hls, layer.model_interval),
            "batch_cycles": frames * hls + overhead(layer.processes, frames),
            "model_batch_cycles": layer.model_latency + frames * layer.model_interval,
            "data_dependent": any(data_dependent(p) for p in layer.processes),
            "processes": [{"name": p.name, "kind": p.kind, "cycles_per_frame": p.interval(),
                           "data_dependent": data_dependent(p),
                           "loops": [t.formula() for t in p.timing]} for p in layer.processes],
        })
    procs = [p for layer in part.layers for p in layer.processes] + list(part.top_processes)
    return {
        "frames": frames, "cycles_per_frame": interval,
        "model_cycles_per_frame": model.get("interval"), "delta": _delta(interval, model.get("interval", 0)),
        "batch_cycles": runs * (frames * interval + overhead(procs, frames)),
        "model_batch_cycles": runs * (model.get("depth", 0) + frames * model.get("interval", 0)) if model else None,
        "edges": [{"name": p.name, "kind": p.kind, "consumer": p.layer, "cycles_per_frame": p.interval(),
                   "loops": [t.formula() for t in p.timing]} for p in part.top_processes],
        "layers": layers,
    }


def text(parts, frames: int) -> str:
    """cycles.txt: per partition and layer, the HLS formula's cycles per frame against the model."""
    lines = [f"Cycles per frame of the emitted loops (HLS) and of the model (fpga_sdf.model), batch of {frames}.",
             "HLS: each process's pipelined loops (trip x II + depth, as emitted); a layer is its slowest",
             "process, or the sliding window's burst term when its consumer is slower than a window per cycle.",
             "A layer marked * has data-dependent loops (the sparse engine): their trip counts are the",
             "model's expected cycles from the layer's measured sparsity statistics, not a bound.", ""]
    for part in parts:
        s = summary(part, frames)
        lines.append(f"{part.name}: {s['cycles_per_frame']} cycles/frame (model {s['model_cycles_per_frame']}, "
                     f"{_pct(s['delta'])}); batch {s['batch_cycles']} (model {s['model_batch_cycles']})")
        lines.append(f"  {'layer':28} {'HLS':>10} {'model':>10} {'delta':>8}  slowest loop")
        for layer, entry in zip(part.layers, s["layers"]):
            slowest = max(layer.processes, key=lambda p: p.interval(), default=None)
            why = "burst term (sliding window stalled by its consumer)" if (
                entry["burst_cycles_per_frame"] and entry["burst_cycles_per_frame"] == entry["cycles_per_frame"]
                and entry["burst_cycles_per_frame"] > (slowest.interval() if slowest else 0)) else (
                "; ".join(t.formula() for t in slowest.timing) if slowest else "")
            name = layer.name + (" *" if entry["data_dependent"] else "")
            lines.append(f"  {name:28} {entry['cycles_per_frame']:>10} {entry['model_interval']:>10} "
                         f"{_pct(entry['delta']):>8}  {why}")
        for e in s["edges"]:
            lines.append(f"  {e['name']:28} {e['cycles_per_frame']:>10} {'':>10} {'':>8}  {'; '.join(e['loops'])}")
        lines.append("")
    return "\n".join(lines)


def _pct(d) -> str:
    return "n/a" if d is None else f"{100 * d:+.1f}%"
