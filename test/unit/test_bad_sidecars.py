"""Corrupt or wrong sidecar weights are diagnostics at the `sdf.weights` op (issue 9)."""

import io
import os

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf import weights
from fpga_sdf.diagnostics import UserError

CONV = """func.func @f(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "sdf.weights"() {file = "FILE", key = "w"} : () -> tensor<2x2x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<1x2x2x2xf32>
}
"""
GOOD = np.ones((2, 2, 3, 3), np.float32)


def _npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _bad_crc() -> bytes:
    data = bytearray(_npz(w=GOOD))
    data[data.find(b"\x93NUMPY") + 130] ^= 0xFF
    return bytes(data)


CASES = {
    "truncated": (_npz(w=GOOD)[:200], "cannot read weights file"),
    "empty": (b"", "cannot read weights file"),
    "renamed-npy": (_npy(GOOD), "is a single array, not an .npz archive"),
    "strings": (_npz(w=np.array(["a"] * 36).reshape(GOOD.shape)), "must hold real numbers, got dtype <U1"),
    "complex": (_npz(w=GOOD * (1 + 2j)), "must hold real numbers, got dtype complex64"),
    "bool": (_npz(w=GOOD > 0), "must hold real numbers, got dtype bool"),
    "infinite": (_npz(w=GOOD * np.inf), "holds NaN or infinite values"),
    "beyond-float32": (_npz(w=GOOD.astype(np.float64) * 1e300), "holds NaN or infinite values"),
    "bad-crc": (_bad_crc(), "Bad CRC-32"),
    "shape": (_npz(w=np.ones(3, np.float32)), "has shape (3,), the IR expects (2, 2, 3, 3)"),
}


def _read(tmp_path, name: str):
    module = sdf_ir.parse(CONV.replace("FILE", name), str(tmp_path / "model.mlir"))
    weights.add_search_dir(str(tmp_path))
    (op, _) = sdf_ir.walk(module, "sdf.weights")
    return weights.read(op)


@pytest.mark.parametrize("case", sorted(CASES))
def test_corrupt_sidecar_is_an_error_at_the_op(tmp_path, case):
    data, message = CASES[case]
    (tmp_path / f"{case}.npz").write_bytes(data)
    with pytest.raises(UserError) as info:
        _read(tmp_path, f"{case}.npz")
    (d,) = info.value.diagnostics
    assert message in d.message and d.file.endswith("model.mlir") and d.line == 2


def test_directory_and_pickled_objects(tmp_path):
    os.mkdir(tmp_path / "adir.npz")
    with pytest.raises(UserError, match="is not a file"):
        _read(tmp_path, "adir.npz")
    np.savez(tmp_path / "objects.npz", w=np.array([None] * 36, dtype=object).reshape(GOOD.shape))
    with pytest.raises(UserError, match="Object arrays cannot be loaded"):
        _read(tmp_path, "objects.npz")


def test_good_sidecar_reads(tmp_path):
    (tmp_path / "good.npz").write_bytes(_npz(w=GOOD * 0.5))
    assert np.array_equal(_read(tmp_path, "good.npz"), GOOD * 0.5)
