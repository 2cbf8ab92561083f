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
