"""Pictures of a design: drawn from the report, so they show what the report says."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fpga_sdf.design_plots import diagram_svg, picture_files
from fpga_sdf.model import build_report
from fpga_sdf.model.spec import LayerSpec

SVG = "{http://www.w3.org/2000/svg}"


def _report():
    conv = LayerSpec("conv1", "conv", ((3, 16, 16),), ((8, 14, 14),), kernel=(3, 3), has_bias=True,
                     coarse_out=2, fine=3)
    relu = LayerSpec("relu1", "activation", ((8, 14, 14),), ((8, 14, 14),), mode="relu")
    fc = LayerSpec("fc", "inner_product", ((8, 14, 14),), ((10,),), has_bias=True, weights_off_chip=0.5)
    return build_report([[conv, relu], [fc]], "zcu102", batch=4, network_name="net")


def test_diagram_has_every_layer_in_its_partition_and_marks_the_bottleneck():
    report = _report()
    root = ET.fromstring(diagram_svg(report))
    texts = [t.text for t in root.iter(SVG + "text")]
    for layer in report["layers"]:
        assert layer["name"] in texts
        assert f"interval {layer['interval']}" in texts
    assert sum(1 for t in texts if t.startswith("partition ")) == len(report["partitions"]) == 2
    assert "conv  ci=1 co=2 f=3" in texts
    boxes = [r for r in root.iter(SVG + "rect") if r.get("fill") == "white"]
    red = [r for r in boxes if r.get("stroke") == "#d62728"]
    assert len(red) == sum(layer["is_partition_bottleneck"] for layer in report["layers"])
    assert sum(1 for r in boxes if r.get("stroke-dasharray")) == 1  # fc streams half its weights


def test_picture_files_are_an_svg_and_two_pngs(tmp_path):
    files = picture_files(_report(), str(tmp_path / "d-"))
    assert sorted(p.rsplit("/", 1)[1] for p in files) == ["d-diagram.svg", "d-resources.png", "d-roofline.png"]
    for path, data in files.items():
        if path.endswith(".png"):
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_progress_draws_only_when_asked(capsys):
    from fpga_sdf.progress import Progress

    with Progress(2, "work", enabled=False) as quiet:
        quiet.step("a")
        quiet.step("b")
    assert capsys.readouterr().err == ""
    with Progress(2, "work", enabled=True) as loud:
        loud.step("a")
        loud.step("b")
    err = capsys.readouterr().err
    assert "work [###############...............] 1/2 a" in err and "2/2 b" in err and err.endswith("\n")
