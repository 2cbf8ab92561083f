"""Host runtime of an emitted project: runs its partitions from schedule.json on a device.

Why one runtime for every device: the schedule (partition order, reconfigurations, weights
reloading runs, formats, the packing of every AXI port) is the same whether the kernel is a
Zynq bitstream (PYNQ), an Alveo xclbin (XRT) or the C-simulation testbench, so the runtime
packs buffers, sequences runs and assembles reloaded filters once, and a device only moves
bytes. The C-simulation device runs the testbench on the very bytes the board would get,
which is how this runtime is tested here.

    rt = Runtime("hls/", CsimDevice("hls/"))   # or PynqDevice("hls/"), XrtDevice("hls/")
    y = rt.run(x_int)                          # (N, *input shape) integers -> output integers

Sub-batches: when a batch's off-chip tensors do not fit the board's DDR, the model runs it in
passes of `NetworkPerf.sub_batch` frames (schedule.json `sub_batch`, or the `sub_batch`
argument): every partition over one sub-batch, then the next, reconfiguring each pass.

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

__all__ = ["pack", "unpack", "kernel_args", "ring_buffers", "assemble_runs", "Runtime", "CsimDevice", "PynqDevice", "XrtDevice", "port_bytes", "pack_weights"]


def kernel_args(part: dict) -> list[str]:
    """A partition kernel's memory arguments in order (process.Partition.memory_args):
    the feature maps it reads, those it writes, its parameter ports, then each evicted skip
    stream's write and read ports (`rings`, both given the ring's one buffer)."""
    return ([end["port"] for end in part["inputs"] + part["outputs"]] + [p["name"] for p in part["ports"]]
            + [port for ring in part.get("rings", []) for port in ring["ports"]])


def ring_buffers(part: dict) -> list[tuple[int, int]]:
    """(bytes, how many kernel arguments) of each buffer after the parameter ports: one per
    evicted skip stream, a frame of the kernel's scratch memory handed to its two ports."""
    return [(ring["bytes"], len(ring["ports"])) for ring in part.get("rings", [])]


def _beat_bytes(port: dict) -> int:
    """Bytes of one beat of a port (a beat of a width not a multiple of 8 ends on a whole byte)."""
    return -(-port["beat_bits"] // 8)


class Runtime:
    """Runs a project's partitions in schedule order on `device`."""

    def __init__(self, directory: str, device, sub_batch: int | None = None):
        from .project import load_schedule

        self.root = Path(directory).resolve()
        self.schedule = load_schedule(str(self.root))
        self.device = device
        self.images: dict = {}  # port file -> packed images (packing from a sidecar takes seconds)
        self.sub_batch = sub_batch or self.schedule.get("sub_batch")  # frames per pass; None: all
        if self.sub_batch is not None and (not isinstance(self.sub_batch, int) or self.sub_batch < 1):
            raise UserError(f"sub-batch must be a positive number of frames, got {self.sub_batch!r}")

    def run(self, x_int: np.ndarray) -> np.ndarray:
        """The batch in passes of `sub_batch` frames (one pass when unset), each pass every
        partition in order."""
        x = np.asarray(x_int, dtype=np.int64)
        size = self.sub_batch or max(x.shape[0], 1)
        return np.concatenate([self._pass(x[i:i + size]) for i in range(0, max(x.shape[0], 1), size)])

    def _pass(self, x: np.ndarray) -> np.ndarray:
        """Every partition in order over frames `x`; each off-chip tensor's buffer is kept from
        the partition writing it to the last one reading it (schedule.json `tensors`: a skip
        tensor of a cut inside a residual block may be read several partitions later)."""
        n = x.shape[0]
        buffers = {"input": x}
        readers = {name: len(t["readers"]) for name, t in self.schedule["tensors"].items()}
        result = self.schedule["network_output"]
        for part in self.schedule["partitions"]:
            for end in part["inputs"]:
                got = buffers[end["tensor"]].shape
                if got[1:] != tuple(end["shape"]):
                    raise UserError(f"partition {part['name']} expects {end['tensor']} (N, "
                                    f"{', '.join(map(str, end['shape']))}), got {got}")
            self.device.configure(part)  # a reconfiguration between partitions
            ports = [self._image(port) for port in part["ports"]]
            data = [pack(stream_order(buffers[end["tensor"]])[:, _beat_order(end["shape"], end)],
                         end["format"][0], end["per_beat"]) for end in part["inputs"]]
            reload = part.get("weights_reload")
            # the reloaded layer's output holds a share of its filters a run; every other
            # output is written whole in every run
            reloads = [reload if reload and k == reload.get("output", 0) else None for k in range(len(part["outputs"]))]
            shares = [[] for _ in part["outputs"]]
            for r in range(part.get("runs", 1)):  # weights reloading: run r computes its filters for the whole batch
                ys = self.device.run(part, r, data, [image[r] for image in ports], n)
                for end, y, got, share_of in zip(part["outputs"], ys, shares, reloads):
                    share = unpack(y, n, end["words_per_run"], end["format"][0], end["per_beat"])
                    run_shape = ((share_of["filters_per_run"],) + tuple(end["shape"][1:])) if share_of else end["shape"]
                    got.append(np.empty_like(share))
                    got[-1][:, _beat_order(run_shape, end)] = share
            for end, got, share_of in zip(part["outputs"], shares, reloads):
                buffers[end["tensor"]] = assemble_runs(got, share_of, (n,) + tuple(end["shape"]))
            for end in part["inputs"]:
                readers[end["tensor"]] -= 1
                if not readers[end["tensor"]] and end["tensor"] != result:
                    del buffers[end["tensor"]]  # its last reader has run
        return buffers[result]

    def _image(self, port) -> list[bytes]:
        """A parameter port's packed images, one per run (the .bin holds them in order)."""
        data = self.images.get(port["file"])
        if data is None:
            data = self.images[port["file"]] = port_bytes(self.root, port)
        size = port["beats_per_run"] * _beat_bytes(port)
        return [data[i:i + size] for i in range(0, len(data), size)]


def assemble_runs(shares: list, reload: dict | None, shape: tuple) -> np.ndarray:
    """An output tensor (N, *shape) from its runs' shares in streaming order: a reloaded
    layer's runs each hold `filters_per_run` of its filters; any other output's runs each
    hold all of it, the same values (checked: a run that differs is a hardware fault)."""
    if reload is None:
        if any(not np.array_equal(y, shares[0]) for y in shares[1:]):
            raise UserError("the runs of a weights-reloading partition wrote different values to an output "
                            "that every run writes whole")
        return from_stream_order(shares[0], shape)
    n, fr = shape[0], reload["filters_per_run"]
    pixels = math.prod(shape[2:]) if len(shape) > 2 else 1
    full = np.zeros((n, pixels, reload["channels"]), dtype=np.int64)
    for r, y in enumerate(shares):
        full[:, :, r * fr:(r + 1) * fr] = y.reshape(n, pixels, fr)
    return from_stream_order(full.reshape(n, -1), shape)


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

    def run(self, part, run: int, inputs: list[bytes], images: list[bytes], frames: int) -> list[bytes]:
        """The testbench's command line: in.bin out.bin frames, the parameter images, then
        the other inputs' and outputs' files (render._testbench)."""
        with tempfile.TemporaryDirectory(prefix="sdf_hls_run_") as tmp:
            tmp = Path(tmp)
            ins = [tmp / f"{end['port']}.bin" for end in part["inputs"]]
            outs = [tmp / f"{end['port']}.bin" for end in part["outputs"]]
            for path, data in zip(ins, inputs):
                path.write_bytes(data)
            files = []
            for i, image in enumerate(images):
                files.append(tmp / f"port{i}.bin")
                files[-1].write_bytes(image)
            args = [str(self.binary), str(ins[0]), str(outs[0]), str(frames)] + [str(f) for f in files + ins[1:] + outs[1:]]
            proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=3600)
            if proc.returncode != 0:
                raise UserError(f"{self.binary} exited with {proc.returncode}:\n{proc.stdout[-2000:]}"
                                f"{proc.stderr[-4000:]}")
            self.stdout.append(proc.stdout)
            return [path.read_bytes() for path in outs]


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

    def run(self, part, run: int, inputs: list[bytes], images: list[bytes], frames: int) -> list[bytes]:
        import pynq

        def buffer(raw: bytes):
            buf = pynq.allocate(shape=(max(len(raw), 1),), dtype=np.uint8)
            buf[:len(raw)] = np.frombuffer(raw, np.uint8)
            buf.sync_to_device()
            return buf

        outs = [pynq.allocate(shape=(frames * end["beats_per_frame"] * _beat_bytes(end),), dtype=np.uint8)
                for end in part["outputs"]]
        bufs = [buffer(data) for data in inputs] + outs + [buffer(i) for i in images]
        rings = [pynq.allocate(shape=(size,), dtype=np.uint8) for size, _ in ring_buffers(part)]
        args = bufs + [ring for ring, (_, n) in zip(rings, ring_buffers(part)) for _ in range(n)]
        regs = self.ip.register_map
        for name, buf in zip(kernel_args(part), args):
            name = f"{name}_r" if name in ("in", "out") else name  # Vitis renames HDL keywords
            setattr(regs, f"{name}_1", buf.device_address & 0xFFFFFFFF)
            if hasattr(regs, f"{name}_2"):
                setattr(regs, f"{name}_2", buf.device_address >> 32)
        regs.frames = frames
        regs.CTRL.AP_START = 1
        while not regs.CTRL.AP_DONE:  # the kernel runs the whole batch: poll, without spinning a core
            time.sleep(1e-4)
        results = []
        for buf in outs:
            buf.sync_from_device()
            results.append(bytes(buf))
        for buf in bufs + rings:
            buf.freebuffer()
        return results


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

    def run(self, part, run: int, inputs: list[bytes], images: list[bytes], frames: int) -> list[bytes]:
        import pyxrt

        def bo(size: int, arg: int):
            return pyxrt.bo(self.device, max(size, 1), pyxrt.bo.normal, self.kernel.group_id(arg))

        n_in, n_out = len(part["inputs"]), len(part["outputs"])
        out_bytes = [frames * end["beats_per_frame"] * _beat_bytes(end) for end in part["outputs"]]
        sizes = [len(d) for d in inputs] + out_bytes + [len(i) for i in images]
        bos = [bo(size, arg) for arg, size in enumerate(sizes)]
        for size, n in ring_buffers(part):  # one buffer, given to the ring's write and read ports
            bos += [bo(size, len(bos))] * n
        for buf, raw in zip(bos[:n_in] + bos[n_in + n_out:], inputs + images):
            buf.write(raw, 0)
            buf.sync(pyxrt.xclBOSyncDirection.XCL_BO_SYNC_BO_TO_DEVICE)
        handle = self.kernel(*bos, frames)
        handle.wait()
        results = []
        for buf, size in zip(bos[n_in:n_in + n_out], out_bytes):
            buf.sync(pyxrt.xclBOSyncDirection.XCL_BO_SYNC_BO_FROM_DEVICE)
            results.append(bytes(buf.read(size, 0)))
        return results


if __name__ == "__main__":
    raise SystemExit(main())
