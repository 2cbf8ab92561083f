"""The estimate report: what a design achieves and what it costs, per layer, partition and
network, as a JSON-ready dict plus a plain-text table.

A pure function of the design and the board, so the report, the DSE and the tests agree.
"""

from __future__ import annotations

from .latency_bound import latency_bound
from .performance import as_partition, network_performance
from .platforms import load_platform
from .power import power
from .resources import Resources, layer_resources, partition_resources
from .spec import Partition, sparse_engine
from .weights_memory import fragments_of, geometry, weights_split


def build_report(partitions, platform, clock_mhz=None, batch: int = 1,
                 network_name: str = "network", activity: float = 1.0, links=None) -> dict:
    """Report dict with top-level keys network, partitions, layers, platform. `links`, the
    network's edges across partitions too, make the DDR check count tensors passing by."""
    platform = load_platform(platform)
    net = network_performance(partitions, platform, clock_mhz, batch, links)
    clock = net.clock_mhz
    part_rows, layer_rows = [], []
    peak = Resources()
    energy_j = 0.0
    for index, ((layers, edges), perf) in enumerate(zip(map(as_partition, partitions),
                                                        net.partitions)):
        used = partition_resources(layers, edges, platform, perf)
        watts = power(used, platform, clock, activity)
        energy_j += watts.total_w * net.partition_time_s[index]  # over every pass
        peak = Resources(*(max(getattr(peak, f), getattr(used, f)) for f in peak.as_dict()))
        specs = {spec.name: spec for spec in layers}
        # AutoWS: the DMA is time-multiplexed between the streaming layers, each served its bits
        streamed = {name: bits * perf.runs * perf.batch / perf.time_s / 1e9
                    for name, bits in perf.weights_streams}
        part_rows.append({
            "index": index, "layers": [lp.name for lp in perf.layers],
            "interval": perf.interval, "compute_interval": perf.compute_interval,
            "bandwidth_interval": perf.bandwidth_interval, "cycles": perf.cycles,
            "depth_cycles": perf.depth, "bottleneck": perf.bottleneck, "runs": perf.runs,
            "fps": perf.fps, "latency_ms": perf.latency_ms, "gops": perf.gops,
            "clock_mhz": perf.clock_mhz,
            "gops_per_dsp": perf.gops / used.dsp if used.dsp else 0.0,
            "bandwidth_gbps": perf.bandwidth_gbps,
            "bandwidth_pct": 100.0 * perf.bandwidth_gbps / platform.bandwidth_gbps,
            "weights_bandwidth_gbps": sum(streamed.values()),
            # feature maps through off-chip memory: several where a cut is inside a block
            "offchip_tensors": [{"layer": layer, "direction": d, "bits_per_frame": bits}
                                for layer, d, bits in perf.offchip_tensors],
            "ddr_bytes": perf.ddr_bytes, "frame_ddr_bytes": perf.frame_ddr_bytes,
            "axi_masters": perf.masters,  # m_axi masters moving data while it runs
            "resources": used.as_dict(), "utilisation_pct": used.utilisation(platform),
            "fits": used.fits(platform), "power_w": _power_dict(watts),
        })
        for lp in perf.layers:
            layer_used = layer_resources(specs[lp.name], platform)
            gops = lp.ops * perf.fps / 1e9
            layer_rows.append({
                "name": lp.name, "kind": lp.kind, "partition": index,
                "folding": _folding(specs[lp.name]),
                "weights_off_chip": specs[lp.name].weights_off_chip,
                **_weights_placement(specs[lp.name], streamed.get(lp.name, 0.0)),
                "interval": lp.interval, "cycles": lp.interval * perf.runs * batch,
                "latency_cycles": lp.latency, "bottleneck": lp.bottleneck,
                "is_partition_bottleneck": lp.name == perf.bottleneck,
                "ops": lp.ops, "fps": perf.clock_mhz * 1e6 / lp.interval if lp.interval else 0.0,
                "gops": gops, "gops_per_dsp": gops / layer_used.dsp if layer_used.dsp else 0.0,
                "weights_bits": lp.weights_bits, "resources": layer_used.as_dict(),
                "utilisation_pct": layer_used.utilisation(platform),
                "power_w": _power_dict(power(layer_used, platform, clock, activity)),
            })
            if specs[lp.name].sparsity:
                layer_rows[-1]["sparsity"] = _sparsity(specs[lp.name])
    slowest = net.partitions[net.bottleneck_partition]
    network = {
        "name": network_name, "batch": batch, "clock_mhz": clock,
        "partitions": len(net.partitions), "reconfigurations": net.reconfigurations,
        "fps": net.fps, "latency_ms": net.latency_ms, "gops": net.gops,
        "gops_per_dsp": net.gops / peak.dsp if peak.dsp else 0.0,
        "ops_per_frame": net.ops_per_frame,
        "cycles": sum(p.cycles for p in net.partitions),
        "bottleneck": {"partition": net.bottleneck_partition, "layer": slowest.bottleneck},
        "resources": peak.as_dict(), "utilisation_pct": peak.utilisation(platform),
        "fits": peak.fits(platform),
        "bandwidth_gbps": max(p.bandwidth_gbps for p in net.partitions),
        # DDR capacity: the partition needing the most space for its tensors (what is live while
        # it runs: with links, also the tensors passing by it; its rings) sets the sub-batch
        "ddr": {"partition": net.ddr_partition,
                "live_frame_bytes": list(net.live_frame_bytes),
                "ring_bytes": net.partitions[net.ddr_partition].ring_bytes,
                "free_bytes": net.ddr_free_bytes, "weights_image_bytes": net.image_bytes,
                "sub_batch": net.sub_batch, "passes": net.passes},
        "power_w": {"average": energy_j / net.time_s if net.time_s else 0.0},
        "energy_mj_per_frame": 1e3 * energy_j / batch,
        "latency_bound_ms": _latency_bound_ms(partitions, platform, clock),
    }
    return {"network": network, "partitions": part_rows, "layers": layer_rows,
            "platform": _platform_dict(platform)}


def _latency_bound_ms(partitions, platform, clock: float) -> float | None:
    """The least latency of a frame any folding of a one-partition design reaches on the board's
    DSPs (model/latency_bound.py), in ms; None for several partitions (each has the whole board)
    or where no multiplier takes a DSP."""
    if len(partitions) != 1:
        return None
    layers, edges = as_partition(partitions[0])
    edges = edges if edges is not None else Partition.chain(layers).edges
    bound = latency_bound(layers, edges, platform.dsp, platform.family)
    return bound.cycles / (clock * 1e3) if bound else None


def _folding(spec) -> dict:
    """The folding decisions of a layer, as its IR attributes name them."""
    return {"coarse_in": spec.coarse_in, "coarse_out": spec.coarse_out, "coarse_group": spec.coarse_group,
            "fine": spec.fine, "wr_factor": spec.wr_factor}


def _weights_placement(spec, streamed_gbps: float) -> dict:
    """Which weights stay on chip and which stream (AutoWS), per reloading run's share."""
    g = geometry(spec)
    fragments = fragments_of(spec, g.depth) if g else None
    on_bits, off_bits = weights_split(spec)
    return {"weights_fragments": list(fragments) if fragments else None,
            "weights_on_chip_bits": on_bits, "weights_off_chip_bits": off_bits,
            "weights_streamed_gbps": streamed_gbps}


def _sparsity(spec) -> dict:
    """What the sparse engine was sized on, and whether anyone measured it."""
    values = spec.sparsity
    return {"mean": sum(values) / len(values), "min": min(values), "max": max(values),
            "source": "assumed, not measured" if spec.sparsity_assumed else "measured",
            "sparse_engine": sparse_engine(spec), "macs_per_engine": spec.fine,
            "buffer": spec.sparse_buffer}


def _power_dict(watts) -> dict:
    return {"static": watts.static_w, "dynamic": watts.dynamic_w, "total": watts.total_w}


def _platform_dict(platform) -> dict:
    return {name: getattr(platform, name) for name in platform.__dataclass_fields__}


def format_table(report: dict) -> str:
    """A human-readable summary: network line, then one row per partition and per layer."""
    net, board = report["network"], report["platform"]
    lines = [
        f"network {net['name']} on {board['name']} ({board['part']}) @ {net['clock_mhz']:g} MHz,"
        f" batch {net['batch']}",
        f"  {net['fps']:.2f} fps  {net['latency_ms']:.3f} ms  {net['gops']:.2f} GOP/s  "
        f"{net['gops_per_dsp']:.4f} GOP/s/DSP  {net['power_w']['average']:.2f} W  "
        f"bottleneck: partition {net['bottleneck']['partition']} "
        f"({net['bottleneck']['layer']})",
        "  " + _usage(net["resources"], net["utilisation_pct"]),
        "  " + _ddr(net, report["partitions"], board),
    ]
    if net.get("latency_bound_ms") and net["batch"] == 1:
        lines.append(f"  latency bound: no folding of this partition beats {net['latency_bound_ms']:.3f} ms "
                     f"on the board's {board['dsp']} DSPs ({net['latency_bound_ms'] / net['latency_ms']:.0%} "
                     f"of this design's)")
    lines.append("")
    header = (f"{'partition':>9} {'interval':>10} {'fps':>10} {'latency_ms':>11} {'GOP/s':>9} "
              f"{'BW Gb/s':>8} {'power W':>8}  bottleneck")
    lines.append(header)
    for p in report["partitions"]:
        lines.append(f"{p['index']:>9} {p['interval']:>10} {p['fps']:>10.2f} "
                     f"{p['latency_ms']:>11.3f} {p['gops']:>9.2f} {p['bandwidth_gbps']:>8.2f} "
                     f"{p['power_w']['total']:>8.2f}  {p['bottleneck']}")
    lines.append("")
    lines.append(f"{'layer':<24} {'kind':<13} {'part':>4} {'interval':>10} {'GOP/s':>8} "
                 f"{'DSP':>6} {'BRAM18':>7} {'URAM':>5} {'LUT':>8} {'FF':>8}  bottleneck")
    for layer in report["layers"]:
        r = layer["resources"]
        mark = " *" if layer["is_partition_bottleneck"] else ""
        lines.append(f"{layer['name'][:24]:<24} {layer['kind']:<13} {layer['partition']:>4} "
                     f"{layer['interval']:>10} {layer['gops']:>8.2f} {r['dsp']:>6} "
                     f"{r['bram18']:>7} {r['uram']:>5} {r['lut']:>8} {r['ff']:>8}  "
                     f"{layer['bottleneck']}{mark}")
    streaming = [layer for layer in report["layers"] if layer.get("weights_off_chip_bits")]
    if streaming:
        lines += ["", f"{'weights off-chip':<24} {'fragments n,u_on,u_off':>22} {'on-chip bits':>13} "
                      f"{'off-chip bits':>13} {'Gb/s':>8}"]
        for layer in streaming:
            f = layer["weights_fragments"]
            shown = ",".join(map(str, f)) if f else f"fraction {layer['weights_off_chip']:g}"
            lines.append(f"{layer['name'][:24]:<24} {shown:>22} {layer['weights_on_chip_bits']:>13} "
                         f"{layer['weights_off_chip_bits']:>13} {layer['weights_streamed_gbps']:>8.2f}")
        for p in report["partitions"]:
            if p["weights_bandwidth_gbps"]:
                lines.append(f"partition {p['index']}: weights stream {p['weights_bandwidth_gbps']:.2f} Gb/s "
                             f"of {p['bandwidth_gbps']:.2f} Gb/s off-chip traffic "
                             f"({p['bandwidth_pct']:.1f}% of the board's {board['bandwidth_gbps']:g})")
    evicting = any(t["direction"] in ("evicted", "window") for p in report["partitions"] for t in p["offchip_tensors"])
    if len(report["partitions"]) > 1 or evicting:
        lines += ["", "off-chip feature maps (bits per frame), bandwidth and DDR space per partition"]
        for p in report["partitions"]:
            moved = {d: ", ".join(f"{t['layer']}.{d} {t['bits_per_frame']}" for t in p["offchip_tensors"]
                                  if t["direction"] == d) or "-" for d in ("in", "out", "evicted", "window")}
            # an evicted skip stream (--sdf-evict) is written and read back: twice its bits; an
            # evicted window's bits are its frame written and the lagged taps' reads together
            evicted = f"evicts {moved['evicted']} (written and read back); " if moved["evicted"] != "-" else ""
            if moved["window"] != "-":
                evicted += f"window delay lines off chip: {moved['window']} (written and read back by the lagged taps); "
            lines.append(f"partition {p['index']}: reads {moved['in']}; writes {moved['out']}; {evicted}"
                         f"{p['bandwidth_gbps']:.2f} Gb/s ({p['bandwidth_pct']:.1f}% of "
                         f"{board['bandwidth_gbps']:g}); DDR {p['ddr_bytes']} bytes per batch")
    sparse = [layer for layer in report["layers"] if "sparsity" in layer]
    if sparse:
        clocks = sorted({p["clock_mhz"] for p in report["partitions"]})
        if clocks != [net["clock_mhz"]]:
            lines += ["", "clock with the sparse engines' crossbar: " +
                      ", ".join(f"{c:g}" for c in clocks) + " MHz"]
        lines += ["", f"{'sparsity':<24} {'mean':>6} {'min':>6} {'max':>6} {'k':>3} {'buffer':>6}  source"]
        for layer in sparse:
            s = layer["sparsity"]
            engine = f"{s['macs_per_engine']:>3} {s['buffer']:>6}" if s["sparse_engine"] else f"{'dense':>10}"
            lines.append(f"{layer['name'][:24]:<24} {s['mean']:>6.3f} {s['min']:>6.3f} {s['max']:>6.3f} "
                         f"{engine}  {s['source']}")
    return "\n".join(lines)


def _ddr(net: dict, partitions: list, board: dict) -> str:
    """The partition setting the sub-batch and the DDR it needs for the batch (what is live
    while it runs: its tensors, those passing by it, its rings), against what is free, and
    the sub-batch the host runs when the batch does not fit."""
    ddr = net["ddr"]
    p = ddr["partition"]
    need = ddr["live_frame_bytes"][p] * net["batch"] + ddr["ring_bytes"]
    head = f"DDR: partition {p} needs {need / 2**20:.1f} MiB for the batch's tensors"
    if ddr["free_bytes"] is None:
        return head + f" ({board['name']} declares no capacity: not checked)"
    head += (f", {ddr['free_bytes'] / 2**20:.1f} MiB free of {board['ddr_mb']:g} MiB beside "
             f"{ddr['weights_image_bytes'] / 2**20:.1f} MiB of weights images")
    if ddr["passes"] == 1:
        return head
    return head + (f": {ddr['passes']} passes of {ddr['sub_batch']} frames, "
                   f"{net['reconfigurations']} reconfigurations")


def _usage(resources: dict, pct: dict) -> str:
    return "  ".join(f"{name.upper()} {resources[name]} ({pct[name]:.1f}%)"
                     for name in ("dsp", "bram18", "uram", "lut", "ff"))
