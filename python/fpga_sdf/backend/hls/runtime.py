"""Host runtime of an emitted project: runs its partitions from schedule.json on a device.

Why one runtime for every device: the schedule (partition order, reconfigurations, weights
reloading runs, formats, the packing of every AXI port) is the same whether the kernel is a
Zynq bitstream (PYNQ), an Alveo xclbin (XRT) or the C-simulation testbench, so the runtime
packs buffers, sequences runs and assembles reloaded filters once, and a device only moves
bytes. The C-simulation device runs the testbench on the very bytes the board would get,
which is how this runtime is tested here.

    rt = Runtime("hls/", CsimDevice("hls/"))   # or PynqDevice("hls/"), XrtDevice("hls/")
    y = rt.run(x_int)                          # (N, *input shape) integers -> output integers

Ports: every port moves `beat_bits`-wide beats holding `per_beat` values of `width` bits,
value k of a beat at bits [k*width, (k+1)*width), each frame (or run image) padded to whole
beats (schedule.json gives all three for every port). A feature map whose partition end
moves p > 1 pixels a word (`"pixels"`) is in the order of those words (`_beat_order`).
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from ...diagnostics import UserError
from .emit import from_stream_order, stream_order
from .packing import pack, unpack

__all__ = ["pack", "unpack", "Runtime", "CsimDevice", "PynqDevice", "XrtDevice", "port_bytes", "pack_weights"]


def _beat_bytes(port: dict) -> int:
    """Bytes of one beat of a port (a beat of a width not a multiple of 8 ends on a whole byte)."""
    return -(-port["beat_bits"] // 8)


class Runtime:
    """Runs a project's partitions in schedule order on `device`."""

    def __init__(self, directory: str, device):
        from .project import load_schedule

        self.root = Path(directory).resolve()
        self.schedule = load_schedule(str(self.root))
        self.device = device
        self.images: dict = {}  # port file -> packed images (packing from a sidecar takes seconds)

    def run(self, x_int: np.ndarray) -> np.ndarray:
        x = np.asarray(x_int, dtype=np.int64)
        n = x.shape[0]
        for part in self.schedule["partitions"]:
            if x.shape[1:] != tuple(part["input"]["shape"]):
                raise UserError(f"partition {part['name']} expects input (N, "
                                f"{', '.join(map(str, part['input']['shape']))}), got {x.shape}")
            self.device.configure(part)  # a reconfiguration between partitions
            ports = [self._image(port) for port in part["ports"]]
            inp = part["input"]
            flat = stream_order(x)[:, _beat_order(inp["shape"], inp)]
            data = pack(flat, inp["format"][0], inp["per_beat"])
            out = part["output"]
            out_shape = (n,) + tuple(out["shape"])
            reload = part.get("weights_reload")
            runs = part.get("runs", 1)
            words = out["words_per_run"]
            shares = []
            for r in range(runs):  # weights reloading: run r computes its filters for the whole batch
                images = [image[r] for image in ports]
                y = self.device.run(part, r, data, images, n)
                share = unpack(y, n, words, out["format"][0], out["per_beat"])
                run_shape = ((reload["filters_per_run"],) + tuple(out["shape"][1:])) if reload else out["shape"]
                shares.append(np.empty_like(share))
                shares[-1][:, _beat_order(run_shape, out)] = share
            if reload is None:
                x = from_stream_order(shares[0], out_shape)
                continue
            fr = reload["filters_per_run"]
            pixels = math.prod(out_shape[2:]) if len(out_shape) > 2 else 1
            full = np.zeros((n, pixels, reload["channels"]), dtype=np.int64)
            for r, y in enumerate(shares):
                full[:, :, r * fr:(r + 1) * fr] = y.reshape(n, pixels, fr)
            x = from_stream_order(full.reshape(n, -1), out_shape)
        return x

    def _image(self, port) -> list[bytes]:
        """A parameter port's packed images, one per run (the .bin holds them in order)."""
        data = self.images.get(port["file"])
        if data is None:
            data = self.images[port["file"]] = port_bytes(self.root, port)
        size = port["beats_per_run"] * _beat_bytes(port)
        return [data[i:i + size] for i in range(0, len(data), size)]


def _beat_order(shape, end: dict) -> np.ndarray:
    """Positions in the streaming order of the values a partition end's beats carry: the
    identity at one pixel a word; at p pixels, words of p pixels of a row per stream
    (the RTL backend's beat order, so both backends' buffers hold the same bytes)."""
    from ..rtl.sim import pixel_order

    return pixel_order(tuple(shape), int(end.get("streams", 1)), int(end.get("pixels", 1)))


def port_bytes(root: Path, port: dict) -> bytes:
    """The packed images of a parameter port: its .bin when the project has one, else packed
    now from the design's .npz sidecar that schedule.json names (images.py, the emitter's
    own layout code), checked against the SHA-256 recorded at emission."""
    path = root / port["file"]
    if path.is_file() or "source" not in port:
        if not path.is_file():
            raise UserError(f"{path}: the weights image of port {port['name']} is missing")
        data = path.read_bytes()
    else:
        data = _pack_from_sidecar(root, port)
    digest = port.get("sha256")
    if digest and hashlib.sha256(data).hexdigest() != digest:
        where = port.get("source", {}).get("file", port["file"])
        raise UserError(f"the weights of layer {port['layer']} ({where}) are not those the project was "
                        f"emitted with (SHA-256 differs): emit the project again from the current design")
    return data


def _pack_from_sidecar(root: Path, port: dict) -> bytes:
    from .images import bias_runs, weights_runs

    src = port["source"]
    npz = (root / src["file"]).resolve()
    if not npz.is_file():
        raise UserError(f"{npz}: the design's weights sidecar is missing; the project packs the weights of "
                        f"layer {port['layer']} from it at load time (keep it next to the project, "
                        f"or write the images with `python -m fpga_sdf.backend.hls.runtime --pack-weights DIR`)")
    with np.load(npz, allow_pickle=False) as archive:
        if src["key"] not in archive.files:
            raise UserError(f"{npz} has no array '{src['key']}' (weights of layer {port['layer']})")
        values = np.asarray(archive[src["key"]], dtype=np.float32)
    runs = (weights_runs if src["image"] == "weights" else bias_runs)(values, src["recipe"])
    return pack(runs, port["format"][0], port["per_beat"])


def pack_weights(directory: str) -> list[str]:
    """Write every port's packed images into the project (weights/*.bin), so it runs without
    the sidecar (a board without fpga_sdf, the XRT host program); returns the files written."""
    root = Path(directory).resolve()
    from .project import load_schedule

    written = []
    for part in load_schedule(str(root))["partitions"]:
        for port in part["ports"]:
            path = root / port["file"]
            if path.is_file():
                continue
            data = port_bytes(root, port)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(str(path))
    return written


def main(argv=None) -> int:
    """python -m fpga_sdf.backend.hls.runtime --pack-weights DIR"""
    import argparse

    p = argparse.ArgumentParser(prog="python -m fpga_sdf.backend.hls.runtime",
                                description="Write the packed weights images of an HLS project from its design's sidecar.")
    p.add_argument("--pack-weights", metavar="DIR", required=True, help="the project directory")

    def body(args) -> int:
        for path in pack_weights(args.pack_weights):
            print(path)
        return 0
    from ...cli import run_tool  # diagnostics on stderr, exit 1; never a traceback

    return run_tool("fpga_sdf.backend.hls.runtime", p, body, argv)


class CsimDevice:
    """The C-simulation testbench of each partition as the device: same bytes in and out.
    `stdout` keeps what each run printed (the checksum, the sparse engines' cycle counts)."""

    def __init__(self, directory: str):
        self.root = Path(directory).resolve()
        self.stdout: list[str] = []

    def configure(self, part) -> None:
        binary = self.root / part["binary"]
        if not binary.is_file():
            raise UserError(f"{binary} is not built (run `make build` or fpga-run --backend csim)")
        self.binary = binary

    def run(self, part, run: int, data: bytes, images: list[bytes], frames: int) -> bytes:
        with tempfile.TemporaryDirectory(prefix="sdf_hls_run_") as tmp:
            tmp = Path(tmp)
            (tmp / "in.bin").write_bytes(data)
            files = []
            for i, image in enumerate(images):
                files.append(tmp / f"port{i}.bin")
                files[-1].write_bytes(image)
            args = [str(self.binary), str(tmp / "in.bin"), str(tmp / "out.bin"), str(frames)] + [str(f) for f in files]
            proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=3600)
            if proc.returncode != 0:
                raise UserError(f"{self.binary} exited with {proc.returncode}:\n{proc.stdout[-2000:]}"
                                f"{proc.stderr[-4000:]}")
            self.stdout.append(proc.stdout)
            return (tmp / "out.bin").read_bytes()


class PynqDevice:
    """A Zynq board through PYNQ: one overlay (bitstream + .hwh) per partition, loaded when
    the schedule reaches it; buffers in contiguous memory; the kernel's AXI-Lite registers
    by name from the overlay's register map (`in_r`, `out_r`, ports, `frames`)."""

    def __init__(self, directory: str, bitstreams: dict | None = None):
        import pynq  # noqa: F401  (on the board)

        self.root = Path(directory).resolve()
        self.bitstreams = bitstreams or {}
        self.loaded = None

    def configure(self, part) -> None:
        import pynq

        name = part["name"]
        if self.loaded != name:
            path = self.bitstreams.get(name, self.root / "vivado" / name / f"design_{name}.bit")
            self.overlay = pynq.Overlay(str(path))
            self.ip = getattr(self.overlay, f"{part['top']}_0")
            self.loaded = name

    def run(self, part, run: int, data: bytes, images: list[bytes], frames: int) -> bytes:
        import pynq

        def buffer(raw: bytes):
            buf = pynq.allocate(shape=(max(len(raw), 1),), dtype=np.uint8)
            buf[:len(raw)] = np.frombuffer(raw, np.uint8)
            buf.sync_to_device()
            return buf

        out_bytes = frames * part["output"]["beats_per_frame"] * _beat_bytes(part["output"])
        bufs = [buffer(data), pynq.allocate(shape=(out_bytes,), dtype=np.uint8)] + [buffer(i) for i in images]
        regs = self.ip.register_map
        for name, buf in zip(["in_r", "out_r"] + [p["name"] for p in part["ports"]], bufs):
            setattr(regs, f"{name}_1", buf.device_address & 0xFFFFFFFF)
            if hasattr(regs, f"{name}_2"):
                setattr(regs, f"{name}_2", buf.device_address >> 32)
        regs.frames = frames
        regs.CTRL.AP_START = 1
        while not regs.CTRL.AP_DONE:  # the kernel runs the whole batch: poll, without spinning a core
            time.sleep(1e-4)
        bufs[1].sync_from_device()
        result = bytes(bufs[1])
        for buf in bufs:
            buf.freebuffer()
        return result


class XrtDevice:
    """An Alveo card through XRT's Python binding (pyxrt): one xclbin per partition."""

    def __init__(self, directory: str, index: int = 0):
        import pyxrt

        self.root = Path(directory).resolve()
        self.device = pyxrt.device(index)
        self.loaded = None

    def configure(self, part) -> None:
        import pyxrt

        name = part["name"]
        if self.loaded != name:
            xclbin = pyxrt.xclbin(str(self.root / "vitis" / f"{name}.xclbin"))
            uuid = self.device.load_xclbin(xclbin)
            self.kernel = pyxrt.kernel(self.device, uuid, part["top"])
            self.loaded = name

    def run(self, part, run: int, data: bytes, images: list[bytes], frames: int) -> bytes:
        import pyxrt

        def bo(size: int, arg: int):
            return pyxrt.bo(self.device, max(size, 1), pyxrt.bo.normal, self.kernel.group_id(arg))

        out_bytes = frames * part["output"]["beats_per_frame"] * _beat_bytes(part["output"])
        bos = [bo(len(data), 0), bo(out_bytes, 1)] + [bo(len(i), 2 + k) for k, i in enumerate(images)]
        for buf, raw in zip([bos[0]] + bos[2:], [data] + images):
            buf.write(raw, 0)
            buf.sync(pyxrt.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE)
        handle = self.kernel(*bos, frames)
        handle.wait()
        bos[1].sync(pyxrt.xclBOSyncDirection.XCL_BO_SYNC_BO_FROM_DEVICE)
        return bytes(bos[1].read(out_bytes, 0))


if __name__ == "__main__":
    raise SystemExit(main())
