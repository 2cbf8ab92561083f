"""The packing of every AXI memory port of an emitted kernel (feature maps and parameters).

A beat of `per_beat * width` bits holds `per_beat` values, value k at bits [k*width,
(k+1)*width), little-endian bytes; each row (a frame, or one run's parameter image) is padded
to whole beats. The kernels' dma_in / dma_out / load_banks read and write exactly this.
"""

from __future__ import annotations

import numpy as np

__all__ = ["pack", "unpack"]


def pack(values: np.ndarray, width: int, per_beat: int) -> bytes:
    """Rows of integers (one row per frame or run) -> beats, each row padded to whole beats."""
    values = np.asarray(values, dtype=np.int64)
    rows = values.reshape(values.shape[0] if values.ndim > 1 else 1, -1)
    beats = -(-rows.shape[1] // per_beat)
    padded = np.zeros((rows.shape[0], beats * per_beat), dtype="<u8")
    padded[:, :rows.shape[1]] = rows.astype(np.uint64) & np.uint64((1 << width) - 1)
    if width % 8 == 0:  # whole bytes: value k is bytes k*width/8 .. of its beat
        return padded.view(np.uint8).reshape(padded.shape + (8,))[..., :width // 8].tobytes()
    bits = np.empty(padded.shape + (width,), dtype=np.uint8)
    for b in range(width):
        bits[..., b] = (padded >> np.uint64(b)) & np.uint64(1)
    bits = bits.reshape(-1, per_beat * width)
    pad = (-bits.shape[1]) % 8
    if pad:
        bits = np.concatenate([bits, np.zeros((bits.shape[0], pad), np.uint8)], axis=1)
    return np.packbits(bits, axis=1, bitorder="little").tobytes()


def unpack(data: bytes, rows: int, words: int, width: int, per_beat: int) -> np.ndarray:
    """The inverse of pack: (rows, words) signed integers of `width` bits."""
    beats = -(-words // per_beat)
    beat_bytes = -(-per_beat * width // 8)
    raw = np.frombuffer(data, dtype=np.uint8)[:rows * beats * beat_bytes].reshape(rows * beats, beat_bytes)
    bits = np.unpackbits(raw, axis=1, bitorder="little")[:, :per_beat * width]
    bits = bits.reshape(rows, beats * per_beat, width)[:, :words].astype(np.int64)
    q = (bits << np.arange(width, dtype=np.int64)).sum(axis=2)
    return np.where(q >= (1 << (width - 1)), q - (1 << width), q)
