"""The RTL driver's refusals and bookkeeping, without Verilator: a kind without a generator,
or a generator refusing its configuration, is a diagnostic at the op; module-level input is
refused; stream types parse from the printed IR."""

from __future__ import annotations

import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf.backend.rtl import emit as rtl_emit
from fpga_sdf.backend.rtl import generators
from fpga_sdf.backend.rtl.streams import StreamType
from fpga_sdf.diagnostics import UserError

NET = """func.func @net(%x: tensor<1x4x4x4xf32> {sdf.format = #sdf.fixed<16, 12>}) -> tensor<1x4x4x4xf32> {
  %0 = "sdf.activation"(%x) {kind = "relu", output_format = #sdf.fixed<16, 12>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}
"""


def _emit():
    return rtl_emit.emit(sdf_ir.parse(NET, "net.mlir"), "net.mlir", platform="zedboard")


def test_kind_without_generator_is_refused_at_the_op(monkeypatch):
    monkeypatch.setitem(generators.FILES, "activation", "no_such_generator_file")
    with pytest.raises(UserError) as err:
        _emit()
    assert "net.mlir:2:" in str(err.value)
    assert "sdf_hw.activation has no RTL generator yet" in str(err.value)


def test_generator_refusal_is_a_diagnostic_at_the_op(monkeypatch):
    def refuse(p):
        raise ValueError("this folding is not generated")
    real = generators.generator

    def pick(kind):
        return refuse if kind == "activation" else real(kind)
    monkeypatch.setattr(generators, "generator", pick)
    with pytest.raises(UserError, match=r"net.mlir:2:\d+: error: sdf_hw.activation: this folding is not generated"):
        _emit()


def test_module_level_input_is_refused():
    from fpga_sdf.pass_registry import lookup
    from fpga_sdf.diagnostics import Diagnostics

    module = sdf_ir.parse(NET, "net.mlir")
    with sdf_ir.context():
        lookup("sdf-expand-modules").from_options("").run(module, Diagnostics())
    with pytest.raises(UserError, match="needs layer-level sdf IR"):
        rtl_emit.emit(module, "net.mlir", platform="zedboard")


def test_project_manifest_names_ports_and_model_figures():
    project = _emit()
    part = project.manifest["partitions"][0]
    assert part["top"] == "p0_top" and part["runs"] == 1
    assert part["input"]["streams"] == 1 and part["input"]["words"] == 64
    layer, = part["layers"]
    assert layer["kind"] == "activation"
    assert layer["model_interval"] == 64 and layer["words_per_frame"] == [64]
    assert "p0/p0_top.sv" in project.files["filelist.f"].split()
    assert "loc(" not in project.files["p0/p0_top.sv"]


def test_stream_type_parses_printed_types():
    t = StreamType.parse("!sdf_hw.stream<#sdf.fixed<34 : i64, 27 : i64>, 9 : i64>")
    assert t == StreamType(34, 27, 9) and t.bits == 306
    assert StreamType.parse("!sdf_hw.stream<#sdf.fixed<8, -2>, 1>") == StreamType(8, -2, 1)
    with pytest.raises(ValueError):
        StreamType.parse("!sdf_hw.stream<f32, 1 : i64>")


def test_fifos_sit_on_the_producer_streams_the_model_costs(tmp_path):
    """Every FIFO of partition_performance(...).fifos is emitted on the producer's streams of
    its edge at the model's depth, in front of a squeeze (conv at coarse_out=2 -> relu on one
    stream) and never behind it, and no other stream gets one."""
    import numpy as np

    from fpga_sdf.diagnostics import Diagnostics
    from fpga_sdf.frontend import zoo
    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.pass_registry import lookup
    from torch_mlir import ir

    model, x = zoo.build("tiny_conv")
    module = import_model(model, x)
    np.save(tmp_path / "calib.npy", x.numpy())
    for flag, options in (("sdf-quantize", f"calibration={tmp_path / 'calib.npy'}"),
                          ("sdf-fold", "coarse_out=2 layers=0")):
        diag = Diagnostics()
        with sdf_ir.context(), module.context, ir.Location.unknown():
            lookup(flag).from_options(options).run(module, diag)
        assert not diag.errors
    _assert_fifos_as_modelled(sdf_ir.to_text(module), 0)


def test_the_fifo_behind_a_pool_feeding_a_slower_layer_is_emitted_at_the_models_depth(tmp_path):
    """fifo_depths.window_gap_depth: the 8-bit digits design's last partition (ReLU, the 2x2
    stride-2 pool, the inner product at 10 cycles a word) gets the pool -> inner product FIFO
    the model sizes (31 words), and the RTL builds exactly it."""
    from test_rtl_dsp_packing import _digits_design

    depths = _assert_fifos_as_modelled(_digits_design(2, tmp_path), 2)
    assert depths == {"features.6": {31}}


def _assert_fifos_as_modelled(text: str, index: int) -> dict:
    """Every FIFO of partition `index`'s partition_performance(...).fifos is emitted on the
    producer's streams of its edge at the model's depth, never behind a squeeze, and no other
    stream gets one; returns {producer layer: depths}."""
    from fpga_sdf import network
    from fpga_sdf.model.performance import partition_performance

    mp = network.model_partitions(sdf_ir.parse(text, "n.mlir"), needed_by="test")[index]
    perf = partition_performance(mp.layers, mp.edges, None, 200, 1)
    expected = {edge: m.memories[0].depth for edge, m in perf.fifos if m.memories[0].depth > 2}
    assert expected, "the design should need a FIFO"
    part = rtl_emit.emit(sdf_ir.parse(text, "n.mlir"), "n.mlir", platform="zedboard").manifest["partitions"][index]
    deep = [s for s in part["streams"] if s["depth"] > 2]
    assert not [s for s in deep if "squeeze" in s["from"]]
    got = {}
    for s in deep:
        got.setdefault(s["layer"], set()).add(s["depth"])
    assert got == {src: {d} for (src, _), d in expected.items()}
    streams_out = {lp.name: lp.streams_out for lp in perf.layers}
    assert len(deep) == sum(streams_out[src] for src, _ in expected)
    return got


def test_weights_the_model_binds_to_uram_are_refused_at_the_layer():
    """URAM cannot be initialised at configuration: a layer whose weights the model keeps in
    URAM would need them loaded from off-chip, which no RTL generator builds yet, so the
    driver refuses it rather than build BRAM the model does not count."""
    from torch_mlir import ir

    from fpga_sdf import network
    from fpga_sdf.diagnostics import Diagnostics
    from fpga_sdf.model import layer_resources, load_platform
    from fpga_sdf.pass_registry import lookup

    net = """func.func @net(%x: tensor<1x4096xf32>) -> tensor<1x512xf32> {
  %w = "sdf.weights"() {value = dense<0.01> : tensor<512x4096xf32>} : () -> tensor<512x4096xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<512xf32>} : () -> tensor<512xf32>
  %0 = "sdf.inner_product"(%x, %w, %b) : (tensor<1x4096xf32>, tensor<512x4096xf32>, tensor<512xf32>) -> tensor<1x512xf32> loc("fc"("fc.mlir":4:8))
  return %0 : tensor<1x512xf32>
}
"""
    module = sdf_ir.parse(net, "fc.mlir")
    with sdf_ir.context(), module.context, ir.Location.unknown():
        for flag, options in (("sdf-quantize", ""), ("sdf-target", "platform=u250")):
            lookup(flag).from_options(options).run(module, Diagnostics())
    (name, op), = network.named_layers(module)
    assert layer_resources(network.layer_spec(name, op), load_platform("u250")).uram > 0  # 2 M words
    with pytest.raises(UserError, match=r"fc.mlir:4:\d+: error: the model binds this layer's memories to \d+ URAM"):
        rtl_emit.emit(module, "fc.mlir")
    # the same layer with its weights in block RAM is built
    with module.context:
        op.operation.attributes["weights_memory"] = ir.StringAttr.get("bram")
    assert rtl_emit.emit(module, "fc.mlir").manifest["partitions"][0]["top"] == "p0_top"
