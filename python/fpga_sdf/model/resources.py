"""DSP, BRAM18, URAM, LUT, FF and LUTRAM used by layers and partitions.

Resources are read off the same module expansion as the performance model, so a folding
change moves cycles and resources together.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .coefficients import logic_table, resource_coefficients
from .dsp import module_dsp
from .memory import map_memory
from .modules import Module, expand
from .performance import PartitionPerf, partition_performance
from .platforms import Platform, load_platform
from .spec import LayerSpec

# Logic features that belong to the arithmetic datapath and so replicate with the (j, h)
# data-rate lanes; counters and stream control are shared. The sparse engine's crossbar
# features (model/sparse_engine.py `crossbar_logic`) are all named crossbar_*.
ARITHMETIC_FEATURES = frozenset({"mult_bits", "adder_bits", "compare_bits", "sum_bits"})
FIELDS = ("dsp", "bram18", "uram", "lut", "ff", "lutram")
BOARD_RESOURCES = ("dsp", "bram18", "uram", "lut", "ff")
"""What a board has a budget of (LUTRAM is counted inside `lut`)."""


@dataclass(frozen=True)
class Resources:
    """Resource counts; `lut` includes the LUTs used as memory, also reported as `lutram`."""

    dsp: int = 0
    bram18: int = 0
    uram: int = 0
    lut: int = 0
    ff: int = 0
    lutram: int = 0

    def __add__(self, other: "Resources") -> "Resources":
        return Resources(self.dsp + other.dsp, self.bram18 + other.bram18,
                         self.uram + other.uram, self.lut + other.lut, self.ff + other.ff,
                         self.lutram + other.lutram)

    def utilisation(self, platform) -> dict[str, float]:
        """Percent of the board used, per resource (0 when the board has none)."""
        return {name: 100.0 * getattr(self, name) / getattr(platform, name)
                if getattr(platform, name) else (0.0 if not getattr(self, name) else float("inf"))
                for name in BOARD_RESOURCES}

    def fits(self, platform) -> bool:
        """True when every resource is within the board's capacity."""
        return all(getattr(self, name) <= getattr(platform, name) for name in BOARD_RESOURCES)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in FIELDS}


@lru_cache(maxsize=65536)
def module_resources(module: Module, family: str, has_uram: bool) -> Resources:
    """Resources of all instances of one module."""
    n = module.instances
    dsp = module_dsp(module, family)
    lut = _logic(module, "lut", family) * n
    ff = _logic(module, "ff", family) * n
    bram = uram = lutram = 0
    for memory in module.memories:
        copies = memory.copies * n
        b, u, l, f = memory_cost(memory, copies, has_uram)
        bram += b
        uram += u
        lutram += l
        ff += f
    return Resources(dsp, bram, uram, int(round(lut)) + lutram, int(round(ff)), lutram)


def memory_cost(memory, copies: int, has_uram: bool) -> tuple[int, int, int, int]:
    """(bram18, uram, lutram_luts, ff) of `copies` identical memories, each mapped on its own.

    Weight banks are costed one memory per MAC unit because that is what the RTL builds (a
    `weights_memory` module per unit, backend/rtl/emit.py); `weights_packed` tells the HLS
    backend the same, so both backends build what the model costs."""
    if weights_packed(memory, copies, has_uram):
        return map_memory(memory.role, memory.width * copies, memory.depth, has_uram, memory.binding)
    b, u, l, f = map_memory(memory.role, memory.width, memory.depth, has_uram, memory.binding)
    return b * copies, u * copies, l * copies, f * copies


PACK_WEIGHT_BANKS = False
"""Whether the backends pack the weight banks of MAC units read in lock-step into one wide
memory when that takes fewer blocks (HLS ARRAY_RESHAPE rather than ARRAY_PARTITION). Off:
the RTL builds one weights memory per unit, and one design must be what the model costs;
turn it on only together with an RTL driver that shares one wide memory between units."""


def _block_cost(cost: tuple[int, int, int, int]) -> float:
    bram, uram, luts, _ = cost
    return bram + 16 * uram + luts / 64  # URAM holds 16x a BRAM18; 64 LUTs ~ 1 Kb of LUTRAM


def packing_is_cheaper(memory, copies: int, has_uram: bool) -> bool:
    """Whether `copies` weight banks would take fewer blocks packed into one wide memory."""
    if memory.role != "weights" or copies <= 1:
        return False
    banked = map_memory(memory.role, memory.width, memory.depth, has_uram, memory.binding)
    packed = map_memory(memory.role, memory.width * copies, memory.depth, has_uram, memory.binding)
    return _block_cost(packed) < _block_cost(banked) * copies


@lru_cache(maxsize=65536)
def weights_packed(memory, copies: int, has_uram: bool) -> bool:
    """Whether `copies` weight banks are built (and costed) packed into one wide memory,
    where packing is cheaper: with PACK_WEIGHT_BANKS, or when they are bound to URAM. A URAM
    word is 72 bits, so narrow banks (an 8-bit weight a unit) waste most of each block
    unless packed; only the HLS backend builds URAM (ARRAY_RESHAPE, through `weights_packed`
    too), and the RTL backend refuses a layer with URAM, so both build what is costed."""
    bound = memory.binding == "uram" and has_uram
    return (PACK_WEIGHT_BANKS or bound) and packing_is_cheaper(memory, copies, has_uram)


def _logic(module: Module, resource: str, family: str) -> float:
    features = dict(module.logic)
    total = 0.0
    for feature, coefficient in logic_table(module.name, resource, family):
        value = features.get(feature, 0)
        if value:
            scale = module.lanes if feature in ARITHMETIC_FEATURES or feature.startswith("crossbar") else 1.0
            total += coefficient * value * scale
    return total


@lru_cache(maxsize=65536)
def layer_resources(spec: LayerSpec, device) -> Resources:
    """Resources of one layer on a device (a Platform or board name: its family and URAM
    matter)."""
    if not isinstance(device, Platform):
        device = load_platform(device)
    total = Resources()
    for module in expand(spec):
        total = total + module_resources(module, device.family, device.has_uram)
    return total


def partition_resources(layers, edges=None, device=None, perf: PartitionPerf | None = None,
                        clock_mhz=None) -> Resources:
    """Layers plus the partition's skip-connection FIFOs, squeeze modules and its off-chip
    interface (DMA and control)."""
    layers = tuple(layers)
    device = load_platform(device)
    if perf is None:
        perf = partition_performance(layers, edges, device, clock_mhz)
    interface = resource_coefficients()["partition_interface"]
    dsp = uram = lutram = 0
    bram, lut, ff = interface["bram18"], interface["lut"], interface["ff"]
    parts = [layer_resources(spec, device) for spec in layers]
    parts += [module_resources(module, device.family, device.has_uram)
              for _, module in perf.fifos + perf.squeezes]
    for r in parts:  # plain sums: this runs in the DSE inner loop
        dsp += r.dsp
        bram += r.bram18
        uram += r.uram
        lut += r.lut
        ff += r.ff
        lutram += r.lutram
    return Resources(dsp, bram, uram, lut, ff, lutram)
