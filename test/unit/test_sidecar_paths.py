"""Sidecar weights are found next to the IR that names them, from any working directory,
and stay found when fpga-opt writes the IR into another directory."""

from __future__ import annotations

import os
import subprocess
import sys

from fpga_sdf.tools import fpga_import, fpga_opt


def _files(path) -> list[str]:
    return [line.split('file = "')[1].split('"')[0] for line in path.read_text().splitlines() if 'file = "' in line]


def test_sidecar_resolved_next_to_the_ir_and_rewritten_where_it_lands(tmp_path, monkeypatch):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "work").mkdir()
    (tmp_path / "deep" / "er").mkdir(parents=True)
    model = tmp_path / "elsewhere" / "net.mlir"
    assert fpga_import.main(["--zoo", "tiny_conv", "--weights=sidecar", "-o", str(model)]) == 0
    monkeypatch.chdir(tmp_path / "work")
    # a pass that reads the weights, from another directory
    assert fpga_opt.main(["../elsewhere/net.mlir", "--sdf-quantize", "-o", "q.mlir"]) == 0
    q = tmp_path / "work" / "q.mlir"
    assert set(_files(q)) == {"../elsewhere/net.weights.npz"}
    # a pass that does not read them still leaves references that work where the IR lands
    out = tmp_path / "deep" / "er" / "t.mlir"
    assert fpga_opt.main([str(q), "--sdf-target=platform=zcu102", "-o", str(out)]) == 0
    assert set(_files(out)) == {"../../elsewhere/net.weights.npz"}
    monkeypatch.chdir(tmp_path)
    assert fpga_opt.main([str(out), "--sdf-quantize", "-o", str(tmp_path / "r.mlir")]) == 0
    # IR on stdout / stdin: relative to the working directory
    printed = subprocess.run([sys.executable, "-m", "fpga_sdf.tools.fpga_opt", str(out), "--sdf-target=platform=zcu102"],
                             capture_output=True, text=True, check=True).stdout
    assert 'file = "elsewhere/net.weights.npz"' in printed
    again = subprocess.run([sys.executable, "-m", "fpga_sdf.tools.fpga_opt", "-", "--sdf-quantize"], input=printed,
                           capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr


def test_missing_sidecar_is_one_error_not_a_cascade(tmp_path):
    model = tmp_path / "net.mlir"
    assert fpga_import.main(["--zoo", "tiny_conv", "--weights=sidecar", "-o", str(model)]) == 0
    q = tmp_path / "q.mlir"
    assert fpga_opt.main([str(model), "--sdf-quantize", "--sdf-target=platform=zcu102", "-o", str(q)]) == 0
    (tmp_path / "net.weights.npz").unlink()
    proc = subprocess.run([sys.executable, "-m", "fpga_sdf.tools.fpga_translate", "--sdf-to-hls", str(q),
                           "-o", str(tmp_path / "hls")], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert errors and all("weights file 'net.weights.npz' not found" in e for e in errors), errors
