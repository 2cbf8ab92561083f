"""Static and dynamic power of a design on a board.

Dynamic power grows with clock, switching activity and the resources switching; static
power is a property of the device (its size and family), paid whatever the design does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .coefficients import power_coefficients

RESOURCE_NAMES = ("dsp", "bram18", "uram", "lut", "ff", "lutram")


@dataclass(frozen=True)
class Power:
    static_w: float
    dynamic_w: float
    total_w: float


def static_power(platform) -> float:
    """Device static power: the board's own figure, else the family's size-scaled model."""
    if platform.static_power_w is not None:
        return float(platform.static_power_w)
    model = power_coefficients()["families"][platform.family]["static"]
    return model["base_w"] + model["per_klut_w"] * platform.lut / 1000.0


def power(resources, platform, clock_mhz=None, activity: float = 1.0) -> Power:
    """Power of `resources` on `platform` at `clock_mhz` (default: the board's clock).

    activity scales the switching (1.0 = the vendor estimator's default toggle rate).
    LUTs used as memory are charged as LUTRAM, not again as logic.
    """
    clock = float(clock_mhz or platform.clock_mhz)
    family = power_coefficients()["families"][platform.family]
    per_100mhz = family["mw_per_100mhz"]
    used = {name: getattr(resources, name) for name in RESOURCE_NAMES}
    used["lut"] -= used["lutram"]
    switching_mw = sum(per_100mhz[name] * count for name, count in used.items())
    dynamic = activity * clock / 100.0 * (family["clock_w"] + switching_mw / 1000.0)
    static = static_power(platform)
    return Power(static, dynamic, static + dynamic)
