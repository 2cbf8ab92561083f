"""--dse on imported networks: the design it writes is valid IR computing the same function."""

import numpy as np
import pytest
from torch_mlir import ir

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf.diagnostics import Diagnostics
from fpga_sdf.frontend import zoo
from fpga_sdf.frontend.importer import import_model
from fpga_sdf.interp.executor import execute
from fpga_sdf.pass_registry import lookup


def run_pass(module, name, **options):
    with sdf_ir.context(), ir.Location.unknown():
        diag = Diagnostics()
        lookup(name)(**options).run(module, diag)
        assert not diag.errors
        sdf_ir.verify(module)


def test_dse_cuts_an_imported_network_and_keeps_its_function():
    model, example = zoo.build("tiny_resnet")
    module = import_model(model, example)
    x = np.random.default_rng(0).standard_normal((2, *example.shape[1:])).astype(np.float32)
    before = execute(module, [x])[0]
    # A small slice of a small board: the network has to be cut into partitions.
    run_pass(module, "dse", platform="zedboard", budget=0.12, batch=8)
    assert len(network.partitions(module)) > 1
    text = sdf_ir.to_text(module)
    reparsed = sdf_ir.parse(text, "design.mlir")  # what fpga-opt -o writes parses back
    np.testing.assert_array_equal(execute(reparsed, [x])[0], before)
    # Every layer carries the folding the search chose, and it is legal by construction
    # (the verifier asks the model on every parse).
    for _, op in network.named_layers(reparsed):
        assert "coarse_in" in op.operation.attributes


def _residual_block(channels: int = 128) -> str:
    """A ResNet basic block whose two 3x3 convs (147456 weights each, 2.4 Mb at 16 bits)
    do not fit a Zedboard's 5 Mb of BRAM together."""
    t, w, b = (f"tensor<1x{channels}x8x8xf32>", f"tensor<{channels}x{channels}x3x3xf32>", f"tensor<{channels}xf32>")
    return f'''
func.func @block(%x: {t}) -> {t} {{
  %w1 = "sdf.weights"() {{value = dense<0.01> : {w}}} : () -> {w}
  %w2 = "sdf.weights"() {{value = dense<-0.01> : {w}}} : () -> {w}
  %b = "sdf.weights"() {{value = dense<0.1> : {b}}} : () -> {b}
  %s:2 = "sdf.split"(%x) {{name = "fork"}} : ({t}) -> ({t}, {t})
  %c1 = "sdf.conv"(%s#0, %w1, %b) {{name = "conv1", pad = array<i64: 1, 1, 1, 1>}} : ({t}, {w}, {b}) -> {t}
  %r1 = "sdf.activation"(%c1) {{kind = "relu", name = "relu1"}} : ({t}) -> {t}
  %c2 = "sdf.conv"(%r1, %w2, %b) {{name = "conv2", pad = array<i64: 1, 1, 1, 1>}} : ({t}, {w}, {b}) -> {t}
  %e = "sdf.eltwise"(%c2, %s#1) {{mode = "add", name = "add"}} : ({t}, {t}) -> {t}
  %r = "sdf.activation"(%e) {{kind = "relu", name = "relu2"}} : ({t}) -> {t}
  return %r : {t}
}}'''


def test_dse_cuts_inside_a_residual_block_and_the_design_round_trips():
    from fpga_sdf.model import network_performance
    from fpga_sdf.model.platforms import load_platform
    from fpga_sdf.partitioning import unpartition

    with sdf_ir.context():
        module = sdf_ir.parse(_residual_block(), "block.mlir")
        x = np.random.default_rng(1).standard_normal((2, 128, 8, 8)).astype(np.float32)
        before = execute(module, [x])[0]
        run_pass(module, "dse", platform="zedboard", batch=16)
        parts = network.partitions(module)
        # the cut is after conv1: its output and the skip tensor leave the first partition
        assert [(len(p.operation.operands), len(p.operation.results)) for p in parts] == [(1, 2), (2, 1)]
        first = [network.layer_name(op, 0) for op in parts[0].operation.regions[0].blocks[0].operations
                 if op.operation.name != "sdf.yield"]
        assert first == ["fork", "conv1"]
        text = sdf_ir.to_text(module)
        reparsed = sdf_ir.parse(text, "design.mlir")
        assert sdf_ir.to_text(reparsed) == text  # hand-editable text, printed back unchanged
        # the model reads back the design the DSE costed: the same partitions, the same time
        board = load_platform("zedboard")
        again = network_performance(network.model_partitions(reparsed), board, board.clock_mhz, 16)
        ours = network_performance(network.model_partitions(module), board, board.clock_mhz, 16)
        assert again == ours and len(again.partitions) == 2
        assert [d for _, d, _ in again.partitions[0].offchip_tensors] == ["in", "out", "out"]
        # it computes the same function, partitioned and inlined back
        np.testing.assert_array_equal(execute(reparsed, [x])[0], before)
        unpartition(reparsed)
        np.testing.assert_array_equal(execute(reparsed, [x])[0], before)
        # without cuts inside blocks (what the backends emit today) the block stays whole and
        # its convs fit only by streaming weights from off-chip memory, a slower design
        whole = sdf_ir.parse(_residual_block(), "block.mlir")
        run_pass(whole, "dse", platform="zedboard", batch=16, block_cuts=False)
        assert all((len(p.operation.operands), len(p.operation.results)) == (1, 1) for p in network.partitions(whole))
        slower = network_performance(network.model_partitions(whole), board, board.clock_mhz, 16)
        assert slower.fps < ours.fps


def test_executor_runs_a_block_cut_in_the_middle_bit_exactly():
    with sdf_ir.context():
        module = sdf_ir.parse(_residual_block(8), "block.mlir")
        run_pass(module, "sdf-quantize")
        x = np.random.default_rng(2).standard_normal((2, 8, 8, 8)).astype(np.float32)
        flat = execute(module, [x], "fixed")[0]
        run_pass(module, "sdf-partition", cuts="conv1")
        assert [len(p.operation.results) for p in network.partitions(module)] == [2, 1]
        np.testing.assert_array_equal(execute(module, [x], "fixed")[0], flat)


def _bottleneck_block(wide: int = 512, narrow: int = 128) -> str:
    """A bottleneck block (wide -> narrow 1x1, 3x3, narrow -> wide 1x1, identity skip) whose
    convs (4.4 Mb of weights at 16 bits) do not fit a Zedboard's BRAM together."""
    t, m = f"tensor<1x{wide}x8x8xf32>", f"tensor<1x{narrow}x8x8xf32>"
    w1, w2, w3 = (f"tensor<{narrow}x{wide}x1x1xf32>", f"tensor<{narrow}x{narrow}x3x3xf32>",
                  f"tensor<{wide}x{narrow}x1x1xf32>")
    bn, bw = f"tensor<{narrow}xf32>", f"tensor<{wide}xf32>"
    return f'''
func.func @bottleneck(%x: {t}) -> {t} {{
  %w1 = "sdf.weights"() {{value = dense<0.01> : {w1}}} : () -> {w1}
  %w2 = "sdf.weights"() {{value = dense<-0.01> : {w2}}} : () -> {w2}
  %w3 = "sdf.weights"() {{value = dense<0.02> : {w3}}} : () -> {w3}
  %bn = "sdf.weights"() {{value = dense<0.1> : {bn}}} : () -> {bn}
  %bw = "sdf.weights"() {{value = dense<0.1> : {bw}}} : () -> {bw}
  %s:2 = "sdf.split"(%x) {{name = "fork"}} : ({t}) -> ({t}, {t})
  %c1 = "sdf.conv"(%s#0, %w1, %bn) {{name = "conv1"}} : ({t}, {w1}, {bn}) -> {m}
  %r1 = "sdf.activation"(%c1) {{kind = "relu", name = "relu1"}} : ({m}) -> {m}
  %c2 = "sdf.conv"(%r1, %w2, %bn) {{name = "conv2", pad = array<i64: 1, 1, 1, 1>}} : ({m}, {w2}, {bn}) -> {m}
  %r2 = "sdf.activation"(%c2) {{kind = "relu", name = "relu2"}} : ({m}) -> {m}
  %c3 = "sdf.conv"(%r2, %w3, %bw) {{name = "conv3"}} : ({m}, {w3}, {bw}) -> {t}
  %e = "sdf.eltwise"(%c3, %s#1) {{mode = "add", name = "add"}} : ({t}, {t}) -> {t}
  %r = "sdf.activation"(%e) {{kind = "relu", name = "relu3"}} : ({t}) -> {t}
  return %r : {t}
}}'''


def test_dse_cuts_inside_a_bottleneck_where_the_crossing_tensors_differ_in_shape():
    from fpga_sdf.model import network_performance
    from fpga_sdf.model.platforms import load_platform

    with sdf_ir.context():
        module = sdf_ir.parse(_bottleneck_block(), "bottleneck.mlir")
        x = np.random.default_rng(4).standard_normal((2, 512, 8, 8)).astype(np.float32)
        before = execute(module, [x])[0]
        # batch 32: at 16 one partition streaming conv1 and conv2 (AutoWS fragments) is cheaper than any cut
        run_pass(module, "dse", platform="zedboard", batch=32)
        first, second = network.partitions(module)
        # the cut is after conv2: the skip (512 channels) and the main stream (128) cross
        assert [str(r.type) for r in first.operation.results] == ["tensor<1x512x8x8xf32>", "tensor<1x128x8x8xf32>"]
        assert list(first.operation.attributes["resultSegmentSizes"]) == [1, 1, 0, 0]
        reparsed = sdf_ir.parse(sdf_ir.to_text(module), "design.mlir")
        board = load_platform("zedboard")
        # the model reads back the design the DSE costed
        assert (network_performance(network.model_partitions(reparsed), board, board.clock_mhz, 32) ==
                network_performance(network.model_partitions(module), board, board.clock_mhz, 32))
        np.testing.assert_array_equal(execute(reparsed, [x])[0], before)
