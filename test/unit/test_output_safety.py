"""What the tools do to the files they are told to write: never replace a device node, a
FIFO or a symlink, never split hard links or loosen a mode, write several outputs all or
nothing, and never delete a user's files inside an output directory."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from fpga_sdf.tools import fpga_opt, fpga_run

RELU = """func.func @f(%x: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %y = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}
"""


@pytest.fixture
def relu(tmp_path) -> Path:
    path = tmp_path / "relu.mlir"
    path.write_text(RELU)
    return path


def _opt(*args) -> int:
    return fpga_opt.main([str(a) for a in args])


def test_character_device_stays_a_device(tmp_path, relu):
    """`-o /dev/null` must write through the device: shown on a null device of our own."""
    if os.geteuid() != 0:
        pytest.skip("creating a device node needs root (CI runs as root)")
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    assert _opt(relu, "-o", null) == 0
    assert stat.S_ISCHR(os.stat(null).st_mode)
    assert os.stat(null).st_rdev == os.makedev(1, 3)


def test_fifo_is_written_through(tmp_path, relu):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    assert _opt(relu, "-o", fifo) == 0
    reader.join(timeout=60)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert '"sdf.activation"' in received[0]


def test_symlink_is_followed(tmp_path, relu):
    target = tmp_path / "real.mlir"
    target.write_text("old")
    link = tmp_path / "link.mlir"
    link.symlink_to(target)
    assert _opt(relu, "-o", link) == 0
    assert link.is_symlink()
    assert '"sdf.activation"' in target.read_text()


def test_hard_links_stay_joined_and_mode_is_kept(tmp_path, relu):
    first, second = tmp_path / "a.mlir", tmp_path / "b.mlir"
    first.write_text("old")
    os.link(first, second)
    assert _opt(relu, "-o", first) == 0
    assert os.stat(first).st_ino == os.stat(second).st_ino
    assert '"sdf.activation"' in second.read_text()

    private = tmp_path / "private.mlir"
    private.write_text("old")
    private.chmod(0o600)
    assert _opt(relu, "-o", private) == 0
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert '"sdf.activation"' in private.read_text()


def test_failed_run_keeps_the_old_output(tmp_path, relu):
    out = tmp_path / "out.mlir"
    out.write_text("precious")
    assert _opt(relu, "--sdf-fold=coarse_in=5", "-o", out) == 1
    assert out.read_text() == "precious"


def test_fpga_run_writes_all_outputs_or_none(tmp_path):
    model = tmp_path / "split.mlir"
    model.write_text("""func.func @f(%x: tensor<1x4x6x6xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>) {
  %a, %b = "sdf.split"(%x) : (tensor<1x4x6x6xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>)
  return %a, %b : tensor<1x4x6x6xf32>, tensor<1x4x6x6xf32>
}
""")
    x = tmp_path / "x.npy"
    np.save(x, np.ones((1, 4, 6, 6), np.float32))
    first = tmp_path / "a.npy"
    first.write_bytes(b"precious")
    code = fpga_run.main([str(model), "--input", str(x), "-o", str(first), "-o", str(tmp_path / "nodir" / "b.npy")])
    assert code == 1
    assert first.read_bytes() == b"precious"
    second = tmp_path / "b.npy"
    assert fpga_run.main([str(model), "--input", str(x), "-o", str(first), "-o", str(second)]) == 0
    assert np.array_equal(np.load(first), np.load(second))


def test_translate_never_deletes_user_files_in_its_output(tmp_path):
    model = tmp_path / "relu.mlir"
    assert _opt(_write(tmp_path / "in.mlir", RELU), "--sdf-quantize", "-o", model) == 0
    out = tmp_path / "hls"
    translate = lambda: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "fpga_sdf.tools.fpga_translate", "--sdf-to-hls", str(model), "-o", str(out)],
        capture_output=True, text=True, check=False)
    assert translate().returncode == 0
    assert translate().returncode == 0  # its own earlier output is replaced
    notes = out / "my-notes.txt"
    notes.write_text("mine")
    again = translate()
    assert again.returncode == 1
    assert "my-notes.txt" in again.stderr
    assert notes.read_text() == "mine"


def test_empty_pareto_prefix_is_refused(tmp_path, relu, capsys):
    code = _opt(relu, "--dse=platform=zedboard objective=pareto pareto_output=", "-o", tmp_path / "o.mlir")
    assert code == 1
    assert "pareto_output" in capsys.readouterr().err
    assert not list(Path.cwd().glob(".json")) and not list(tmp_path.glob(".*"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
