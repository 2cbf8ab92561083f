"""The `sdf` dialect: one op per CNN layer of a streaming dataflow accelerator.

Ops are defined with MLIR's Python-defined dialects (IRDL underneath), so MLIR parses them
and checks operand/result counts and kinds. The semantic checks IRDL cannot express (shapes,
attribute values, folding legality) live in `verify_invariants`, which MLIR calls as part of
its own verifier; they report at the op's location. See `dialects/SdfRationale.md`.
"""


from collections.abc import Sequence

from torch_mlir import ir
from torch_mlir.dialects import ext

from . import sdf_shapes as shapes
from .irdl_loading import load_without_cse

Tensor = ir.RankedTensorType


class SdfDialect(ext.Dialect, name="sdf"):
    """The dialect object; `load()` registers it in the current context."""

    @classmethod
    def load(cls) -> None:
        load_without_cse(cls)  # one IRDL constraint variable per operand (see irdl_loading)


def load(context: ir.Context) -> None:
    """Register `sdf` in `context` unless it already is."""
    with context:
        if not context.is_dialect_loaded(SdfDialect.DIALECT_NAMESPACE):
            SdfDialect.load()


class FixedAttr(SdfDialect.Attribute, name="fixed"):
    """`#sdf.fixed<width, frac>`: a signed fixed-point format (value = int * 2^-frac)."""

    width: ir.IntegerAttr
    frac: ir.IntegerAttr


def fixed(width: int, frac: int) -> FixedAttr:
    i64 = ir.IntegerType.get_signless(64)
    return FixedAttr.get(ir.IntegerAttr.get(i64, width), ir.IntegerAttr.get(i64, frac))


def fixed_value(attr: ir.Attribute) -> tuple[int, int]:
    """(width, frac) of a `#sdf.fixed` attribute."""
    attr = FixedAttr(attr)
    return ir.IntegerAttr(attr.width).value, ir.IntegerAttr(attr.frac).value


class LayerOp(SdfDialect.Operation):
    """Base of every sdf op: runs the semantic verifier of `sdf_verify`.

    A Python exception inside a verifier would escape as a traceback through the parser;
    it is turned into an error at the op instead (a bug, but reported as a diagnostic).
    """

    def verify_invariants(self) -> bool:
        from .sdf_verify import verify_op  # the checks are long; they live in their own file

        try:
            problems = verify_op(self)
        except Exception as exc:  # noqa: BLE001 - a verifier bug must not become a traceback
            problems = [f"internal verifier error: {type(exc).__name__}: {exc}"]
        for message in problems:
            self.location.emit_error(f"'{self.operation.name}' op {message}")
        return not problems


# ---------------------------------------------------------------------------------------
# Layer ops. Operands and results are ranked tensors (N, C, *spatial); rank 4 is a 2D
# layer and rank 5 a 3D layer. Attributes are not declared to IRDL: the verifier checks
# them, and the optional hardware attributes (coarse_in, ...) can appear on any layer.
# ---------------------------------------------------------------------------------------


class WeightsOp(LayerOp, name="weights"):
    """Constant parameters: `value = dense<...>` inline, or `file`/`key` in a sidecar .npz."""

    output: ext.Result[Tensor]


class ConvOp(LayerOp, name="conv"):
    """N-d convolution: stride, asymmetric pad, dilation, groups; kernel from the weights."""

    input: ext.Operand[Tensor]
    weights: ext.Operand[Tensor]
    bias: ext.Operand[Tensor]
    output: ext.Result[Tensor]


class InnerProductOp(LayerOp, name="inner_product"):
    """Fully connected layer over the flattened input features."""

    input: ext.Operand[Tensor]
    weights: ext.Operand[Tensor]
    bias: ext.Operand[Tensor]
    output: ext.Result[Tensor]


class PoolOp(LayerOp, name="pool"):
    """Max or average pooling over a sliding window (2D or 3D)."""

    input: ext.Operand[Tensor]
    output: ext.Result[Tensor]


class GlobalPoolOp(LayerOp, name="global_pool"):
    """Average (or max) over all spatial positions: spatial dims become 1."""

    input: ext.Operand[Tensor]
    output: ext.Result[Tensor]


class ActivationOp(LayerOp, name="activation"):
    """Point-wise non-linearity named by `kind`."""

    input: ext.Operand[Tensor]
    output: ext.Result[Tensor]


class EltwiseOp(LayerOp, name="eltwise"):
    """Element-wise add or mul; `rhs` may broadcast over spatial dims (squeeze-excitation)."""

    lhs: ext.Operand[Tensor]
    rhs: ext.Operand[Tensor]
    output: ext.Result[Tensor]


class ConcatOp(LayerOp, name="concat"):
    """Channel concatenation of two streams (an N-way concat is a chain)."""

    lhs: ext.Operand[Tensor]
    rhs: ext.Operand[Tensor]
    output: ext.Result[Tensor]


class SplitOp(LayerOp, name="split"):
    """Fork: copies one stream to several consumers."""

    input: ext.Operand[Tensor]
    outputs: Sequence[ext.Result[Tensor]]


class ResizeOp(LayerOp, name="resize"):
    """Nearest-neighbour upsampling by integer factors per spatial dim."""

    input: ext.Operand[Tensor]
    output: ext.Result[Tensor]


class ScaleShiftOp(LayerOp, name="scale_shift"):
    """Per-channel y = x * scale + shift (a batch norm that could not be folded)."""

    input: ext.Operand[Tensor]
    scale: ext.Operand[Tensor]
    shift: ext.Operand[Tensor]
    output: ext.Result[Tensor]


TYPE_GROUPS = 4
"""Operand groups of `sdf.partition` and `sdf.yield`, one tensor type each: IRDL binds one
type to a variadic group, so tensors of different shapes (a bottleneck block's main stream
and its wider skip tensor) cross a cut in different groups (`dialects/SdfRationale.md`).
The zoo's cuts need at most three (tiny_inception's branches; ResNets two)."""


class PartitionOp(LayerOp, name="partition"):
    """One configuration of the FPGA: its region is the pipeline loaded at once. Each input
    and each result is a tensor in off-chip memory: several where a cut crosses a residual
    block (the skip tensor is one of them). Group k holds the tensors of one type
    (`operandSegmentSizes` / `resultSegmentSizes` count them); read them all, in order, as
    `op.operation.operands` and `.results`. Build one with `partitioning.partition_op`."""

    inputs0: Sequence[ext.Operand[Tensor]]
    inputs1: Sequence[ext.Operand[Tensor]]
    inputs2: Sequence[ext.Operand[Tensor]]
    inputs3: Sequence[ext.Operand[Tensor]]
    outputs0: Sequence[ext.Result[Tensor]]
    outputs1: Sequence[ext.Result[Tensor]]
    outputs2: Sequence[ext.Result[Tensor]]
    outputs3: Sequence[ext.Result[Tensor]]
    body: ext.Region


class YieldOp(LayerOp, name="yield", traits=[ir.IsTerminatorTrait]):
    """Terminates a partition body, naming the streams written back as its results (grouped
    by type like the partition's results)."""

    values0: Sequence[ext.Operand[Tensor]]
    values1: Sequence[ext.Operand[Tensor]]
    values2: Sequence[ext.Operand[Tensor]]
    values3: Sequence[ext.Operand[Tensor]]


LAYER_KINDS = {
    "sdf.conv": "conv",
    "sdf.inner_product": "inner_product",
    "sdf.pool": "pool",
    "sdf.global_pool": "global_pool",
    "sdf.activation": "activation",
    "sdf.eltwise": "eltwise",
    "sdf.concat": "concat",
    "sdf.split": "split",
    "sdf.resize": "resize",
    "sdf.scale_shift": "scale_shift",
}
"""Ops that become hardware layers, mapped to the hardware model's layer kind."""

__all__ = [name for name in dir() if name.endswith("Op")] + [
    "SdfDialect",
    "FixedAttr",
    "LAYER_KINDS",
    "TYPE_GROUPS",
    "fixed",
    "fixed_value",
    "load",
    "shapes",
]
