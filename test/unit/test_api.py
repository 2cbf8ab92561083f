"""The Python API: the README's example runs as written, and passes run on an ir.Module."""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import fpga_sdf
from fpga_sdf.diagnostics import UserError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "python-api" / "compile_digits.py"


def test_readme_shows_the_tested_example():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert EXAMPLE.read_text() in blocks


@pytest.mark.slow
@pytest.mark.csim
def test_example_compiles_checks_and_writes_a_design(tmp_path, monkeypatch, capsys):
    out = tmp_path / "design"
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), str(out)])
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    printed = capsys.readouterr().out
    assert "C-simulation equals the executor: True" in printed
    assert "network forward on zc706" in printed
    for name in ("model.mlir", "report.json", "report.txt", "hls/schedule.json"):
        assert (out / name).is_file()


def test_design_predict_is_the_fixed_point_executor():
    from fpga_sdf.frontend import zoo
    from fpga_sdf.interp.executor import execute

    model, example = zoo.build("tiny_conv")
    design = fpga_sdf.compile(model, example, platform="zcu102", precision="w8a8", batch=4)
    assert design.report["network"]["fps"] > 0
    assert str(design).startswith("network forward on zcu102")
    x = np.random.default_rng(0).standard_normal(tuple(example.shape)).astype(np.float32)
    assert np.array_equal(design.predict(x), execute(design.module, [x], "fixed")[0])
    float_y = execute(design.module, [x], "float")[0]
    assert np.allclose(design.predict(x), float_y, atol=0.1 * np.abs(float_y).max() + 1e-3)


def test_run_pass_changes_the_module_and_reports_errors():
    module = fpga_sdf.parse("""func.func @f(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = "sdf.weights"() {value = dense<0.125> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %y = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}""")
    fpga_sdf.run_pass(module, "sdf-fold", coarse_in="max", coarse_out="2")
    assert "coarse_in = 4 : i64, coarse_out = 2 : i64" in fpga_sdf.to_text(module)
    with pytest.raises(UserError, match="coarse_in"):
        fpga_sdf.run_pass(module, "sdf-fold", coarse_in="3")
    with pytest.raises(UserError, match="unknown option"):
        fpga_sdf.run_pass(module, "sdf-fold", nonsense="1")
    with pytest.raises(UserError, match="unknown pass"):
        fpga_sdf.run_pass(module, "sdf-nope")
    # the options as on the command line
    fpga_sdf.run_pass(module, "sdf-fold", "coarse_in=2 coarse_out=max")
    assert "coarse_in = 2 : i64, coarse_out = 8 : i64" in fpga_sdf.to_text(module)
    with pytest.raises(UserError, match="not both"):
        fpga_sdf.run_pass(module, "sdf-fold", "coarse_in=2", coarse_out="1")


@pytest.mark.rtlsim
def test_design_rtlsim_equals_predict_and_measures_cycles():
    from fpga_sdf.frontend import zoo

    model, example = zoo.build("tiny_conv")
    design = fpga_sdf.compile(model, example, platform="zedboard", precision="w8a8", budget=0.15)
    x = np.random.default_rng(1).standard_normal((2,) + tuple(example.shape[1:])).astype(np.float32)
    y, stats = design.rtlsim(x)
    assert np.array_equal(y, design.predict(x))
    (part,) = stats["partitions"]
    assert part["cycles_per_frame"] > 0 and "model_cycles_per_frame" in part
