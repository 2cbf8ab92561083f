"""The sdf dialect from Python: building ops, reading attributes, the verifier."""

import pytest
from torch_mlir import ir

from fpga_sdf import ir as sdf_ir
from fpga_sdf.diagnostics import UserError
from fpga_sdf.dialects import sdf, sdf_shapes
from fpga_sdf.dialects.sdf_attrs import get_int, get_ints, set_int, shape

CONV = """
func.func @f(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %0 = "sdf.conv"(%x, %w, %b) {stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}
"""


def test_parsed_ops_are_our_classes_with_defaults():
    module = sdf_ir.parse(CONV, "conv.mlir")
    (conv,) = sdf_ir.walk(module, "sdf.conv")
    assert isinstance(conv, sdf.ConvOp)
    assert get_ints(conv, "stride") == (2, 2)
    assert get_ints(conv, "dilation", (1, 1)) == (1, 1)
    assert get_int(conv, "groups", 1) == 1
    assert shape(conv.operation.results[0]) == (1, 8, 4, 4)


def test_setting_an_illegal_attribute_is_caught_by_verify():
    module = sdf_ir.parse(CONV, "conv.mlir")
    (conv,) = sdf_ir.walk(module, "sdf.conv")
    set_int(conv, "coarse_out", 0)
    with pytest.raises(UserError) as err:
        sdf_ir.verify(module)
    (diag,) = err.value.diagnostics
    assert (diag.file, diag.line) == ("conv.mlir", 3)
    assert "attribute 'coarse_out' must be at least 1" in diag.message


def test_build_ops_from_python():
    with sdf_ir.context(), ir.Location.file("net.py", 10, 4):
        module = ir.Module.create()
        t_in = ir.RankedTensorType.get([1, 4, 8, 8], ir.F32Type.get())
        t_out = ir.RankedTensorType.get([1, 4, 4, 4], ir.F32Type.get())
        from torch_mlir.dialects import func

        with ir.InsertionPoint(module.body):
            f = func.FuncOp("g", ir.FunctionType.get([t_in], [t_out]))
            block = f.add_entry_block()
            with ir.InsertionPoint(block):
                pool = sdf.PoolOp(input=block.arguments[0], output=t_out)
                pool.operation.attributes["mode"] = ir.StringAttr.get("max")
                pool.operation.attributes["kernel"] = ir.DenseI64ArrayAttr.get([2, 2])
                func.ReturnOp([pool.result])
        assert module.operation.verify()
        text = sdf_ir.to_text(module)
        assert '"sdf.pool"(%arg0) {kernel = array<i64: 2, 2>, mode = "max"}' in text
        reparsed = sdf_ir.parse(text, "again.mlir")
        assert sdf_ir.to_text(reparsed) == text


def test_fixed_attribute_round_trip():
    with sdf_ir.context():
        attr = sdf.fixed(16, 10)
        assert str(attr) == "#sdf.fixed<16 : i64, 10 : i64>"
        assert sdf.fixed_value(attr) == (16, 10)


@pytest.mark.parametrize("size, kernel, stride, pads, dilation, expected", [
    (8, 3, 1, (0, 0), 1, 6),
    (8, 3, 1, (1, 1), 1, 8),
    (9, 3, 2, (2, 1), 2, 4),   # extent 5 over 12 padded positions, stride 2
    (7, 2, 2, (0, 1), 1, 4),   # ceil-mode pooling expressed as one extra end pad
])
def test_sliding_output_sizes(size, kernel, stride, pads, dilation, expected):
    assert sdf_shapes.sliding_output(size, kernel, stride, *pads, dilation) == expected


BLOCK = """
func.func @f(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %s:2 = "sdf.split"(%x) {name = "fork"} : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
  %c = "sdf.conv"(%s#0, %w, %b) {name = "conv", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %e = "sdf.eltwise"(%c, %s#1) {name = "add", mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %e : tensor<1x4x8x8xf32>
}
"""


def test_partition_with_several_streams_from_python():
    from fpga_sdf.network import functions
    from fpga_sdf.partitioning import apply_cuts, cut_points, unpartition

    module = sdf_ir.parse(BLOCK, "block.mlir")
    (func,) = functions(module)
    assert cut_points(func) == [0, 1]
    with module.context:
        apply_cuts(module, [1])
    sdf_ir.verify(module)
    first, second = sdf_ir.walk(module, "sdf.partition")
    assert isinstance(first, sdf.PartitionOp)
    assert (len(first.operation.operands), len(first.operation.results)) == (1, 2)
    assert (len(second.operation.operands), len(second.operation.results)) == (2, 1)
    # one type: every tensor in the first operand group
    assert list(first.operation.attributes["resultSegmentSizes"]) == [2, 0, 0, 0]
    assert list(second.operation.attributes["operandSegmentSizes"]) == [2, 0, 0, 0]
    # results in program order (the skip copy, fork result #1, then the conv's); inputs in
    # order of first use (the add reads the conv's result first)
    (add,) = sdf_ir.walk(module, "sdf.eltwise")
    body = second.operation.regions[0].blocks[0]
    assert list(add.operation.operands) == list(body.arguments)
    assert list(second.operation.operands) == [first.operation.results[1], first.operation.results[0]]
    with module.context:
        unpartition(module)
    sdf_ir.verify(module)
    assert not sdf_ir.walk(module, "sdf.partition")
    with pytest.raises(UserError, match="cannot cut after stage 2"):
        with module.context:
            apply_cuts(module, [2])


DOWNSAMPLE = """
func.func @f(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x1x1xf32>, %b: tensor<8xf32>, %w2: tensor<8x4x1x1xf32>, %b2: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %s:2 = "sdf.split"(%x) {name = "fork"} : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
  %p = "sdf.conv"(%s#0, %w2, %b2) {name = "projection", stride = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %c = "sdf.conv"(%s#1, %w, %b) {name = "conv", stride = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<8x4x1x1xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %e = "sdf.eltwise"(%c, %p) {name = "add", mode = "add"} : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %e : tensor<1x8x4x4xf32>
}
"""


def test_a_cut_between_a_projection_and_its_conv_puts_each_shape_in_its_own_group():
    # After the projection, the projected skip (8 x 4x4) and the fork's copy (4 x 8x8) are
    # the first partition's results: two types, so two operand groups (IRDL binds one type
    # per group). The printed form parses back to the same text (hand-editable).
    from fpga_sdf.partitioning import apply_cuts, unpartition

    module = sdf_ir.parse(DOWNSAMPLE, "down.mlir")
    flat = sdf_ir.to_text(module)
    with module.context:
        apply_cuts(module, [1])
    sdf_ir.verify(module)
    first, second = sdf_ir.walk(module, "sdf.partition")
    # results in program order: the fork's copy (4 x 8x8), then the projection (8 x 4x4)
    assert [str(r.type) for r in first.operation.results] == ["tensor<1x4x8x8xf32>", "tensor<1x8x4x4xf32>"]
    assert list(first.operation.attributes["resultSegmentSizes"]) == [1, 1, 0, 0]
    (yield_op,) = sdf_ir.walk(module, "sdf.yield")[:1]
    assert list(yield_op.operation.attributes["operandSegmentSizes"]) == [1, 1, 0, 0]
    # the second partition reads the fork's copy first (the conv), then the skip (the add)
    assert list(second.operation.operands) == list(first.operation.results)
    assert list(second.operation.attributes["operandSegmentSizes"]) == [1, 1, 0, 0]
    text = sdf_ir.to_text(module)
    assert sdf_ir.to_text(sdf_ir.parse(text, "cut.mlir")) == text
    with module.context:
        unpartition(module)
    assert sdf_ir.to_text(module) == flat
