"""Cutting a network into partitions (`sdf.partition` regions) and joining them back.

A partition is one FPGA configuration: a contiguous run of the function's pipeline ops.
Every tensor live across a cut is written to off-chip memory by the partition producing it
(a result of that partition) and read back by the partition using it (an operand of that
one). So the pipeline can be cut after any op, inside a residual block too: there the skip
tensor is one more result and one more input. A tensor crossing several cuts is written
once and read once, where it is used: it goes from the result of the partition that wrote
it straight to the operand of the partition that reads it, past the partitions between
(the verifier refuses a partition that yields an input unchanged).

IRDL checks the op, and binds one type to each variadic operand (or result) group, so a
partition holds its tensors in `sdf.TYPE_GROUPS` groups, one type each: those of the first
type first used, then the next (`by_type`). A cut where more types cross than that (no cut
of the zoo does) is refused by `group_problem` before anything moves.
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
    reads from outside and its results read after it, each grouped `by_type`."""
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
    return by_type(inputs), by_type(outputs)


def by_type(values: list) -> list[list]:
    """`values` (inputs in order of first use, results in program order) as the operand
    groups of a partition: one group per type, in order of the type's first value."""
    groups: dict[str, list] = {}
    for value in values:
        groups.setdefault(str(value.type), []).append(value)
    return list(groups.values())


def group_problem(group: list):
    """A diagnostic (at the group's first op) when `group` cannot be one partition: it
    reads, or writes, tensors of more types than a partition has groups; else None."""
    for what, groups in zip(("read", "write"), _streams(group)):
        if len(groups) > sdf.TYPE_GROUPS:
            types = ", ".join(str(g[0].type) for g in groups)
            return at(group[0].location, f"a partition starting here would {what} tensors of {len(groups)} types "
                                         f"({types}); sdf.partition holds at most {sdf.TYPE_GROUPS} (one per "
                                         "operand group, IRDL): cut elsewhere")
    return None


def _padded(groups: list) -> list[list]:
    return groups + [[] for _ in range(sdf.TYPE_GROUPS - len(groups))]


def partition_op(inputs: list[list], output_types: list[list]):
    """A new `sdf.partition` (at the current insertion point) reading the tensor groups
    `inputs` and writing groups of `output_types`, with an empty body block taking the inputs."""
    ins, outs = _padded(inputs), _padded(output_types)
    partition = sdf.PartitionOp(*ins, *outs)
    partition.operation.regions[0].blocks.append(*[v.type for g in inputs for v in g])
    return partition


def _wrap(group: list) -> None:
    """Move `group` (a contiguous run of pipeline ops) into a new partition whose inputs are
    the streams it reads from outside and whose results are the streams read after it."""
    input_groups, output_groups = _streams(group)
    inputs = [v for g in input_groups for v in g]
    outputs = [v for g in output_groups for v in g]
    with ir.InsertionPoint(group[0].operation), group[0].location:
        partition = partition_op(input_groups, [[v.type for v in g] for g in output_groups])
    block = partition.operation.regions[0].blocks[0]
    with ir.InsertionPoint(block), group[-1].location:
        terminator = sdf.YieldOp(*_padded(output_groups))
    for op in group:
        op.operation.move_before(terminator.operation)
        for i, value in enumerate(op.operation.operands):
            if value in inputs:
                op.operation.operands[i] = block.arguments[inputs.index(value)]
    for result, value in zip(partition.operation.results, outputs):
        value.replace_all_uses_except(result, terminator.operation)
