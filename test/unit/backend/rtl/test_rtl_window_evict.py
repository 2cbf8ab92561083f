"""A sliding window's outer delay lines evicted to off-chip memory in RTL (`window_evicted`,
issue 12, SMOF): the window keeps the inner dims' delay lines of each of its K0 taps along dim
0, forwards every real input word to master `m_axis_win<k>` through a write burst buffer, and
takes each lagged tap's words from slave `s_axis_win<k>_<t>` through a read burst buffer;
sim.py plays the DDR (read port t returns, in order and never before it is written, the first
n_j slices of every frame the write port wrote).

Oracles: the fixed-point executor (bit for bit, random weights and inputs: a tap fed the wrong
slice or a word out of order shows); the model's interval (partition_performance, ports every
cycle: the walk is unchanged, so the window's padded volume a frame); the model's
window_traffic (the beats each port moved); the model's window_dma memories (B words a stream,
K0 of them: a write and a read per lagged tap) against the emitted FIFOs; yosys against the
model's BRAM. docs/notes/rtl-backend.md "Evicted window delay lines".
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from functools import lru_cache
from math import prod
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf.api import run_pass
from fpga_sdf.backend.rtl import sim
from fpga_sdf.backend.rtl.emit import emit, write_project
from fpga_sdf.diagnostics import UserError
from fpga_sdf.interp.executor import execute
from fpga_sdf.model import expand
from fpga_sdf.model.eviction import WINDOW_DMA, window_burst, window_lags, window_reads, window_traffic
from fpga_sdf.model.spec import padded_spatial

sys.path.insert(0, str(Path(__file__).parents[1]))
from rtl_checks import partition_model, simulate, within  # noqa: E402

pytestmark = [pytest.mark.rtlsim]

# 16 bits, ZC706, set by --sdf-evict windows=. 3D: 3x3x3, pad 1, 32 x 6 x 8 x 8 on 2 streams
# (B = 1,024 words a stream, a frame of the stream's 16 channels 1,024 words: B equals the
# nearest lag, and the ring holds the far lag and four bursts: 2 x 1,024 + 4,096 <= 6 x 1,024).
# 2D: 3x3, pad 1, 64 x 8 x 32 on one stream (B = 2,048 = a row). The layers are unrolled enough
# that the window's walk is the partition's interval. Besides: a stride-2 max pool (its padding,
# the lagged taps' too, is the minimum), a temporal (3, 1, 1) conv (no inner delay lines: each
# tap is its read stream), a conv dilated 2 along D (lags 4, 2, 0; the ring just holds them).
# The shapes sit at the refusals' limits, but the harness's DDR cannot deadlock or be lapped
# (it holds every frame and flushes a partial burst when the writer idles): only the HLS
# C-simulation (test_hls_window_evict.py, B = P there too) tests those limits.
DESIGNS = {
    "3d": dict(c=32, f=2, dims=(6, 8, 8), kernel=(3, 3, 3), attrs={"coarse_in": 2, "coarse_out": 2, "fine": 27}),
    "2d": dict(c=64, f=2, dims=(8, 32), kernel=(3, 3), attrs={"coarse_out": 2, "fine": 9}),
    "maxpool2d": dict(kind="pool", c=64, dims=(8, 32), kernel=(3, 3), stride=(2, 2), attrs={"fine": 9}),
    "temporal": dict(c=32, f=2, dims=(6, 8, 8), kernel=(3, 1, 1), pad=(1, 0, 0, 1, 0, 0),
                     attrs={"coarse_in": 2, "coarse_out": 2, "fine": 3}),
    "dilated": dict(c=32, f=2, dims=(8, 8, 8), kernel=(3, 3, 3), dilation=(2, 1, 1), pad=(2, 1, 1, 2, 1, 1),
                    attrs={"coarse_in": 2, "coarse_out": 2, "fine": 27}),
}
FRAMES = 2


def layer_ir(c, dims, kernel, attrs, f=None, kind="conv", pad=None, stride=None, dilation=None,
             evicted=False, seed=0) -> str:
    """A one-layer network named "layer": a conv with random weights and bias, or a max pool
    (pad 1 all round unless given)."""
    rng = np.random.default_rng(seed)
    n = len(dims)
    pad = pad or (1,) * (2 * n)
    stride, dilation = stride or (1,) * n, dilation or (1,) * n
    out = tuple((d + pad[i] + pad[n + i] - dilation[i] * (k - 1) - 1) // stride[i] + 1
                for i, (d, k) in enumerate(zip(dims, kernel)))
    t = lambda s: "x".join(map(str, s))  # noqa: E731
    arr = lambda v: f"array<i64: {', '.join(map(str, v))}>"  # noqa: E731
    f = f if kind == "conv" else c
    xin, yo = f"tensor<1x{c}x{t(dims)}xf32>", f"tensor<1x{f}x{t(out)}xf32>"
    extra = "".join(f", {k} = {v}" for k, v in attrs.items())
    ev = "window_evicted = true, " if evicted else ""
    geometry = f"pad = {arr(pad)}, stride = {arr(stride)}"
    if kind == "pool":
        return (f'func.func @net(%x: {xin}) -> {yo} {{\n'
                f'  %y = "sdf.pool"(%x) {{name = "layer", {ev}mode = "max", kernel = {arr(kernel)}, {geometry}{extra}}}'
                f' : ({xin}) -> {yo}\n  return %y : {yo}\n}}\n')
    w = np.round(rng.uniform(-0.5, 0.5, (f, c) + tuple(kernel)), 3)
    b = np.round(rng.uniform(-0.5, 0.5, (f,)), 3)
    wt = f"tensor<{f}x{c}x{t(kernel)}xf32>"
    return (f'func.func @net(%x: {xin}) -> {yo} {{\n'
            f'  %w = "sdf.weights"() {{value = dense<{json.dumps(w.tolist())}> : {wt}}} : () -> {wt}\n'
            f'  %b = "sdf.weights"() {{value = dense<{json.dumps(b.tolist())}> : tensor<{f}xf32>}} : () -> '
            f'tensor<{f}xf32>\n'
            f'  %y = "sdf.conv"(%x, %w, %b) {{name = "layer", {ev}{geometry}, dilation = {arr(dilation)}{extra}}}'
            f' : ({xin}, {wt}, tensor<{f}xf32>) -> {yo}\n'
            f'  return %y : {yo}\n}}\n')


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return tmp_path_factory.mktemp("rtl_window_evict")


def _quantized(tmp_root: Path, text: str, shape, name: str):
    module = sdf_ir.parse(text, f"{name}.mlir")
    calib = tmp_root / f"calib_{name}.npy"
    np.save(calib, np.random.default_rng(3).uniform(-1, 1, (2,) + tuple(shape)).astype(np.float32))
    run_pass(module, "sdf-quantize", f"calibration={calib}")
    run_pass(module, "sdf-target", "platform=zc706")
    return module


def _shape(name: str) -> tuple:
    d = DESIGNS[name]
    return (d["c"],) + d["dims"]


@lru_cache(maxsize=None)
def _design(name: str, tmp_root: Path, evict: bool = True):
    module = _quantized(tmp_root, layer_ir(**DESIGNS[name]), _shape(name), name)
    if evict:
        run_pass(module, "sdf-evict", "windows=layer")
    else:
        name += "_on_chip"
    text = sdf_ir.to_text(module)
    out = tmp_root / f"{name}.rtl"
    write_project(emit(sdf_ir.parse(text, f"{name}.mlir"), source=f"{name}.mlir"), str(out))
    return sdf_ir.parse(text, f"{name}.mlir"), out


@lru_cache(maxsize=None)
def _simulate(name: str, tmp_root: Path, frames: int = FRAMES, bandwidth_bits: float | None = None,
              evict: bool = True):
    module, out = _design(name, tmp_root, evict)
    x = np.random.default_rng(5).uniform(-1, 1, (frames,) + _shape(name)).astype(np.float32)
    return simulate(module, str(out), x, bandwidth_bits)


def _spec(module):
    (name, op), = network.named_layers(module)
    return network.layer_spec(name, op)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_evicted_window_is_bit_exact_at_the_models_interval(name, tmp_root):
    y, ref, stats = _simulate(name, tmp_root)
    bad = np.flatnonzero(y.ravel() != ref.ravel())
    assert bad.size == 0, f"{bad.size} of {y.size} outputs differ"
    (part,) = stats["partitions"]
    within(part["cycles_per_frame"], part["model_cycles_per_frame"], f"{name}, ports every cycle")
    module, _ = _design(name, tmp_root)
    spec = _spec(module)
    assert spec.window_evicted
    window = next(m for m in expand(spec) if m.name == "sliding_window")
    # the walk over the padded volume, a word a cycle a stream, as with the window on chip
    walk = prod(padded_spatial(spec)) * spec.inputs[0][0] // window.instances
    assert part["model_cycles_per_frame"] == window.interval == walk


@pytest.mark.parametrize("name", list(DESIGNS))
def test_each_port_moves_the_models_window_traffic(name, tmp_root):
    """The beats of the write port and of each read port over the batch, times the beat's bits,
    are the model's window_traffic a frame (write, then each lagged tap's read), and their sum
    is the model's offchip_tensors "window" entry; the masters are the model's."""
    module, out = _design(name, tmp_root)
    _, _, stats = _simulate(name, tmp_root)
    (part,) = sim.load_manifest(str(out))["partitions"]
    (e,) = part["window_evictions"]
    spec = _spec(module)
    traffic = window_traffic(spec)
    beats = stats["partitions"][0]["port_beats"]
    moved = [beats[e["write_port"]]] + [beats[p] for p in e["read_ports"]]
    assert [m * e["beat_bits"] for m in moved] == [FRAMES * bits for bits in traffic]
    assert e["bits_per_frame"] == e["model_bits_per_frame"] == list(traffic)
    assert e["lags"] == [j for j in window_lags(spec) if j > 0] and e["reads"] == list(window_reads(spec))
    perf = partition_model(module)
    assert [bits for layer, way, bits in perf.offchip_tensors if way == "window"] == [sum(traffic)]
    assert perf.master_bits[-len(traffic):] == traffic  # after x and the output
    # the layer's own streams are unchanged: x in and the output out a frame
    assert beats["s_axis"] == FRAMES * prod(spec.inputs[0]) // part["inputs"][0]["streams"]


def _fifo_depths(sv: str) -> dict:
    """{FIFO instance: its module's RAM depth} in a partition top."""
    return {inst: int(depth) for depth, inst in re.findall(r"sdf_fifo_w\d+_d(\d+)\s+(fifo_s\d+)", sv)}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_the_buffers_are_the_models(name, tmp_root):
    """Per stream the model's window_dma memories (K0 of B words: the write burst buffer and a
    read burst buffer per lagged tap) are the FIFOs on the window's DDR streams, and the
    window's own RAMs are the inner dims' delay lines of its K0 taps: none of dim 0's."""
    module, out = _design(name, tmp_root)
    (part,) = sim.load_manifest(str(out))["partitions"]
    (e,) = part["window_evictions"]
    spec = _spec(module)
    window = next(m for m in expand(spec) if m.name == "sliding_window")
    (dma,) = [m for m in window.memories if m.role == WINDOW_DMA]
    k0 = spec.kernel[0]
    assert dma.copies == k0 and dma.depth == window_burst(spec, window.instances) == e["burst_beats"] == \
        e["buffer_depth"]
    assert e["streams"] == window.instances
    top = (out / "p0" / "p0_top.sv").read_text()
    assert e["write_port"] == "m_axis_win0" and e["read_ports"] == [f"s_axis_win0_{t}" for t in range(k0 - 1)]
    for port in [e["write_port"]] + e["read_ports"]:
        assert f"{port}_tdata" in top
    depths = _fifo_depths(top)
    ddr = [s for s in part["streams"] if s.get("role")]
    assert len(ddr) == k0 * window.instances  # a write and k0 - 1 reads a stream
    assert sum(s["role"] == "window_write" for s in ddr) == window.instances
    for s in ddr:
        assert s["depth"] == depths[f"fifo_s{s['index']}"] == dma.depth
        assert s["words_per_frame"] * e["streams"] in [e["beats_per_frame"] * e["streams"]] + \
            [b * e["streams"] for b in e["read_beats_per_frame"]]
    # the window's RAMs: a delay of N words is a RAM of N - 1 (N > 2), so per instance
    # (model line/window buffers of depth N > 2, copies c) c RAMs of N - 1 words, none of
    # dim 0's (a slice: prod(padded[1:]) * ch_s words)
    ch_s = spec.inputs[0][0] // window.instances
    padded = padded_spatial(spec)
    want = sorted(m.depth - 1 for m in window.memories if m.role != WINDOW_DMA and m.depth > 2
                  for _ in range(m.copies))
    sw = (out / "p0" / "p0_layer_sliding_window0.sv").read_text()
    got = sorted(int(d) + 1 for d in re.findall(r"reg\s+\[\d+:0\]\s+d\d+(?:_\d+)+\[0:(\d+)\]", sw))
    assert got == want
    assert prod(padded[1:]) * ch_s - 1 not in got
    # against the same layer on chip: the dim-0 delay lines are what went off chip
    on_chip = next(m for m in expand(replace(spec, window_evicted=False)) if m.name == "sliding_window")
    assert any(m.depth == prod(padded[1:]) * ch_s for m in on_chip.memories)


def test_an_unevictable_window_is_refused_at_the_layer(tmp_root):
    """A frame too small for the bursts (4 x 4 x 4 x 4: a slice of 64 words a stream, a burst of
    2,048): the verifier refuses the attribute when it parses IR; set on a module in memory
    past it, --sdf-to-rtl refuses it at the layer with the model's window_evictable reason."""
    from torch_mlir import ir

    module = _quantized(tmp_root, layer_ir(4, (4, 4, 4), (3, 3, 3), {}, f=4), (4, 4, 4, 4), "small")
    with module.context:
        (_, op), = network.named_layers(module)
        op.operation.attributes["window_evicted"] = ir.BoolAttr.get(True)
    text = layer_ir(4, (4, 4, 4), (3, 3, 3), {}, f=4, evicted=True)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"sdf.conv"' in t)
    with pytest.raises(UserError, match=rf"^small.mlir:{line}:\d+: error: window_evicted: a burst gathers 2048 words "
                                        r"a stream, more than the 64 the nearest lagged tap trails the walk by"):
        emit(module, source="small.mlir")
    with pytest.raises(UserError, match="window_evicted: a burst gathers 2048 words"):
        sdf_ir.parse(text, "small.mlir")


def test_an_evicted_window_in_a_weights_reloading_partition_closes_its_ring_every_run(tmp_root):
    """The 3D conv reloading its weights (wr_factor 2, a filter a run): each run's top has the
    window's ports and writes and reads back the whole frame again (the skip eviction refuses
    this; the window's ring is the run's own input), bit-exact at the model's interval."""
    module = _quantized(tmp_root, layer_ir(**DESIGNS["3d"]), _shape("3d"), "reload")
    run_pass(module, "sdf-evict", "windows=layer")
    run_pass(module, "sdf-weights-reloading", "factor=2 layers=layer")
    text = sdf_ir.to_text(module)
    out = tmp_root / "reload.rtl"
    write_project(emit(sdf_ir.parse(text, "reload.mlir"), source="reload.mlir"), str(out))
    (part,) = sim.load_manifest(str(out))["partitions"]
    assert part["runs"] == len(part["run_tops"]) == 2 and part["window_evictions"][0]["write_port"] == "m_axis_win0"
    x = np.random.default_rng(5).uniform(-1, 1, (FRAMES,) + _shape("3d")).astype(np.float32)
    y, ref, stats = simulate(sdf_ir.parse(text, "reload.mlir"), str(out), x)
    assert np.array_equal(y, ref)
    (p,) = stats["partitions"]
    for run in p["run_cycles_per_frame"]:
        within(run, p["model_cycles_per_frame"], "3d, a reloading run")


def _relu_design(tmp_root: Path):
    """DESIGNS["3d"] with its window on chip behind a relu on one stream (coarse 1): the
    relu delivers a word a cycle (12,288 a frame), half a word a cycle to each of the
    window's 2 streams, which read a word a cycle at the real positions (12,800 a frame)."""
    text = layer_ir(**DESIGNS["3d"])
    xin = f"tensor<1x{_shape('3d')[0]}x{'x'.join(map(str, _shape('3d')[1:]))}xf32>"
    text = text.replace('  %y = "sdf.conv"(%x,', f'  %r = "sdf.activation"(%x) {{kind = "relu", name = "relu"}}'
                                                  f' : ({xin}) -> {xin}\n  %y = "sdf.conv"(%r,')
    module = _quantized(tmp_root, text, _shape("3d"), "relu3d")
    text = sdf_ir.to_text(module)
    out = tmp_root / "relu3d.rtl"
    write_project(emit(sdf_ir.parse(text, "relu3d.mlir"), source="relu3d.mlir"), str(out))
    x = np.random.default_rng(5).uniform(-1, 1, (3,) + _shape("3d")).astype(np.float32)
    return sdf_ir.parse(text, "relu3d.mlir"), out, x


@lru_cache(maxsize=None)
def _relu_run(tmp_root: Path):  # (module, project, RTL output, executor's, stats)
    module, out, x = _relu_design(tmp_root)
    return (module, out) + simulate(module, str(out), x)


def test_one_stream_feeding_a_two_stream_window_is_bit_exact(tmp_root):
    _, _, y, ref, _ = _relu_run(tmp_root)
    assert np.array_equal(y, ref)


def test_one_stream_feeding_a_two_stream_window_runs_at_the_models_interval(tmp_root):
    """The FIFO of fifo_depths.window_fill_depth sits on the window's 2 streams, behind the
    squeeze (1,520 + 2 words each: the walk's deficit at half a word a cycle, hand-computed
    in test_window_fill_fifo.py), and the window never waits: the model's 12,800 cycles a
    frame (the walk) is measured (RTL without it: 18,800; with a deficit of 1,300: 13,232)."""
    module, out, _, _, stats = _relu_run(tmp_root)
    (part,) = sim.load_manifest(str(out))["partitions"]
    top = (out / "p0" / "p0_top.sv").read_text()
    depths = _fifo_depths(top)
    deep = sorted((s["layer"], s["words_per_frame"], s["depth"]) for s in part["streams"] if s["depth"] > 2)
    assert deep == [("relu", 6144, 1522)] * 2  # the squeeze's two outputs, a frame's half each
    assert sorted(depths.values()) == [1522, 1522]
    assert [(m.instances, m.memories[0].depth) for _, m in partition_model(module).fifos] == [(2, 1522)]
    (p,) = stats["partitions"]
    assert p["model_cycles_per_frame"] == 12800
    within(p["cycles_per_frame"], p["model_cycles_per_frame"], "relu -> 2-stream 3d window")


def test_the_hls_backend_puts_the_same_fill_fifo_behind_the_squeeze(tmp_root):
    """One source of truth for the relu -> 2-stream window: the HLS top sets the model's FIFO
    (2 streams of 1,522 words) on the squeeze's 2-stream output, the bundle the window reads,
    not on the relu's one stream, and its C-simulation equals the executor bit for bit."""
    from fpga_sdf.backend.hls import project
    from fpga_sdf.backend.hls.emit import emit as emit_hls, write_project as write_hls

    module, _, x = _relu_design(tmp_root)
    out = tmp_root / "relu3d.hls"
    write_hls(emit_hls(module, source="relu3d.mlir"), str(out))
    top = (out / "p0" / "src" / "p0_top.cpp").read_text()
    fifos = re.findall(r"STREAM variable=\w+ depth=(\d+)  // \w+ (\S+) -> (\S+): the model's FIFO: (\d+) x ", top)
    assert fifos == [("1522", "relu", "layer", "2")]
    assert [(edge, m.instances, m.memories[0].depth) for edge, m in partition_model(module).fifos] == \
        [(("relu", "layer"), 2, 1522)]
    project.build(str(out))
    assert np.array_equal(project.run(str(out), x), execute(module, [x], "fixed")[0])


BANDWIDTH = 40.0  # bits a cycle: the 3D design's 765,952 bits a frame take 19,149 cycles (12,800 computing)
# (evicted, bits a cycle): measured cycles a frame / the bound with dma_padding_stall / without
BANDWIDTH_CASES = [
    pytest.param(True, BANDWIDTH, id="evicted-40"),  # 21,525 / 21,421 / 19,149
    pytest.param(True, 13.0, id="evicted-13"),  # 60,070 / 60,085 / 58,920: the bank covers most of it
    pytest.param(False, 10.91, id="on-chip-10.91"),  # 22,104 / 22,325 / 19,148
]


def _bandwidth_run(tmp_root, evict: bool = True, bits: float = BANDWIDTH):
    return _simulate("3d", tmp_root, 5, bits, evict)


def test_at_a_shared_bandwidth_the_evicted_window_stays_bit_exact(tmp_root):
    """Every port draws on 40 bits a cycle (module_sim's shared budget): the read ports are
    offered only when granted, so the window waits on its lagged taps; it stays bit-exact and
    never beats the bandwidth's bound (765,952 bits a frame through 40 bits a cycle)."""
    y, ref, stats = _bandwidth_run(tmp_root)
    assert np.array_equal(y, ref)
    module, _ = _design("3d", tmp_root)
    model = partition_model(module, BANDWIDTH)
    assert sum(model.master_bits) == 765952 and -(-765952 // 40) == 19149
    assert model.interval == model.bandwidth_interval >= 19149 > model.compute_interval
    done = stats["partitions"][0]["frame_done_cycles"]
    assert (done[-2] - done[1]) / 2 >= 0.97 * 19149


@pytest.mark.parametrize("evict,bits", BANDWIDTH_CASES)
def test_at_a_shared_bandwidth_the_window_runs_at_the_models_bound(evict, bits, tmp_root):
    """The 3D conv, its window evicted or on chip, with every port on `bits` a cycle: the
    model's bound is the off-chip bits over the bandwidth plus the cycles the DMA loses to
    the window's padding beyond what it banks (fifo_depths.dma_padding_stall, hand-computed
    in test_window_fill_fifo.py: 2,272 evicted at 40 bits, 1,165 at 13, 3,177 on chip at
    10.91), and the RTL runs at it."""
    _, ref, stats = _bandwidth_run(tmp_root, evict, bits)
    module, _ = _design("3d", tmp_root, evict)
    done = stats["partitions"][0]["frame_done_cycles"]
    within((done[-2] - done[1]) / 2, partition_model(module, bits).interval,
           f"3d {'evicted' if evict else 'on chip'} at {bits} bits a cycle")


@pytest.mark.synth
def test_the_evicted_window_synthesises_to_the_models_bram(tmp_root):
    """yosys synth_xilinx (7series) of one of the 3D design's windows (the inner delay lines
    of its 3 taps: 6 line buffers of 160 words, one BRAM18 each) and of its K0 burst buffers
    (1,024 x 16: one BRAM18 each) against the model's sliding_window module: 9 BRAM18 (10 with
    the window on chip: the same 6 line buffers and two frame buffers of 1,600 words, 2 BRAM18
    each; the saving is small at this size, the frame buffers grow with H x W)."""
    from fpga_sdf.backend.rtl import sliding_window, synth
    from fpga_sdf.backend.rtl.streams import ModuleParams, StreamType, fifo

    module, out = _design("3d", tmp_root)
    spec = _spec(module)
    window = next(m for m in expand(spec) if m.name == "sliding_window")
    (e,) = sim.load_manifest(str(out))["partitions"][0]["window_evictions"]
    t = StreamType(*e["format"])
    k0 = spec.kernel[0]
    p = ModuleParams("sliding_window", spec.name, 0, {"words_in": window.words_in}, [t] * k0,
                     [StreamType(t.width, t.frac, prod(spec.kernel)), t], spec=spec, model=window,
                     name="y_window_evicted_3d")
    got = synth.synthesise_module(sliding_window.generate(p), "7series")
    burst = synth.synthesise_module(fifo(t, e["buffer_depth"]), "7series")
    model = synth.model_resources(window, "7series")
    assert got.bram18_units + k0 * burst.bram18_units == model["bram18"] == 9, (got, burst, model)
    on_chip = synth.model_resources(next(m for m in expand(replace(spec, window_evicted=False))
                                         if m.name == "sliding_window"), "7series")
    assert on_chip["bram18"] == 10
