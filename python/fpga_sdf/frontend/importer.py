"""Import PyTorch modules and ONNX files into the torch dialect, then into sdf.

Two routes into torch-mlir's torch dialect (see docs/notes/importer-ops.md):

* PyTorch: `torch.export` + `run_decompositions({})` (functional IR, in-place ops removed,
  layers kept whole) and the FX importer with two hooks: plain dense constants (readable
  from Python, and much faster than the default `dense_resource` path) and layer-name
  locations `loc("layer1.0.conv1"("model.py":12:0))` from `nn_module_stack`, whose file
  position is the innermost frame of the user's code.
* ONNX: torch-mlir's ONNX importer + `convert-torch-onnx-to-torch`.

Then `--convert-torch-to-sdf` (passes/convert_torch_to_sdf.py). Everything runs in the
process-wide context of `fpga_sdf.ir.context()`.

    module = import_model(model, example_input)          # sdf, inline weights
    module = import_onnx("model.onnx")
    result = import_model(model, x, weights="auto", sidecar="net.weights.npz", full=True)
    result.write("net.mlir")                              # IR + sidecar, both atomically
"""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import dataclass, field

import numpy as np

from .. import ir as sdf_ir
from ..diagnostics import Diagnostics, UserError

EMITS = ("sdf", "torch")
WEIGHT_MODES = ("auto", "inline", "sidecar")


@dataclass
class Imported:
    """An imported module and, for sidecar weights, the arrays of its .npz."""

    module: object
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    sidecar: str = ""

    def text(self) -> str:
        """The IR with locations (they carry the layer names the later passes report)."""
        return sdf_ir.to_text(self.module, debug_info=True)

    def write(self, path: str) -> None:
        """Write the IR to `path` and the sidecar next to it, both or neither (a failure
        leaves earlier outputs intact)."""
        from ..cli import write_outputs

        files = {}
        if self.arrays:
            directory = os.path.dirname(os.path.abspath(path)) if path not in (None, "-") else os.getcwd()
            files[os.path.join(directory, self.sidecar)] = npz_bytes(self.arrays)
        files[path or "-"] = self.text().encode("utf-8")
        write_outputs(files)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    import io

    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def sidecar_name(output: str | None) -> str:
    """`net.mlir` -> `net.weights.npz` (relative: resolved next to the IR file)."""
    if not output or output == "-":
        return "model.weights.npz"
    base = os.path.basename(output)
    stem = base[:-5] if base.endswith(".mlir") else base
    return f"{stem}.weights.npz"


# ------------------------------------------------------------------------------ public API


def import_model(model, example_input, *, emit: str = "sdf", weights: str = "inline", sidecar: str = "",
                 func_name: str = "forward", full: bool = False):
    """A PyTorch `nn.Module` (and its example input) as an sdf (or torch-dialect) module.

    `weights`: inline, sidecar or auto (sidecar above 4 MB); with a sidecar, pass `full=True`
    to get an `Imported` holding the arrays to save. Unsupported layers raise `UserError`
    with a diagnostic at the layer's source line.
    """
    module = torch_from_module(model, example_input, func_name)
    return _finish(module, emit, weights, sidecar, full)


def import_onnx(path: str, *, emit: str = "sdf", weights: str = "inline", sidecar: str = "",
                full: bool = False):
    """An ONNX file as an sdf (or torch-dialect) module; as `import_model`."""
    nodes: dict[str, str] = {}
    module = torch_from_onnx(path, nodes)
    return _finish(module, emit, weights, sidecar, full, nodes)


def _finish(module, emit: str, weights: str, sidecar: str, full: bool, onnx_nodes: dict[str, str] | None = None):
    if emit not in EMITS:
        raise UserError(f"unknown --emit '{emit}' (choose from {', '.join(EMITS)})")
    if weights not in WEIGHT_MODES:
        raise UserError(f"unknown --weights '{weights}' (choose from {', '.join(WEIGHT_MODES)})")
    arrays: dict[str, np.ndarray] = {}
    if emit == "sdf":
        arrays = to_sdf(module, weights, sidecar or "model.weights.npz", onnx_nodes)
        _name_layers(module)
    result = Imported(module, arrays, sidecar or "model.weights.npz")
    return result if full else module


def _name_layers(module) -> None:
    """Record each layer's name (from the PyTorch module path or ONNX node) as its `name`
    attribute: locations are not printed by default, names in attributes survive every
    fpga-opt round trip, so `layers=` options and reports keep meaning the same layers."""
    from ..dialects.sdf_attrs import set_str
    from ..network import named_layers

    for name, op in named_layers(module):
        set_str(op, "name", name)


def to_sdf(module, weights: str = "inline", sidecar: str = "model.weights.npz",
           onnx_nodes: dict[str, str] | None = None) -> dict[str, np.ndarray]:
    """Run --convert-torch-to-sdf on `module` in place; return the sidecar arrays (if any)."""
    from torch_mlir import ir

    from fpga_sdf.passes.convert_torch_to_sdf import convert

    diag = Diagnostics()
    with sdf_ir.context(), ir.Location.unknown():
        arrays = convert(module, diag, weights=weights, sidecar=sidecar, onnx_nodes=onnx_nodes)
        if diag.errors:
            raise UserError(diag.errors)
        sdf_ir.verify(module)
    return arrays


# ------------------------------------------------------------------------------ PyTorch


def _hooks():
    """The FX importer hooks and context cache (built lazily: importing torch is slow)."""
    import torch
    from torch_mlir import ir
    from torch_mlir.extras.fx_importer import ContextCache, FxImporterHooks

    class DenseLiterals(FxImporterHooks):
        """Constants as plain `dense<...>` (readable from Python), not `dense_resource`."""

        def resolve_literal(self, gni, literal, info):
            if not isinstance(literal, torch.Tensor) or literal.numel() <= 1 or literal.dtype != torch.float32:
                return None
            attr = ir.DenseElementsAttr.get(np.ascontiguousarray(literal.detach().cpu().numpy()))
            vt = gni._cc.tensor_to_vtensor_type(literal)
            return ir.Operation.create("torch.vtensor.literal", results=[vt], attributes={"value": attr}).result

    class LayerLocations(ContextCache):
        """`loc("layer1.0.conv1"("model.py":12:0))`: module path + the user's source line."""

        __slots__ = ()

        def get_node_location(self, node):
            frame = _user_frame(node.meta.get("stack_trace") or "")
            loc = ir.Location.file(frame[0], frame[1], 0, context=self._c) if frame else None
            stack = node.meta.get("nn_module_stack")
            path = list(stack.values())[-1][0] if stack else ""
            if path:
                return ir.Location.name(path, childLoc=loc, context=self._c) if loc else \
                    ir.Location.name(path, context=self._c)
            return loc

    return DenseLiterals, LayerLocations


_FRAME = re.compile(r'File "([^"]+)", line (\d+)')


def _user_frame(stack_trace: str) -> tuple[str, int] | None:
    """The innermost frame outside torch itself (the user's model code), or None: a layer of
    an `nn.Sequential` has no line of user code, and its module path names it better than
    a line inside torch would."""
    import torch

    torch_dir = os.path.dirname(torch.__file__)
    frames = [(f, int(n)) for f, n in _FRAME.findall(stack_trace)]
    user = [fr for fr in frames if not fr[0].startswith(torch_dir)]
    return user[-1] if user else None


def _replace_inplace_modules(model) -> None:
    """`nn.ReLU(inplace=True)` and friends: export handles them, but the flag is dropped so
    an export without functionalisation cannot produce in-place ops either."""
    for module in model.modules():
        if getattr(module, "inplace", False) is True:
            module.inplace = False


def torch_from_module(model, example_input, func_name: str = "forward"):
    """A PyTorch module in the torch dialect (functional, layer-level ops, dense constants)."""
    import torch
    from torch_mlir import fx
    from torch_mlir.extras.fx_importer import FxImporter

    if not isinstance(model, torch.nn.Module):
        raise UserError(f"expected a torch.nn.Module, got {type(model).__name__}")
    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    model = model.eval()
    _replace_inplace_modules(model)
    DenseLiterals, LayerLocations = _hooks()
    ctx = sdf_ir.context()
    importer = FxImporter(context=ctx, hooks=DenseLiterals())
    importer._cc = LayerLocations(importer._c, py_attr_tracker=importer._py_attr_tracker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with torch.no_grad():
                program = torch.export.export(model, inputs).run_decompositions({})
        except Exception as err:  # noqa: BLE001 - export errors are about the user's model
            raise UserError(f"torch.export failed on the model: {type(err).__name__}: {_first_line(err)}") from None
        try:
            return fx.export_and_import(program, fx_importer=importer, decomposition_table={}, func_name=func_name)
        except Exception as err:  # noqa: BLE001
            raise UserError(f"the torch-mlir FX importer failed: {type(err).__name__}: {_first_line(err)}") from None


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else ""


# ------------------------------------------------------------------------------ ONNX


def torch_from_onnx(path_or_bytes, node_types: dict[str, str] | None = None) -> object:
    """An ONNX model (path or serialized bytes) in the torch dialect; `node_types`, if
    given, is filled with node name -> op type (refusals name the user's ONNX node)."""
    import onnx
    from torch_mlir import ir
    from torch_mlir.extras import onnx_importer
    from torch_mlir.passmanager import PassManager

    try:
        proto = onnx.load_from_string(path_or_bytes) if isinstance(path_or_bytes, bytes) else onnx.load(path_or_bytes)
    except Exception as err:  # noqa: BLE001 - a missing or corrupt file
        raise UserError(f"cannot read ONNX model '{path_or_bytes if isinstance(path_or_bytes, str) else '<bytes>'}': "
                        f"{_first_line(err)}") from None
    if node_types is not None:
        node_types.update({node.name: node.op_type for node in proto.graph.node if node.name})
    try:
        proto = onnx.shape_inference.infer_shapes(proto)
    except Exception as err:  # noqa: BLE001
        raise UserError(f"ONNX shape inference failed: {_first_line(err)}") from None
    ctx = sdf_ir.context()
    with ctx:
        try:
            info = onnx_importer.ModelInfo(proto)
            module = info.create_module(context=ctx)
            onnx_importer.NodeImporter.define_function(info.main_graph, module.operation).import_all()
            module.operation.verify()
            PassManager.parse("builtin.module(func.func(convert-torch-onnx-to-torch))").run(module.operation)
        except ir.MLIRError as err:
            from ..diagnostics import from_mlir

            raise UserError([from_mlir(d) for d in err.error_diagnostics] or err.message) from None
        except Exception as err:  # noqa: BLE001 - the importer raises plain exceptions on unknown ops
            raise UserError(f"the torch-mlir ONNX importer failed: {type(err).__name__}: {_first_line(err)}") from None
    _check_onnx_leftovers(module)
    return module


def _check_onnx_leftovers(module) -> None:
    """ONNX ops convert-torch-onnx-to-torch could not lower stay `torch.operator "onnx.X"`."""
    from torch_mlir import ir

    problems = []
    for op in sdf_ir.walk(module, "torch.operator"):
        name = ir.StringAttr(op.operation.attributes["name"]).value
        if name.startswith("onnx."):
            from ..diagnostics import at

            problems.append(at(op.location, f"ONNX operator '{name[5:]}' could not be converted to the torch "
                                            "dialect (unsupported attributes or operator)"))
    if problems:
        raise UserError(problems)


def export_onnx(model, example_input) -> bytes:
    """Export with torch's legacy (TorchScript) exporter: `dynamo=True` needs onnxscript."""
    import torch

    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), inputs, buffer, dynamo=False, input_names=["input"], output_names=["output"])
    return buffer.getvalue()


__all__ = ["Imported", "import_model", "import_onnx", "to_sdf", "torch_from_module", "torch_from_onnx",
           "export_onnx", "sidecar_name", "npz_bytes"]
