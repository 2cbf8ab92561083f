"""Refit the LUT / FF coefficients of the resource model from yosys syntheses of the RTL.

    python scripts/calibrate_resources.py [--family ultrascale+|7series] [--write] [--json out.json]
    python scripts/calibrate_resources.py --measured out.json [--write]   # refit only
    python scripts/calibrate_resources.py --cases conv_,sparse_conv_ --features crossbar_bits --kinds conv --write
        # the sparse engine's crossbar coefficient alone, the dense conv's figures unchanged

Every generator is synthesised (`yosys synth_xilinx`, cached) at several sizes, widths and
foldings. The model prices a module's logic as sum(coefficient * feature) over the features
of `model/modules.py` (const, io_bits, counter_bits, ...), plus its memories; so the logic
target of a synthesis is yosys's LUT (FF) count minus what the model's memory mapping already
charges. Per module kind the coefficients are a non-negative least-squares fit on the
relative error (features no case of the kind varies keep the default's value). The table
printed compares model and yosys per module before and after; --write stores the new
coefficients in model/data/resource_coefficients.json (other kinds are left as they are):
UltraScale+ in "logic", 7-series in "logic_by_family" / "7series" (the model reads a
platform's family's table, falling back to "logic" for kinds without a 7-series fit).
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from fpga_sdf.backend.rtl import synth
from fpga_sdf.backend.rtl.streams import ModuleParams, StreamType
from fpga_sdf.interp.fixed import Fixed
from fpga_sdf.model import expand
from fpga_sdf.model.coefficients import DATA_DIR, logic_table, resource_coefficients
from fpga_sdf.model.resources import ARITHMETIC_FEATURES, memory_cost
from fpga_sdf.model.spec import LayerSpec

RNG = np.random.default_rng(0)


def _s(fmt: Fixed, lanes: int = 1) -> StreamType:
    return StreamType(fmt.width, fmt.frac, lanes)


def _params(spec, kind, inputs, outputs, attrs=None, instance=0, **extra):
    model = next((m for m in expand(spec) if m.name == kind), None)
    if model is None:  # the folding builds no such module (an 8-bit unit pair needs no fork)
        return None
    name = f"cal_{kind}_{zlib.crc32(repr((spec, kind, instance, attrs)).encode())}"
    return ModuleParams(kind, spec.name, instance, dict(attrs or {}), inputs, outputs, spec=spec,
                        model=model, name=name, **extra)


def cases():
    """(label, generator module, ModuleParams) of every synthesis the fit uses."""
    from fpga_sdf.backend.rtl import (accum, activation, bias, concat, conv, eltwise, fork, global_pool, glue,
                                      pool, resize, scale_shift, sliding_window, sparse_conv, sparse_weights,
                                      weights_memory)

    for w in (8, 16):
        f = Fixed(w, w // 2)
        for kind in ("relu", "relu6", "leaky_relu"):
            spec = LayerSpec("a", "activation", ((16, 8, 8),), ((16, 8, 8),), mode=kind, data_width=w)
            yield f"activation_{kind}_{w}", activation, _params(spec, "activation", [_s(f)], [_s(f)], {"kind": kind})
        for mode, rhs in (("add", (64, 8, 8)), ("mul", (64, 8, 8)), ("add", (64, 1, 1))):
            spec = LayerSpec("e", "eltwise", ((64, 8, 8), rhs), ((64, 8, 8),), mode=mode, data_width=w)
            yield (f"eltwise_{mode}_{rhs[1]}_{w}", eltwise,
                   _params(spec, "eltwise", [_s(f)] * 2, [_s(f)], {"mode": mode, "broadcast": int(rhs[1] == 1)}))
        if w == 8:
            continue  # the larger modules at one width (syntheses are slow)
        spec = LayerSpec("b", "scale_shift", ((32, 8, 8),), ((32, 8, 8),), data_width=w, weight_width=w,
                         acc_width=2 * w + 4)
        yield f"scale_shift_{w}", scale_shift, _params(
            spec, "scale_shift", [_s(f)], [_s(f)], params={"scale": RNG.integers(-99, 99, 32),
                                                         "shift": RNG.integers(-99, 99, 32)},
            formats={"scale": Fixed(w, w - 2), "shift": Fixed(2 * w + 4, f.frac + w - 2)})
        for c1, c2 in ((16, 16), (64, 32)):
            spec = LayerSpec("c", "concat", ((c1, 8, 8), (c2, 8, 8)), ((c1 + c2, 8, 8),), data_width=w)
            yield f"concat_{c1}_{c2}_{w}", concat, _params(spec, "concat", [_s(f)] * 2, [_s(f)])
        for shape, out in (((8, 8, 16), (8, 16, 32)), ((16, 16, 64), (16, 32, 128))):
            spec = LayerSpec("r", "resize", (shape,), (out,), mode="nearest", data_width=w)
            yield f"resize_{shape[2]}_{w}", resize, _params(spec, "resize", [_s(f)], [_s(f)])
        for mode, shape in (("avg", (64, 7, 7)), ("max", (64, 7, 7)), ("avg", (512, 8, 8))):
            spec = LayerSpec("g", "global_pool", (shape,), ((shape[0], 1, 1),), mode=mode, data_width=w,
                             acc_width=32)
            yield f"global_pool_{mode}_{shape[0]}_{w}", global_pool, _params(spec, "global_pool", [_s(f)], [_s(f)],
                                                                              {"mode": mode})
        for mode, k, s, pad, fine in (("max", 2, 2, 0, 4), ("max", 3, 2, 1, 3), ("avg", 3, 1, 1, 9), ("avg", 2, 2, 0, 1)):
            o = (16 + 2 * pad - k) // s + 1
            spec = LayerSpec("p", "pool", ((16, 16, 16),), ((16, o, o),), kernel=(k, k), stride=(s, s),
                             pad=(pad,) * 4, mode=mode, fine=fine, data_width=w)
            yield f"pool_{mode}_{k}_{fine}_{w}", pool, _params(spec, "pool", [_s(f, k * k)], [_s(f)], {"mode": mode})
    # the MAC chain at several widths and foldings
    for dw, fine, ci, co, dims in ((8, 1, 1, 1, (8, 8)), (16, 3, 1, 1, (16, 16)), (16, 9, 2, 2, (8, 8)),
                                   (8, 3, 2, 1, (16, 16))):
        c, fl = 16, 32
        spec = LayerSpec("k", "conv", ((c,) + dims,), ((fl,) + dims,), kernel=(3, 3), stride=(1, 1),
                         pad=(1, 1, 1, 1), has_bias=True, coarse_in=ci, coarse_out=co, fine=fine, data_width=dw,
                         weight_width=dw, acc_width=2 * dw + 8)
        x, wf = Fixed(dw, dw // 2), Fixed(dw, dw - 2)
        acc = StreamType(2 * dw + 8, x.frac + wf.frac)
        data = {"weights": RNG.integers(wf.min_int, wf.max_int + 1, (fl, c, 3, 3)),
                "bias": RNG.integers(-999, 999, fl)}
        tag = f"{dw}_f{fine}_ci{ci}_co{co}_{dims[0]}"
        yield f"sliding_window_{tag}", sliding_window, _params(spec, "sliding_window", [_s(x)], [_s(x, 9)], params=data)
        yield f"conv_{tag}", conv, _params(spec, "conv", [_s(x, 9), _s(wf, fine)], [acc], params=data)
        yield f"weights_memory_{tag}", weights_memory, _params(spec, "weights_memory", [], [_s(wf, fine)], params=data)
        yield f"accum_{tag}", accum, _params(spec, "accum", [acc], [acc], params=data)
        if ci > 1:
            yield f"glue_{tag}", glue, _params(spec, "glue", [acc] * ci, [acc], params=data)
        yield f"bias_{tag}", bias, _params(spec, "bias", [acc], [_s(x)], params=data)
    # PASS's sparse engine (k MACs behind a crossbar, K = 9 and 25) and its K-weight memory:
    # the banded crossbar grows as k (K - k + 1) x (data + weight bits), so k and widths vary
    for dw, kernel, fine in ((16, 3, 1), (16, 3, 2), (16, 3, 3), (16, 3, 5), (16, 3, 8), (8, 3, 1), (8, 3, 3),
                             (8, 3, 5), (8, 3, 8), (8, 5, 5), (8, 5, 12)):
        c, fl = 16, 32
        spec = LayerSpec("s", "conv", ((c, 8, 8),), ((fl, 8, 8),), kernel=(kernel, kernel), stride=(1, 1),
                         pad=(kernel // 2,) * 4, has_bias=True, coarse_in=2, coarse_out=2, fine=fine,
                         data_width=dw, weight_width=dw, acc_width=2 * dw + 6, sparsity=(0.5,) * c)
        x, wf = Fixed(dw, dw // 2), Fixed(dw, dw - 2)
        taps = kernel * kernel
        acc = StreamType(2 * dw + 6, x.frac + wf.frac)
        data = {"weights": RNG.integers(wf.min_int, wf.max_int + 1, (fl, c, kernel, kernel))}
        tag = f"{dw}_K{taps}_k{fine}"
        yield f"sparse_conv_{tag}", sparse_conv, _params(spec, "conv", [_s(x, taps), _s(wf, taps)], [acc],
                                                         params=data)
        if fine in (1, 5):
            yield f"sparse_weights_{tag}", sparse_weights, _params(spec, "weights_memory", [], [_s(wf, taps)],
                                                                   params=data)
    # the fork copying a window stream to coarse_out MAC units
    for dw, co in ((16, 2), (16, 4), (8, 2)):
        spec = LayerSpec("k", "conv", ((16, 8, 8),), ((32, 8, 8),), kernel=(3, 3), stride=(1, 1),
                         pad=(1, 1, 1, 1), has_bias=True, coarse_out=co, fine=3, data_width=dw,
                         weight_width=dw, acc_width=2 * dw + 8)
        x = Fixed(dw, dw // 2)
        yield f"fork_{dw}_co{co}", fork, _params(spec, "fork", [_s(x, 9)], [_s(x, 9)] * co)


def memory_charge(module, family_uram: bool) -> tuple[float, float]:
    """(LUT, FF) the model charges one instance for its memories (LUTRAM, registers)."""
    lut = ff = 0
    for m in module.memories:
        _, _, luts, ffs = memory_cost(m, m.copies, family_uram)
        lut += luts
        ff += ffs
    return lut, ff


def measure(family: str, only: tuple[str, ...] = ()) -> list[dict]:
    rows = []
    for label, gen, p in cases():
        if p is None or (only and not label.startswith(only)):
            continue
        print(f"synthesising {label}", file=sys.stderr, flush=True)
        got = synth.synthesise_module(gen.generate(p), family)
        module = replace(p.model, instances=1)
        mem_lut, mem_ff = memory_charge(module, False)
        # the features as the model charges them: arithmetic ones once per lane (resources._logic)
        features = {f: v * (module.lanes if f in ARITHMETIC_FEATURES or f.startswith("crossbar") else 1)
                    for f, v in module.logic}
        rows.append({"label": label, "kind": module.name, "family": family, "features": features,
                     "yosys": got.as_dict(), "mem_lut": mem_lut, "mem_ff": mem_ff,
                     "model_dsp": synth.model_resources(module, family)["dsp"]})
    return rows


def predict(row: dict, resource: str, table: dict | None = None) -> float:
    coeffs = dict(logic_table(row["kind"], resource, row["family"])) if table is None else table
    logic = sum(coeffs.get(f, 0.0) * v for f, v in row["features"].items())
    return logic + (row["mem_lut"] if resource == "lut" else row["mem_ff"])


def nnls(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, float]:
    """Least squares with non-negative coefficients: refit on the features left after
    dropping the most negative one, until none is negative (the problems are tiny)."""
    active = list(range(a.shape[1]))
    x = np.zeros(a.shape[1])
    while active:
        sol = np.linalg.lstsq(a[:, active], b, rcond=None)[0]
        if (sol >= 0).all():
            x[active] = sol
            break
        active.pop(int(np.argmin(sol)))
    return x, float(np.linalg.norm(a @ x - b))


def fit(rows: list[dict], resource: str, free: set[str] | None = None) -> dict[str, dict[str, float]]:
    """Per kind: non-negative least squares of the logic target on the features, weighted by
    1 / target so the fit minimises relative error. With `free`, only those features are
    fitted and the others keep their present coefficients (a new feature refitted without
    moving the figures of the modules that do not have it)."""
    by_kind = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    out = {}
    for kind, group in by_kind.items():
        names = sorted({f for r in group for f, v in r["features"].items() if v})
        base = dict(logic_table(kind, resource, group[0]["family"]))
        target = np.array([max(r["yosys"][resource] - (r["mem_lut"] if resource == "lut" else r["mem_ff"]), 0.0)
                           for r in group])
        a = np.array([[r["features"].get(f, 0) for f in names] for r in group], dtype=float)
        wts = 1.0 / np.maximum(np.array([r["yosys"][resource] for r in group], dtype=float), 1.0)
        # features constant over the kind's cases cannot be told from `const`: they keep their
        # present coefficient (subtracted from the target), the others are fitted
        varying = [i for i in range(len(names)) if (np.ptp(a[:, i]) > 0 or names[i] == "const")
                   and (free is None or names[i] in free)]
        fixed = [i for i in range(len(names)) if i not in varying]
        target = target - sum((a[:, i] * base.get(names[i], 0.0) for i in fixed), np.zeros(len(group)))
        sol, _ = nnls(a[:, varying] * wts[:, None], np.maximum(target, 0.0) * wts)
        table = {names[i]: float(round(c, 4)) for i, c in zip(varying, sol)}  # the others keep theirs
        out[kind] = table
    return out


def merged(row: dict, resource: str, fitted: dict) -> dict:
    return dict(logic_table(row["kind"], resource, row["family"])) | fitted[row["kind"]]


def errors(rows, resource, tables=None):
    return [abs(predict(r, resource, None if tables is None else merged(r, resource, tables))
                - r["yosys"][resource]) / max(r["yosys"][resource], 1) for r in rows]


def report(rows, tables) -> str:
    lines = [f"{'module':34s} {'yosys LUT':>9s} {'before':>8s} {'after':>8s}   {'yosys FF':>8s} {'before':>8s} {'after':>8s}"
             f"   {'DSP y/m':>7s} {'BRAM y/m':>8s}"]
    for r in rows:
        y = r["yosys"]
        lines.append(f"{r['label'][:34]:34s} {y['lut']:9d} {predict(r, 'lut'):8.0f} "
                     f"{predict(r, 'lut', merged(r, 'lut', tables['lut'])):8.0f}   {y['ff']:8d} "
                     f"{predict(r, 'ff'):8.0f} {predict(r, 'ff', merged(r, 'ff', tables['ff'])):8.0f}   {y['dsp']:3d}/{r['model_dsp']:<3d}"
                     f" {y['bram18_units']:4d}")
    for res in ("lut", "ff"):
        before, after = errors(rows, res), errors(rows, res, tables[res])
        lines.append(f"{res.upper()}: median relative error {100 * np.median(before):.1f}% before, "
                     f"{100 * np.median(after):.1f}% after (mean {100 * np.mean(before):.1f}% -> "
                     f"{100 * np.mean(after):.1f}%, {len(rows)} modules)")
    return "\n".join(lines)


def write(tables, family: str) -> None:
    path = DATA_DIR / "resource_coefficients.json"
    data = json.loads(path.read_text())
    logic = data["logic"] if family == "ultrascale+" else \
        data.setdefault("logic_by_family", {}).setdefault(family, {})
    for res in ("lut", "ff"):
        for kind, table in tables[res].items():
            logic.setdefault(kind, {}).setdefault(res, {}).update(table)
    data["notes"] = (data["notes"].split(" Calibrated")[0] + " Calibrated against yosys synth_xilinx of the "
                     "generated RTL by scripts/calibrate_resources.py (kinds it synthesises).")
    path.write_text(_dump(data) + "\n")
    resource_coefficients.cache_clear()
    logic_table.cache_clear()


def _dump_logic(logic: dict, indent: int) -> list[str]:
    """A {kind: {resource: table}} mapping, one line per module and resource."""
    pad, lines = " " * indent, []
    kinds = list(logic.items())
    for i, (kind, tables) in enumerate(kinds):
        parts = [f'"{res}": {json.dumps(t)}' for res, t in tables.items()]
        lines.append(f'{pad}{json.dumps(kind) + ":":18s}{{' + (",\n" + " " * (indent + 19)).join(parts) + "}"
                     + ("," if i < len(kinds) - 1 else ""))
    return lines


def _dump(data: dict) -> str:
    """The coefficients file as it is laid out by hand: one line per module and resource."""
    lines = ["{", f'  "notes": {json.dumps(data["notes"])},', '  "logic": {']
    lines += _dump_logic(data["logic"], 4)
    lines.append("  },")
    families = list(data.get("logic_by_family", {}).items())
    if families:
        lines.append('  "logic_by_family": {')
        for i, (family, logic) in enumerate(families):
            lines.append(f'    {json.dumps(family)}: {{')
            lines += _dump_logic(logic, 6)
            lines.append("    }" + ("," if i < len(families) - 1 else ""))
        lines.append("  },")
    rest = [k for k in data if k not in ("notes", "logic", "logic_by_family")]
    for i, key in enumerate(rest):
        body = json.dumps(data[key], indent=2).replace("\n", "\n  ")
        lines.append(f'  "{key}": {body}' + ("," if i < len(rest) - 1 else ""))
    lines.append("}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--family", default="ultrascale+", choices=("7series", "ultrascale+"))
    ap.add_argument("--write", action="store_true", help="store the fitted coefficients")
    ap.add_argument("--json", help="write the measurements and fit here")
    ap.add_argument("--measured", help="refit from the measurements of an earlier --json (no synthesis)")
    ap.add_argument("--kinds", help="with --write: store only these module kinds (comma separated)")
    ap.add_argument("--cases", help="synthesise only the cases whose label starts with one of these "
                                    "(comma separated, e.g. conv_,sparse_conv_)")
    ap.add_argument("--features", help="fit only these features (comma separated); the others keep their "
                                       "present coefficients")
    args = ap.parse_args(argv)
    only = tuple(args.cases.split(",")) if args.cases else ()
    rows = json.loads(Path(args.measured).read_text())["rows"] if args.measured else measure(args.family, only)
    family = rows[0].get("family", args.family)
    for r in rows:  # measurements of an earlier version name no family: the one asked for
        r.setdefault("family", family)
    free = set(args.features.split(",")) if args.features else None
    tables = {res: fit(rows, res, free) for res in ("lut", "ff")}
    print(f"family {family}")
    print(report(rows, tables))
    if args.json:
        Path(args.json).write_text(json.dumps({"family": family, "rows": rows, "tables": tables}, indent=1))
    if args.write:
        if args.kinds:
            keep = set(args.kinds.split(","))
            tables = {res: {k: t for k, t in tables[res].items() if k in keep} for res in tables}
        write(tables, family)
    return 0


if __name__ == "__main__":
    sys.exit(main())
