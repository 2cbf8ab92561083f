"""Properties of the design-space exploration over randomly generated CNNs.

Whatever the network and board, a design the DSE returns must fit every resource of every
partition within the budget, keep the power cap, use only legal foldings, and keep rates
balanced: no layer runs slower than its partition's interval.
"""


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fpga_sdf.diagnostics import UserError
from fpga_sdf.dse.explore import Problem, explore, live_streams
from fpga_sdf.dse.problem import RESOURCES, Constraints
from fpga_sdf.model import LayerSpec, Partition, check_folding, load_platform, partition_performance


def conv(name, c_in, c_out, size, k, stride=1, groups=1):
    pad = k // 2
    out = (size + 2 * pad - k) // stride + 1
    return LayerSpec(name, "conv", ((c_in, size, size),), ((c_out, out, out),), kernel=(k, k),
                     stride=(stride, stride), pad=(pad, pad, pad, pad), dilation=(1, 1), groups=groups,
                     has_bias=True), out


@st.composite
def networks(draw):
    """A chain of conv-relu(-pool) stages, sometimes with a residual block, then an FC."""
    channels = draw(st.sampled_from([1, 3, 4]))
    size = draw(st.sampled_from([8, 12, 16, 32]))
    specs, edges, cuts = [], [], []

    def add(spec, inputs):
        specs.append(spec)
        edges.extend((src, spec.name) for src in inputs)
        return spec.name

    last = None
    for i in range(draw(st.integers(1, 4))):
        c_out = draw(st.sampled_from([4, 8, 16, 32, 64]))
        k = draw(st.sampled_from([1, 3, 5])) if size >= 5 else 1
        spec, size = conv(f"conv{i}", channels, c_out, size, k)
        name = add(spec, [last] if last else [])
        name = add(LayerSpec(f"relu{i}", "activation", ((c_out, size, size),), ((c_out, size, size),),
                             mode="relu"), [name])
        if draw(st.booleans()) and size >= 4:
            out = size // 2
            name = add(LayerSpec(f"pool{i}", "pool", ((c_out, size, size),), ((c_out, out, out),),
                                 kernel=(2, 2), stride=(2, 2), pad=(0, 0, 0, 0), mode="max"), [name])
            size = out
        if draw(st.booleans()):  # residual block: fork, conv, add
            shape = (c_out, size, size)
            fork = add(LayerSpec(f"fork{i}", "split", (shape,), (shape, shape)), [name])
            body, _ = conv(f"res{i}", c_out, c_out, size, 3 if size >= 3 else 1)
            body_name = add(body, [fork])
            name = add(LayerSpec(f"add{i}", "eltwise", (shape, shape), (shape,), mode="add"), [body_name, fork])
        channels, last = c_out, name
    add(LayerSpec("fc", "inner_product", ((channels, size, size),), ((10,),), has_bias=True), [last])
    # Legal cuts: after any layer but the last (inside a residual block too, the skip
    # tensor then going through off-chip memory).
    cuts.extend(range(len(specs) - 1))
    return Problem(tuple(specs), tuple(edges), tuple(cuts))


boards = st.sampled_from(["zedboard", "zc706", "zcu102", "kv260", "u250"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=networks(), board=boards, budget=st.sampled_from([0.3, 0.6, 0.9]),
       batch=st.sampled_from([1, 16, 256]), objective=st.sampled_from(["throughput", "latency", "power"]),
       strategy=st.sampled_from(["greedy", "anneal"]))
def test_every_design_fits_its_board_and_is_balanced(problem, board, budget, batch, objective, strategy):
    platform = load_platform(board)
    c = Constraints(platform, platform.clock_mhz, batch, budget)
    try:
        design = explore(problem, c, objective, strategy, seed=3, progress=False, anneal_steps=100)
    except UserError as err:
        # Only allowed when one layer alone cannot fit: then the message says which and why.
        assert "cannot fit even fully folded" in str(err) or "do not fit" in str(err)
        return
    names = [s.name for p in design.partitions for s in p.specs]
    assert sorted(names) == sorted(s.name for s in problem.specs)  # every layer placed once
    for part in design.partitions:
        for r in RESOURCES:
            assert getattr(part.resources, r) <= getattr(platform, r) * budget
        for spec in part.specs:
            assert check_folding(spec) == []
        perf = partition_performance(part.specs, part.edges, platform, c.clock_mhz, batch)
        assert all(layer.interval <= perf.interval for layer in perf.layers)
        assert perf.interval == max(perf.compute_interval, perf.bandwidth_interval, 1)
        # a layer reloads only where its output leaves the partition (its channels, a share per
        # run, go to off-chip memory)
        read_inside = {src for src, _ in part.edges}
        reloading = [spec for spec in part.specs if spec.wr_factor > 1]
        assert all(spec.name not in read_inside for spec in reloading)
        # what the backends build: one ungrouped reloading layer a partition, never beside an
        # evicted skip stream
        assert len(reloading) <= 1 and all(spec.kind != "conv" or spec.groups == 1 for spec in reloading)
        assert not (reloading and any(spec.evicted for spec in part.specs))
        # expressible as an sdf.partition: one type per operand group (IRDL)
        whole = Partition(part.specs, part.edges)
        assert len({shape for _, shape in whole.inputs()}) <= 1 and len({shape for _, shape in whole.outputs()}) <= 1
    assert all(cut in problem.legal_cuts for cut in design.cuts)


@settings(max_examples=15, deadline=None)
@given(problem=networks(), board=boards)
def test_same_seed_same_design(problem, board):
    platform = load_platform(board)
    c = Constraints(platform, platform.clock_mhz, 16, 0.9)
    try:
        first = explore(problem, c, "throughput", "anneal", seed=7, progress=False, anneal_steps=200)
    except UserError:
        return
    again = explore(problem, c, "throughput", "anneal", seed=7, progress=False, anneal_steps=200)
    assert [p.specs for p in first.partitions] == [p.specs for p in again.partitions]


def test_power_cap_is_respected():
    spec, _ = conv("conv", 16, 64, 32, 3)
    problem = Problem((spec,), (), ())
    platform = load_platform("zcu102")
    free = explore(problem, Constraints(platform, 200, 64, 0.9), "throughput", progress=False)
    cap = free.partitions[0].power_w * 0.8
    capped = explore(problem, Constraints(platform, 200, 64, 0.9, power_cap_w=cap), "throughput", progress=False)
    assert capped.partitions[0].power_w <= cap < free.partitions[0].power_w
    assert capped.perf.fps < free.perf.fps


def test_more_budget_is_never_slower():
    spec, _ = conv("conv", 32, 64, 32, 3)
    problem = Problem((spec,), (), ())
    platform = load_platform("zc706")
    fps = [explore(problem, Constraints(platform, 200, 64, b), "throughput", progress=False).perf.fps
           for b in (0.2, 0.5, 0.9)]
    assert fps == sorted(fps) and fps[0] < fps[-1]


def test_weights_that_do_not_fit_are_reloaded_or_partitioned():
    # Two 512 -> 512 3x3 convs: 2 x 2.36 M weights x 16 bits = 75 Mb, far beyond a ZC706's
    # 19.6 Mb of BRAM: the design must cut between them or reload weights.
    first, size = conv("a", 512, 512, 14, 3)
    second, _ = conv("b", 512, 512, size, 3)
    relu = LayerSpec("relu", "activation", ((512, 14, 14),), ((512, 14, 14),), mode="relu")
    problem = Problem((first, relu, second), (("a", "relu"), ("relu", "b")), (0, 1))
    design = explore(problem, Constraints(load_platform("zc706"), 200, 64, 0.9), "throughput", progress=False)
    reloads = max(s.wr_factor for p in design.partitions for s in p.specs)
    assert len(design.partitions) > 1 or reloads > 1


def test_unknown_strategy_is_a_user_error():
    spec, _ = conv("conv", 4, 8, 8, 3)
    with pytest.raises(UserError, match="unknown strategy"):
        explore(Problem((spec,), (), ()), Constraints(load_platform("zc706"), 200, 1), "throughput", "magic")


def test_live_streams_counts_the_tensors_crossing_each_cut():
    # x -> fork -> conv -> add(conv, skip) -> relu: after the fork both copies cross, after
    # the conv its result and the skip, after the add one tensor
    shape = (8, 8, 8)
    fork = LayerSpec("fork", "split", (shape,), (shape, shape))
    conv = LayerSpec("conv", "conv", (shape,), (shape,), kernel=(3, 3), stride=(1, 1), pad=(1, 1, 1, 1))
    add = LayerSpec("add", "eltwise", (shape, shape), (shape,), mode="add")
    relu = LayerSpec("relu", "activation", (shape,), (shape,), mode="relu")
    edges = (("fork", "conv"), ("conv", "add"), ("fork", "add"), ("add", "relu"))
    problem = Problem((fork, conv, add, relu), edges, (0, 1, 2))
    assert live_streams(problem) == [2, 2, 1, 0]
