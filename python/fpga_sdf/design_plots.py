"""Pictures of a design, drawn from its report dict (the same dict `--sdf-report format=json`
writes), so a picture can never disagree with the numbers:

- `diagram_svg`: every layer a box with its kind, folding, interval and resources, the
  partition bottleneck highlighted, partitions as groups, off-chip traffic marked;
- `resources_png`: per partition, each resource's use against the board (bar chart);
- `roofline_png`: the board's compute and bandwidth roofs with every partition on them.
"""

from __future__ import annotations

import io
from html import escape

BOX_W, BOX_H, GAP, PAD = 190, 96, 26, 18
PER_ROW = 6  # layer boxes per line inside a partition; longer partitions wrap
RESOURCES = ("dsp", "bram18", "uram", "lut", "ff")


def _folding_text(folding: dict) -> str:
    parts = [f"ci={folding.get('coarse_in', 1)}", f"co={folding.get('coarse_out', 1)}"]
    if folding.get("coarse_group", 1) > 1:
        parts.append(f"cg={folding['coarse_group']}")
    if folding.get("fine", 1) > 1:
        parts.append(f"f={folding['fine']}")
    if folding.get("wr_factor", 1) > 1:
        parts.append(f"wr={folding['wr_factor']}")
    return " ".join(parts)


def diagram_svg(report: dict) -> str:
    """The design as an SVG: one row of layer boxes per partition, in schedule order."""
    rows = []
    for part in report["partitions"]:
        layers = [layer for layer in report["layers"] if layer["partition"] == part["index"]]
        rows.append((part, layers))
    widest = min(PER_ROW, max((len(layers) for _, layers in rows), default=1))
    width = PAD * 2 + widest * (BOX_W + GAP)
    line_h = BOX_H + GAP
    heights = [28 + PAD + max(1, -(-len(layers) // PER_ROW)) * line_h for _, layers in rows]
    height = 60 + sum(heights) + GAP * len(rows)
    net = report["network"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
           '<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
           '<path d="M0,0 L8,4 L0,8 z" fill="#555"/></marker></defs>',
           f'<text x="{PAD}" y="24" font-size="15" font-weight="bold">{escape(net["name"])} on '
           f'{escape(report["platform"]["name"])} @ {net["clock_mhz"]:g} MHz: {net["fps"]:.1f} fps, '
           f'{net["gops"]:.1f} GOP/s, batch {net["batch"]}</text>',
           f'<text x="{PAD}" y="44" fill="#444">red border: the layer that sets its partition\'s interval; '
           f'dashed: weights streamed from off-chip memory</text>']
    y = 60
    for (part, layers), row_h in zip(rows, heights):
        group_w = PAD + min(PER_ROW, max(len(layers), 1)) * (BOX_W + GAP)
        res = part["resources"]
        out.append(f'<rect x="{PAD / 2}" y="{y}" width="{group_w}" height="{row_h}" rx="10" '
                   f'fill="#f4f6fb" stroke="#8894b0"/>')
        runs = f", {part['runs']} weight runs" if part.get("runs", 1) > 1 else ""
        out.append(f'<text x="{PAD}" y="{y + 18}" font-weight="bold">partition {part["index"]}: interval '
                   f'{part["interval"]} cycles{runs}, {part["bandwidth_gbps"]:.2f} Gb/s off-chip, '
                   f'DSP {res["dsp"]}, BRAM18 {res["bram18"]}, LUT {res["lut"]}</text>')
        for i, layer in enumerate(layers):
            x = PAD + (i % PER_ROW) * (BOX_W + GAP)
            top = y + 28 + PAD / 2 + (i // PER_ROW) * line_h
            hot = layer.get("is_partition_bottleneck")
            dashed = ' stroke-dasharray="6,3"' if layer.get("weights_off_chip") else ""
            out.append(f'<rect x="{x}" y="{top}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="white" '
                       f'stroke="{"#d62728" if hot else "#4a5a80"}" stroke-width="{3 if hot else 1.2}"{dashed}/>')
            r = layer["resources"]
            lines = [(escape(layer["name"]), "bold"), (f'{layer["kind"]}  {_folding_text(layer.get("folding", {}))}', ""),
                     (f'interval {layer["interval"]}', ""),
                     (f'DSP {r["dsp"]}  BRAM18 {r["bram18"]}', ""), (f'LUT {r["lut"]}  FF {r["ff"]}', "")]
            for k, (text, weight) in enumerate(lines):
                bold = ' font-weight="bold"' if weight else ""
                out.append(f'<text x="{x + 8}" y="{top + 18 + 17 * k}"{bold}>{text}</text>')
            if i + 1 < len(layers) and (i + 1) % PER_ROW:
                mid = top + BOX_H / 2
                out.append(f'<line x1="{x + BOX_W}" y1="{mid}" x2="{x + BOX_W + GAP - 2}" y2="{mid}" '
                           f'stroke="#555" marker-end="url(#arrow)"/>')
        y += row_h + GAP
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _figure_png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def resources_png(report: dict) -> bytes:
    """Per partition, the percentage of each board resource it uses (100% = the board)."""
    plt = _pyplot()
    parts = report["partitions"]
    board = report["platform"]
    names = [r for r in RESOURCES if board.get(r)]
    fig, ax = plt.subplots(figsize=(1.6 + 1.3 * len(names) * max(1, len(parts)) ** 0.5, 4))
    width = 0.8 / max(1, len(parts))
    for k, part in enumerate(parts):
        values = [part["utilisation_pct"].get(r, 0.0) for r in names]
        xs = [i + (k - (len(parts) - 1) / 2) * width for i in range(len(names))]
        ax.bar(xs, values, width, label=f"partition {part['index']}")
    ax.axhline(100, color="#d62728", linestyle="--", linewidth=1)
    ax.text(len(names) - 0.5, 101, f"{board['name']} capacity", color="#d62728", ha="right", va="bottom")
    ax.set_xticks(range(len(names)), [r.upper() for r in names])
    ax.set_ylabel("% of the board")
    ax.set_ylim(0, max(110, max((max(p["utilisation_pct"].values()) for p in parts), default=0) * 1.1))
    ax.set_title("Resources per partition")
    if len(parts) > 1:
        ax.legend(fontsize=8)
    return _figure_png(fig)


def roofline_png(report: dict) -> bytes:
    """GOP/s against arithmetic intensity (operations per byte moved off-chip), under the
    board's roofs: peak compute (every DSP doing a multiply-accumulate per cycle) and the
    bandwidth slope."""
    plt = _pyplot()
    board, net = report["platform"], report["network"]
    peak = 2 * board["dsp"] * net["clock_mhz"] / 1e3  # GOP/s: 2 ops per MAC per DSP per cycle
    bandwidth = board["bandwidth_gbps"] / 8  # GB/s
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    points = []
    for part in report["partitions"]:
        bytes_per_s = part["bandwidth_gbps"] / 8 * 1e9
        intensity = part["gops"] * 1e9 / bytes_per_s if bytes_per_s else float("inf")
        points.append((part["index"], intensity, part["gops"]))
    finite = [p[1] for p in points if p[1] != float("inf")] or [peak / bandwidth]
    lo, hi = min(finite + [peak / bandwidth]) / 10, max(finite + [peak / bandwidth]) * 10
    xs = [lo, peak / bandwidth, hi]
    ax.loglog(xs, [min(peak, bandwidth * x) for x in xs], color="#333", label="board roofline")
    for index, intensity, gops in points:
        x = min(intensity, hi)
        ax.scatter([x], [gops], zorder=3)
        ax.annotate(f"partition {index}: {gops:.1f} GOP/s", (x, gops), textcoords="offset points",
                    xytext=(6, 6), fontsize=8)
    ax.set_xlabel("arithmetic intensity (operations per off-chip byte)")
    ax.set_ylabel("performance (GOP/s)")
    ax.set_title(f"Roofline: {board['name']} @ {net['clock_mhz']:g} MHz")
    ax.legend(fontsize=8, loc="upper left")
    return _figure_png(fig)


def picture_files(report: dict, prefix: str) -> dict[str, bytes]:
    """The three pictures as files PREFIX-diagram.svg, PREFIX-resources.png, PREFIX-roofline.png."""
    return {f"{prefix}diagram.svg": diagram_svg(report).encode("utf-8"),
            f"{prefix}resources.png": resources_png(report),
            f"{prefix}roofline.png": roofline_png(report)}
