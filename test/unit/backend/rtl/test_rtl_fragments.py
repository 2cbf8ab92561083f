"""AutoWS weight fragments (`weights_fragments = (n, u_on, u_off)`, --sdf-fragment-weights) in
the RTL backend: a MAC unit's weights memory keeps its n u_on static words in ROM and reads
the dynamic ones, in order, from a 2 u_off-word stream_buffer that the layer's weights AXI
port (`s_axis_w<k>`, an image of one memory cycle streamed once per output word) fills.

Oracles: the fixed-point executor (bit for bit, on the zoo's tiny_conv, whose weights are not
constant, so a word read out of order shows); the model's interval (partition_performance,
with the board's bandwidth cut until the weights stream binds); the model's memories
(`weights` n u_on words, `stream_buffer` 2 u_off) against the reg arrays of the emitted
weights memory, and the model's streamed weight bits per frame against the port's beats.
docs/notes/rtl-backend.md "AutoWS weight fragments".
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf.api import run_pass
from fpga_sdf.backend.rtl import sim
from fpga_sdf.backend.rtl.emit import emit, write_project
from fpga_sdf.diagnostics import UserError
from fpga_sdf.model import expand

sys.path.insert(0, str(Path(__file__).parents[1]))
from multipixel_nets import zoo_quantized  # noqa: E402
from rtl_checks import partition_model, simulate, within  # noqa: E402

pytestmark = [pytest.mark.rtlsim]

# tiny_conv: conv "0" (3 -> 8, 3x3, 16x16: one MAC unit of 216 words unfolded) -> relu ->
# max pool -> inner product "5" (512 -> 10: one unit of 5,120 words)
DESIGNS = {
    # both weight layers fragmented: two weights ports, a static ROM beside each buffer
    "both": ("", {"0": (24, 6, 3), "5": (320, 12, 4)}),
    # two MAC units of 36 words of 3 taps (48 bits), every word streamed (no ROM)
    "unrolled-all-off": ("coarse_out=2 fine=3 layers=0", {"0": (6, 0, 6)}),
    # conv 0 at 2 pixels a word: its 2 MAC arrays read each word, fetched once per 2 pixels
    "two-pixels": ("", {"0": (24, 6, 3)}, (2, 1)),
    "two-pixels-all-off": ("coarse_out=2 fine=3 layers=0", {"0": (6, 0, 6)}, (2, 1)),
}


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return tmp_path_factory.mktemp("rtl_fragments")


@lru_cache(maxsize=None)
def _design(name: str, tmp_root: Path):
    fold, fragments, *pixels = DESIGNS[name]
    module, x = zoo_quantized("tiny_conv", tmp_root)
    if fold:
        run_pass(module, "sdf-fold", fold)
    if pixels:
        from torch_mlir import ir

        from fpga_sdf.dialects.sdf_attrs import set_ints

        with module.context, ir.Location.unknown():
            set_ints(dict(network.named_layers(module))["0"], "pixels", pixels[0])
    for layer, (n, u_on, u_off) in fragments.items():
        run_pass(module, "sdf-fragment-weights", f"layer={layer} n={n} u_on={u_on} u_off={u_off}")
    text = sdf_ir.to_text(module)
    out = tmp_root / f"{name}.rtl"
    write_project(emit(sdf_ir.parse(text, f"{name}.mlir"), source=f"{name}.mlir"), str(out))
    return sdf_ir.parse(text, f"{name}.mlir"), x, out


def _simulate(name: str, tmp_root: Path, bandwidth_bits: float | None = None, frames: int = 2):
    """The design on the two quantization frames, then seeded noise up to `frames`."""
    module, x, out = _design(name, tmp_root)
    noise = np.random.default_rng(11).standard_normal((frames - len(x), *x.shape[1:])).astype(np.float32)
    x = np.concatenate([x, noise])
    return simulate(module, str(out), x, bandwidth_bits)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_fragments_stream_bit_exact_at_the_models_interval(name, tmp_root):
    y, ref, stats = _simulate(name, tmp_root)
    bad = np.flatnonzero(y.ravel() != ref.ravel())
    assert bad.size == 0, f"{bad.size} of {y.size} outputs differ"
    (part,) = stats["partitions"]
    within(part["cycles_per_frame"], part["model_cycles_per_frame"], f"{name}, ports every cycle")


def test_a_weights_stream_that_binds_runs_at_the_models_bandwidth_bound(tmp_root):
    """At 4 bits a cycle shared by all the ports, conv 0's dynamic regions (24 x 3 words of
    16 bits per output pixel, 294,912 bits a frame) bind: the model's interval is off-chip
    bits per frame / bits per cycle, over the 55,296 cycles the partition computes in.
    Measured between the ends of frames 1 and 4 of 6: the conv runs ahead into the next
    frame (its weights too) while the inner product finishes one, so the last frame, with no
    next one to share the port with, ends early (stats' cycles_per_frame, which counts it,
    is 4.8% under the bound at 5 frames)."""
    module, _, _ = _design("both", tmp_root)
    bits_per_cycle = 4.0
    model = partition_model(module, bits_per_cycle)
    assert model.interval == model.bandwidth_interval > 1.3 * model.compute_interval
    frames = 6
    y, ref, stats = _simulate("both", tmp_root, bits_per_cycle, frames)
    assert np.array_equal(y, ref)
    done = stats["partitions"][0]["frame_done_cycles"]
    within((done[-2] - done[1]) / (frames - 3), model.interval, f"shared {bits_per_cycle} bits/cycle")


def _memories(sv: str) -> dict:
    """{array name: depth} of the reg arrays of an emitted module."""
    return {m[1]: int(m[2]) + 1 for m in re.finditer(r"reg\s+\[\d+:0\]\s+(\w+)\[0:(\d+)\]", sv)
            for m in [(None, m.group(1), m.group(2))]}


@pytest.mark.parametrize("name", list(DESIGNS))
def test_emitted_memories_and_streamed_bits_are_the_models(name, tmp_root):
    module, _, out = _design(name, tmp_root)
    layers = dict(network.named_layers(module))
    (part,) = sim.load_manifest(str(out))["partitions"]
    perf = partition_model(module)
    streamed = dict(perf.weights_streams)
    assert sorted(w["layer"] for w in part["weights"]) == sorted(DESIGNS[name][1])
    for k, w in enumerate(part["weights"]):
        layer = w["layer"]
        n, u_on, u_off = DESIGNS[name][1][layer]
        memory = next(m for m in expand(network.layer_spec(layer, layers[layer])) if m.name == "weights_memory")
        modelled = {m.role: m for m in memory.memories}
        assert modelled["stream_buffer"].depth == 2 * u_off
        assert ("weights" in modelled) == bool(u_on)
        # each unit's module: a stream_buffer of 2 u_off words and ROM tiles of n u_on in all
        assert w["port"] == f"s_axis_w{k}" and w["units"] == memory.instances
        for unit in w["units_order"]:
            sv = (out / part["name"] / f"{part['name']}_{layer}_weights_memory{unit}.sv").read_text()
            arrays = _memories(sv)
            assert arrays.pop("stream_buffer") == modelled["stream_buffer"].depth
            rom = sum(d for a, d in arrays.items() if re.fullmatch(r"weights(_t\d+)?", a))
            assert rom == (modelled["weights"].depth if u_on else 0)
        # the port moves what the model streams: a word of every unit per beat
        assert w["beat_bits"] == memory.instances * modelled["stream_buffer"].width
        assert w["beats_per_frame"] * w["beat_bits"] == streamed[layer]
        image = (out / w["file"]).stat().st_size
        assert image == w["image_beats"] * -(-w["beat_bits"] // 32) * 4
    top = (out / part["name"] / f"{part['name']}_top.sv").read_text()
    assert all(f"{w['port']}_tdata" in top for w in part["weights"])


def _tiny_conv(tmp_path, passes, pixels=None, layer="0"):
    """tiny_conv through `passes` ((pass, options) pairs), `layer` at `pixels` a word if given."""
    from torch_mlir import ir

    from fpga_sdf.dialects.sdf_attrs import set_ints

    module, _ = zoo_quantized("tiny_conv", tmp_path)
    if pixels:
        with module.context, ir.Location.unknown():
            set_ints(dict(network.named_layers(module))[layer], "pixels", pixels)
    for name, options in passes:
        run_pass(module, name, options)
    return module


@pytest.mark.parametrize("passes, pixels, layer, why", [
    # weights reloading: each run's filters would need their own image (the HLS backend refuses it too)
    ([("sdf-weights-reloading", "layers=0 factor=2"), ("sdf-fragment-weights", "layer=0 n=12 u_on=6 u_off=3")],
     None, "0", r"with weights reloading \(wr_factor > 1\)"),
    # an inner product's p FCUs read their own weights: not the conv's shared word
    ([("sdf-fragment-weights", "layer=5 n=160 u_on=12 u_off=4")], (2, 1), "5",
     r"on a multi-pixel inner product \(its p FCUs read their own weights\)"),
])
def test_fragments_outside_the_scope_are_refused_at_the_layer(passes, pixels, layer, why, tmp_path):
    module = _tiny_conv(tmp_path, passes, pixels, layer)
    with pytest.raises(UserError, match=rf"^{layer}: error: AutoWS weight fragments " + why +  # at the layer
                       r" are modelled and explored, but the RTL backend does not emit them yet"):
        emit(module, source="net.mlir")


def test_a_bare_off_chip_fraction_is_still_refused(tmp_path):
    """A weights_off_chip fraction without fragments (the fraction-only model's 512-word
    fragments) is not built: a diagnostic at the layer, not a traceback."""
    from torch_mlir import ir

    from fpga_sdf.dialects.sdf_attrs import set_float

    module = _tiny_conv(tmp_path, [])
    with module.context, ir.Location.unknown():
        set_float(dict(network.named_layers(module))["0"], "weights_off_chip", 0.25)
    with pytest.raises(UserError, match=r"error: streaming weights from off-chip memory \(weights_off_chip, AutoWS\) "
                                        r"is modelled and explored, but the RTL backend does not emit it yet"):
        emit(module, source="net.mlir")


@pytest.mark.synth
@pytest.mark.parametrize("family", ["ultrascale+", "7series"])
@pytest.mark.parametrize("fragments", [(288, 12, 4), (288, 0, 16), (32, 120, 24)])
def test_a_fragmented_weights_memory_synthesises_to_the_models_block_rams(fragments, family):
    """yosys synth_xilinx of one MAC unit's fragmented weights memory (a 16 -> 32 channel 3x3
    conv at fine 1: 4,608 words of 16 bits): its ROM of static regions and its stream_buffer
    map to the model's BRAM18s (ROM tiles plus one for the buffer; a buffer alone, one)."""
    from fpga_sdf.backend.rtl import synth, weights_memory
    from fpga_sdf.backend.rtl.streams import ModuleParams, StreamType
    from fpga_sdf.model.spec import LayerSpec

    n, u_on, u_off = fragments
    spec = LayerSpec("k", "conv", ((16, 8, 8),), ((32, 8, 8),), kernel=(3, 3), stride=(1, 1), pad=(1, 1, 1, 1),
                     has_bias=True, fine=1, data_width=16, weight_width=16, acc_width=48,
                     weights_fragments=fragments, weights_off_chip=u_off / (u_on + u_off))
    model = next(m for m in expand(spec) if m.name == "weights_memory")
    word = StreamType(16, 14, 1)
    rng = np.random.default_rng(0)
    p = ModuleParams("weights_memory", "k", 0, {}, [word], [word], spec=spec, model=model,
                     name=f"frag_wm_{n}_{u_on}_{u_off}",
                     params={"weights": rng.integers(-9999, 9999, (32, 16, 3, 3)), "bias": rng.integers(-9, 9, 32)})
    got = synth.synthesise_module(weights_memory.generate(p), family)
    expected = synth.model_resources(model, family)
    print(f"{fragments} {family}: yosys {got.as_dict()}, model {expected}")
    assert got.bram18_units == expected["bram18"] and got.dsp == expected["dsp"] == 0, (got, expected)
