"""Power model: static per device, dynamic scaled by clock, activity and resources."""

import pytest

from fpga_sdf.model import Resources, load_platform, power
from fpga_sdf.model.platforms import platform_from_dict


def test_static_and_dynamic_hand_computed():
    # ZC706 static: 0.10 + 0.0012 W/kLUT * 218.6 kLUT = 0.36232 W
    # dynamic @100 MHz: 0.05 (clock) + (1.2*100 DSP + 0.9*10 BRAM18 + 0.008*1000 LUT
    #                                   + 0.003*2000 FF) mW = 0.05 + 0.143 = 0.193 W
    zc706 = load_platform("zc706")
    used = Resources(dsp=100, bram18=10, lut=1000, ff=2000)
    watts = power(used, zc706, clock_mhz=100)
    assert watts.static_w == pytest.approx(0.36232)
    assert watts.dynamic_w == pytest.approx(0.193)
    assert watts.total_w == pytest.approx(0.36232 + 0.193)
    assert power(used, zc706, clock_mhz=200).dynamic_w == pytest.approx(0.386)
    assert power(used, zc706, clock_mhz=100, activity=0.5).dynamic_w == pytest.approx(0.0965)


def test_lutram_is_not_charged_twice():
    # 1000 LUTs of which 400 are LUTRAM: 600 * 0.008 + 400 * 0.012 mW = 9.6 mW
    zc706 = load_platform("zc706")
    watts = power(Resources(lut=1000, lutram=400), zc706, clock_mhz=100)
    assert watts.dynamic_w == pytest.approx(0.05 + 0.0096)


def test_board_static_override_and_family_difference():
    data = {f: getattr(load_platform("zcu102"), f) for f in ("name", "part", "family", "dsp",
            "bram18", "uram", "lut", "ff", "bandwidth_gbps", "clock_mhz",
            "reconfiguration_ms")}
    board = platform_from_dict({**data, "static_power_w": 1.5})
    assert power(Resources(), board).static_w == 1.5
    used = Resources(dsp=1000)
    assert power(used, load_platform("zcu102"), 200).dynamic_w < \
        power(used, load_platform("zc706"), 200).dynamic_w  # 16 nm vs 28 nm
