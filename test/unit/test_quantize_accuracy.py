"""The accuracy cost of quantization on the trained digits network (held-out set).

The fixed-point executor is the hardware's arithmetic, so its accuracy is the accelerator's.
"""

import numpy as np
import pytest
from torch_mlir import ir

from fpga_sdf import ir as sdf_ir
from fpga_sdf.diagnostics import Diagnostics
from fpga_sdf.frontend import digits, zoo
from fpga_sdf.frontend.importer import import_model
from fpga_sdf.interp.executor import execute
from fpga_sdf.pass_registry import lookup


@pytest.fixture(scope="module")
def test_set():
    x, y = digits.load_test_set()
    return x.numpy(), y.numpy()


def quantized_accuracy(tmp_path, weights, activations, test_set):
    model, example = digits.build()
    module = import_model(model, example)
    calibration = tmp_path / "calibration.npy"
    np.save(calibration, zoo.calibration_data("digits"))
    with sdf_ir.context(), ir.Location.unknown():
        lookup("sdf-quantize")(weights=weights, activations=activations, calibration=str(calibration)).run(
            module, Diagnostics())
    x, y = test_set
    float_acc = float((execute(module, [x], "float")[0].argmax(1) == y).mean())
    fixed_acc = float((execute(module, [x], "fixed")[0].argmax(1) == y).mean())
    return float_acc, fixed_acc


def test_w16a16_keeps_float_accuracy(tmp_path, test_set):
    float_acc, fixed_acc = quantized_accuracy(tmp_path, 16, 16, test_set)
    assert float_acc == pytest.approx(digits.stored_accuracy())
    assert fixed_acc >= float_acc - 0.002  # at most one of the 360 images may flip


def test_w8a8_within_one_point(tmp_path, test_set):
    float_acc, fixed_acc = quantized_accuracy(tmp_path, 8, 8, test_set)
    assert fixed_acc >= float_acc - 0.01


def test_w4a4_costs_accuracy_but_still_classifies(tmp_path, test_set):
    # 4 bits is coarse enough to lose some accuracy: the test shows quantization is real.
    float_acc, fixed_acc = quantized_accuracy(tmp_path, 4, 4, test_set)
    assert 0.5 < fixed_acc < float_acc
