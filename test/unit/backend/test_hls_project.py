"""fpga-translate --sdf-to-hls end to end: the emitted project, C-simulated with g++, equals
the fixed-point reference executor bit for bit (integers compared), for four networks at two
foldings each; the emitted C++ compiles in synthesizable style; refused inputs leave an
existing project untouched.

Builds are cached in the csim cache (fpga_sdf.backend.hls.project.build), so only the first
run compiles (about 5-12 s per project on one core).
"""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf.api import run_pass
from fpga_sdf.backend.hls import csim, project
from fpga_sdf.backend.hls.emit import emit, write_project
from fpga_sdf.backend.hls.platform import bundles
from fpga_sdf.diagnostics import UserError
from fpga_sdf.interp.executor import _arg_format, entry_function, execute
from fpga_sdf.interp.fixed import Fixed, quantize

pytestmark = [pytest.mark.csim]

NETWORKS = ("digits", "tiny_resnet", "tiny_mobilenet", "tiny_c3d")
FOLDINGS = {
    "folded": None,  # every factor 1
    "unrolled": "coarse_in=max coarse_out=max coarse_group=max fine=max",
}


@lru_cache(maxsize=None)
def _torch_model(name: str):
    from fpga_sdf.frontend import digits, zoo

    return digits.build() if name == "digits" else zoo.build(name)




def _inputs(name: str, n: int = 2) -> np.ndarray:
    model, x = _torch_model(name)
    rng = np.random.default_rng(7)
    return np.concatenate([x.numpy(), rng.standard_normal((n - 1, *x.shape[1:])).astype(np.float32)])


@lru_cache(maxsize=None)
def _compiled(name: str, folding: str, tmp_root: str):
    """Import, quantize (calibrated on the test inputs), fold, emit, build."""
    from fpga_sdf.frontend.importer import import_model

    model, x = _torch_model(name)
    module = import_model(model, x)
    calib = Path(tmp_root) / f"{name}_calib.npy"
    np.save(calib, _inputs(name, 4))
    run_pass(module, "sdf-quantize", f"calibration={calib}")
    if FOLDINGS[folding]:
        run_pass(module, "sdf-fold", FOLDINGS[folding])
    out = Path(tmp_root) / f"{name}_{folding}.hls"
    write_project(emit(module, source=f"{name}.mlir"), str(out))
    project.build(str(out))
    return module, out


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("hls_projects"))


@pytest.mark.parametrize("folding", list(FOLDINGS))
@pytest.mark.parametrize("name", NETWORKS)
def test_csim_equals_fixed_executor_bit_for_bit(name, folding, tmp_root):
    import torch

    module, out = _compiled(name, folding, tmp_root)
    x = _inputs(name)
    func = entry_function(module)
    x_int = quantize(x, _arg_format(func, 0))
    # integers: C-simulation vs the executor's fixed mode (same quantized input)
    y_int = project.run_integers(str(out), x_int.reshape(x.shape))
    fmt = project.load_schedule(str(out))["partitions"][-1]["output"]["format"]
    ref = execute(module, [x], "fixed")[0]
    ref_int = quantize(ref, Fixed(*fmt))  # exact: ref holds integers of this format
    assert y_int.shape == ref_int.shape
    bad = np.flatnonzero(y_int.ravel() != ref_int.ravel())
    assert bad.size == 0, f"{bad.size} of {y_int.size} outputs differ; first: {y_int.ravel()[bad[0]]} vs {ref_int.ravel()[bad[0]]}"
    # floats through the fpga-run path; and the error against PyTorch is the executor's
    y = project.run(str(out), x)
    np.testing.assert_array_equal(y, ref)
    model, _ = _torch_model(name)
    with torch.no_grad():
        t = model(torch.from_numpy(x)).numpy()
    assert np.all(np.abs(y - t) <= np.abs(ref - t) + 1e-6)
    assert np.max(np.abs(y - t)) < 0.25 * max(1.0, float(np.max(np.abs(t))))  # quantization error is small


def test_module_level_matches_model_and_folding(tmp_root):
    """--sdf-expand-modules on the unrolled mobilenet: one sdf_hw op per module instance, and
    the counts per layer agree with the hardware model (the pass checks; we recount)."""
    from collections import Counter

    from fpga_sdf import network
    from fpga_sdf.dialects.sdf_attrs import get_str
    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.model import expand

    model, x = _torch_model("tiny_mobilenet")
    module = import_model(model, x)
    run_pass(module, "sdf-fold", FOLDINGS["unrolled"])
    expected = Counter()
    for name, op in network.named_layers(module):
        for m in expand(network.layer_spec(name, op)):
            expected[(name, m.name)] += m.instances
    run_pass(module, "sdf-expand-modules")
    got = Counter()
    for op in sdf_ir.walk(module):
        if op.operation.name.startswith("sdf_hw.") and op.operation.name not in (
                "sdf_hw.dma_in", "sdf_hw.dma_out", "sdf_hw.squeeze"):
            got[(get_str(op, "layer"), op.operation.name[len("sdf_hw."):])] += 1
    assert got == expected
    assert not network.layers(module)


def test_emitted_cpp_compiles_in_synthesizable_style(tmp_root):
    """The layer files and the top (the synthesized part; not the testbench) compile with the
    flags of test_hls_templates: no VLAs, no exceptions, -pedantic-errors -Wall -Wextra -Werror,
    both with the C-simulation ROMs and with the brace-initialised synthesis ROMs."""
    _, out = _compiled("tiny_mobilenet", "unrolled", tmp_root)
    part = out / "p0"
    sources = sorted(part.glob("src/*.cpp"))
    unity = "".join(f'#include "{p}"\n' for p in sources)
    inc = ["-I", str(part), "-I", str(out / "include")]
    csim.compile_program(unity, flags=csim.SYNTH_STYLE_FLAGS + tuple(inc), link=False)
    # the synthesis ROMs: brace lists of exact literals (one small layer, they are slow to parse)
    small = min((p for p in sources if "WEIGHTS_LITERALS" in p.read_text()), key=lambda p: p.stat().st_size)
    src = small.read_text().replace("#ifdef __SYNTHESIS__", "#if 1")
    csim.compile_program(src, flags=csim.SYNTH_STYLE_FLAGS + tuple(inc), link=False)


def _translate(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fpga_sdf.tools.fpga_translate", *args],
                          capture_output=True, text=True)


def test_refused_input_leaves_existing_project_untouched(tmp_path, tmp_root):
    _, good = _compiled("tiny_resnet", "folded", tmp_root)
    bad = tmp_path / "bad.mlir"
    bad.write_text(
        'func.func @f(%x: tensor<1x4x4x4xf32> {sdf.format = #sdf.fixed<16, 12>}) -> tensor<1x4x4x4xf32> {\n'
        '  %0 = "sdf.activation"(%x) {kind = "silu", output_format = #sdf.fixed<16, 12>, coarse_in = 3 : i64} '
        ': (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>\n'
        '  return %0 : tensor<1x4x4x4xf32>\n}\n')
    before = {p.relative_to(good): p.read_bytes() for p in good.rglob("*") if p.is_file()}
    proc = _translate("--sdf-to-hls", str(bad), "-o", str(good))
    assert proc.returncode == 1
    assert "bad.mlir:2:" in proc.stderr and "error:" in proc.stderr and "Traceback" not in proc.stderr
    after = {p.relative_to(good): p.read_bytes() for p in good.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in good.parent.iterdir() if p.name.startswith(f".{good.name}.")]  # no temp dirs left
    # a table activation with a too-wide input is refused at the op as well
    bad.write_text(bad.read_text().replace("coarse_in = 3 : i64", "coarse_in = 1 : i64")
                   .replace("#sdf.fixed<16, 12>}) ->", "#sdf.fixed<24, 12>}) ->"))
    proc = _translate("--sdf-to-hls", str(bad), "-o", str(tmp_path / "new"))
    assert proc.returncode == 1 and "table activation" in proc.stderr
    assert not (tmp_path / "new").exists()


def test_fpga_run_csim_backend_matches_reference(tmp_path, tmp_root):
    module, out = _compiled("digits", "unrolled", tmp_root)
    ir_file = tmp_path / "digits.mlir"
    ir_file.write_text(sdf_ir.to_text(module))
    np.save(tmp_path / "x.npy", _inputs("digits", 3))
    run = lambda *a: subprocess.run([sys.executable, "-m", "fpga_sdf.tools.fpga_run", *map(str, a)],  # noqa: E731
                                    capture_output=True, text=True)
    p1 = run(out, "--backend", "csim", "--input", tmp_path / "x.npy", "-o", tmp_path / "y_csim.npy")
    p2 = run(ir_file, "--mode", "fixed", "--input", tmp_path / "x.npy", "-o", tmp_path / "y_ref.npy")
    assert p1.returncode == 0 and p2.returncode == 0, p1.stderr + p2.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "y_csim.npy"), np.load(tmp_path / "y_ref.npy"))


@lru_cache(maxsize=None)
def _reloading_digits(tmp_root: str):
    """Digits in four partitions (reconfigurations), one reloading its conv's weights in two runs."""
    from fpga_sdf import network
    from fpga_sdf.frontend.importer import import_model

    model, x = _torch_model("digits")
    module = import_model(model, x)
    run_pass(module, "sdf-quantize", "")
    names = [n for n, _ in network.named_layers(module)]
    cuts = ",".join(names[i] for i in (1, 2, 4))
    run_pass(module, "sdf-partition", f"cuts={cuts}")
    run_pass(module, "sdf-weights-reloading", f"factor=2 layers={names[2]}")
    run_pass(module, "sdf-fold", f"coarse_in=2 coarse_out=2 layers={names[2]}")
    out = Path(tmp_root) / "digits_wr.hls"
    write_project(emit(module), str(out))
    project.build(str(out))
    return module, out


def test_partitions_and_weights_reloading(tmp_root):
    """Four partitions, one reloading its weights (loaded from its AXI port once per run)."""
    module, out = _reloading_digits(tmp_root)
    schedule = project.load_schedule(str(out))
    assert [p["runs"] for p in schedule["partitions"]] == [1, 2, 1, 1]
    assert [port["role"] for port in schedule["partitions"][1]["ports"]] == ["weights", "bias"]
    xs = _inputs("digits", 2)
    np.testing.assert_array_equal(project.run(str(out), xs), execute(module, [xs], "fixed")[0])


def test_weights_from_the_design_sidecar(tmp_root, tmp_path):
    """Weights kept in the design's .npz sidecar are not copied into the project: the host
    packs each port's images from the sidecar at load time with the emitter's own layout
    code, bit for bit the images an inline design carries, checked against the SHA-256 the
    project recorded (a changed sidecar is an error, not silently different weights)."""
    from fpga_sdf import network
    from fpga_sdf import weights as weight_store
    from fpga_sdf.backend.hls.runtime import pack_weights, port_bytes
    from fpga_sdf.frontend.importer import import_model

    model, x = _torch_model("digits")
    design = tmp_path / "design"
    design.mkdir()
    imported = import_model(model, x, weights="sidecar", sidecar="digits.weights.npz", full=True)
    imported.write(str(design / "imported.mlir"))
    weight_store.add_search_dir(str(design))
    module = imported.module
    run_pass(module, "sdf-quantize", "")
    names = [n for n, _ in network.named_layers(module)]
    run_pass(module, "sdf-partition", f"cuts={','.join(names[i] for i in (1, 2, 4))}")
    run_pass(module, "sdf-weights-reloading", f"factor=2 layers={names[2]}")
    run_pass(module, "sdf-fold", f"coarse_in=2 coarse_out=2 layers={names[2]}")
    out = design / "hls"
    write_project(emit(module), str(out))
    ports = project.load_schedule(str(out))["partitions"][1]["ports"]
    assert [p["source"]["file"] for p in ports] == ["../digits.weights.npz"] * 2
    assert not list(out.glob("*/weights/*.bin"))  # no second copy of the weights
    project.build(str(out))
    xs = _inputs("digits", 2)
    np.testing.assert_array_equal(project.run(str(out), xs), execute(module, [xs], "fixed")[0])
    # the images the host packs are the ones the inline design's project carries
    _, inline = _reloading_digits(tmp_root)
    written = pack_weights(str(out))
    assert len(written) == 2
    for port in ports:
        assert (out / port["file"]).read_bytes() == (inline / port["file"]).read_bytes()
    # a sidecar changed after emission is refused by name
    for port in ports:
        (out / port["file"]).unlink()
    arrays = dict(np.load(design / "digits.weights.npz"))
    key = ports[0]["source"]["key"]
    arrays[key] = arrays[key] * 2
    np.savez(design / "digits.weights.npz", **arrays)
    with pytest.raises(UserError, match="not those the project was emitted with"):
        project.run(str(out), xs)
    (design / "digits.weights.npz").unlink()
    with pytest.raises(UserError, match="weights sidecar is missing"):
        port_bytes(out, ports[0])


@pytest.mark.parametrize("name", ["tiny_dense", "tiny_inception", "tiny_fire"])
def test_bounded_csim_of_join_networks(name, tmp_root):
    """Dense concats, an inception block (its pooling branch included) and fire modules: every
    process in its own thread, every stream bounded at its emitted depth, bit for bit."""
    module, out = _compiled(name, "folded", tmp_root)
    x = _inputs(name)
    np.testing.assert_array_equal(project.run(str(out), x), execute(module, [x], "fixed")[0])


def _join_streams(out: Path) -> list[tuple[str, int]]:
    import re

    top = (out / "p0" / "src" / "p0_top.cpp").read_text()
    return [(m.group(1), int(m.group(2))) for m in
            re.finditer(r"#pragma HLS STREAM variable=(\w+) depth=(\d+)  // join", top)]


def test_too_shallow_fifo_deadlocks_naming_the_stream(tmp_root, tmp_path):
    """The C-simulation bounds each stream at the depth of its STREAM pragma: cut the
    squeeze-excitation skip FIFO of tiny_mobilenet (it must hold the whole map) to 2 by hand
    and the run stops with a deadlock that names that stream."""
    import shutil

    module, out = _compiled("tiny_mobilenet", "folded", tmp_root)
    deep = max(_join_streams(out), key=lambda s: s[1])
    assert deep[1] >= 64 + 2  # the 8x8 map of the SE block on one stream, and the register pair
    edited = tmp_path / "edited.hls"
    shutil.copytree(out, edited, ignore=shutil.ignore_patterns("build"))
    top = edited / "p0" / "src" / "p0_top.cpp"
    top.write_text(top.read_text().replace(f"variable={deep[0]} depth={deep[1]} ", f"variable={deep[0]} depth=2 "))
    project.build(str(edited))
    with pytest.raises(UserError) as err:
        project.run(str(edited), _inputs("tiny_mobilenet"))
    message = str(err.value)
    assert "deadlock" in message and f"stream {deep[0]}[0]" in message


def _model_fifo_streams(out: Path) -> dict:
    """(producer, consumer) -> (stream, depth) of every STREAM pragma the model's FIFO list set."""
    import re

    top = (out / "p0" / "src" / "p0_top.cpp").read_text()
    return {(m.group(3), m.group(4)): (m.group(1), int(m.group(2))) for m in re.finditer(
        r"#pragma HLS STREAM variable=(\w+) depth=(\d+)  // (?:join|chain) (\S+) -> (\S+): the model's FIFO", top)}


@pytest.mark.parametrize("name", ["digits", "tiny_resnet", "tiny_mobilenet", "tiny_dense", "tiny_inception", "tiny_fire"])
def test_model_fifos_are_the_emitted_depths(name, tmp_root):
    """Every FIFO the model costs (partition_performance(...).fifos: join skips and layer
    boundaries alike, the list the RTL driver reads) is the stream of that edge at exactly
    the model's depth, and the C-simulation bounded at those depths does not deadlock."""
    from fpga_sdf import network, target
    from fpga_sdf.model.performance import partition_performance

    module, out = _compiled(name, "folded", tmp_root)
    (part,) = network.model_partitions(module)
    board = target.resolve("zcu102")  # the emitter's default without sdf.target
    perf = partition_performance(part.layers, part.edges, board.platform, board.clock_mhz)
    modelled = {edge: m.memories[0].depth for edge, m in perf.fifos}
    emitted = {edge: depth for edge, (_, depth) in _model_fifo_streams(out).items()}
    assert modelled == emitted
    if name not in ("digits", "tiny_resnet"):
        assert any(d > 2 for d in modelled.values())  # a join that must buffer
    x = _inputs(name)
    np.testing.assert_array_equal(project.run(str(out), x), execute(module, [x], "fixed")[0])


def test_host_runtime_drives_the_csim_device_like_a_board(tmp_root):
    """The host runtime (runtime.Runtime: the code PYNQ and XRT run) with the C-simulation as
    its device: partitions configured in schedule order, one kernel call per reloading run
    with that run's packed weights image, and the executor's output."""
    from fpga_sdf.backend.hls.runtime import CsimDevice, Runtime, pack, unpack

    q = np.array([[-3, 2, 7, -8, 0], [1, -1, 5, 6, -7]])
    assert np.array_equal(unpack(pack(q, 4, 3), 2, 5, 4, 3), q)  # frames padded to whole beats
    module, out = _reloading_digits(tmp_root)

    class Recording(CsimDevice):
        calls: list = []

        def configure(self, part):
            self.calls.append(("configure", part["name"]))
            super().configure(part)

        def run(self, part, run, data, images, frames):
            self.calls.append(("run", part["name"], run, len(images), frames))
            return super().run(part, run, data, images, frames)

    xs = _inputs("digits", 3)
    x_int = quantize(xs, _arg_format(entry_function(module), 0))
    device = Recording(str(out))
    y = Runtime(str(out), device).run(x_int)
    schedule = project.load_schedule(str(out))
    expected = []
    for part in schedule["partitions"]:
        expected.append(("configure", part["name"]))
        expected += [("run", part["name"], r, len(part["ports"]), 3) for r in range(part["runs"])]
    assert device.calls == expected and [p["runs"] for p in schedule["partitions"]] == [1, 2, 1, 1]
    fmt = Fixed(*schedule["partitions"][-1]["output"]["format"])
    assert np.array_equal(y, quantize(project.run(str(out), xs), fmt))


# --- the board's memory ports: PS ports in the block design, Alveo banks in the v++ link -------

FRAGMENTS = (("stem.0", "n=27 u_on=4 u_off=4"), ("block.downsample.0", "n=16 u_on=4 u_off=4"),
             ("block.conv1", "n=72 u_on=10 u_off=6"), ("block.conv2", "n=144 u_on=12 u_off=4"))


def _six_masters(platform: str):
    """The zoo's tiny ResNet on `platform` with four layers streaming weight fragments (six
    masters while frames stream: in, out, four fragment ports) and fc reloading its weights in
    two runs (two ports loaded between runs): its emitted project and the model's partition."""
    from fpga_sdf import network
    from fpga_sdf import target as target_mod
    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.model import partition_performance

    model, x = _torch_model("tiny_resnet")
    module = import_model(model, x)
    run_pass(module, "sdf-quantize", "")
    run_pass(module, "sdf-target", f"platform={platform}")
    for layer, fragment in FRAGMENTS:
        run_pass(module, "sdf-fragment-weights", f"layer={layer} {fragment}")
    run_pass(module, "sdf-weights-reloading", "factor=2 layers=fc")
    proj = emit(module, source="net.mlir")
    (mp,) = network.model_partitions(module)
    board = target_mod.read(module, "net.mlir")
    return proj, board.platform, partition_performance(mp.layers, mp.edges, board.platform, board.clock_mhz)


@pytest.mark.parametrize("board, ports", [
    ("zcu102", ["S_AXI_HP0_FPD", "S_AXI_HP1_FPD", "S_AXI_HP2_FPD", "S_AXI_HP3_FPD", "S_AXI_HPC0_FPD", "S_AXI_HPC1_FPD"]),
    ("zc706", ["S_AXI_HP0", "S_AXI_HP1", "S_AXI_HP2", "S_AXI_HP3"]),
])
def test_block_design_enables_the_boards_ports_and_deals_the_masters_over_them(board, ports):
    import re

    proj, platform, perf = _six_masters(board)
    (part,) = proj.partitions
    tcl = proj.files["block_design.tcl"]
    # exactly the board's axi_ports are enabled: ZynqMP HP0-3 (GP2-5) and HPC0-1 (GP0-1)
    enabled = re.findall(r"CONFIG\.(\w+) \{1\}", tcl)
    expected = {"zcu102": ["PSU__USE__S_AXI_GP2", "PSU__USE__S_AXI_GP3", "PSU__USE__S_AXI_GP4", "PSU__USE__S_AXI_GP5",
                           "PSU__USE__S_AXI_GP0", "PSU__USE__S_AXI_GP1"],
                "zc706": [f"PCW_USE_S_AXI_HP{i}" for i in range(4)]}[board]
    assert enabled == expected and len(enabled) == platform.axi_ports
    (pairs,) = re.findall(r"dict set masters p0 \{([^}]*)\}", tcl)
    words = pairs.split()
    dealt = dict(zip(words[::2], words[1::2]))
    # every m_axi bundle the top declares, each on one port
    top = proj.files["p0/src/p0_top.cpp"]
    assert sorted(dealt) == sorted(re.findall(r"#pragma HLS INTERFACE m_axi port=\w+ offset=slave bundle=(\w+)", top))
    # the model's streaming masters (in, out, four fragments) are the first arguments: each
    # moves the bits a frame the model counts, dealt over min(masters, ports) ports, one each
    # while there are ports; then the two loaded ports round-robin from the first
    assert perf.masters == 6 and len(perf.weights_streams) == 4
    assert sorted(_streamed_bits(part).values()) == sorted(perf.master_bits)
    assert [dealt[b] for b in words[2 * perf.masters::2]] == ports[:2]
    # the busiest port as built, a beat a cycle, is the model's bound: block.conv2's 589,824
    # bits a frame on a port of its own (128 bits: 4608 cycles; 64 bits: 9216)
    bundle_of, load = dict(bundles(part)), {}
    for arg, bits in _streamed_bits(part).items():
        load[dealt[bundle_of[arg]]] = load.get(dealt[bundle_of[arg]], 0) + bits
    assert len(load) == min(6, len(ports))
    assert perf.bandwidth_interval == max(load.values()) / platform.port_bits(perf.clock_mhz) == \
        {"zcu102": 4608, "zc706": 9216}[board]


def _streamed_bits(part) -> dict:
    """argument -> bits it moves while a frame streams, read off the emitted partition: the
    feature maps' bundles and the fragment ports' images times their repeats."""
    found = {e.port: e.bundle.words * e.bundle.fmt.width for e in part.inputs + part.outputs}
    found.update({p.name: p.words * p.fmt.width * p.repeat for p in part.ports if p.repeat})
    return found


def test_alveo_link_spreads_the_arguments_over_the_banks_the_model_assumes():
    import re

    from fpga_sdf.model.performance import transfer_cycles

    proj, platform, perf = _six_masters("u250")
    (part,) = proj.partitions
    cfg = proj.files["vitis/link_p0.cfg"]
    bank = dict(re.findall(r"^sp=p0_top_1\.(\w+):(DDR\[\d\])$", cfg, re.M))
    assert list(bank) == part.memory_args()  # one bank per kernel argument, each once
    streaming = ["in", "out"] + [p.name for p in part.ports if p.role == "fragments"]
    assert len(streaming) == perf.masters == 6
    # the six streaming masters over all four DDR4 banks (the model's min(6, 4) ports),
    # largest first: block.conv2's, stem.0's and block.conv1's fragments a bank each, the
    # rest (in, out, block.downsample.0's: 77,904 bits) on the fourth; the loaded fc weights
    # and bias round-robin from DDR[0]
    assert [bank[a] for a in streaming] == ["DDR[3]", "DDR[3]", "DDR[1]", "DDR[3]", "DDR[2]", "DDR[0]"]
    assert (bank["mem_fc_weights"], bank["mem_fc_bias"]) == ("DDR[0]", "DDR[1]")
    assert len(set(bank.values())) == platform.axi_ports == 4
    # the model's bound over those four banks: the largest fragment stream (block.conv2's
    # 589,824 bits a frame) on its bank's 512-bit port, 1152 cycles (DDR[0] alone: 3033)
    assert perf.bandwidth_interval == 1152 == transfer_cycles(platform, 300, [589_824])
    # an HBM card: the arguments on pseudo-channels, one each (the four fragment streams on
    # 0-3, largest first)
    proj, platform, _ = _six_masters("u50")
    assert "sp=p0_top_1.in:HBM[4]\nsp=p0_top_1.out:HBM[5]\n" in proj.files["vitis/link_p0.cfg"]


@pytest.mark.parametrize("board, expected", [
    ("zcu102", {"in": "S_AXI_HP0_FPD", "out": "S_AXI_HP1_FPD", "evict0_w": "S_AXI_HP2_FPD", "evict0_r": "S_AXI_HP3_FPD"}),
    ("u250", {"in": "DDR[1]", "out": "DDR[2]", "evict0_w": "DDR[0]", "evict0_r": "DDR[0]"}),
])
def test_an_evicted_streams_masters_are_dealt_with_the_streaming_ones(board, expected):
    """An evicted skip stream's write and read masters move data while frames stream: dealt
    with in and out (largest first), before the weights images; on an Alveo card both on one
    bank, the one the host allocates the ring buffer in (the write port's group_id), which as
    the largest load (twice the skip tensor) comes first."""
    import re

    from fpga_sdf import api

    source = Path(__file__).parents[2] / "Transforms" / "sdf-evict.mlir"
    module = api.parse(source.read_text(), str(source))
    run_pass(module, "sdf-evict", "edges=add:1")
    run_pass(module, "sdf-quantize", "")
    run_pass(module, "sdf-target", f"platform={board}")
    proj = emit(module, source=str(source))
    weights = [p.name for p in proj.partitions[0].ports]
    if board == "u250":
        dealt = dict(re.findall(r"^sp=p0_top_1\.(\w+):(\S+)$", proj.files["vitis/link_p0.cfg"], re.M))
    else:
        (pairs,) = re.findall(r"dict set masters p0 \{([^}]*)\}", proj.files["block_design.tcl"])
        words = pairs.split()
        bundle = dict(zip(words[::2], words[1::2]))
        dealt = {arg: bundle[f"gmem_{arg}"] for arg in expected}
        dealt.update({w: bundle[f"gmem_w{i}"] for i, w in enumerate(weights)})
    assert {arg: dealt[arg] for arg in expected} == expected
    # the two weights images, loaded before the batch: round-robin from the first port again
    first = {"zcu102": ["S_AXI_HP0_FPD", "S_AXI_HP1_FPD"], "u250": ["DDR[0]", "DDR[1]"]}[board]
    assert [dealt[w] for w in weights] == first
    # the model's bound is the busiest port as dealt: each of the ring's two masters moves the
    # 64 x 56 x 56 skip at 16 bits (3,211,264 bits a frame); a ZCU102 port of its own takes
    # 3,211,264 / 128 = 25,088 cycles, the U250 bank holding both 6,422,528 / 512 = 12,544
    from fpga_sdf import network, target as target_mod
    from fpga_sdf.model import partition_performance

    (mp,) = network.model_partitions(module)
    t = target_mod.read(module, str(source))
    perf = partition_performance(mp.layers, mp.edges, t.platform, t.clock_mhz)
    assert perf.bandwidth_interval == {"zcu102": 25088, "u250": 12544}[board]


def test_the_xrt_host_runner_gives_an_evicted_stream_one_ring_buffer_on_both_ports():
    """The C++ XRT runner passes a buffer for every kernel argument, in order: an evicted
    stream's ring (a frame of packed beats, schedule.json's `bytes`) once, to its write and
    its read port, in the write port's bank (the link puts both on one)."""
    import json
    import re

    from fpga_sdf import api

    source = Path(__file__).parents[2] / "Transforms" / "sdf-evict.mlir"
    module = api.parse(source.read_text(), str(source))
    run_pass(module, "sdf-evict", "edges=add:1")
    run_pass(module, "sdf-quantize", "")
    run_pass(module, "sdf-target", "platform=u250")
    proj = emit(module, source=str(source))
    host = proj.files["vitis/host_p0.cpp"]
    (ring,) = json.loads(proj.files["schedule.json"])["partitions"][0]["rings"]
    args = proj.partitions[0].memory_args()
    buffers = re.findall(r"^    bos\.push_back\((.*)\);$", host, re.M)
    assert len(buffers) == len(args)  # one per argument: kernel(bos[0], ..., bos[n - 1], frames)
    call = ", ".join(f"bos[{i}]" for i in range(len(args)))
    assert f"auto run = kernel({call}, frames);" in host
    w = args.index(ring["ports"][0])
    assert args.index(ring["ports"][1]) == w + 1
    assert buffers[w] == f"xrt::bo(device, {ring['bytes']}, kernel.group_id({w}))"
    assert buffers[w + 1] == "bos.back()"


def test_a_layer_quantized_apart_is_costed_at_the_width_it_writes():
    """conv1 at 8 bits in a 16-bit network, its output leaving p0 (the lit block cut after
    it): p0 writes it as 8-bit values (4 x 8 x 8 x 8 = 2048 bits a frame), what the model's
    master for it moves, beside the 16-bit input and skip (4096 each)."""
    from fpga_sdf import network
    from fpga_sdf import target as target_mod
    from fpga_sdf.model import partition_performance

    source = Path(__file__).parents[2] / "Target" / "HLS" / "block-cut.mlir"
    module = sdf_ir.parse(source.read_text(), str(source))
    run_pass(module, "sdf-quantize", "layers=fork:w8a8,conv1:w8a8")
    run_pass(module, "sdf-target", "platform=zc706")
    run_pass(module, "sdf-partition", "cuts=conv1")
    proj = emit(module, source=str(source))
    mp = network.model_partitions(module)[0]
    t = target_mod.read(module, str(source))
    perf = partition_performance(mp.layers, mp.edges, t.platform, t.clock_mhz)
    assert sorted(_streamed_bits(proj.partitions[0]).values()) == sorted(perf.master_bits) == [2048, 4096, 4096]
