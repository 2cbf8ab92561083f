"""Cutting a network into partitions (`sdf.partition` regions) and joining them back.

A partition is one FPGA configuration: a contiguous run of the function's pipeline ops.
Every tensor live across a cut is written to off-chip memory by the partition producing it
(a result of that partition) and read back by the partition using it (an operand of that
one). So the pipeline can be cut after any op, inside a residual block too: there the skip
tensor is one more result and one more input. A tensor crossing several cuts is written
once and read once, where it is used: it goes from the result of the partition that wrote
it straight to the operand of the partition that reads it, past the partitions between
(the verifier refuses a partition that yields an input unchanged).

One limit comes from IRDL, which checks the op: all values of a variadic operand (or result)
group bind one type, so a partition's inputs must all have one type, and its results too
(the main stream and the skip tensor of a basic block do; a cut between a downsampling
block's convs and its projection does not). `group_problem` says so before anything moves.
"""

from __future__ import annotations

from torch_mlir import ir

from .diagnostics import UserError, at
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
            for arg, operand in zip(inner.arguments, op.operation.operands):
                arg.replace_all_uses_with(operand)
            terminator = list(inner.operations)[-1]
            yielded = list(terminator.operands)
            for inner_op in list(inner.operations)[:-1]:
                inner_op.operation.move_before(op.operation)
            for result, value in zip(op.operation.results, yielded):
                result.replace_all_uses_with(value)
            terminator.operation.erase()
            op.operation.erase()


def cut_points(func) -> list[int]:
    """Indices i such that the pipeline can be cut after stage op i: every one but the last
    (the tensors live there go through off-chip memory; `dse.explore.live_streams` counts them)."""
    return list(range(len(_stage_ops(func)) - 1))


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
    stages = _stage_ops(func)
    bad = [c for c in cuts if not 0 <= c < len(stages) - 1]
    if bad:
        raise UserError(f"cannot cut after stage {bad[0]}: the pipeline has stages 0..{len(stages) - 1} "
                        "and a cut needs a stage on each side")
    bounds = [-1] + sorted(set(cuts)) + [len(stages) - 1]
    groups = [stages[lo + 1: hi + 1] for lo, hi in zip(bounds, bounds[1:])]
    problems = [p for p in map(group_problem, groups) if p]
    if problems:
        raise UserError(problems)
    with module.context, ir.Location.unknown():
        for group in groups:
            _wrap(group)


def _streams(group: list) -> tuple[list, list]:
    """(inputs, outputs) of a contiguous run of pipeline ops as a partition: the streams it
    reads from outside in order of first use, and its results read after it in program order."""
    members = {op.operation for op in group}

    def from_outside(value) -> bool:
        owner = value.owner
        return isinstance(owner, ir.Block) or (owner not in members and owner.name != "sdf.weights")

    inputs = []
    for op in group:
        for value in stream_operands(op):
            if from_outside(value) and value not in inputs:
                inputs.append(value)
    outputs = [r for op in group for r in op.operation.results
               if any(use.owner not in members for use in r.uses)]
    return inputs, outputs


def group_problem(group: list):
    """A diagnostic (at the group's first op) when `group` cannot be one partition: its
    inputs, or its results, differ in type (see the module docstring); else None."""
    for what, values in zip(("read", "write"), _streams(group)):
        types = sorted({str(v.type) for v in values})
        if len(types) > 1:
            return at(group[0].location, f"a partition starting here would {what} tensors of different types "
                                         f"({', '.join(types)}); sdf.partition holds one type per operand "
                                         "group (IRDL): cut elsewhere")
    return None


def _wrap(group: list) -> None:
    """Move `group` (a contiguous run of pipeline ops) into a new partition whose inputs are
    the streams it reads from outside and whose results are the streams read after it."""
    inputs, outputs = _streams(group)
    with ir.InsertionPoint(group[0].operation), group[0].location:
        partition = sdf.PartitionOp(inputs=inputs, outputs=[r.type for r in outputs])
    block = partition.operation.regions[0].blocks.append(*[v.type for v in inputs])
    with ir.InsertionPoint(block), group[-1].location:
        terminator = sdf.YieldOp(values=outputs)
    for op in group:
        op.operation.move_before(terminator.operation)
        for i, value in enumerate(op.operation.operands):
            if value in inputs:
                op.operation.operands[i] = block.arguments[inputs.index(value)]
    for result, value in zip(partition.operation.results, outputs):
        value.replace_all_uses_except(result, terminator.operation)
    for op in (partition, terminator):  # one variadic group each: the counts say nothing
        for attr in ("operandSegmentSizes", "resultSegmentSizes"):
            if attr in op.operation.attributes:
                del op.operation.attributes[attr]
