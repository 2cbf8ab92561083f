"""How many DSP slices a multiplier costs on each device family.

A DSP48E1 (7-series) multiplies 25x18 bits, a DSP48E2 (UltraScale+) 27x18; wide products are
split into partial products across slices, tiny ones (at most 8 product bits) built from LUTs.
Packing two narrow products into one slice is not counted: no generated RTL does it (yosys
`synth_xilinx` gives every product of 9 bits or more its own slice).
"""

from __future__ import annotations

from functools import lru_cache

from .coefficients import resource_coefficients
from .spec import cdiv


def _slices(bits: int, port: int) -> int:
    # Signed decomposition: the top chunk uses a full signed port, the others port-1
    # unsigned bits each.
    return 1 if bits <= port else 1 + cdiv(bits - port, port - 1)


@lru_cache(maxsize=1024)
def dsp_per_multiplier(a_bits: int, b_bits: int, family: str) -> float:
    """DSP slices per a_bits x b_bits signed multiplier, as yosys synth_xilinx maps it."""
    table = resource_coefficients()["dsp"][family]
    if a_bits + b_bits <= table["lut_product_bits"]:
        return 0.0  # synthesis builds tiny products from LUTs
    wide, narrow = table["ports"]
    return float(min(_slices(a_bits, wide) * _slices(b_bits, narrow),
                     _slices(b_bits, wide) * _slices(a_bits, narrow)))


def dsp_count(multipliers: int, a_bits: int, b_bits: int, family: str) -> int:
    """DSP slices for a group of identical multipliers."""
    if multipliers <= 0:
        return 0
    per = dsp_per_multiplier(a_bits, b_bits, family)
    return int(-(-multipliers * per // 1))
