"""The `sdf_hw` dialect: the module level of a streaming dataflow accelerator.

`--sdf-expand-modules` lowers every layer op of `sdf` to the hardware modules the model
costs (fpga_sdf.model.modules.expand): one op per module *instance*, so the folding is
visible as parallel ops (coarse_in = 4 gives four `sdf_hw.sliding_window` ops). Ops are
joined by `!sdf_hw.stream<format, lanes>` values: one stream carries words of `format`
(an `#sdf.fixed`, or `f32` before quantization), `lanes` values per word (a window of K taps,
a vector of `fine` weights). Feature maps enter and leave a partition as tensors through
`sdf_hw.dma_in` / `sdf_hw.dma_out`; parameters stay `sdf.weights` tensors read by
`sdf_hw.weights_memory`, `sdf_hw.bias` and `sdf_hw.scale_shift`. See
`dialects/SdfHwRationale.md`.
"""

from collections.abc import Sequence
from typing import Any

from torch_mlir import ir
from torch_mlir.dialects import ext

from .irdl_loading import load_without_cse

Tensor = ir.RankedTensorType


class SdfHwDialect(ext.Dialect, name="sdf_hw"):
    """The dialect object; `load()` registers it in the current context."""

    @classmethod
    def load(cls) -> None:
        load_without_cse(cls)  # an op's input and output streams may differ (see irdl_loading)


def load(context: ir.Context) -> None:
    """Register `sdf_hw` in `context` unless it already is."""
    with context:
        if not context.is_dialect_loaded(SdfHwDialect.DIALECT_NAMESPACE):
            SdfHwDialect.load()


class StreamType(SdfHwDialect.Type, name="stream"):
    """`!sdf_hw.stream<format, lanes>`: one hardware stream of `lanes`-value words."""

    format: Any
    lanes: Any


def stream(fmt: ir.Attribute, lanes: int) -> StreamType:
    i64 = ir.IntegerType.get_signless(64)
    return StreamType.get(fmt, ir.IntegerAttr.get(i64, int(lanes)))


Stream = StreamType

# ---------------------------------------------------------------------------------------
# Module ops: one per instance. Every op carries `layer` (the layer it implements) and
# `instance` (its index among that layer's instances of the same module), and the model's
# figures for one instance: `words_in`, `words_out` per frame.
# ---------------------------------------------------------------------------------------


class DmaInOp(SdfHwDialect.Operation, name="dma_in"):
    """A feature map from memory onto N parallel streams (word i on stream i % N)."""

    input: ext.Operand[Tensor]
    outputs: Sequence[ext.Result[Stream]]


class DmaOutOp(SdfHwDialect.Operation, name="dma_out"):
    """N parallel streams back into a feature map in memory."""

    inputs: Sequence[ext.Operand[Stream]]
    output: ext.Result[Tensor]


class SqueezeOp(SdfHwDialect.Operation, name="squeeze"):
    """Re-streams a map from N to M parallel streams (between layers of unequal coarse)."""

    inputs: Sequence[ext.Operand[Stream]]
    outputs: Sequence[ext.Result[Stream]]


class SlidingWindowOp(SdfHwDialect.Operation, name="sliding_window"):
    """Line/window buffers: pixels in, one window (lanes = kernel volume) per position out."""

    input: ext.Operand[Stream]
    output: ext.Result[Stream]


class SparseBufferOp(SdfHwDialect.Operation, name="sparse_buffer"):
    """PASS: a FIFO of windows in front of the sparse engines of one input stream."""

    input: ext.Operand[Stream]
    output: ext.Result[Stream]


class ForkOp(SdfHwDialect.Operation, name="fork"):
    """Copies each window to coarse_out MAC units."""

    input: ext.Operand[Stream]
    outputs: Sequence[ext.Result[Stream]]


class WeightsMemoryOp(SdfHwDialect.Operation, name="weights_memory"):
    """The weights ROM of one MAC unit: streams `fine`-value weight vectors (the sparse
    engine: one K-value vector per dot product)."""

    weights: ext.Operand[Tensor]
    output: ext.Result[Stream]


class ConvOp(SdfHwDialect.Operation, name="conv"):
    """Vector dot product of a window and a weight vector (`fine` multipliers); a unit pair
    (model.dsp.pairs_units) takes two weights streams and gives two results, the dot products
    of the one window with each unit's weights. A 1x1 conv's op takes the windows of its
    coarse_in streams and adds their units' dot products (model.dsp.sums_coarse_in): `inputs`
    are the windows, `weights` the weights streams (per window, one per result)."""

    inputs: Sequence[ext.Operand[Stream]]
    weights: Sequence[ext.Operand[Stream]]
    outputs: Sequence[ext.Result[Stream]]


class AccumOp(SdfHwDialect.Operation, name="accum"):
    """Accumulates partial dot products over the channels of one input stream."""

    input: ext.Operand[Stream]
    output: ext.Result[Stream]


class GlueOp(SdfHwDialect.Operation, name="glue"):
    """Adds the partial sums of the coarse_in input streams of one filter stream."""

    inputs: Sequence[ext.Operand[Stream]]
    output: ext.Result[Stream]


class BiasOp(SdfHwDialect.Operation, name="bias"):
    """Adds the bias and converts the accumulator to the output format."""

    input: ext.Operand[Stream]
    bias: ext.Operand[Tensor]
    output: ext.Result[Stream]


class PoolOp(SdfHwDialect.Operation, name="pool"):
    """Max / average of one window."""

    input: ext.Operand[Stream]
    output: ext.Result[Stream]


class GlobalPoolOp(SdfHwDialect.Operation, name="global_pool"):
    """Max / average over all positions of the channels of one stream."""

    input: ext.Operand[Stream]
    output: ext.Result[Stream]


class ActivationOp(SdfHwDialect.Operation, name="activation"):
    """Point-wise non-linearity (`kind`)."""

    input: ext.Operand[Stream]
    output: ext.Result[Stream]


class ScaleShiftOp(SdfHwDialect.Operation, name="scale_shift"):
    """Per-channel affine of one stream."""

    input: ext.Operand[Stream]
    scale: ext.Operand[Tensor]
    shift: ext.Operand[Tensor]
    output: ext.Result[Stream]


class EltwiseOp(SdfHwDialect.Operation, name="eltwise"):
    """Element-wise add / mul of two streams (`broadcast`: rhs holds one value per channel)."""

    lhs: ext.Operand[Stream]
    rhs: ext.Operand[Stream]
    output: ext.Result[Stream]


class ConcatOp(SdfHwDialect.Operation, name="concat"):
    """Channel concatenation of two streams (one lane of each input)."""

    lhs: ext.Operand[Stream]
    rhs: ext.Operand[Stream]
    output: ext.Result[Stream]


class SplitOp(SdfHwDialect.Operation, name="split"):
    """Copies one stream to several consumers."""

    input: ext.Operand[Stream]
    outputs: Sequence[ext.Result[Stream]]


class ResizeOp(SdfHwDialect.Operation, name="resize"):
    """Nearest-neighbour upsampling of one stream."""

    input: ext.Operand[Stream]
    output: ext.Result[Stream]


__all__ = [name for name in dir() if name.endswith("Op")] + [
    "SdfHwDialect", "StreamType", "stream", "load",
]
