"""--sdf-quantize: choose a fixed-point format for every tensor of the network.

Weights get the most fractional bits their largest magnitude allows; activations likewise
from the ranges seen on calibration inputs (the float reference executor runs them); biases
sit at their accumulator's binary point; accumulators get enough bits that no input within
the input format can overflow them.
"""

import math
import re
from dataclasses import dataclass, field

import numpy as np
from torch_mlir import ir

from fpga_sdf import network
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.dialects import sdf
from fpga_sdf.dialects.sdf_attrs import set_int, shape
from fpga_sdf.arrays import load_array
from fpga_sdf.interp.executor import execute
from fpga_sdf.interp.fixed import Fixed, quantize
from fpga_sdf.layer_selection import select
from fpga_sdf.pass_registry import Pass, register
from fpga_sdf import weights as weight_store

MAC_OPS = ("sdf.conv", "sdf.inner_product", "sdf.scale_shift")
MAX_ACC_WIDTH = 64
_OVERRIDE = re.compile(r"^w(\d+)a(\d+)$")


@register
@dataclass(frozen=True)
class SdfQuantize(Pass):
    """Set fixed-point formats on every tensor from weight values and calibration ranges."""

    name = "sdf-quantize"
    weights: int = field(default=16, metadata={"help": "weight width in bits"})
    activations: int = field(default=16, metadata={"help": "activation width in bits"})
    calibration: str = field(default="", metadata={"help": ".npy calibration inputs (batch first); default: 8 N(0,1) samples"})
    layers: str = field(default="", metadata={"help": "per-layer widths, e.g. 'conv1:w8a8,fc:w16a16'"})
    seed: int = field(default=0, metadata={"help": "seed of the default calibration samples"})

    def run(self, module, diag: Diagnostics) -> None:
        for width, what in ((self.weights, "weights"), (self.activations, "activations")):
            if not 2 <= width <= 32:
                raise UserError(f"--sdf-quantize: {what}={width} is outside [2, 32] bits")
        if self.seed < 0:
            raise UserError(f"--sdf-quantize: seed must be non-negative, got {self.seed}")
        network.require_layer_level(module, self.name)
        func = network.only_function(module, self.name)
        if not _parameters_are_weights(module, diag):
            return
        overrides = self._overrides(module)
        ranges = self._calibrate(module, func, diag)
        widths = {}
        for name, op in network.named_layers(module):
            widths[op.operation] = overrides.get(name, (self.weights, self.activations))

        # Inputs, then every value-producing op in program order.
        formats: dict = {}
        largest: dict = {}  # weights value -> largest quantized magnitude
        for i, arg in enumerate(func.operation.regions[0].blocks[0].arguments):
            formats[arg] = Fixed(*format_for(ranges[arg], self.activations))
            network.set_arg_attr(func, i, "sdf.format", sdf.fixed(formats[arg].width, formats[arg].frac))
        for op in network.layers(module):
            w_bits, a_bits = widths[op.operation]
            for value in op.operation.operands:
                owner = value.owner
                if getattr(owner, "name", None) == "sdf.weights" and value not in formats:
                    formats[value] = self._weights_format(owner.opview, op, value, w_bits, formats, largest)
            out_fmt = self._output_format(op, ranges, formats, a_bits)
            for result in op.operation.results:
                formats[result] = out_fmt
            op.operation.attributes["output_format"] = sdf.fixed(out_fmt.width, out_fmt.frac)
            if op.operation.name in MAC_OPS:
                self._set_accumulator(op, formats, largest, diag)
        _propagate_partitions(module)

    # -- calibration ---------------------------------------------------------------------

    def _calibrate(self, module, func, diag: Diagnostics) -> dict:
        args = list(func.operation.regions[0].blocks[0].arguments)
        if self.calibration:
            try:
                data = load_array(self.calibration, "calibration data")
            except UserError as err:
                raise UserError(f"--sdf-quantize: {err.diagnostics[0].message}") from None
            if data.size == 0:
                raise UserError(f"--sdf-quantize: calibration data '{self.calibration}' is empty")
            inputs = [data]
        else:
            diag.warning(func, "no calibration data given: activation ranges come from 8 N(0,1) samples "
                               "(pass calibration=data.npy for real ranges)")
            rng = np.random.default_rng(self.seed)
            inputs = [rng.standard_normal((8, *shape(a)[1:])).astype(np.float32) for a in args]
        ranges: dict = {}

        def observe(value, array):
            ranges[value] = max(ranges.get(value, 0.0), float(np.max(np.abs(array))) if array.size else 0.0)

        execute(module, inputs, "float", observe=observe)
        return ranges

    # -- formats -------------------------------------------------------------------------

    def _weights_format(self, weights_op, user, value, w_bits: int, formats, largest) -> Fixed:
        """Weights take `w_bits`; a bias or shift is stored at its accumulator's binary point.

        Records the largest quantized magnitude in `largest`, which sizes the accumulator.
        """
        values = weight_store.read(weights_op)
        if user.operation.name in MAC_OPS and value == user.operation.operands[2]:
            x_fmt = formats[user.operation.operands[0]]
            scale = user.operation.operands[1]
            if scale not in formats:
                formats[scale] = self._weights_format(scale.owner.opview, user, scale, w_bits, formats, largest)
            frac = x_fmt.frac + formats[scale].frac
            q = quantize(values, Fixed(64, frac))
            fmt = Fixed(max(_bits_for_int(np.max(np.abs(q))) if q.size else 1, 2), frac)
        else:
            fmt = Fixed(*format_for(float(np.max(np.abs(values))) if values.size else 0.0, w_bits))
            q = quantize(values, fmt)
        largest[value] = int(np.max(np.abs(q))) if q.size else 0
        weights_op.operation.attributes["output_format"] = sdf.fixed(fmt.width, fmt.frac)
        return fmt

    def _output_format(self, op, ranges, formats, a_bits: int) -> Fixed:
        name = op.operation.name
        if name == "sdf.split":  # a fork copies its input unchanged
            return formats[op.operation.operands[0]]
        return Fixed(*format_for(ranges[op.operation.results[0]], a_bits))

    def _set_accumulator(self, op, formats, largest, diag: Diagnostics) -> None:
        """Worst case over every input the input format can hold, so no overflow is possible."""
        x, w, b = op.operation.operands
        bound = _fan_in(op) * (2 ** (formats[x].width - 1)) * largest[w] + largest[b]
        width = _bits_for_int(bound)
        if width > MAX_ACC_WIDTH:
            diag.error(op, f"accumulator would need {width} bits (more than {MAX_ACC_WIDTH}); use narrower formats")
            return
        set_int(op, "acc_width", width)

    def _overrides(self, module) -> dict[str, tuple[int, int]]:
        if not self.layers:
            return {}
        result = {}
        for entry in self.layers.split(","):
            name, _, spec = entry.strip().rpartition(":")
            match = _OVERRIDE.match(spec)
            if not name or not match:
                raise UserError(f"--sdf-quantize: cannot read layer override '{entry}' (expected NAME:wXaY)")
            select(module, name, self.name)  # the layer must exist
            widths = (int(match.group(1)), int(match.group(2)))
            if not all(2 <= w <= 32 for w in widths):
                raise UserError(f"--sdf-quantize: layer override '{entry}' is outside [2, 32] bits")
            result[name] = widths
        return result


def _parameters_are_weights(module, diag: Diagnostics) -> bool:
    """Weights, biases, scales and shifts get formats from their values, so they must be
    `sdf.weights` constants, not function arguments (whose values come only at run time)."""
    ok = True
    for op in network.layers(module):
        first = network.PARAMETER_OPERANDS.get(op.operation.name)
        for i, value in enumerate(op.operation.operands):
            if first is None or i < first:
                continue
            owner = value.owner
            if isinstance(owner, ir.Block) or owner.name != "sdf.weights":
                what = "a function argument" if isinstance(owner, ir.Block) else f"produced by '{owner.name}'"
                diag.error(op, f"parameter operand #{i} is {what}; --sdf-quantize needs parameters "
                               "as 'sdf.weights' constants to choose their formats")
                ok = False
    return ok


def format_for(max_abs: float, width: int) -> tuple[int, int]:
    """(width, frac) with the most fractional bits that still represent `max_abs`."""
    largest = 2 ** (width - 1) - 1
    if max_abs <= 0 or not math.isfinite(max_abs):
        return width, width - 1
    frac = math.floor(math.log2(largest / max_abs))
    while max_abs * 2.0 ** frac > largest:  # guard the float log against rounding up
        frac -= 1
    return width, frac


def _bits_for_int(magnitude: int) -> int:
    """Signed bits that hold every integer in [-magnitude, magnitude]."""
    return int(magnitude).bit_length() + 1


def _fan_in(op) -> int:
    """Products summed into one accumulator value."""
    name = op.operation.name
    w = shape(op.operation.operands[1])
    if name == "sdf.conv":
        return math.prod(w[1:])
    if name == "sdf.inner_product":
        return w[1]
    return 1


def _propagate_partitions(module) -> None:
    """A partition's result has its yielded value's format, for readers of the outer IR."""
    for partition in network.partitions(module):
        body = partition.operation.regions[0].blocks[0]
        yielded = list(body.operations)[-1].operands[0].owner
        if "output_format" in getattr(yielded, "attributes", {}):
            partition.operation.attributes["output_format"] = yielded.attributes["output_format"]
