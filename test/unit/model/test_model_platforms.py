"""Platform library: shipped boards, user files, and every loading error."""

import json

import pytest

from fpga_sdf.model import Platform, PlatformError, load_platform, platform_names

REQUIRED_BOARDS = {"zedboard", "zc706", "zcu102", "zcu104", "kv260", "u50", "u200", "u250",
                   "u280", "vcu118", "vc709", "xcvu37p"}


def test_all_required_boards_ship_and_load():
    assert REQUIRED_BOARDS <= set(platform_names())
    for name in platform_names():
        board = load_platform(name)
        assert isinstance(board, Platform) and board.name == name
        assert board.family in ("7series", "ultrascale+")
        assert board.bandwidth_gbps > 0 and board.clock_mhz > 0


def test_datasheet_numbers():
    zc706 = load_platform("zc706")
    assert (zc706.part.startswith("xc7z045"), zc706.family, zc706.dsp, zc706.bram18,
            zc706.lut, zc706.ff) == (True, "7series", 900, 1090, 218600, 437200)
    zcu102 = load_platform("ZCU102")  # names are case-insensitive
    assert (zcu102.dsp, zcu102.bram18, zcu102.lut, zcu102.ff, zcu102.uram) == \
        (2520, 1824, 274080, 548160, 0)
    u250 = load_platform("u250")
    assert (u250.dsp, u250.bram18, u250.uram, u250.lut) == (12288, 5376, 1280, 1728000)
    assert load_platform("zcu104").has_uram and not zcu102.has_uram


def test_unknown_name_lists_valid_names():
    with pytest.raises(PlatformError) as error:
        load_platform("zcu999")
    assert "zcu999" in str(error.value)
    for name in REQUIRED_BOARDS:
        assert name in str(error.value)


def write(tmp_path, data, name="board.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def good():
    return {"name": "mine", "part": "xc7z020clg400-1", "family": "7series", "dsp": 220,
            "bram18": 280, "uram": 0, "lut": 53200, "ff": 106400, "bandwidth_gbps": 8.0,
            "clock_mhz": 100, "reconfiguration_ms": 20}


def test_user_json_path(tmp_path):
    board = load_platform(write(tmp_path, good()))
    assert board.name == "mine" and board.dsp == 220 and board.static_power_w is None
    board = load_platform(str(write(tmp_path, {**good(), "static_power_w": 0.2}, "b.json")))
    assert board.static_power_w == 0.2


def test_malformed_json_names_file_and_position(tmp_path):
    path = write(tmp_path, '{"name": "x",')
    with pytest.raises(PlatformError, match="malformed JSON") as error:
        load_platform(path)
    assert str(path) in str(error.value)


def test_missing_file(tmp_path):
    with pytest.raises(PlatformError, match="not found"):
        load_platform(tmp_path / "absent.json")


@pytest.mark.parametrize("change, message", [
    ({"dsp": None}, "missing required field(s) 'dsp'"),
    ({"family": "stratix"}, "field 'family'"),
    ({"dsp": -1}, "field 'dsp' must be a non-negative integer"),
    ({"lut": "many"}, "field 'lut' must be a non-negative integer"),
    ({"ff": 1.5}, "field 'ff' must be a non-negative integer"),
    ({"bram18": True}, "field 'bram18'"),
    ({"dsp": 0}, "field 'dsp' must be positive"),
    ({"bandwidth_gbps": 0}, "field 'bandwidth_gbps' must be a positive number"),
    ({"clock_mhz": "fast"}, "field 'clock_mhz'"),
    ({"reconfiguration_ms": -5}, "field 'reconfiguration_ms'"),
    ({"part": ""}, "field 'part'"),
    ({"dsps": 10}, "unknown field(s) 'dsps'"),
])
def test_bad_fields_are_named(tmp_path, change, message):
    data = good()
    for key, value in change.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    path = write(tmp_path, data)
    with pytest.raises(PlatformError) as error:
        load_platform(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_not_an_object(tmp_path):
    with pytest.raises(PlatformError, match="must be a JSON object"):
        load_platform(write(tmp_path, "[1, 2]"))


# --- the ports from fabric to memory (axi_ports x axi_port_bits; Alveo banks) -------------

def relu(name, channels=64):
    """channels x 32 x 32 at 16 bits, every channel a stream: 1024 cycles a frame, and
    channels x 16,384 bits a frame on each of its two masters (in, out)."""
    from fpga_sdf.model import LayerSpec

    return LayerSpec(name, "activation", ((channels, 32, 32),), ((channels, 32, 32),), mode="relu",
                     coarse_in=channels, coarse_out=channels)


def relus(count):
    """`count` independent relus in one partition: 2 x count masters of 1,048,576 bits."""
    return [relu(f"r{i}") for i in range(count)]


def test_zynq_ultrascale_boards_use_the_six_ps_ports_and_zynq_7000_the_four_hp_ports():
    for name in ("zcu102", "zcu104", "kv260"):
        board = load_platform(name)
        assert (board.axi_ports, board.axi_port_bits, board.memory_bank) == (6, 128, None)
    for name in ("zc706", "zedboard"):
        board = load_platform(name)
        assert (board.axi_ports, board.axi_port_bits) == (4, 64)  # the ACP left out


def test_alveo_boards_declare_one_bank_per_port():
    # (banks, tag, Gb/s a bank): U250/U200 4 DDR4 banks of 616 / 4; U50 32 HBM pseudo-channels
    # of 2528 / 32; U280 32 of 3680 / 32, its buffers in the 8 GB HBM
    expected = {"u250": (4, "DDR", 154.0), "u200": (4, "DDR", 154.0), "u50": (32, "HBM", 79.0),
                "u280": (32, "HBM", 115.0)}
    for name, (banks, tag, gbps) in expected.items():
        board = load_platform(name)
        assert (board.axi_ports, board.memory_bank, board.bank_gbps, board.axi_port_bits) == (banks, tag, gbps, 512)
        assert board.axi_ports * board.bank_gbps == pytest.approx(board.bandwidth_gbps)
    assert load_platform("u280").ddr_mb == 8192


def test_a_master_moves_a_beat_a_cycle_and_at_most_its_bank():
    zcu102, u250, u50 = load_platform("zcu102"), load_platform("u250"), load_platform("u50")
    assert zcu102.port_bits(200) == 128.0  # a PS port: a 128-bit beat a cycle, whatever the clock
    assert u250.port_bits(300) == 512.0  # a DDR4 bank's 154e3 / 300 = 513.3 bits: the beat binds
    assert u250.port_bits(400) == pytest.approx(154e3 / 400)  # 385 bits a cycle: the bank binds
    assert u50.port_bits(300) == pytest.approx(79e3 / 300)  # an HBM pseudo-channel: 263.3 bits
    assert load_platform("vcu118").port_bits(250) is None  # no fixed ports


def test_zcu102_bandwidth_bound_intervals_with_five_and_six_masters():
    from fpga_sdf.model import LayerSpec, partition_performance

    zcu102 = load_platform("zcu102")
    # six masters of 1,048,576 bits at 200 MHz: six 128-bit ports (768 bits a cycle) above the
    # DDR's 136.5e3 / 200 = 682.5, so the DDR binds: ceil(6,291,456 / 682.5) = 9219 cycles
    # (on the four HP ports alone it was 6,291,456 / 512 = 12288)
    perf = partition_performance(relus(3), edges=(), platform=zcu102, clock_mhz=200)
    assert (perf.masters, perf.compute_interval, perf.bandwidth_interval, perf.interval) == (6, 1024, 9219, 9219)
    # five: an add reading two maps off chip and writing one, and a relu: 5 x 1,048,576 bits
    # on five ports, 640 bits a cycle (under the DDR's 682.5): 8192 cycles (on four: 10240)
    add = LayerSpec("add", "eltwise", ((64, 32, 32),) * 2, ((64, 32, 32),), mode="add", coarse_in=64, coarse_out=64)
    perf = partition_performance([add, relu("r")], edges=(), platform=zcu102, clock_mhz=200)
    assert (perf.masters, perf.bandwidth_interval, perf.interval) == (5, 8192, 8192)


def test_u250_bandwidth_bound_intervals_with_one_to_eight_masters():
    from fpga_sdf.model import partition_performance
    from fpga_sdf.model.performance import transfer_cycles

    u250 = load_platform("u250")
    # one master of 1,048,576 bits on its DDR4 bank at 300 MHz: 512 bits a cycle, 2048 cycles
    # (all four banks' 616e3 / 300 = 2053.3 bits a cycle would have said 511)
    assert transfer_cycles(u250, 300, [1_048_576]) == 2048
    # a relu's two masters on two banks; two relus' four on four (2048 bits a cycle): 2048
    for count, masters in ((1, 2), (2, 4)):
        perf = partition_performance(relus(count), edges=(), platform=u250, clock_mhz=300)
        assert (perf.masters, perf.bandwidth_interval, perf.interval) == (masters, 2048, 2048)
    # eight share the four banks: 8,388,608 / 2048 = 4096 cycles
    perf = partition_performance(relus(4), edges=(), platform=u250, clock_mhz=300)
    assert (perf.masters, perf.bandwidth_interval) == (8, 4096)


@pytest.mark.parametrize("change, message", [
    ({"memory_bank": "DDR"}, "fields 'memory_bank' and 'bank_gbps' go together"),
    ({"memory_bank": "QDR", "bank_gbps": 2.0}, "field 'memory_bank' is 'QDR'; expected one of DDR, HBM"),
    ({"memory_bank": "DDR", "bank_gbps": 0}, "field 'bank_gbps' must be a positive number, got 0"),
    ({"memory_bank": "DDR", "bank_gbps": 2.0}, "field 'memory_bank' needs 'axi_ports' and 'axi_port_bits'"),
    ({"memory_bank": "DDR", "bank_gbps": 3.0, "axi_ports": 4, "axi_port_bits": 512},
     "4 banks of 3 Gb/s exceed the memory's bandwidth_gbps 8"),
])
def test_bad_bank_fields_are_named(tmp_path, change, message):
    path = write(tmp_path, {**good(), **change})
    with pytest.raises(PlatformError) as error:
        load_platform(path)
    assert message in str(error.value) and str(path) in str(error.value)
    bank = load_platform(write(tmp_path, {**good(), "memory_bank": "HBM", "bank_gbps": 2.0, "axi_ports": 4,
                                          "axi_port_bits": 256}, "ok.json"))
    assert (bank.memory_bank, bank.bank_gbps, bank.port_bits(100)) == ("HBM", 2.0, 20.0)


def test_null_bank_fields_mean_no_banks():
    board = load_platform("zc706")
    data = {f: getattr(board, f) for f in board.__dataclass_fields__ if getattr(board, f) is not None}
    data.update(memory_bank=None, bank_gbps=None)
    from fpga_sdf.model import platform_from_dict

    assert platform_from_dict(data) == board
