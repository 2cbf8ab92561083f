"""--sdf-sparsity: annotate every convolution with the post-activation sparsity of its input.

PASS's sparse engine (seed 003) skips the zeros ReLU leaves in the windows it multiplies,
so its speed depends on data. With `data=x.npy` the reference executor (fixed point when the
module is quantized: the zeros the hardware sees) runs the inputs and every conv gets the
mean and spread of its windows' zero fraction per input channel, the distribution of
non-zeros per window (which the engine's cycles follow) and, for each legal split
of its channels over streams, the back-pressure metric the buffer sizing reads. With
`profile=S` every conv reading a ReLU output is given mean sparsity S, marked assumed.
"""

from dataclasses import dataclass, field

import numpy as np
from torch_mlir import ir

from fpga_sdf import network, sparsity
from fpga_sdf.diagnostics import Diagnostics, UserError, at
from fpga_sdf.dialects.sdf_attrs import get_str, shape
from fpga_sdf.interp.executor import execute
from fpga_sdf.model import folding_choices
from fpga_sdf.pass_registry import Pass, register

ZERO_KEEPING = ("sdf.split", "sdf.resize", "sdf.concat")  # a zero in is a zero out
RELUS = ("relu", "relu6")


@register
@dataclass(frozen=True)
class SdfSparsity(Pass):
    """Annotate conv inputs with their sparsity: measured on data=X.npy, or profile=S assumed after ReLUs."""

    name = "sdf-sparsity"
    data: str = field(default="", metadata={"help": ".npy inputs (batch first) the executor runs (fixed point if quantized) "
                                                    "to measure sparsity, its deviation and rho_w per conv input"})
    profile: float = field(default=-1.0, metadata={"help": "instead: assumed mean sparsity S in [0, 1) for every conv after a "
                                                           "ReLU, reported as assumed, not measured (-1: unused)"})

    def run(self, module, diag: Diagnostics) -> None:
        given = self.profile != -1.0
        if bool(self.data) == given:
            raise UserError("--sdf-sparsity: give data=INPUTS.npy to measure, or profile=S to assume a mean "
                            "sparsity S (not both)")
        if given and not 0.0 <= self.profile < 1.0:
            raise UserError(f"--sdf-sparsity: profile={self.profile:g} must be in [0, 1) (the fraction of zeros)")
        network.require_layer_level(module, self.name)
        func = network.only_function(module, self.name)
        convs = [(name, op) for name, op in network.named_layers(module) if op.operation.name == "sdf.conv"]
        if not convs:
            raise UserError(at(func.location, "--sdf-sparsity: the network has no convolution to annotate"))
        if not any(_is_relu(op) for op in network.layers(module)):
            raise UserError(at(func.location, "--sdf-sparsity: the network has no ReLU, so its convolutions see "
                                              "no post-activation sparsity to exploit"))
        if given:
            self._assume(convs, func)
        else:
            self._measure(module, func, convs, diag)

    def _assume(self, convs, func) -> None:
        after = [(name, op) for name, op in convs if _after_relu(op.operation.operands[0])]
        if not after:
            raise UserError(at(func.location, "--sdf-sparsity: no convolution reads a ReLU output, so profile= "
                                              "applies to none"))
        for _, op in convs:
            sparsity.clear(op)
        for _, op in after:
            sparsity.write_assumed(op, self.profile, shape(op.operation.operands[0])[1])

    def _measure(self, module, func, convs, diag: Diagnostics) -> None:
        args = list(func.operation.regions[0].blocks[0].arguments)
        if len(args) != 1:
            raise UserError(at(func.location, f"--sdf-sparsity: data= feeds one input, the network takes {len(args)}"))
        x = _load(self.data, func, shape(args[0]))
        specs = {op.operation: network.layer_spec(name, op) for name, op in convs}
        windows = {op.operation: [] for _, op in convs}
        readers: dict = {}
        for _, op in convs:
            readers.setdefault(_outer(op.operation.operands[0]), []).append(op)

        def observe(value, array):
            for op in readers.get(value, ()):
                s = specs[op.operation]
                windows[op.operation].append(sparsity.window_sparsity(
                    array, s.kernel, s.stride, s.pad, s.dilation))

        execute(module, [x], "fixed" if _quantized(func) else "float", observe=observe)
        for name, op in convs:
            s = np.concatenate(windows[op.operation])
            spec = specs[op.operation]
            axes = (0,) + tuple(range(2, s.ndim))
            legal = folding_choices(spec)
            rho = {}
            for ci in legal.coarse_in:
                for cg in legal.coarse_group:
                    if ci * cg > 1:
                        series = sparsity.stream_series(s, spec.groups, ci, cg)
                        rho[sparsity.fold_key(ci, cg)] = sparsity.back_pressure(series)
            hist = sparsity.nonzero_histogram(s, int(np.prod(spec.kernel)))
            sparsity.write_measured(op, s.mean(axis=axes), s.std(axis=axes), hist, len(x), rho)


def _load(path: str, func, expected) -> np.ndarray:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise UserError(f"--sdf-sparsity: cannot read data '{path}': {err}") from None
    if not isinstance(data, np.ndarray) or data.dtype.kind not in "fiu":
        raise UserError(f"--sdf-sparsity: data '{path}' must be one numeric array saved with numpy.save")
    if data.ndim != len(expected) or tuple(data.shape[1:]) != tuple(expected[1:]) or not len(data):
        want = "(N, " + ", ".join(map(str, expected[1:])) + ")"
        raise UserError(at(func.location, f"--sdf-sparsity: data '{path}' has shape {tuple(data.shape)}, "
                                          f"the network's input is {want}"))
    data = data.astype(np.float32)
    if not np.all(np.isfinite(data)):
        raise UserError(at(func.location, f"--sdf-sparsity: data '{path}' holds NaN or infinite values"))
    return data


def _outer(value):
    """The value a partition's input stands for (the executor observes that one)."""
    owner = value.owner
    while isinstance(owner, ir.Block) and owner.owner.name == "sdf.partition":
        value = owner.owner.operands[0]
        owner = value.owner
    return value


def _quantized(func) -> bool:
    """Quantization is all or nothing (--sdf-verify): the input's format says which."""
    attrs = func.operation.attributes
    return "arg_attrs" in attrs and "sdf.format" in ir.DictAttr(ir.ArrayAttr(attrs["arg_attrs"])[0])


def _is_relu(op) -> bool:
    return op.operation.name == "sdf.activation" and get_str(op, "kind") in RELUS


def _after_relu(value) -> bool:
    """Whether a stream comes from a ReLU through ops that keep its zeros (max pool, fork,
    resize, concat of such streams, a partition's boundary)."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        parent = owner.owner
        return parent.name == "sdf.partition" and _after_relu(parent.operands[0])
    op = owner.opview
    if owner.name == "sdf.partition":
        body = owner.regions[0].blocks[0]
        return _after_relu(list(body.operations)[-1].operands[0])
    if _is_relu(op):
        return True
    if owner.name == "sdf.pool" and get_str(op, "mode") == "max" or owner.name in ZERO_KEEPING:
        return all(_after_relu(v) for v in network.stream_operands(op))
    return False
