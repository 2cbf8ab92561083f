"""AutoWS weight fragments (`weights_fragments = (n, u_on, u_off)`, --sdf-fragment-weights) in
the HLS backend: a MAC unit keeps n u_on words of its weights in on-chip banks and streams
the dynamic regions from an m_axi port through a stream of 2 u_off words a unit (the model's
double-buffered stream_buffer), fetched again for every output word (q pixels of a conv at q
pixels a word: its q MAC arrays read each word together).

Oracles: the fixed-point executor (C-simulated with g++, threaded with bounded streams,
through the host runtime: bit for bit, on the zoo's tiny ResNet, whose weights are not
constant, so a word streamed out of order shows); the loop iterations the C-simulation
counts against the stated trip counts; the partition's cycles per frame against the model's
interval; and the model's memories (`weights` n u_on words, `stream_buffer` 2 u_off) and
streamed weight bits per frame (`PartitionPerf.weights_streams`) against what is emitted.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from fpga_sdf import network
from fpga_sdf import target as target_mod
from fpga_sdf.api import run_pass
from fpga_sdf.backend.hls.emit import emit
from fpga_sdf.diagnostics import UserError
from fpga_sdf.dialects.sdf_attrs import set_ints
from fpga_sdf.model import expand, partition_performance

from hls_tb import compile_synth_style, run_project

pytestmark = [pytest.mark.csim]

FRAMES = 2
COUNT = re.compile(r"csim: loop (\w+)/(\w+) iterations (\d+)")


def _resnet(fold: str, tmp_path):
    """The zoo's tiny ResNet quantized on random inputs (seeded), on the ZCU102, folded."""
    from fpga_sdf.frontend import zoo
    from fpga_sdf.frontend.importer import import_model

    model, x = zoo.build("tiny_resnet")
    module = import_model(model, x)
    xs = np.random.default_rng(5).standard_normal((FRAMES, *x.shape[1:])).astype(np.float32)
    np.save(tmp_path / "calib.npy", xs)
    run_pass(module, "sdf-quantize", f"calibration={tmp_path / 'calib.npy'}")
    run_pass(module, "sdf-target", "platform=zcu102")
    if fold:
        run_pass(module, "sdf-fold", fold)
    return module, xs


def _stream_words(module, layer: str) -> int:
    return next(m for m in expand(network.layer_spec(layer, dict(network.named_layers(module))[layer]))
                if m.name == "weights_memory")


@pytest.mark.parametrize("fold, layer, fragments, pixels", [
    ("", "block.conv1", (72, 10, 6), 1),  # 1 MAC unit of 1,152 words: 720 on chip
    ("coarse_in=2 coarse_out=2 fine=3 layers=block.conv1", "block.conv1", (12, 0, 8), 1),  # 4 units, all streamed
    ("", "block.conv2", (144, 12, 4), 1),
    # block.conv1 (stride 2) at 2 pixels in: a word of 2 pixels, one window a word (q = 1)
    ("", "block.conv1", (72, 10, 6), 2),
    ("coarse_in=2 coarse_out=2 fine=3 layers=block.conv1", "block.conv1", (12, 0, 8), 2),
    # more than one window a word (q = 2: the q MAC arrays read each streamed word together):
    # block.conv2 at 2 pixels (stride 1), block.conv1 at 4 (stride 2). Refused until the
    # re-packs around them wrote a block only while reading the next (a deadlock with or
    # without fragments: test_hls_multipixel.py::test_residual_block_at_four_pixels_coarse_two)
    ("", "block.conv2", (144, 12, 4), 2),
    ("", "block.conv1", (72, 10, 6), 4),
])
def test_fragments_stream_bit_exact(fold, layer, fragments, pixels, tmp_path):
    module, x = _resnet(fold, tmp_path)
    if pixels > 1:
        with module.context:
            set_ints(dict(network.named_layers(module))[layer], "pixels", (pixels, 1))
    n, u_on, u_off = fragments
    run_pass(module, "sdf-fragment-weights", f"layer={layer} n={n} u_on={u_on} u_off={u_off}")
    out = tmp_path / "hls"
    proj, y, ref, stdout = run_project(module, x, out)
    assert np.array_equal(y, ref), f"{np.count_nonzero(y != ref)} differ"

    (part,) = proj.partitions
    stated = {(proc.name, t.label): t.trip * (1 if t.scope == "once" else FRAMES)
              for proc in part.order for t in proc.timing}
    counted = {(proc, label): int(k) for proc, label, k in COUNT.findall(stdout)}
    assert counted == stated, {k: (counted.get(k), stated.get(k)) for k in set(stated) | set(counted)
                               if counted.get(k) != stated.get(k)}
    entry = proj.schedule["partitions"][0]
    assert entry["cycles"]["cycles_per_frame"] == entry["cycles"]["model_cycles_per_frame"]

    # the model's memories and streamed bits are what the kernel has and moves
    cname = layer.replace(".", "_")
    memory = _stream_words(module, layer)
    modelled = {m.role: m for m in memory.memories}
    assert modelled["stream_buffer"].depth == 2 * u_off
    assert ("weights" in modelled) == bool(u_on) and (not u_on or modelled["weights"].depth == n * u_on)
    dma = next(p for p in part.order if p.name == f"{cname}_weights_dma")
    stream = next(s for s in part.streams if dma.args[1] == s.name)
    assert stream.depth == 2 * u_off and stream.lanes == memory.instances
    (port,) = [p for p in part.ports if p.role == "fragments"]
    assert port.words == memory.instances * n * u_off * (modelled["stream_buffer"].width // port.fmt.width)
    (mp,) = network.model_partitions(module)
    target = target_mod.read(module, "test")
    perf = partition_performance(mp.layers, mp.edges, target.platform, target.clock_mhz)
    per_frame = dma.timing[0].trip * port.words // (n * u_off) * port.fmt.width
    assert dict(perf.weights_streams) == {layer: per_frame}
    compile_synth_style(out)


def test_bare_off_chip_fraction_is_refused(tmp_path):
    """A weights_off_chip fraction without fragments (the fraction-only model's 512-word
    fragments) is not emitted: a diagnostic at the layer."""
    from torch_mlir import ir

    from fpga_sdf.dialects.sdf_attrs import set_float

    module, _ = _resnet("", tmp_path)
    with module.context, ir.Location.unknown():
        set_float(dict(network.named_layers(module))["block.conv1"], "weights_off_chip", 0.25)
    with pytest.raises(UserError, match=r"error: streaming weights from off-chip memory \(weights_off_chip, AutoWS\) is modelled"):
        emit(module, source="net.mlir")
