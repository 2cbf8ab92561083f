"""Cutting a network into partitions (`sdf.partition` regions) and joining them back.

A partition is one FPGA configuration with one input and one output stream, so a network
can only be cut where exactly one feature map is live: between residual blocks, not inside.
"""

from __future__ import annotations

from torch_mlir import ir

from .diagnostics import UserError
from .dialects import sdf
from .network import functions, stream_operands


def _body(func):
    return func.operation.regions[0].blocks[0]


def _stage_ops(func) -> list:
    """The func's top-level ops that form the pipeline (weights stay outside partitions)."""
    return [op for op in _body(func).operations
            if op.operation.name not in ("sdf.weights", "func.return")]


def unpartition(module) -> None:
    """Inline every partition body back into its function."""
    for func in functions(module):
        for op in list(_body(func).operations):
            if op.operation.name != "sdf.partition":
                continue
            inner = op.operation.regions[0].blocks[0]
            inner.arguments[0].replace_all_uses_with(op.operation.operands[0])
            terminator = list(inner.operations)[-1]
            result = terminator.operands[0]
            for inner_op in list(inner.operations)[:-1]:
                inner_op.operation.move_before(op.operation)
            op.operation.results[0].replace_all_uses_with(result)
            terminator.operation.erase()
            op.operation.erase()


def cut_points(func) -> list[int]:
    """Indices i such that the pipeline can be cut after stage op i (one live stream)."""
    stages = _stage_ops(func)
    position = {op.operation: i for i, op in enumerate(stages)}
    last_use: dict = {}  # defining stage index (-1: function argument) -> last stage index using it
    for i, op in enumerate(list(_body(func).operations)):
        use_index = position.get(op.operation, len(stages))  # func.return counts as after all
        operands = stream_operands(op) if op.operation.name.startswith("sdf.") else op.operation.operands
        for value in operands:
            owner = value.owner
            if isinstance(owner, ir.Block):
                key = (-1, value.arg_number)
            elif owner in position:
                key = (position[owner], value.result_number)
            else:
                continue  # weights
            last_use[key] = max(last_use.get(key, -1), use_index)
    cuts = []
    for i in range(len(stages) - 1):
        live = [k for k, last in last_use.items() if k[0] <= i < last]
        if len(live) == 1 and live[0][0] == i:
            cuts.append(i)
    return cuts


def _hoist_weights(func) -> None:
    """Move every `sdf.weights` op above the first pipeline op, keeping their order:
    parameters are loaded with their partition and a partition may read any of them, so
    each must be defined before the first partition (the importer puts them by their layer)."""
    ops = list(_body(func).operations)
    first_stage = next((op for op in ops if op.operation.name != "sdf.weights"), None)
    if first_stage is None:
        return
    for op in ops:
        if op.operation.name == "sdf.weights":
            op.operation.move_before(first_stage.operation)


def apply_cuts(module, cuts: list[int]) -> None:
    """Wrap the stages between consecutive cuts into `sdf.partition` ops (replacing any)."""
    unpartition(module)
    (func, *_) = functions(module)
    _hoist_weights(func)
    legal = set(cut_points(func))
    bad = [c for c in cuts if c not in legal]
    if bad:
        raise UserError(f"cannot cut after stage {bad[0]}: more than one stream is live there")
    stages = _stage_ops(func)
    bounds = [-1] + sorted(set(cuts)) + [len(stages) - 1]
    with module.context, ir.Location.unknown():
        for lo, hi in zip(bounds, bounds[1:]):
            group = stages[lo + 1: hi + 1]
            _wrap(group)


def _wrap(group: list) -> None:
    """Move `group` (a contiguous run of ops reading one stream) into a new partition."""
    members = {op.operation for op in group}

    def from_outside(value) -> bool:
        owner = value.owner
        return isinstance(owner, ir.Block) or (owner not in members and owner.name != "sdf.weights")

    inputs = {v for op in group for v in stream_operands(op) if from_outside(v)}
    if len(inputs) != 1:
        raise UserError(f"a partition must read exactly one stream, this one reads {len(inputs)}")
    (source,) = inputs
    result = group[-1].operation.results[0]
    with ir.InsertionPoint(group[0].operation), group[0].location:
        partition = sdf.PartitionOp(input=source, output=result.type)
    block = partition.operation.regions[0].blocks.append(source.type)
    with ir.InsertionPoint(block), group[-1].location:
        terminator = sdf.YieldOp(value=result)
    for op in group:
        op.operation.move_before(terminator.operation)
        for i, value in enumerate(op.operation.operands):
            if value == source:
                op.operation.operands[i] = block.arguments[0]
    result.replace_all_uses_except(partition.operation.results[0], terminator.operation)
