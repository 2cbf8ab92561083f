"""Sparsity statistics (PASS eqs. 5-6) against naive loops and hand-computed series, and the
--sdf-sparsity pass end to end through the Python API."""

import itertools

import numpy as np
import pytest

import fpga_sdf
from fpga_sdf.diagnostics import UserError
from fpga_sdf.sparsity import back_pressure, read_rho, stream_series, window_sparsity


def naive_window_sparsity(x, kernel, stride, pad, dilation):
    n, c, h, w = x.shape
    padded = np.zeros((n, c, h + pad[0] + pad[2], w + pad[1] + pad[3]))
    padded[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w] = x
    padded_zero = np.ones_like(padded, bool)
    padded_zero[:, :, pad[0]:pad[0] + h, pad[1]:pad[1] + w] = x == 0
    oh = (padded.shape[2] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (padded.shape[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    out = np.zeros((n, c, oh, ow))
    for b, ch, i, j in itertools.product(range(n), range(c), range(oh), range(ow)):
        zeros = sum(padded_zero[b, ch, i * stride[0] + ki * dilation[0], j * stride[1] + kj * dilation[1]]
                    for ki in range(kernel[0]) for kj in range(kernel[1]))
        out[b, ch, i, j] = zeros / (kernel[0] * kernel[1])
    return out


def test_window_sparsity_matches_loops():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 6)) * (rng.random((2, 3, 7, 6)) > 0.6)
    for kernel, stride, pad, dilation in [((3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
                                          ((3, 2), (2, 1), (0, 1, 2, 0), (2, 1))]:
        got = window_sparsity(x, kernel, stride, pad, dilation)
        assert np.allclose(got, naive_window_sparsity(x, kernel, stride, pad, dilation))


def test_streams_carry_their_channels_pixel_by_pixel():
    # s[n, c, p] = 100 n + 10 c + p; coarse_in 2: stream 0 carries channels 0 and 2
    s = np.array([[[100 * n + 10 * c + p for p in range(2)] for c in range(4)] for n in range(2)], float)
    series = stream_series(s, groups=1, coarse_in=2, coarse_group=1)
    assert series[0].tolist() == [0, 20, 1, 21, 100, 120, 101, 121]
    assert series[1].tolist() == [10, 30, 11, 31, 110, 130, 111, 131]
    # depthwise (4 groups of 1 channel), coarse_group 2: stream 1 carries groups 1 and 3
    assert stream_series(s, groups=4, coarse_in=1, coarse_group=2)[1].tolist() == [10, 30, 11, 31, 110, 130, 111, 131]


def test_back_pressure_by_hand():
    # Alternating streams balance within two windows: rho_1 = 1, rho_2 = rho_4 = 0.
    alternating = np.array([[1, 0, 1, 0], [0, 1, 0, 1]], float)
    assert back_pressure(alternating, (1, 2, 4)) == pytest.approx([1, 0, 0])
    # Runs of two: w = 2 windows are [1, .5, 0] and [0, .5, 1] -> spreads 1, 0, 1 -> 2/3.
    runs = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], float)
    assert back_pressure(runs, (1, 2, 4)) == pytest.approx([1, 2 / 3, 0])
    # Streams that differ by a constant (0.2 against 0.7) never push back.
    assert back_pressure(np.array([[0.2] * 5, [0.7] * 5]), (1, 2)) == pytest.approx([0, 0])


NET = """
func.func @net(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32> {
  %w = "sdf.weights"() {value = dense<0.5> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %r = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %p = "sdf.pool"(%r) {mode = "max", kernel = array<i64: 2, 2>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x2x2xf32>
  %y = "sdf.conv"(%p, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x2x2xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}
"""


def conv_of(module):
    from fpga_sdf import network

    return [op for op in network.layers(module) if op.operation.name == "sdf.conv"][0]


def test_measured_statistics_through_the_pass(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4, 4, 4)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    module = fpga_sdf.parse(NET)
    fpga_sdf.run_pass(module, "sdf-sparsity", data=str(tmp_path / "x.npy"))
    # the oracle: max pool of the ReLU by hand, then the naive window count
    pooled = np.maximum(x, 0).reshape(3, 4, 2, 2, 2, 2).max(axis=(3, 5))
    s = naive_window_sparsity(pooled, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    from fpga_sdf.dialects.sdf_attrs import get_floats

    op = conv_of(module)
    assert get_floats(op, "sparsity") == pytest.approx(s.mean(axis=(0, 2, 3)), abs=5e-5)
    assert get_floats(op, "sparsity_std") == pytest.approx(s.std(axis=(0, 2, 3)), abs=5e-5)
    windows, rho = read_rho(op)
    assert set(rho) == {"2x1", "4x1"}  # every legal split of 4 channels over streams
    series = s.transpose(0, 2, 3, 1).reshape(-1, 4).T  # 4 streams: one channel each
    assert rho["4x1"] == pytest.approx(back_pressure(series, windows), abs=5e-5)


def test_profile_needs_a_conv_after_relu():
    module = fpga_sdf.parse(NET.replace('mode = "max"', 'mode = "avg"'))  # averages keep few zeros
    with pytest.raises(UserError, match="no convolution reads a ReLU output"):
        fpga_sdf.run_pass(module, "sdf-sparsity", profile=0.5)
    module = fpga_sdf.parse(NET)
    fpga_sdf.run_pass(module, "sdf-sparsity", profile=0.5)
    from fpga_sdf.dialects.sdf_attrs import get_floats, get_str

    assert get_floats(conv_of(module), "sparsity") == (0.5,) * 4
    assert get_str(conv_of(module), "sparsity_source") == "assumed"


def test_partitioned_network_measures_like_the_flat_one(tmp_path):
    from fpga_sdf import network
    from fpga_sdf.frontend import zoo
    from fpga_sdf.frontend.importer import import_model

    model, example = zoo.build("tiny_resnet")
    np.save(tmp_path / "x.npy", np.random.default_rng(0).standard_normal((2, *example.shape[1:])).astype(np.float32))
    flat, cut = import_model(model, example), import_model(model, example)
    fpga_sdf.run_pass(cut, "dse", platform="zedboard", budget=0.12, batch=8)
    assert len(network.partitions(cut)) > 1
    for module in (flat, cut):
        fpga_sdf.run_pass(module, "sdf-sparsity", data=str(tmp_path / "x.npy"))

    def stats(module):
        return {n: network.layer_spec(n, op).sparsity for n, op in network.named_layers(module)}

    assert stats(flat) == stats(cut) and all(stats(flat)[n] for n, op in network.named_layers(flat)
                                               if op.operation.name == "sdf.conv")
