"""The parameter images of a MAC layer: float weights and bias -> the integers of each bank,
run after run, in the order load_banks / load_lanes read them.

One function for the emitter and the host: the emitter builds ROM literals and the packed
`.bin` images with it, and when the weights live in the design's `.npz` sidecar the host
runtime builds the same images from that file at load time (schedule.json keeps the recipe
and the SHA-256 of the packed bytes), so the project does not carry a second copy of the
weights. Pure numpy (no MLIR), so a host needs only this and packing.py to build them.
"""

from __future__ import annotations

import numpy as np

from ...interp.fixed import Fixed, quantize, requantize

__all__ = ["conv_banks", "fcu_banks", "bias_lanes", "weights_runs", "bias_runs", "bias_format"]


def conv_banks(wq, c, f, groups, kvol, ci, co, cg, fine) -> np.ndarray:
    """(F, C/G, KVOL) weights -> banks (NI*CO, DEPTH, FINE): bank s*CO + j, address
    (cl*COUT_S + fo)*KO + ko holds taps ko*FINE.. of filter (c // CG_CH)*FG + fo*CO + j,
    channel c % CG_CH, c = cl*NI + s (templates/conv.hpp, conv_banks)."""
    ni, cg_ch, fg = ci * cg, c // groups, f // groups
    ch, cout_s, ko = c // ni, fg // co, kvol // fine
    s, j, cl, fo, o, k = np.ix_(range(ni), range(co), range(ch), range(cout_s), range(ko), range(fine))
    chan = cl * ni + s
    filt = (chan // cg_ch) * fg + fo * co + j
    w = np.asarray(wq).reshape(f, cg_ch, kvol)
    return w[filt, chan % cg_ch, o * fine + k].reshape(ni * co, ch * cout_s * ko, fine)


def fcu_banks(banks, in_shape, ni: int, p: int) -> np.ndarray:
    """An inner product's one-pixel banks (NI*CO, CH*COUT_S, 1) -> the banks of its p FCUs per
    unit (NI*CO, CH*COUT_S/p, p): a stream's word n carries channel group k = n % (C/NI) of
    pixels m p .. m p + p - 1 (m = n // (C/NI)), so word x of address n*COUT_S + fo is the
    one-pixel weight of feature (m p + x) * C/NI + k (docs/notes/rtl-backend.md)."""
    units, depth = banks.shape[:2]
    pixels, ch = int(np.prod(in_shape[1:], dtype=np.int64)), in_shape[0] // ni
    b = np.asarray(banks).reshape(units, pixels // p, p, ch, depth // (pixels * ch))
    return b.transpose(0, 1, 3, 4, 2).reshape(units, depth // p, p)


def bias_lanes(bq, no: int) -> np.ndarray:
    """(F,) -> (NO, F/NO): lane o holds the filters f = r*NO + o in order."""
    return np.asarray(bq).reshape(-1, no).T.copy()


def _quantized_weights(w, r: dict) -> np.ndarray:
    """Integers of the weights (F_total, C/G, KVOL), in the stream's channel order."""
    wq = quantize(w, Fixed(*r["w_fmt"]))
    f_total, c, kvol = r["filters_total"], r["channels"], r["kvol"]
    if not r["conv"]:  # the stream carries the input channels fastest; torch flattens channels slowest
        x_shape = r["in_shape"]
        pixels = int(np.prod(x_shape[1:], dtype=np.int64))
        wq = wq.reshape(f_total, x_shape[0], pixels).transpose(0, 2, 1).reshape(f_total, c)
    return np.asarray(wq).reshape(f_total, c // r["groups"], kvol)


def weights_runs(w, r: dict) -> np.ndarray:
    """(wr_factor, words) integers: each run's banks (NI*CO, DEPTH, FINE) flattened. The
    recipe's `fine` is the bank word: the taps a dense MAC multiplies per cycle, or all KVOL
    weights of a dot product on the sparse engine."""
    wq = _quantized_weights(w, r)
    f = r["filters_total"] // r["wr"]
    p = r.get("pixels", 1)  # an inner product's FCUs: p weights a word (fcu_banks)
    banks = [conv_banks(wq[k * f:(k + 1) * f], r["channels"], f, r["groups"], r["kvol"], r["ci"],
                        r["co"], r["cg"], r["fine"] if p == 1 else 1) for k in range(r["wr"])]
    if p > 1:
        banks = [fcu_banks(b, r["in_shape"], r["ci"] * r["cg"], p) for b in banks]
    return np.stack([b.ravel() for b in banks])


def _bias_integers(b, r: dict) -> np.ndarray:
    """The bias at the accumulator's frac (x.frac + w.frac), as the MAC adds it."""
    b_fmt, acc = Fixed(*r["b_fmt"]), r["acc"]
    return requantize(quantize(b, b_fmt), b_fmt.frac, Fixed(acc, r["x_frac"] + r["w_fmt"][1]))


def bias_format(b, r: dict) -> Fixed:
    """The narrowest format at the accumulator's frac holding the bias (never wider than acc)."""
    q = _bias_integers(b, r)
    mag = int(np.max(np.abs(q))) if q.size else 0
    return Fixed(min(r["acc"], max(2, mag.bit_length() + 1)), r["x_frac"] + r["w_fmt"][1])


def bias_runs(b, r: dict) -> np.ndarray:
    """(wr_factor, words) integers: each run's bias lanes (NO, F/NO) flattened."""
    bq = _bias_integers(b, r)
    f, no = r["filters_total"] // r["wr"], r["co"] * r["cg"]
    return np.stack([bias_lanes(bq[k * f:(k + 1) * f], no).ravel() for k in range(r["wr"])])
