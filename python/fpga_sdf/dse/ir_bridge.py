"""Between sdf IR and the exploration: the problem a module poses, and writing a design back.

Decisions become attributes (coarse_in, coarse_out, coarse_group, fine, wr_factor, evicted,
window_evicted, ...) and `sdf.partition` regions, so `--sdf-report` and the backends read
them like hand-made ones.
"""

from __future__ import annotations

from torch_mlir import ir

from ..diagnostics import UserError
from ..dialects.sdf_attrs import AttrError, set_int, set_ints, set_str
from ..network import functions, layer_spec, named_layers, require_layer_level
from ..partitioning import apply_cuts, cut_points, unpartition
from ..model.spec import sparse_engine
from ..model.weights_memory import with_fragments
from ..sparsity import read_rho
from .explore import NetworkDesign, Problem
from .sparse_buffers import candidate_of, size_buffers

FOLDING_ATTRS = ("coarse_in", "coarse_out", "coarse_group", "fine", "wr_factor")


def problem_of(module):
    """(Problem, {layer name: op}) for the module's entry function, partitions removed."""
    require_layer_level(module, "dse")
    unpartition(module)
    funcs = functions(module)
    if len(funcs) != 1:
        raise UserError(f"design-space exploration needs a module with one function, found {len(funcs)}")
    named = named_layers(module)
    ops = {name: op for name, op in named}
    specs = tuple(layer_spec(name, op) for name, op in named)
    index = {op.operation: name for name, op in named}
    edges = []
    for name, op in named:
        for value in op.operation.operands:
            producer = _producer(value, index)
            if producer is not None:
                edges.append((producer, name))
    return Problem(specs, tuple(edges), tuple(cut_points(funcs[0]))), ops


def write_design(module, design: NetworkDesign, ops) -> None:
    names = {op.operation: name for name, op in ops.items()}
    for part in design.partitions:
        inside = {spec.name for spec in part.specs}
        for spec in part.specs:
            op = ops[spec.name]
            _write_evicted(op, spec, inside, names)
            for attr in FOLDING_ATTRS:
                # Coarse factors always say what was chosen; the others only when not 1.
                if attr in ("coarse_in", "coarse_out") or getattr(spec, attr) != 1:
                    set_int(op, attr, getattr(spec, attr))
            if "pixels" in op.operation.attributes:
                del op.operation.attributes["pixels"]
            if spec.pixels != (1, 1):
                set_ints(op, "pixels", spec.pixels)
            if spec.weights_memory != "auto":
                set_str(op, "weights_memory", spec.weights_memory)
            for attr in ("weights_off_chip", "weights_fragments"):
                if attr in op.operation.attributes:
                    del op.operation.attributes[attr]
            if spec.weights_off_chip:  # AutoWS fragments at the folding chosen (they imply the fraction)
                set_ints(op, "weights_fragments", with_fragments(spec, spec.weights_off_chip).weights_fragments)
            for flag in ("dense_engine", "window_evicted"):
                write_flag(op, flag, getattr(spec, flag))
    if len(design.partitions) > 1:
        apply_cuts(module, list(design.cuts))


def write_flag(op, name: str, value: bool) -> None:
    """A boolean decision as the op's attribute: `name = true`, or absent when False."""
    if value:
        with op.context:
            op.operation.attributes[name] = ir.BoolAttr.get(True)
    elif name in op.operation.attributes:
        del op.operation.attributes[name]


def _operation(owner):
    """The Operation owning a value (`Value.owner` may give its OpView)."""
    return getattr(owner, "operation", owner)


def _producer(value, names) -> str | None:
    """The layer name of the op producing `value`. Two Python objects of one operation
    compare equal but need not hash alike (a multi-result op's owner, after attributes were
    set), so a miss in the dict is looked for by equality."""
    owner = _operation(value.owner)
    found = names.get(owner)
    return found if found is not None else next((n for k, n in names.items() if k == owner), None)


def _write_evicted(op, spec, inside, names) -> None:
    """The join's evicted operands, those still produced inside its partition (a cut between
    the branches sends that input off-chip already: the verifier refuses it)."""
    if "evicted" in op.operation.attributes:
        del op.operation.attributes["evicted"]
    operands = list(op.operation.operands)
    kept = [i for i in spec.evicted if _producer(operands[i], names) in inside]
    if kept:
        set_ints(op, "evicted", kept)


def write_sparse_buffers(design: NetworkDesign, ops, c, lutram_fraction: float, tolerance: float, diag) -> None:
    """Size the FIFO before every sparse engine for the folding the design chose (eq. 6),
    each partition within `lutram_fraction` of the board's LUTs and its remaining budget;
    written as `sparse_buffer`. Layers without a measured rho get none, with a remark."""
    for part in design.partitions:
        candidates = []
        for spec in part.specs:
            op = ops[spec.name]
            if "sparse_buffer" in op.operation.attributes:
                del op.operation.attributes["sparse_buffer"]
            try:
                windows, rho = read_rho(op)
            except AttrError as err:
                diag.error(op, str(err))
                continue
            candidate = candidate_of(spec, windows, rho)
            if candidate is not None:
                candidates.append(candidate)
            elif sparse_engine(spec) and spec.coarse_in * spec.coarse_group > 1:
                diag.remark(op, f"no back-pressure metric measured for coarse_in={spec.coarse_in} "
                                f"coarse_group={spec.coarse_group}: no FIFO before its sparse engines "
                                "(measure with --sdf-sparsity data=...)")
        if not candidates:
            continue
        limit = min(lutram_fraction * c.platform.lut, c.capacity("lut") - part.resources.lut)
        sizing = size_buffers(candidates, c.platform, limit, tolerance)
        for name, depth in sizing.depths.items():
            if depth:
                set_int(ops[name], "sparse_buffer", depth)


def network_links(module) -> tuple[tuple[str, str], ...]:
    """(producer, consumer) of every edge between layers, across `sdf.partition` regions too
    (a partition's input traced to the result of the partition yielding it): what
    `network_performance(links=)` needs to count the tensors passing by a partition. The
    module is read, not changed."""
    named = named_layers(module)
    names = {op.operation: name for name, op in named}

    def producer(value):
        owner = value.owner
        if isinstance(owner, ir.Block):  # a partition's argument: its operand outside
            parent = owner.owner
            if parent is None or parent.operation.name != "sdf.partition":
                return None  # a function argument: a network input
            return producer(parent.operation.operands[ir.BlockArgument(value).arg_number])
        op = _operation(owner)
        if op.name == "sdf.partition":  # its result: what its body yields
            terminator = list(op.regions[0].blocks[0].operations)[-1]
            return producer(terminator.operands[ir.OpResult(value).result_number])
        return _producer(value, names)

    links = []
    for name, op in named:
        for value in op.operation.operands:
            found = producer(value)
            if found is not None:
                links.append((found, name))
    return tuple(links)
