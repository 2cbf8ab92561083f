"""The DSE chooses evictions (`evict.fold_evicting`): against a brute force over every subset
of the join inputs and of the convs' windows evicted, each folded by `balance.fold_partition`."""

import itertools

import pytest

from fpga_sdf.dse.balance import Infeasible, fold_partition
from fpga_sdf.dse.evict import evict, fold_evicting
from fpga_sdf.dse.explore import Problem, explore
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.model import LayerSpec, check_folding, load_platform, platform_from_dict

ZC706 = load_platform("zc706")
SHAPE = (32, 8, 28, 28)  # a 3D map: the conv branch's frame buffers make the skip FIFO ~51 BRAM18


def block(i: int, source: str | None):
    """fork -> conv1 -> relu1 -> conv2 -> add(conv2, skip): 3x3x3 convs 32 -> 32."""
    def conv(name):
        return LayerSpec(name, "conv", (SHAPE,), (SHAPE,), kernel=(3, 3, 3), stride=(1, 1, 1), pad=(1,) * 6)
    n = [f"{x}{i}" for x in ("fork", "conv1", "relu1", "conv2", "add")]
    layers = (LayerSpec(n[0], "split", (SHAPE,), (SHAPE, SHAPE)), conv(n[1]),
              LayerSpec(n[2], "activation", (SHAPE,), (SHAPE,), mode="relu"), conv(n[3]),
              LayerSpec(n[4], "eltwise", (SHAPE, SHAPE), (SHAPE,), mode="add"))
    edges = ((n[0], n[1]), (n[1], n[2]), (n[2], n[3]), (n[3], n[4]), (n[0], n[4]))
    return layers, ((source, n[0]),) + edges if source else edges


LAYERS, EDGES = (lambda a, b: (a[0] + b[0], a[1] + b[1]))(block(0, None), block(1, "add0"))


def board(bram18: int, bandwidth_gbps: float | None = None):
    """The ZC706 with `bram18` BRAM18 (its other resources as shipped); with `bandwidth_gbps`,
    that plain memory bound instead of its HP ports."""
    data = {f: getattr(ZC706, f) for f in ZC706.__dataclass_fields__ if getattr(ZC706, f) is not None}
    if bandwidth_gbps:
        data = {k: v for k, v in data.items() if k not in ("axi_ports", "axi_port_bits")}
        data["bandwidth_gbps"] = bandwidth_gbps
    return platform_from_dict({**data, "bram18": bram18}, source="test")


CONVS = ("conv10", "conv20", "conv11", "conv21")


def brute_force(c: Constraints):
    """The cheapest design over every subset of the four join inputs and every subset of the
    four convs' windows (their frame buffers) evicted (None: none fits)."""
    inputs = [("add0", 0), ("add0", 1), ("add1", 0), ("add1", 1)]
    best = None
    for subset in (s for k in range(len(inputs) + 1) for s in itertools.combinations(inputs, k)):
        operands = {}
        for join, operand in subset:
            operands[join] = operands.get(join, ()) + (operand,)
        for windows in (w for k in range(len(CONVS) + 1) for w in itertools.combinations(CONVS, k)):
            try:
                design = fold_partition(evict(LAYERS, operands, windows), EDGES, c, "throughput")
            except Infeasible:
                continue
            if any(s.window_evicted and check_folding(s) for s in design.specs):
                continue  # folded where its window cannot run evicted
            if best is None or design.cost < best.cost:
                best = design
    return best


def evicted(design) -> dict[str, tuple[int, ...]]:
    return {s.name: s.evicted for s in design.specs if s.evicted}


def windows(design) -> set[str]:
    return {s.name for s in design.specs if s.window_evicted}


@pytest.mark.parametrize("bram18", [480, 600, 700])
def test_the_dse_evicts_where_bram_binds_as_the_brute_force(bram18):
    # 480 BRAM18 (432 at 90%): the most folded design needs 444 with both skip FIFOs (51
    # BRAM18 each) and the convs' frame buffers (2 x 30 x 30 x 32 words, 56 BRAM18 each) on
    # chip, so only an eviction fits. 600 and 700: a design fits, slower than the one the
    # evicted buffers' BRAM buys. The greedy's order is a heuristic: at 480 it evicts both
    # skips and three windows where the brute force needs one skip fewer (0.4% dearer).
    c = Constraints(board(bram18), 200, 1, 0.9)
    if bram18 == 480:
        with pytest.raises(Infeasible):
            fold_partition(LAYERS, EDGES, c, "throughput")
    else:
        base = fold_partition(LAYERS, EDGES, c, "throughput")
        assert base.perf.interval > 1.4 * fold_evicting(LAYERS, EDGES, c, "throughput").perf.interval
    found, oracle = fold_evicting(LAYERS, EDGES, c, "throughput"), brute_force(c)
    assert c.fits(found.resources)
    if bram18 == 480:
        assert oracle.cost <= found.cost <= 1.01 * oracle.cost
        assert windows(found)  # the frame buffers are the cheapest BRAM to free
    else:
        assert found.cost == pytest.approx(oracle.cost)
    assert all(ops == (1,) for ops in evicted(found).values())  # the skips, never the conv branch


@pytest.mark.parametrize("bram18, gbps", [(700, 0.6), (1090, None)])
def test_no_eviction_where_it_does_not_pay(bram18, gbps):
    # 700 BRAM18 behind a 0.6 Gb/s memory (3 bits a cycle at 200 MHz): BRAM binds, but the
    # design without eviction moves its 2 tensors of 3,211,264 bits a frame in 2,140,843
    # cycles, within its compute interval of 2,416,096, and one eviction adds 2 more: 4.28 M
    # cycles. 1090 (the ZC706): DSPs bind, eviction is not even tried. Either way the brute
    # force finds nothing cheaper.
    c = Constraints(board(bram18, gbps), 200, 1, 0.9)
    found, oracle = fold_evicting(LAYERS, EDGES, c, "throughput"), brute_force(c)
    assert evicted(found) == {} and windows(found) == set()
    assert found.cost == pytest.approx(oracle.cost)
    assert found == fold_partition(LAYERS, EDGES, c, "throughput")


def test_a_hand_set_eviction_is_decided_afresh():
    c = Constraints(board(1090), 200, 1, 0.9)
    hand = evict(LAYERS, {"add0": (1,)})
    assert evicted(fold_evicting(hand, EDGES, c, "throughput")) == {}
    hand = evict(LAYERS, {}, ("conv10",))
    assert windows(fold_evicting(hand, EDGES, c, "throughput")) == set()


def test_the_exploration_evicts_rather_than_cut():
    # Both blocks as the problem on 480 BRAM18, batch 1: together they fit only with buffers
    # evicted, each alone fits without (half the layers); cutting costs two reconfigurations
    # of 100 ms, more than the whole single partition's 6 ms.
    c = Constraints(board(480), 200, 1, 0.9)
    design = explore(Problem(LAYERS, EDGES, (4,)), c, "throughput", time_limit=60, progress=False)
    assert len(design.partitions) == 1
    assert design.partitions[0] == fold_evicting(LAYERS, EDGES, c, "throughput")
    assert windows(design.partitions[0]) and evicted(design.partitions[0])
    assert design.perf.partitions[0] == design.partitions[0].perf
