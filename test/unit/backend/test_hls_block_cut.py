"""Partitions cut inside a residual block (issue 12) in the HLS backend: every off-chip tensor
of a partition (the skip tensor too) is its own m_axi port and DMA process; schedule.json
names the tensors each partition reads and writes, and the host runtime keeps a tensor's
buffer from its writer to its readers (a skip tensor may be read two partitions later).

Oracles: the fixed-point executor (C-simulated with g++, threaded with bounded streams, through
the host runtime on the bytes a board would get: bit for bit); the loop iterations the
C-simulation counts against the trip counts the emitter states (what cycles.py adds up);
each partition's cycles per frame against the model's interval; and the feature maps the
model charges to each partition's DMA (`PartitionPerf.offchip_tensors`) against the ports
the kernel has, bit for bit per frame.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf import target as target_mod
from fpga_sdf.api import run_pass
from fpga_sdf.model import partition_performance

from hls_tb import compile_synth_style, run_project

pytestmark = [pytest.mark.csim]

LIT = Path(__file__).resolve().parents[2] / "Target" / "HLS" / "block-cut.mlir"
FRAMES = 3
COUNT = re.compile(r"csim: loop (\w+)/(\w+) iterations (\d+)")


def _lit_module():
    """The lit test's block: split, conv1, relu1, conv2, add (skip), relu2 on 4 x 8 x 8."""
    return sdf_ir.parse(LIT.read_text(), "block-cut.mlir"), (4, 8, 8)


def _resnet_module():
    """The zoo's tiny ResNet (stem, one block with a strided downsample on the skip)."""
    from fpga_sdf.frontend import zoo
    from fpga_sdf.frontend.importer import import_model

    model, x = zoo.build("tiny_resnet")
    return import_model(model, x), tuple(x.shape[1:])


def _design(module, in_shape, cuts: str, fold: str, tmp: Path):
    """Quantized on random inputs (seeded), on the ZCU102, folded, cut at `cuts`."""
    x = np.random.default_rng(3).standard_normal((FRAMES, *in_shape)).astype(np.float32)
    np.save(tmp / "calib.npy", x)
    run_pass(module, "sdf-quantize", f"calibration={tmp / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zcu102")
    if fold:
        run_pass(module, "sdf-fold", fold)
    run_pass(module, "sdf-partition", f"cuts={cuts}")
    return module, x


def _run(module, x, out: Path):
    return run_project(module, x, out)


def _check(module, proj, y, ref, stdout: str) -> None:
    """Bit-exact; every loop's counted iterations the stated ones; each partition's cycles
    per frame the model's; the model's off-chip tensors the kernel's ports."""
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    stated = {(proc.name, t.label): t.trip * (1 if t.scope == "once" else FRAMES)
              for part in proj.partitions for proc in part.order for t in proc.timing}
    counted = {(proc, label): int(n) for proc, label, n in COUNT.findall(stdout)}
    assert counted == stated, {k: (counted.get(k), stated.get(k)) for k in set(stated) | set(counted)
                               if counted.get(k) != stated.get(k)}
    target = target_mod.read(module, "test")
    for part, model_part, entry in zip(proj.partitions, network.model_partitions(module),
                                       proj.schedule["partitions"]):
        perf = partition_performance(model_part.layers, model_part.edges, target.platform, target.clock_mhz)
        # The kernel's loops run at the model's compute pace; the HP ports the masters reach
        # DDR through (128 bits a beat on the ZCU102) may bound it further: a master whose
        # beat is wider than the port (an unrolled bundle) moves one port beat a cycle.
        assert entry["cycles"]["cycles_per_frame"] == perf.compute_interval, entry["name"]
        port_bits = target.platform.axi_port_bits
        widest = max(e.bundle.words * e.bundle.fmt.width for e in part.inputs + part.outputs)
        assert entry["cycles"]["model_cycles_per_frame"] == perf.interval == \
            max(perf.compute_interval, -(-widest // port_bits)), entry["name"]
        for direction, ends in (("in", part.inputs), ("out", part.outputs)):
            modelled = sorted(bits for _, d, bits in perf.offchip_tensors if d == direction)
            built = sorted(e.bundle.words * e.bundle.fmt.width for e in ends)
            assert modelled == built, (part.name, direction, modelled, built)


def _tensors(schedule) -> list:
    return [(p["name"], p["reads"], p["writes"]) for p in schedule["partitions"]]


def test_lit_block_cut_between_its_convs(tmp_path):
    """The cut after conv1: p0 writes the skip tensor (the split's second result) and conv1's
    output on ports out1 and out; p1 reads both (in, in1) and writes the block's output."""
    module, x = _design(*_lit_module(), "conv1", "", tmp_path)
    proj, y, ref, stdout = _run(module, x, tmp_path / "hls")
    _check(module, proj, y, ref, stdout)
    s = proj.schedule
    assert _tensors(s) == [("p0", ["input"], ["fork#1", "conv1"]), ("p1", ["conv1", "fork#1"], ["relu2"])]
    assert s["tensors"]["fork#1"] == {"writer": "p0", "readers": ["p1"]}
    assert s["network_output"] == "relu2"
    assert [e["port"] for e in s["partitions"][0]["outputs"]] == ["out", "out1"]
    top = (tmp_path / "hls" / "p1" / "src" / "p1_top.cpp").read_text()
    assert "port=in1 offset=slave bundle=gmem_in1" in top and "p1_dma_in1(in1, " in top
    assert "p0: 3 frame(s), output out1 checksum" in stdout
    compile_synth_style(tmp_path / "hls")


def test_skip_tensor_read_two_partitions_later(tmp_path):
    """Cuts after conv1 and relu1: the skip tensor p0 writes is read by p2, p1 between them
    neither reads nor writes it; the host keeps its buffer until p2."""
    module, x = _design(*_lit_module(), "conv1,relu1", "", tmp_path)
    proj, y, ref, stdout = _run(module, x, tmp_path / "hls")
    _check(module, proj, y, ref, stdout)
    assert _tensors(proj.schedule) == [("p0", ["input"], ["fork#1", "conv1"]), ("p1", ["conv1"], ["relu1"]),
                                       ("p2", ["relu1", "fork#1"], ["relu2"])]
    assert proj.schedule["tensors"]["fork#1"] == {"writer": "p0", "readers": ["p2"]}


@pytest.mark.parametrize("fold", ["", "coarse_in=max coarse_out=max coarse_group=max fine=max"])
def test_tiny_resnet_cut_inside_its_block(fold, tmp_path):
    """The zoo's tiny ResNet cut after the block's first conv: the downsampled skip tensor and
    conv1's output leave p0; unrolled, the tensors cross on several streams per port."""
    module, x = _design(*_resnet_module(), "block.conv1", fold, tmp_path)
    proj, y, ref, stdout = _run(module, x, tmp_path / "hls")
    _check(module, proj, y, ref, stdout)
    (p0, r0, w0), (p1, r1, w1) = _tensors(proj.schedule)
    assert r0 == ["input"] and sorted(w0) == sorted(r1) and len(w0) == 2 and w1 == ["fc"]
    if fold:
        assert max(e.bundle.streams for part in proj.partitions for e in part.inputs + part.outputs) > 1


def test_weights_reloading_in_a_partition_writing_two_tensors(tmp_path):
    """Cut after conv1 with conv1 reloading its weights (wr_factor 2): p0 writes the skip
    tensor whole in both runs and conv1's output a half of its filters a run (its second
    output, `out1`); the host assembles conv1's channels and keeps the skip. Bit-exact; the
    ports move per run what the model charges per run; cycles the model's."""
    from fpga_sdf.dialects.sdf_attrs import set_int

    module, x = _design(*_lit_module(), "conv1", "", tmp_path)
    set_int(dict(network.named_layers(module))["conv1"], "wr_factor", 2)
    proj, y, ref, _ = _run(module, x, tmp_path / "hls")
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} of {y.size} outputs differ"
    p0 = proj.schedule["partitions"][0]
    assert p0["runs"] == 2 and p0["writes"] == ["fork#1", "conv1"]
    assert p0["weights_reload"]["output"] == 1 and p0["weights_reload"]["filters_per_run"] == 2
    assert [e["words_per_run"] for e in p0["outputs"]] == [4 * 8 * 8, 2 * 8 * 8]
    target = target_mod.read(module, "test")
    model_part = network.model_partitions(module)[0]
    perf = partition_performance(model_part.layers, model_part.edges, target.platform, target.clock_mhz)
    assert perf.runs == 2
    # bits a run: x read whole, the skip written whole, conv1's output a half of it
    built = sum(e.bundle.words * e.bundle.fmt.width for e in proj.partitions[0].inputs + proj.partitions[0].outputs)
    assert perf.offchip_bits_per_frame == built == (4 + 4 + 2) * 8 * 8 * 16
    assert p0["cycles"]["cycles_per_frame"] == perf.compute_interval
    assert p0["cycles"]["model_cycles_per_frame"] == perf.interval


@pytest.mark.parametrize("cuts, reloading, message", [
    ("none", ("conv1", "conv2"), "the HLS backend reloads the weights of one layer per partition"),
    ("conv1", ("conv2",), "a layer with wr_factor > 1 must produce one of its partition's outputs")])
def test_reloading_the_backend_cannot_build_is_refused(cuts, reloading, message, tmp_path):
    """One layer a partition reloads its weights, and its output leaves the partition (each
    run writes a share of its filters): anything else is a diagnostic at the layer."""
    from fpga_sdf.backend.hls.emit import emit
    from fpga_sdf.dialects.sdf_attrs import set_int
    from fpga_sdf.diagnostics import UserError

    module, _ = _design(*_lit_module(), cuts, "", tmp_path)
    module = sdf_ir.parse(sdf_ir.to_text(module), "cut.mlir")
    layers = dict(network.named_layers(module))
    for name in reloading:
        set_int(layers[name], "wr_factor", 2)
    with pytest.raises(UserError) as err:
        emit(module, source="cut.mlir")
    assert re.search(r"cut\.mlir:\d+:\d+: error: " + re.escape(message), str(err.value)), str(err.value)
