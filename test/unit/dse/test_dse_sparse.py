"""MAC allocation against measured sparsity (PASS eqs. 1-4) and FIFO sizing by the
back-pressure metric under a LUTRAM limit (eq. 6)."""

from dataclasses import replace
from math import ceil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fpga_sdf
from fpga_sdf import network
from fpga_sdf.dialects.sdf_attrs import get_int
from fpga_sdf.dse.balance import _fold, _unfolded, fold_partition
from fpga_sdf.dse.options import layer_options
from fpga_sdf.dse.problem import Constraints
from fpga_sdf.dse.sparse_buffers import Candidate, buffer_lutram, size_buffers
from fpga_sdf.model import LayerSpec, load_platform, partition_resources
from fpga_sdf.model.memory import map_memory

ZC706 = load_platform("zc706")


def conv(name="conv", c_in=32, c_out=64, size=28, **kw):
    return LayerSpec(name, "conv", ((c_in, size, size),), ((c_out, size, size),), kernel=(3, 3),
                     stride=(1, 1), pad=(1, 1, 1, 1), dilation=(1, 1), has_bias=True, **kw)


@pytest.mark.parametrize("s", [0.3, 0.5, 0.65, 0.8])
def test_no_design_buys_macs_beyond_saturation(s):
    # eq. 2: theta reaches 1 at k = (1 - s) K; more MACs cost DSPs and gain no cycle, so the
    # chosen design never has more than ceil((1 - s) * 9) MACs per engine.
    c = Constraints(ZC706, 200.0, 1)
    design = fold_partition([conv(sparsity=(s,) * 32)], [], c, "throughput")
    k = design.specs[0].fine
    assert k <= ceil((1 - s) * 9 - 1e-9)
    # the options offer every k <= 9, not only the divisors of 9 the dense engine can use
    assert {o.spec.fine for o in layer_options(conv(sparsity=(s,) * 32), ZC706)} - {1, 3, 9}


@settings(max_examples=15, deadline=None)
@given(s=st.floats(0.3, 0.9), dsp_fraction=st.sampled_from([0.05, 0.1, 0.2]))
def test_sparse_design_beats_dense_under_the_same_dsp_budget(s, dsp_fraction):
    # eq. 4: max over allocations of the slowest layer's throughput under the DSP budget.
    # The dense design stays a candidate (its engines need no crossbar and keep the clock),
    # so knowing the sparsity never makes the design slower.
    layers = [conv("a", 16, 32), conv("b", 32, 32)]
    board = replace(ZC706, dsp=int(ZC706.dsp * dsp_fraction))
    c = Constraints(board, 200.0, 1)
    dense = fold_partition(layers, [("a", "b")], c, "throughput")
    sparse = fold_partition([replace(x, sparsity=(s,) * x.inputs[0][0]) for x in layers], [("a", "b")], c,
                            "throughput")
    assert sparse.perf.time_s <= dense.perf.time_s * (1 + 1e-9)
    assert sparse.resources.dsp <= c.capacity("dsp")
    if any(x.dense_engine for x in sparse.specs):  # the dense variant won: it is the dense design
        assert sparse.perf.clock_mhz == 200.0 and sparse.perf.time_s == pytest.approx(dense.perf.time_s)


@pytest.mark.xfail(strict=True, reason=(
    "measured after the accumulator moved behind the glue (co*cg accumulators, not ci*co*cg): "
    "at 18% LUT / 20% DSP the DSE puts b on the sparse engine too (fine 8, coarse_in 16, "
    "180 MHz), and no budget of 6-24% LUT x 10-30% DSP with b at 2-10% zeros makes the mix "
    "win; the case needs a new budget/sparsity where the crossbar's LUTs decide"))
def test_a_partition_may_mix_sparse_and_dense_engines():
    # LUTs at 18% and DSPs at 20% of the ZC706: layer a (80% zeros) gains from the sparse
    # engine, layer b (10% zeros) gains little for its crossbar's LUTs. Either pure design is
    # slower than giving b the dense engine (by the calibrated 7-series crossbar cost: 19.7
    # LUT per mux input of 16 + 16 bits, k (K - k + 1) inputs per engine; at 20% of the LUTs
    # the banded crossbar is cheap enough for b to go sparse too).
    board = replace(ZC706, lut=int(ZC706.lut * 0.18), dsp=int(ZC706.dsp * 0.2))
    c = Constraints(board, 200.0, 1)
    layers = [conv("a", 32, 32, sparsity=(0.8,) * 32), conv("b", 32, 32, sparsity=(0.1,) * 32)]
    design = fold_partition(layers, [("a", "b")], c, "throughput")
    a, b = design.specs
    assert not a.dense_engine and a.fine < 9  # sparse engines of k < K
    assert b.dense_engine
    assert design.perf.clock_mhz == 180.0
    # b sets the pace: 28 x 28 windows x 32 filters per stream x ceil(9 / fine) cycles
    assert design.perf.compute_interval == 28 * 28 * 32 * -(-9 // b.fine) * 32 // (b.coarse_in * b.coarse_out)
    # the designs without the mix: every sparse layer on the sparse engine (k = K being its
    # only dense choice), or every layer on the dense engine
    sparse_only = _fold(_unfolded(layers), [("a", "b")], c, "throughput", "greedy")
    dense_only = _fold([replace(x, dense_engine=True) for x in _unfolded(layers)], [("a", "b")], c, "throughput",
                       "greedy")
    assert design.perf.time_s < 0.95 * min(sparse_only.perf.time_s, dense_only.perf.time_s)


def candidates(rhos, spec=None):
    # 2 output channels (cout_s 2): each of the 8 engines' result buffer, sparse_buffer x 2
    # sums of 32 bits, stays in registers or LUTRAM up to depth 32 (64 x 32 = 2048 bits, the
    # LUTRAM limit), so these tests are about the input FIFOs' rho and LUTRAM
    spec = spec or conv(c_out=2, sparsity=(0.5,) * 32, coarse_in=8, fine=3)
    windows = (1, 2, 4, 8, 16, 32, 64)
    return [Candidate(replace(spec, name=f"l{i}"), windows, tuple(r)) for i, r in enumerate(rhos)]


def test_buffers_grow_until_rho_is_below_tolerance():
    rho = [(0.5, 0.4, 0.3, 0.2, 0.1, 0.04, 0.01)]
    sizing = size_buffers(candidates(rho), ZC706, lutram_limit=1e9, tolerance=0.05)
    assert sizing.depths == {"l0": 32} and sizing.rho["l0"] == 0.04  # first depth with rho <= 0.05


def test_buffers_stay_within_the_lutram_limit_and_favour_the_worst_layer():
    rho = [(0.5, 0.4, 0.3, 0.2, 0.1, 0.08, 0.07), (0.2, 0.15, 0.1, 0.09, 0.08, 0.07, 0.06)]
    spec = candidates(rho)[0].spec
    # 8 streams x 9 FIFOs of 16 bits: depth <= 32 costs one RAM32M group (12 LUTs) per FIFO
    # -> 8 x 9 x 12 = 864 LUTs; depth 64 costs 8 x 9 x 24 = 1728. The 8 engines' result
    # buffers (2 sums of 32 bits per window): depth 2 -> 4 words, one RAM32M group of
    # ceil(32 / 6) x 4 = 24 LUTs each, 192 (the input FIFOs of 2 are registers); up to depth
    # 16 (32 words) the same 192; depth 32 -> 64 words, a RAM64M group ceil(32 / 3) x 4 = 44
    # LUTs each, 352; depth 64 -> 128 words x 32 bits = 4096 bits: one BRAM18 each
    assert buffer_lutram(spec, 2, ZC706) == (192, 0)
    assert buffer_lutram(spec, 16, ZC706) == (864 + 192, 0)
    assert buffer_lutram(spec, 32, ZC706) == (864 + 352, 0)
    assert buffer_lutram(spec, 64, ZC706) == (1728, 8)
    # room for two layers at depth 32 (2 x 1216 = 2432): l0 (the worse rho) grows first to
    # 16 (1056), l1 to 4 (2112), l0 to 32 (2272), l1 to 32 (2432); 64 needs block RAM
    sizing = size_buffers(candidates(rho), ZC706, lutram_limit=2432, tolerance=0.0)
    assert sizing.lutram == 2432
    assert sizing.depths["l0"] >= sizing.depths["l1"]
    assert sizing.depths == {"l0": 32, "l1": 32}
    # 1 LUT less: l1 stops at 16 (1216 + 1056 = 2272), l0 keeps its 32
    tight = size_buffers(candidates(rho), ZC706, lutram_limit=2431, tolerance=0.0)
    assert tight.depths == {"l0": 32, "l1": 16} and tight.lutram == 2272
    roomy = size_buffers(candidates(rho), ZC706, lutram_limit=1e9, tolerance=0.0)
    assert all(roomy.depths[n] >= sizing.depths[n] for n in sizing.depths)
    assert size_buffers(candidates(rho), ZC706, lutram_limit=0, tolerance=0.0).lutram == 0


def test_a_depth_needing_block_ram_ends_growth():
    # growth stops at the deepest FIFO the memory model still puts in LUTRAM (its threshold
    # is calibrated against synthesis elsewhere), never one in block RAM: of the 16-bit
    # input FIFO (w words) or of each engine's result buffer (w x cout_s sums of 32 bits),
    # whichever needs block RAM first -- the result buffer, twice as wide
    windows = tuple(2 ** i for i in range(12))

    def fits(w, cout_s):
        return (map_memory("buffer", 16, w, False)[0] == 0
                and map_memory("buffer", 32, w * cout_s, False)[0] == 0)

    # the LUTRAM limit is 2048 bits: 1 window x 64 sums or 64 windows x 1 sum of 32 bits
    for c_out, deepest in ((64, 1), (1, 64)):
        lutram = [w for w in windows if fits(w, c_out)]
        assert lutram[-1] == deepest < windows[-1]
        spec = conv(c_out=c_out, sparsity=(0.5,) * 32, coarse_in=8, fine=3)
        sizing = size_buffers([Candidate(spec, windows, (0.5,) * 12)], ZC706, 1e9, 0.0)
        assert sizing.depths == {"conv": deepest}


NET = """
func.func @net(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = "sdf.weights"() {value = dense<0.1> : tensor<8x8x3x3xf32>} : () -> tensor<8x8x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %r = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %y = "sdf.conv"(%r, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("conv")
  return %y : tensor<1x8x8x8xf32>
}
"""


def test_dse_writes_k_and_the_fifo_it_sized(tmp_path):
    rng = np.random.default_rng(1)
    # bursty data: whole rows of a channel are negative at random, so streams drift apart
    x = rng.random((16, 8, 8, 8)) * np.where(rng.random((16, 8, 8, 1)) < 0.5, -1, 1)
    np.save(tmp_path / "x.npy", x.astype(np.float32))
    module = fpga_sdf.parse(NET)
    fpga_sdf.run_pass(module, "sdf-sparsity", data=str(tmp_path / "x.npy"))
    # DSP-bound: 64 engines (coarse_in = coarse_out = 8) of k = 3 MACs use 192 of the 225 DSPs,
    # k = 4 would need 256; the LUTs left (about 10k) buy the FIFOs and the engines' result
    # buffers (at budget 0.2 about 1.1k were left: depth 2, registers, only)
    fpga_sdf.run_pass(module, "dse", platform="zc706", batch=4, budget=0.25, sparse_rho=0.0)
    (name, op), = [(n, o) for n, o in network.named_layers(module) if n == "conv"]
    spec = network.layer_spec(name, op)
    assert 1 <= spec.fine <= 9 and spec.coarse_in > 1
    assert get_int(op, "sparse_buffer") >= 4
    # the report reads the FIFO back: it costs LUTRAM in the design
    assert partition_resources([spec], None, ZC706).lutram > \
        partition_resources([replace(spec, sparse_buffer=0)], None, ZC706).lutram
