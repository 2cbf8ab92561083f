"""The path to off-chip memory: the Zynq HP ports cap a partition's traffic, and a batch whose
off-chip tensors do not fit the board's DDR runs in sub-batch passes (model, report, DSE and
host runtime), against hand computations."""

from dataclasses import replace

import numpy as np
import pytest

from model_test_specs import conv
from fpga_sdf.diagnostics import UserError
from fpga_sdf.model import (LayerSpec, PlatformError, load_platform, network_performance, partition_performance,
                            platform_from_dict, platform_names)
from fpga_sdf.model.performance import BANDWIDTH_BOTTLENECK, transfer_cycles
from fpga_sdf.model.report import build_report, format_table

ZC706 = load_platform("zc706")
ZCU102 = load_platform("zcu102")


def relu(name="relu", channels=64):
    """64 x 32 x 32 at 16 bits: 1,048,576 bits a frame in and out; every channel a stream,
    so 1024 cycles a frame."""
    return LayerSpec(name, "activation", ((channels, 32, 32),), ((channels, 32, 32),), mode="relu",
                     coarse_in=channels, coarse_out=channels)


def board(base, **fields):
    """A shipped board with some fields changed, through the loader's validation."""
    data = {f: getattr(base, f) for f in base.__dataclass_fields__ if getattr(base, f) is not None}
    data.update(fields)
    return platform_from_dict({k: v for k, v in data.items() if v is not None}, source="test")


def test_zc706_hp_ports_cap_a_one_in_one_out_partition_at_25_6_gbps():
    # Two masters (in, out) of 1,048,576 bits, each on its own 64-bit HP port: 16384 cycles a
    # frame, 2 x 64 bits x 200 MHz = 25.6 Gb/s; the DDR's 34.1 Gb/s (170.5 bits a cycle)
    # alone would allow ceil(2,097,152 / 170.5) = 12301 cycles.
    perf = partition_performance([relu()], platform=ZC706, clock_mhz=200, batch=1)
    assert perf.compute_interval == 1024 and perf.masters == 2
    assert perf.bandwidth_interval == perf.interval == 16384 and perf.bottleneck == BANDWIDTH_BOTTLENECK
    assert perf.offchip_bits_per_frame * 200e6 / perf.interval == pytest.approx(25.6e9)
    uncapped = board(ZC706, axi_ports=None, axi_port_bits=None)
    assert partition_performance([relu()], platform=uncapped, clock_mhz=200).bandwidth_interval == 12301


def test_transfer_cycles_per_master_per_port_and_the_ddr_peak():
    # ZC706 @ 200 MHz, in 1,048,576 bits and out a quarter: the input's port alone takes
    # 1,048,576 / 64 = 16384 cycles (both together on two ports: 1,310,720 / 128 = 10240)
    assert transfer_cycles(ZC706, 200, [1_048_576, 262_144]) == 16384
    # ZCU102 @ 200 MHz: five masters of 4096 bits on five of its six 128-bit PS ports (640
    # bits a cycle, under the DDR's 136.5e3 / 200 = 682.5): 20480 / 640 = 32, each master's
    # own port 4096 / 128 = 32 too; two of them: 8192 / 256
    assert transfer_cycles(ZCU102, 200, [4096] * 5) == 32
    assert transfer_cycles(ZCU102, 200, [4096] * 2) == 32
    # U250: its 4 DDR banks as 512-bit ports at 300 MHz (2048 bits a cycle, under the DDR's
    # 616e3 / 300 = 2053.3): four masters 16384 / 2048 = 8; a fifth shares a bank with one of
    # them, whose 8192 bits take 8192 / 512 = 16 cycles (not the banks' 20480 / 2048 = 10)
    assert transfer_cycles(load_platform("u250"), 300, [4096] * 4) == 8
    assert transfer_cycles(load_platform("u250"), 300, [4096] * 5) == 16
    assert transfer_cycles(ZC706, 200, [0, 0]) == 0.0


def test_masters_beyond_the_ports_are_dealt_largest_first():
    """Five masters on the ZC706's four 64-bit HP ports: dealt in argument order (round-robin),
    the two 64,000-bit ones would share port 0 (128,000 / 64 = 2000 cycles); the deal puts
    each large one on its own port and the three small ones on the other two, so the busiest
    port carries 64,000 bits: 1000 cycles, the model's bound."""
    from fpga_sdf.model.performance import deal_ports

    masters = [64_000, 1_000, 1_000, 1_000, 64_000]
    assert deal_ports(masters, 4) == [0, 2, 3, 2, 1]
    assert transfer_cycles(ZC706, 200, masters) == 1000
    assert deal_ports([5, 5, 5], 1) == [0, 0, 0]


def test_the_bound_prices_the_busiest_port_of_the_deal_itself():
    """transfer_cycles' fast busiest_port is the busiest port of deal_ports' deal (what the
    HLS backend wires), on random master lists."""
    import random

    from fpga_sdf.model.performance import busiest_port, deal_ports

    rng = random.Random(1)
    for _ in range(2000):
        masters = [rng.choice([0, 1, 5, 5, 64, 1000, rng.randrange(1, 10**6)]) for _ in range(rng.randrange(1, 14))]
        ports = rng.randrange(1, 8)
        loads = [0] * ports
        for bits, port in zip(masters, deal_ports(masters, ports)):
            loads[port] += bits
        assert busiest_port(masters, ports) == max(loads), (masters, ports)


def test_weights_reload_goes_through_the_layers_port():
    # wr=2 on ZC706 @ 125 MHz: between the runs, half of 4608 x 16 bits = 36,864 bits through
    # the conv's weights port, 64 bits a cycle: 576 cycles (not 36,864 / 34.1 Gb/s)
    perf = partition_performance([conv(wr_factor=2)], platform=ZC706, batch=10)
    assert perf.runs == 2
    assert perf.reload_s == pytest.approx(576 / 125e6)
    assert perf.time_s == pytest.approx(perf.cycles / 125e6 + 576 / 125e6)


def test_a_batch_larger_than_ddr_runs_in_sub_batches_reconfiguring_each_pass():
    # p0 a conv 16 -> 32 (in 32 KiB + out 64 KiB a frame), p1 a relu on 32 channels (64 KiB in,
    # 64 KiB out): 128 KiB a frame at most. 1 MiB of DDR less the conv's weights image
    # (4608 x 2 bytes) leaves 1,039,360 bytes: 7 frames a pass (8 would take 1,048,576).
    # Batch 20: passes of 7, 7, 6; both partitions reconfigured each pass: 6 reconfigurations.
    small = board(ZC706, ddr_mb=1)
    parts = [[conv()], [relu("relu", 32)]]
    net = network_performance(parts, small, 125, 20)
    assert [p.frame_ddr_bytes for p in net.partitions] == [98_304, 131_072]
    assert net.image_bytes == 9216 and net.ddr_free_bytes == 1_039_360
    assert (net.sub_batch, net.passes, net.reconfigurations) == (7, 3, 6)
    # every pass refills each partition's pipeline once; the frames cost their intervals
    expected = [(3 * p.depth + 20 * p.interval) / 125e6 for p in net.partitions]
    assert net.partition_time_s == pytest.approx(expected)
    assert net.time_s == pytest.approx(sum(expected) + 6 * 0.1)
    whole = network_performance(parts, ZC706, 125, 20)  # 1 GiB: one pass, two reconfigurations
    assert (whole.sub_batch, whole.passes, whole.reconfigurations) == (20, 1, 2)
    assert whole.time_s == pytest.approx(sum(p.time_s for p in whole.partitions) + 2 * 0.1)


def test_one_partition_stays_configured_over_its_passes():
    # 2 x 128 KiB a frame in 1 MiB: 4 frames a pass, batch 10 in 3 passes, no reconfiguration
    net = network_performance([[relu()]], board(ZC706, ddr_mb=1), 200, 10)
    (p,) = net.partitions
    assert (net.sub_batch, net.passes, net.reconfigurations) == (4, 3, 0)
    assert net.time_s == pytest.approx((3 * p.depth + 10 * p.interval) / 200e6)


def test_a_frame_that_does_not_fit_is_a_user_error():
    with pytest.raises(UserError, match=r"one frame does not fit the DDR of zc706: partition 0 reads and writes "
                                        r"0\.2 MiB of tensors a frame"):
        network_performance([[relu()]], board(ZC706, ddr_mb=0.1), 200, 4)


def test_report_names_the_partition_needing_most_ddr_and_the_sub_batch():
    report = build_report([[conv()], [relu("relu", 32)]], board(ZC706, ddr_mb=1), 125, 20)
    assert report["network"]["ddr"] == {"partition": 1, "free_bytes": 1_039_360, "weights_image_bytes": 9216,
                                        "sub_batch": 7, "passes": 3,
                                        "live_frame_bytes": [98304, 131072], "ring_bytes": 0}  # p0's in+out, p1's (7 x 131,072 fit)
    assert report["network"]["reconfigurations"] == 6
    assert "DDR: partition 1 needs 2.5 MiB for the batch's tensors, 1.0 MiB free of 1 MiB beside 0.0 MiB " \
           "of weights images: 3 passes of 7 frames, 6 reconfigurations" in format_table(report)


def test_dse_costs_the_passes():
    """The explorer's network cost is the model's network time, passes included."""
    from fpga_sdf.dse.explore import Problem, explore
    from fpga_sdf.dse.problem import Constraints

    specs = (conv(name="a", coarse_in=16, coarse_out=32), relu("r", 32))
    problem = Problem(specs, (("a", "r"),), (0,))
    small = board(ZC706, ddr_mb=1)
    design = explore(problem, Constraints(small, 125, 20), "throughput", progress=False)
    assert design.perf.passes == -(-20 // design.perf.sub_batch) > 1
    assert design.cost == pytest.approx(design.perf.time_s)
    with pytest.raises(UserError, match="one frame's off-chip tensors do not fit"):
        explore(problem, Constraints(board(ZC706, ddr_mb=0.05), 125, 1), "throughput", progress=False)


def test_boards_declare_ddr_and_their_ports_as_the_hls_backend_builds_them():
    from fpga_sdf.backend.hls import platform as hls_platform
    from fpga_sdf.backend.hls.process import bus_bits

    for name in platform_names():
        b = load_platform(name)
        assert b.ddr_mb and b.ddr_mb >= 512
        if hls_platform.kind(b) in ("zynq7", "zynqmp"):  # the m_axi beats the backend emits are the
            # PS ports' width the model caps at: 4 HP ports on Zynq-7000, HP0-3 + HPC0-1 on ZynqMP
            assert b.axi_port_bits == bus_bits(b)
            assert hls_platform.hp_ports(b) == b.axi_ports == (4 if hls_platform.kind(b) == "zynq7" else 6)
    assert (ZC706.ddr_mb, ZCU102.ddr_mb, load_platform("u280").ddr_mb) == (1024, 4096, 8192)


@pytest.mark.parametrize("fields, message", [
    ({"axi_ports": 4}, "fields 'axi_ports' and 'axi_port_bits' go together"),
    ({"axi_ports": 0, "axi_port_bits": 64}, "field 'axi_ports' must be a positive integer, got 0"),
    ({"axi_ports": 2, "axi_port_bits": 6.5}, "field 'axi_port_bits' must be a positive integer, got 6.5"),
    ({"ddr_mb": 0}, "field 'ddr_mb' must be a positive number, got 0"),
    ({"ddr_mb": "1G"}, "field 'ddr_mb' must be a positive number, got '1G'"),
])
def test_bad_memory_fields_name_the_file_and_field(fields, message):
    data = {f: getattr(ZC706, f) for f in ZC706.__dataclass_fields__
            if getattr(ZC706, f) is not None and f not in ("axi_ports", "axi_port_bits", "ddr_mb")}
    with pytest.raises(PlatformError, match=f"^board.json: {message}"):
        platform_from_dict({**data, **fields}, source="board.json")


def test_a_zynq_board_with_more_hp_ports_than_the_ps_is_refused():
    from fpga_sdf.backend.hls.platform import hp_ports

    with pytest.raises(UserError, match="axi_ports is 6, but a Zynq PS has 4 HP ports"):
        hp_ports(replace(ZC706, axi_ports=6))


@pytest.mark.csim
def test_host_runtime_runs_sub_batches_of_the_schedule(tmp_path):
    """Digits in two partitions, 5 frames in passes of 2: each pass configures both
    partitions and runs them on its frames; the output is the fixed-point executor's."""
    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network
    from fpga_sdf.backend.hls import project
    from fpga_sdf.backend.hls.emit import emit, write_project
    from fpga_sdf.backend.hls.runtime import CsimDevice, Runtime
    from fpga_sdf.diagnostics import Diagnostics
    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.interp.executor import _arg_format, entry_function, execute
    from fpga_sdf.interp.fixed import Fixed, quantize
    from fpga_sdf.pass_registry import lookup

    model, x = digits.build()
    module = import_model(model, x)
    with sdf_ir.context():
        names = [n for n, _ in network.named_layers(module)]
        for flag, options in (("sdf-quantize", ""), ("sdf-partition", f"cuts={names[2]}")):
            diag = Diagnostics()
            lookup(flag).from_options(options).run(module, diag)
            assert not diag.errors
    out = tmp_path / "hls"
    write_project(emit(module), str(out))
    project.build(str(out))

    class Recording(CsimDevice):
        calls: list = []

        def configure(self, part):
            self.calls.append(("configure", part["name"]))
            super().configure(part)

        def run(self, part, run, data, images, frames):
            self.calls.append(("run", part["name"], frames))
            return super().run(part, run, data, images, frames)

    xs = np.concatenate([x.numpy(), np.random.default_rng(3).standard_normal((4, *x.shape[1:])).astype(np.float32)])
    device = Recording(str(out))
    y = Runtime(str(out), device, sub_batch=2).run(quantize(xs, _arg_format(entry_function(module), 0)))
    assert device.calls == [c for frames in (2, 2, 1) for p in ("p0", "p1")
                            for c in (("configure", p), ("run", p, frames))]
    fmt = Fixed(*project.load_schedule(str(out))["partitions"][-1]["output"]["format"])
    assert np.array_equal(y.reshape(5, -1), quantize(execute(module, [xs], "fixed")[0], fmt).reshape(5, -1))
    with pytest.raises(UserError, match="sub-batch must be a positive number of frames, got -1"):
        Runtime(str(out), device, sub_batch=-1)


def test_emitted_schedule_carries_the_models_sub_batch(tmp_path):
    """The HLS project's schedule.json names the sub-batch the model costs, so the host runs
    the passes the model priced; a batch that fits DDR gets no sub_batch."""
    import json

    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network
    from fpga_sdf.backend.hls.emit import emit
    from fpga_sdf.diagnostics import Diagnostics
    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model
    from fpga_sdf.pass_registry import lookup
    from torch_mlir import ir

    def schedule(ddr_mb: float, batch: int):
        data = {f: getattr(ZC706, f) for f in ZC706.__dataclass_fields__ if getattr(ZC706, f) is not None}
        data.update(name="zc706_small_ddr", ddr_mb=ddr_mb)
        path = tmp_path / f"board_{ddr_mb}.json"
        path.write_text(json.dumps(data))
        model, x = digits.build()
        module = import_model(model, x)
        with sdf_ir.context(), ir.Location.unknown():
            names = [n for n, _ in network.named_layers(module)]
            for flag, options in (("sdf-target", f"platform={path} batch={batch}"), ("sdf-quantize", ""),
                                  ("sdf-partition", f"cuts={names[2]}")):
                diag = Diagnostics()
                lookup(flag).from_options(options).run(module, diag)
                assert not diag.errors
            perf = network_performance(network.model_partitions(module), board(ZC706, ddr_mb=ddr_mb), None, batch)
            return emit(module).schedule, perf

    # digits' widest partition moves tens of KiB a frame: 1 MiB of DDR holds some tens of frames
    small, perf = schedule(1, 1000)
    assert perf.passes > 1 and small["sub_batch"] == perf.sub_batch
    roomy, perf = schedule(1024, 1000)
    assert perf.passes == 1 and "sub_batch" not in roomy


def pointwise_conv(name, ci, co):
    """A 1x1 conv on 32 x 32 maps at 16 bits: ci x 2 KiB a frame in, co x 2 KiB out; its
    weights image ci x co x 2 bytes."""
    return LayerSpec(name, "conv", ((ci, 32, 32),), ((co, 32, 32),), kernel=(1, 1), stride=(1, 1), pad=(0, 0, 0, 0))


def test_a_skip_tensor_passing_by_a_partition_is_live_in_ddr_while_it_runs():
    # A residual block cut twice (as R(2+1)D-18's are): p0 forks x (16 ch) and widens one
    # branch to 64 ch; p1 convolves 64 -> 64; p2 narrows to 16 and adds the skip. A channel
    # of 32 x 32 x 16 bits is 2 KiB. Own tensors: p0 x, skip, a: (16 + 16 + 64) x 2 KiB =
    # 192 KiB; p1 a, b: 256 KiB; p2 b, skip, out: 192 KiB. While p1 runs the skip p0 wrote
    # for p2 is in DDR too: 288 KiB.
    fork = LayerSpec("fork", "split", ((16, 32, 32),), ((16, 32, 32), (16, 32, 32)))
    add = LayerSpec("add", "eltwise", ((16, 32, 32), (16, 32, 32)), ((16, 32, 32),), mode="add")
    parts = [([fork, pointwise_conv("a", 16, 64)], [("fork", "a")]), ([pointwise_conv("b", 64, 64)], []),
             ([pointwise_conv("c", 64, 16), add], [("c", "add")])]
    links = [("fork", "a"), ("fork", "add"), ("a", "b"), ("b", "c"), ("c", "add")]
    # 3 MiB of DDR less the weights images (16 x 64 + 64 x 64 + 64 x 16) x 2 = 12,288 bytes
    # leaves 3,133,440: 11 frames of 256 KiB (12 would take 3,145,728) but 10 of 288 KiB
    # (11 would take 3,244,032). Batch 22: 2 passes (11, 11) counting own tensors only, 3
    # (10, 10, 2) counting the skip; 3 partitions reconfigured each pass.
    small = board(ZC706, ddr_mb=3)
    own = network_performance(parts, small, 125, 22)
    live = network_performance(parts, small, 125, 22, links)
    assert [p.frame_ddr_bytes for p in own.partitions] == [196_608, 262_144, 196_608]
    assert own.live_frame_bytes == (196_608, 262_144, 196_608)
    assert live.live_frame_bytes == (196_608, 294_912, 196_608)
    assert own.ddr_free_bytes == live.ddr_free_bytes == 3_133_440
    assert (own.sub_batch, own.passes, own.reconfigurations) == (11, 2, 6)
    assert (live.sub_batch, live.passes, live.reconfigurations) == (10, 3, 9)
    # the report names p1, the partition the skip passes by, as the one needing most
    ddr = build_report(parts, small, 125, 22, links=links)["network"]["ddr"]
    assert (ddr["partition"], ddr["live_frame_bytes"], ddr["sub_batch"], ddr["passes"]) == \
        (1, [196_608, 294_912, 196_608], 10, 3)
    # p0 and p1 as one partition: the skip goes straight to its reader, nothing passes by
    # (x, skip, b's output: 192 KiB; then b's output, skip, out: 192 KiB)
    merged = network_performance([(parts[0][0] + parts[1][0], [("fork", "a"), ("a", "b")]), parts[2]], small, 125,
                                 22, links)
    assert merged.live_frame_bytes == (196_608, 196_608)


def test_the_dse_checks_a_segment_against_the_ddr_live_while_it_runs():
    # The DSE's partitioning (explore) sizes each candidate partition's sub-batch with what
    # is live while it runs, tensors passing by included, whatever the cuts before and after
    # it: the block above as one segment per layer range (2 KiB a channel).
    from fpga_sdf.dse.explore import Problem, live_bytes

    fork = LayerSpec("fork", "split", ((16, 32, 32),), ((16, 32, 32), (16, 32, 32)))
    add = LayerSpec("add", "eltwise", ((16, 32, 32), (16, 32, 32)), ((16, 32, 32),), mode="add")
    specs = (fork, pointwise_conv("a", 16, 64), pointwise_conv("b", 64, 64), pointwise_conv("c", 64, 16), add)
    links = (("fork", "a"), ("fork", "add"), ("a", "b"), ("b", "c"), ("c", "add"))
    problem = Problem(specs, links, (0, 1, 2, 3))
    kib = 1024
    assert live_bytes(problem, 2, 2) == 144 * 2 * kib  # b's in and out, the skip passing by
    assert live_bytes(problem, 1, 2) == 96 * 2 * kib  # a's in (the fork's copy), b's out, the skip
    assert live_bytes(problem, 0, 1) == 96 * 2 * kib  # x, the skip written, a's out
    assert live_bytes(problem, 0, 4) == 32 * 2 * kib  # x and the sum


def test_a_network_input_read_by_a_later_partition_is_live_from_the_start():
    # Two network inputs of 16 ch (32 KiB each): x0 read by p0's conv, x1 by p1's add (with
    # the conv's output y). The host writes both before p0 runs, so x1 is live then beside
    # x0 and y: 96 KiB; p1 reads y and x1 and writes their sum: 96 KiB. (A network input
    # read twice goes through a split: one reader, the split's copies as above.)
    a = pointwise_conv("a", 16, 16)
    add = LayerSpec("add", "eltwise", ((16, 32, 32), (16, 32, 32)), ((16, 32, 32),), mode="add")
    net = network_performance([[a], [add]], ZC706, 125, 1, [("a", "add")])
    assert [p.frame_ddr_bytes for p in net.partitions] == [65_536, 98_304]
    assert net.live_frame_bytes == (98_304, 98_304)


def test_the_links_of_a_partitioned_module_let_the_skip_pass_by():
    # sdf-evict.mlir's ResNet-18 block (64 x 56 x 56 at 16 bits: 401,408 bytes a map) cut
    # after relu1 and after conv2: p0 writes the skip for p2, which is live while p1 (conv2)
    # runs: 3 maps there, not 2. The links traced through the partitions are the unpartitioned
    # module's edges.
    from pathlib import Path

    from torch_mlir import ir

    from fpga_sdf import ir as sdf_ir
    from fpga_sdf import network
    from fpga_sdf.diagnostics import Diagnostics
    from fpga_sdf.dse.ir_bridge import network_links
    from fpga_sdf.pass_registry import lookup

    source = (Path(__file__).parents[2] / "Transforms" / "sdf-evict.mlir").read_text()
    with sdf_ir.context(), ir.Location.unknown():
        module = ir.Module.parse(source)
        flat = network_links(module)
        lookup("sdf-partition")(cuts="relu1,conv2").run(module, Diagnostics())
        links = network_links(module)
        parts = network.model_partitions(module)
    assert set(links) == set(flat) == {("fork", "conv1"), ("conv1", "relu1"), ("relu1", "conv2"),
                                       ("conv2", "add"), ("fork", "add"), ("add", "relu2")}
    own = network_performance(parts, ZC706, 125, 1)
    live = network_performance(parts, ZC706, 125, 1, links)
    assert own.live_frame_bytes == tuple(n * 401_408 for n in (3, 2, 3))
    assert live.live_frame_bytes == tuple(n * 401_408 for n in (3, 3, 3))
