"""The fixed-point executor runs partitions cut inside a bottleneck block bit-exactly: the
tensors crossing a cut differ in shape (main stream, projected skip), so they sit in
different operand groups of the partition; the oracle is the same module unpartitioned."""

import json

import numpy as np
import pytest
from torch_mlir import ir

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf.diagnostics import Diagnostics
from fpga_sdf.interp.executor import execute
from fpga_sdf.partitioning import apply_cuts, cut_points
from fpga_sdf.pass_registry import lookup


def _dense(rng, shape) -> str:
    values = json.dumps(np.round(rng.uniform(-0.5, 0.5, shape), 4).tolist())
    t = "x".join(map(str, shape))
    return f'"sdf.weights"() {{value = dense<{values}> : tensor<{t}xf32>}} : () -> tensor<{t}xf32>'


def _bottleneck() -> str:
    """A downsampling bottleneck block: projection 1x1/2 from 8 to 16 channels; main 1x1 to 4
    channels, 3x3/2, 1x1 to 16; add; relu. Weights are random (fixed seed)."""
    rng = np.random.default_rng(7)
    ws = {name: _dense(rng, shape) for name, shape in
          (("wp", (16, 8, 1, 1)), ("w1", (4, 8, 1, 1)), ("w2", (4, 4, 3, 3)), ("w3", (16, 4, 1, 1)),
           ("b4", (4,)), ("b16", (16,)))}
    x, m, h, o = "tensor<1x8x8x8xf32>", "tensor<1x4x8x8xf32>", "tensor<1x4x4x4xf32>", "tensor<1x16x4x4xf32>"
    weights = "\n".join(f"  %{name} = {text}" for name, text in ws.items())
    return f'''
func.func @bottleneck(%x: {x}) -> {o} {{
{weights}
  %s:2 = "sdf.split"(%x) {{name = "fork"}} : ({x}) -> ({x}, {x})
  %p = "sdf.conv"(%s#1, %wp, %b16) {{name = "proj", stride = array<i64: 2, 2>}} : ({x}, tensor<16x8x1x1xf32>, tensor<16xf32>) -> {o}
  %c1 = "sdf.conv"(%s#0, %w1, %b4) {{name = "conv1"}} : ({x}, tensor<4x8x1x1xf32>, tensor<4xf32>) -> {m}
  %r1 = "sdf.activation"(%c1) {{kind = "relu", name = "relu1"}} : ({m}) -> {m}
  %c2 = "sdf.conv"(%r1, %w2, %b4) {{name = "conv2", pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>}} : ({m}, tensor<4x4x3x3xf32>, tensor<4xf32>) -> {h}
  %r2 = "sdf.activation"(%c2) {{kind = "relu", name = "relu2"}} : ({h}) -> {h}
  %c3 = "sdf.conv"(%r2, %w3, %b16) {{name = "conv3"}} : ({h}, tensor<16x4x1x1xf32>, tensor<16xf32>) -> {o}
  %e = "sdf.eltwise"(%c3, %p) {{mode = "add", name = "add"}} : ({o}, {o}) -> {o}
  %r = "sdf.activation"(%e) {{kind = "relu", name = "relu3"}} : ({o}) -> {o}
  return %r : {o}
}}'''


def _quantized():
    module = sdf_ir.parse(_bottleneck(), "bottleneck.mlir")
    with sdf_ir.context(), ir.Location.unknown():
        diag = Diagnostics()
        lookup("sdf-quantize")().run(module, diag)
        assert not diag.errors
    return module


def _groups(partition) -> list[int]:
    return [list(partition.operation.attributes[a]) for a in ("operandSegmentSizes", "resultSegmentSizes")]


X = np.random.default_rng(3).standard_normal((2, 8, 8, 8)).astype(np.float32)


@pytest.mark.parametrize("cuts", [[2], [3], [1, 3], [0, 3, 5], [1, 2, 3, 4, 5]])
def test_a_bottleneck_cut_inside_runs_bit_exactly(cuts):
    # stages: 0 fork, 1 proj, 2 conv1, 3 relu1, 4 conv2, 5 relu2, 6 conv3, 7 add, 8 relu3
    with sdf_ir.context():
        module = _quantized()
        flat = execute(module, [X], "fixed")[0]
        (func,) = network.functions(module)
        assert max(cuts) in cut_points(func)
        with module.context:
            apply_cuts(module, cuts)
        sdf_ir.verify(module)
        parts = network.partitions(module)
        assert len(parts) == len(cuts) + 1
        # the last partition reads the main stream (4 channels) and the projected skip (16 x
        # 4x4), written one or more partitions before: two groups of one type each
        assert sum(1 for n in _groups(parts[-1])[0] if n) == 2
        np.testing.assert_array_equal(execute(module, [X], "fixed")[0], flat)
        reparsed = sdf_ir.parse(sdf_ir.to_text(module), "cut.mlir")  # the text fpga-opt writes
        np.testing.assert_array_equal(execute(reparsed, [X], "fixed")[0], flat)


def test_the_cut_after_relu1_writes_the_skip_and_the_main_stream_in_two_groups():
    with sdf_ir.context():
        module = _quantized()
        with module.context:
            apply_cuts(module, [3])
        first, second = network.partitions(module)
        assert [str(r.type) for r in first.operation.results] == ["tensor<1x16x4x4xf32>", "tensor<1x4x8x8xf32>"]
        assert _groups(first) == [[1, 0, 0, 0], [1, 1, 0, 0]]
        # the second partition reads the main stream first (conv2), the skip last (add)
        assert list(second.operation.operands) == [first.operation.results[1], first.operation.results[0]]
        assert _groups(second) == [[1, 1, 0, 0], [1, 0, 0, 0]]
