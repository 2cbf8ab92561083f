"""The conv / inner-product modules (sliding_window, weights_memory, conv, accum, glue, bias)
through Verilator, one module at a time, chained in Python: each module's simulated output is
the next one's input, and each is compared bit for bit with a numpy oracle built from
interp/kernels.py (windows, exact dot products, conv_fixed / inner_product_fixed for the
layer's output). Two frames are streamed so the steady-state cycles per frame can be read
between the first outputs of frame 0 and frame 1; they must equal the model's interval.
"""

from __future__ import annotations

import hashlib
from math import prod

import numpy as np
import pytest

from fpga_sdf.backend.rtl import accum, bias, conv, glue, module_sim, sliding_window, weights_memory
from fpga_sdf.backend.rtl.mac_common import MacPlan, unit_index
from fpga_sdf.backend.rtl.streams import ModuleParams, StreamType
from fpga_sdf.interp.fixed import Fixed
from fpga_sdf.interp.kernels import _windows, conv_fixed, inner_product_fixed
from fpga_sdf.model import expand
from fpga_sdf.model.dsp import sums_coarse_in
from fpga_sdf.model.spec import LayerSpec, padded_spatial

pytestmark = [pytest.mark.rtlsim]

X, W, OUT = Fixed(8, 4), Fixed(8, 5), Fixed(8, 3)
ACC = 24
FRAMES = 2


def conv_spec(c, f, dims, kernel, stride=None, pad=None, dilation=None, groups=1, ci=1, co=1,
              cg=1, fine=1, kind="conv", wr=1):
    n = len(dims)
    stride = stride or (1,) * n
    pad = pad or (0,) * (2 * n)
    dilation = dilation or (1,) * n
    out = tuple((d + pad[i] + pad[n + i] - dilation[i] * (k - 1) - 1) // s + 1
                for i, (d, k, s) in enumerate(zip(dims, kernel, stride)))
    if kind == "inner_product":
        return LayerSpec("fc", kind, ((c,),), ((f,),), has_bias=True, coarse_in=ci,
                         coarse_out=co, fine=1, data_width=X.width, weight_width=W.width,
                         acc_width=ACC)
    return LayerSpec("cv", kind, ((c,) + tuple(dims),), ((f,) + out,), kernel=tuple(kernel),
                     stride=tuple(stride), pad=tuple(pad), dilation=tuple(dilation),
                     groups=groups, has_bias=True, coarse_in=ci, coarse_out=co, coarse_group=cg,
                     fine=fine, wr_factor=wr, data_width=X.width, weight_width=W.width,
                     acc_width=ACC)


def params(spec, kind, instance, inputs, outputs, data, tag):
    models = {m.name: m for m in expand(spec)}
    reload = None
    if spec.wr_factor > 1 and kind in ("weights_memory", "bias"):
        reload = {"runs": spec.wr_factor, "filters_per_run": spec.outputs[0][0] // spec.wr_factor}
    return ModuleParams(kind, spec.name, instance, {}, inputs, outputs, spec=spec,
                        model=models.get(kind), params=data, reload=reload,
                        name=f"{tag}_{kind}_{instance}")


def per_frame(out: module_sim.SimOutput, words: int) -> int:
    """Steady-state cycles per frame: first output of frame 1 minus that of frame 0."""
    assert len(out.values) == FRAMES * words
    return int(out.cycles[words] - out.cycles[0])


class Layer:
    """A random quantized layer, its folding, and the oracle streams of every module."""

    def __init__(self, spec, seed=0):
        rng = np.random.default_rng(seed)
        self.spec = spec
        self.models = {m.name: m for m in expand(spec)}
        self.is_conv = spec.kind == "conv"
        c, f = prod(spec.inputs[0]) if not self.is_conv else spec.inputs[0][0], spec.outputs[0][0]
        groups = spec.groups if self.is_conv else 1
        kshape = tuple(spec.kernel) if self.is_conv else ()
        self.x = rng.integers(-128, 128, size=spec.inputs[0])
        self.w = rng.integers(-128, 128, size=(f, c // groups) + kshape)
        self.b = rng.integers(-3000, 3000, size=f)
        self.data = {"weights": self.w, "bias": self.b}
        if self.is_conv:
            self.y = conv_fixed(self.x[None], X, self.w, W, self.b, OUT, ACC, spec.stride,
                                spec.pad, spec.dilation, spec.groups)[0]
        else:
            self.y = inner_product_fixed(self.x[None], X, self.w, W, self.b, OUT, ACC)[0]
        self.c, self.f = c, f
        self.n_in = spec.coarse_in * spec.coarse_group
        self.n_out = spec.coarse_out * spec.coarse_group
        self.pixels = prod(spec.outputs[0][1:])
        self.kvol = prod(kshape) if self.is_conv else 1
        # deterministic module names, so Verilator builds are cached between runs
        self.tag = "t" + hashlib.sha1(repr((spec, seed)).encode()).hexdigest()[:10]

    def input_stream(self, s):
        """Stream s of the layer input: flat streaming order, word i on stream i % N."""
        flat = np.moveaxis(self.x, 0, -1).reshape(-1) if self.is_conv else self.x.reshape(-1)
        return flat[s::self.n_in]

    def windows(self, s):
        """The sliding window's output on stream s: (pixels * ch_s, K)."""
        if not self.is_conv:
            return self.input_stream(s)[:, None]
        sp = self.spec
        win = _windows(self.x[None], sp.kernel, sp.stride, sp.pad, sp.dilation, 0)[0]
        win = win.reshape(self.c, self.pixels, self.kvol)[s::self.n_in]  # (ch_s, P, K)
        return np.swapaxes(win, 0, 1).reshape(-1, self.kvol)

    def dots(self, plan: MacPlan, s):
        """Dot products of MAC unit (plan): [pixel][channel][filter]."""
        win = self.windows(s).reshape(self.pixels, plan.ch_s, self.kvol)
        w = self.w.reshape(self.f, -1, self.kvol)
        out = np.zeros((self.pixels, plan.ch_s, plan.cout_s), dtype=np.int64)
        for m, (ch, filters) in enumerate(zip(plan.channels, plan.filters)):
            for t, fl in enumerate(filters):
                out[:, m, t] = win[:, m, :] @ w[plan.offset + fl, ch % plan.cin_g, :]
        return out

    def output_stream(self, o, plan: MacPlan):
        y = self.y.reshape(self.f, -1)
        return y[[plan.offset + f for f in plan.out_filters]].T.reshape(-1)


def frames(a):
    return np.concatenate([np.asarray(a)] * FRAMES)


_generators = {"sliding_window": sliding_window, "weights_memory": weights_memory, "conv": conv,
               "accum": accum, "glue": glue, "bias": bias}


def run_chain(layer: Layer, backpressure=0.0):
    """One instance of every module kind of the layer, the last MAC unit (g, i, j) and its
    stream (so the weights and bias slicing is not the trivial one), each fed with the
    previous module's simulated output; the glue's other inputs are the oracle's dot products
    of the sibling units, and the accumulator behind it sums the glued words. Returns {kind: measured cycles per frame}."""
    sp = layer.spec
    ci, co, cg = sp.coarse_in, sp.coarse_out, sp.coarse_group
    g, i, j = cg - 1, ci - 1, co - 1
    s, o = g * ci + i, g * co + j
    instance = (g * co + j) * ci + i
    assert unit_index(sp, instance) == (g, i, j)
    xt, wt = StreamType(X.width, X.frac, 1), StreamType(W.width, W.frac, sp.fine)
    win_t = StreamType(X.width, X.frac, layer.kvol)
    acc_t = StreamType(ACC, X.frac + W.frac, 1)
    cycles = {}

    def run(p, data):
        outs = module_sim.simulate(_generators[p.kind].generate(p), p.inputs, p.outputs,
                                   [frames(d) for d in data],
                                   expect=[FRAMES * p.model.words_out], backpressure=backpressure)
        cycles[p.kind] = per_frame(outs[0], p.model.words_out)
        return outs[0].values

    window = layer.windows(s)
    if "sliding_window" in layer.models:
        p = params(sp, "sliding_window", s, [xt], [win_t], {}, layer.tag)
        got = run(p, [layer.input_stream(s)[:, None]])
        assert np.array_equal(got, frames(window)), "sliding window"
    plan = MacPlan(sp, g, i, j)
    # the weights memory streams its ROM once per output pixel
    p = params(sp, "weights_memory", instance, [], [wt], layer.data, layer.tag)
    weights = run(p, [])
    assert np.array_equal(weights, np.tile(plan.weight_words(layer.w), (FRAMES * layer.pixels, 1)))
    dots = layer.dots(plan, s)
    if sums_coarse_in(sp):  # one module holds the ci units (g, i', j) (and j's pair) and adds them
        units = layer.models["conv"].input_sharing
        j0 = j - (units - 1)  # the first unit of j's pair
        wins = [layer.windows(g * ci + k) if k != i else window for k in range(ci)]
        words = [weights[:len(weights) // FRAMES] if (k, j0 + u) == (i, j) else
                 np.tile(MacPlan(sp, g, k, j0 + u).weight_words(layer.w), (layer.pixels, 1))
                 for k in range(ci) for u in range(units)]
        p = params(sp, "conv", g * (co // units) + j0 // units, [win_t] * ci + [wt] * (ci * units),
                   [acc_t] * units, layer.data, layer.tag)
        per_unit = p.model.words_out // units
        outs = module_sim.simulate(conv.generate(p), p.inputs, p.outputs, [frames(d) for d in wins + words],
                                   expect=[FRAMES * per_unit] * units, backpressure=backpressure)
        cycles["conv"] = per_frame(outs[-1], per_unit)
        for u, out in enumerate(outs):
            summed = sum(layer.dots(MacPlan(sp, g, k, j0 + u), g * ci + k) for k in range(ci))
            assert np.array_equal(out.values[:, 0], frames(summed.reshape(-1))), f"conv, unit {j0 + u}"
        got = outs[-1].values
    elif layer.models["conv"].input_sharing == 2:  # units j - 1 and j share the window (model.dsp.pairs_units)
        mate = (g * co + j - 1) * ci + i
        mate_weights = run(params(sp, "weights_memory", mate, [], [wt], layer.data, layer.tag), [])
        p = params(sp, "conv", (g * (co // 2) + j // 2) * ci + i, [win_t, wt, wt], [acc_t, acc_t], layer.data,
                   layer.tag)
        per_unit = p.model.words_out // 2
        outs = module_sim.simulate(conv.generate(p), p.inputs, p.outputs,
                                   [frames(window), frames(mate_weights[:len(mate_weights) // FRAMES]),
                                    frames(weights[:len(weights) // FRAMES])],
                                   expect=[FRAMES * per_unit] * 2, backpressure=backpressure)
        cycles["conv"] = per_frame(outs[1], per_unit)
        mate_dots = layer.dots(MacPlan(sp, g, i, j - 1), s)
        assert np.array_equal(outs[0].values[:, 0], frames(mate_dots.reshape(-1))), "conv pair, unit j - 1"
        got = outs[1].values
    else:
        p = params(sp, "conv", instance, [win_t, wt], [acc_t], layer.data, layer.tag)
        got = run(p, [window, weights[:len(weights) // FRAMES]])
    if not sums_coarse_in(sp):
        assert np.array_equal(got[:, 0], frames(dots.reshape(-1))), "conv"

    got = got[:len(got) // FRAMES]
    if "glue" in layer.models:  # the glue adds the ci units' dot products of (g, j) as they come
        parts = [layer.dots(MacPlan(sp, g, k, j), g * ci + k).reshape(-1, 1) if k != i else got
                 for k in range(ci)]
        p = params(sp, "glue", o, [acc_t] * ci, [acc_t], layer.data, layer.tag)
        got = run(p, parts)
        assert np.array_equal(got, frames(sum(parts))), "glue"
        got = got[:len(got) // FRAMES]
    if "accum" in layer.models:  # then sums them over the acc_in channels of a stream
        sums = sum(layer.dots(MacPlan(sp, g, k, j), g * ci + k).reshape(layer.pixels, -1, plan.acc_in,
                                                                         plan.cout_s).sum(axis=2)
                   for k in range(ci))
        p = params(sp, "accum", o, [acc_t], [acc_t], layer.data, layer.tag)
        got = run(p, [got])
        assert np.array_equal(got, frames(sums.reshape(-1, 1))), "accum"
        got = got[:len(got) // FRAMES]
    p = params(sp, "bias", o, [acc_t], [StreamType(OUT.width, OUT.frac, 1)], layer.data, layer.tag)
    got = run(p, [got])
    assert np.array_equal(got[:, 0], frames(layer.output_stream(o, plan))), "bias"
    return cycles


def alone_at_its_words(spec: LayerSpec, window) -> int:
    """Cycles per frame of a sliding window run alone into a sink that never waits: one per
    word of its padded input (the model's interval is the window behind its consumer, which
    waits for windows: modules.window_cycles, measured end to end in test_rtl_e2e)."""
    channels_per_stream = window.words_in // prod(spec.inputs[0][1:])
    return prod(padded_spatial(spec)) * channels_per_stream


def check_cycles(layer: Layer, cycles: dict):
    """Measured cycles per frame of every module equal the model's interval (the steady state
    with every input available and no back-pressure); the window, alone, its padded words."""
    measured = {kind: (c, alone_at_its_words(layer.spec, layer.models[kind]) if kind == "sliding_window"
                       else layer.models[kind].interval) for kind, c in cycles.items()}
    print(f"{layer.spec.name}: measured, model cycles per frame: {measured}")
    assert all(c == model for c, model in measured.values()), measured


CASES = {
    # fine = 1, every coarse factor 1, padding
    "k3_fine1": conv_spec(2, 3, (5, 5), (3, 3), pad=(1, 1, 1, 1)),
    # fine = K, coarse_in and coarse_out > 1 (weights sliced per (i, j)), stride 2
    "k3_fineK_ci2_co2_s2": conv_spec(4, 4, (6, 7), (3, 3), stride=(2, 2), ci=2, co=2, fine=9),
    # fine not dividing K, asymmetric pad, dilation
    "k3_fine4_dil2": conv_spec(2, 2, (7, 6), (3, 3), pad=(0, 1, 1, 0), dilation=(2, 1), fine=4),
    # depthwise: groups = channels, coarse_group 2
    "depthwise_cg2": conv_spec(4, 4, (5, 5), (3, 3), pad=(1, 1, 1, 1), groups=4, cg=2, fine=3),
    # grouped, 2 groups on one stream pair
    "groups2_ci2": conv_spec(4, 4, (4, 4), (1, 1), groups=2, ci=2, co=1),
    # 1x1 at fine 1: one module of the 5 units of a stream pair (a dot product a cycle, no
    # running sum), an odd coarse_in (the registered tree passes a lone term up a level), no glue
    "k1_ci5_co2": conv_spec(10, 4, (3, 3), (1, 1), ci=5, co=2),
    # the same with one unit a window (coarse_out 3: no pairs)
    "k1_ci3_co3": conv_spec(6, 6, (3, 3), (1, 1), ci=3, co=3),
    # 3D: frame buffers, stride and pad in depth
    "3d_k3": conv_spec(2, 2, (4, 4, 4), (3, 3, 3), stride=(2, 1, 1), pad=(1, 0, 1, 1, 0, 1),
                       fine=9),
    # weights reloading: run 0 of 2 (the memories are RAMs with load ports)
    "k3_wr2_co2": conv_spec(2, 8, (4, 4), (3, 3), pad=(1, 1, 1, 1), co=2, fine=3, wr=2),
    # inner product: no sliding window, coarse_in and coarse_out
    "fc_ci2_co2": conv_spec(12, 6, (), (), ci=2, co=2, kind="inner_product"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_conv_chain_bit_exact_at_model_interval(case):
    layer = Layer(CASES[case])
    cycles = run_chain(layer)
    check_cycles(layer, cycles)


def test_conv_chain_under_backpressure():
    """Random output back-pressure on every module: the same words, in order."""
    run_chain(Layer(CASES["k3_fineK_ci2_co2_s2"], seed=4), backpressure=0.35)


@pytest.mark.parametrize("dims,kernel,stride,pad,dilation", [
    ((6, 5), (2, 3), (1, 2), (0, 1, 1, 0), (1, 1)),
    ((7, 7), (3, 3), (3, 3), (2, 2, 2, 2), (2, 2)),
    ((3, 5, 4), (2, 3, 1), (1, 1, 1), (0, 1, 0, 1, 1, 0), (1, 1, 1)),
])
def test_sliding_window_geometries(dims, kernel, stride, pad, dilation):
    """Stride, asymmetric padding and dilation in 2D and 3D, with 3 channels per stream."""
    layer = Layer(conv_spec(3, 1, dims, kernel, stride, pad, dilation))
    xt, win_t = StreamType(X.width, X.frac, 1), StreamType(X.width, X.frac, layer.kvol)
    p = params(layer.spec, "sliding_window", 0, [xt], [win_t], {}, layer.tag)
    words = p.model.words_out
    out, = module_sim.simulate(sliding_window.generate(p), [xt], [win_t],
                               [frames(layer.input_stream(0)[:, None])], expect=[FRAMES * words])
    assert np.array_equal(out.values[:words], layer.windows(0))
    assert per_frame(out, words) == alone_at_its_words(layer.spec, p.model)


def test_max_pool_window_pads_with_the_minimum():
    spec = LayerSpec("mp", "pool", ((1, 4, 4),), ((1, 2, 2),), kernel=(3, 3), stride=(2, 2),
                     pad=(1, 1, 0, 0), mode="max", data_width=8)
    x = np.arange(16).reshape(1, 4, 4) - 8
    t, win_t = StreamType(8, 0, 1), StreamType(8, 0, 9)
    p = params(spec, "sliding_window", 0, [t], [win_t], {}, "mp")
    out, = module_sim.simulate(sliding_window.generate(p), [t], [win_t], [x.reshape(-1, 1)],
                               expect=[4])
    expect = _windows(x[None], (3, 3), (2, 2), (1, 1, 0, 0), 1, -128)[0].reshape(4, 9)
    assert np.array_equal(out.values, expect)


def test_reload_images_cover_every_filter_once():
    """Under weights reloading the runs' weights / bias images, side by side, are the whole
    layer's: run r holds filters [r F/R, (r+1) F/R) in the unit's stream order."""
    spec = CASES["k3_wr2_co2"]
    layer = Layer(spec)
    wt = StreamType(W.width, W.frac, spec.fine)
    acc_t, out_t = StreamType(ACC, X.frac + W.frac, 1), StreamType(OUT.width, OUT.frac, 1)
    for j in range(spec.coarse_out):
        pw = params(spec, "weights_memory", j, [], [wt], layer.data, layer.tag)
        pb = params(spec, "bias", j, [acc_t], [out_t], layer.data, layer.tag)
        filters = []
        for run in range(spec.wr_factor):
            plan = MacPlan(spec, 0, 0, j, run=run)
            image = weights_memory.reload_image(pw, run)
            assert image.shape == (plan.ch_s * plan.cout_s * plan.steps, spec.fine)
            expect = layer.w[[plan.offset + f for f in plan.out_filters]].reshape(
                plan.cout_s, plan.ch_s, -1).transpose(1, 0, 2).reshape(image.shape)
            assert np.array_equal(image, expect)
            bias_image = bias.reload_image(pb, run)
            filters += [plan.offset + f for f in plan.out_filters]
            assert np.array_equal(bias_image[:, 0], layer.b[filters[-plan.cout_s:]])
        per_run = spec.outputs[0][0] // spec.wr_factor
        assert sorted(filters) == [r * per_run + f for r in range(spec.wr_factor)
                                   for f in range(j, per_run, spec.coarse_out)]


@pytest.mark.parametrize("dw,ww,fine", [(8, 8, 3), (16, 16, 1), (4, 4, 2), (27, 18, 2)])
def test_conv_dsps_as_the_model_counts(dw, ww, fine):
    """yosys synth_xilinx (7-series) gives a MAC unit exactly the model's DSPs: `fine`
    multipliers, each as many slices as model/dsp.py says for a dw x ww product."""
    from dataclasses import replace

    from fpga_sdf.backend.rtl import synth
    spec = replace(conv_spec(2, 2, (4, 4), (3, 3), fine=fine), data_width=dw, weight_width=ww,
                   acc_width=dw + ww + 6)
    data = {"weights": np.ones((2, 2, 3, 3), dtype=np.int64), "bias": np.zeros(2, np.int64)}
    p = params(spec, "conv", 0, [StreamType(dw, 0, 9), StreamType(ww, 0, fine)],
               [StreamType(dw + ww + 6, 0, 1)], data, f"dsp{dw}x{ww}f{fine}")
    got = synth.synthesise_module(conv.generate(p), "7series")
    assert got.dsp == synth.model_resources(p.model, "7series")["dsp"]


def test_memories_map_to_the_model_brams():
    """Line buffers over 1 Kb (2 x 64 x 8 words of 8 bits) and a weights memory over 1 Kb
    become the BRAM18s the model counts; yosys reads the ram_style the generators set."""
    from fpga_sdf.backend.rtl import synth
    spec = conv_spec(8, 16, (16, 64), (3, 3), pad=(1, 1, 1, 1))
    layer = Layer(spec)
    cases = [("sliding_window", [StreamType(8, 4, 1)], [StreamType(8, 4, 9)]),
             ("weights_memory", [], [StreamType(8, 5, 1)])]
    for kind, ins, outs in cases:
        p = params(spec, kind, 0, ins, outs, layer.data, "bram")
        got = synth.synthesise_module(_generators[kind].generate(p), "7series")
        model = synth.model_resources(p.model, "7series")
        assert (kind, got.bram18) == (kind, model["bram18"]) and model["bram18"] > 0


@pytest.mark.parametrize("filters, wr", [(32, 1), (64, 2)])
def test_deep_weights_rom_is_built_as_the_model_tiles(filters, wr):
    """A 4608 x 8 weights ROM (16 x 32 x 3x3 at fine 1; with reloading, run 0 of 2 of 64
    filters, in a RAM with a load port) is built as the model's BRAM tiles in depth (2048 words
    each, the last one shorter) and streams the same words, in order, as the weight image."""
    from fpga_sdf.model.memory import bram18_tiling

    spec = conv_spec(16, filters, (3, 3), (3, 3), wr=wr)
    layer = Layer(spec)
    wt = StreamType(W.width, W.frac, spec.fine)
    p = params(spec, "weights_memory", 0, [], [wt], layer.data, layer.tag)
    depth = p.model.memories[0].depth
    assert depth == 4608 and bram18_tiling(8, depth)[0] == 2048 < depth
    out, = module_sim.simulate(weights_memory.generate(p), [], [wt], [],
                               expect=[FRAMES * p.model.words_out])
    plan = MacPlan(spec, 0, 0, 0)
    assert np.array_equal(out.values, np.tile(plan.weight_words(layer.w), (FRAMES * layer.pixels, 1)))
    assert per_frame(out, p.model.words_out) == p.model.interval
