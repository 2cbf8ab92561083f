"""What the RTL simulation tests compare a measured design against: the partition's model
figures (on its board, or on one whose off-chip memory moves `bits_per_cycle`), within 3%."""

from __future__ import annotations

from dataclasses import replace

from fpga_sdf import network
from fpga_sdf import target as target_mod
from fpga_sdf.model import partition_performance


def partition_model(module, bits_per_cycle: float | None = None):
    """The single partition's model figures, on the target board or one with `bits_per_cycle`."""
    t = target_mod.read(module, "test")
    board = t.platform if bits_per_cycle is None else \
        replace(t.platform, bandwidth_gbps=bits_per_cycle * t.clock_mhz / 1e3)
    (mp,) = network.model_partitions(module, needed_by="test")
    return partition_performance(mp.layers, mp.edges, board, t.clock_mhz, 1)


def within(measured: float, model: float, what: str) -> None:
    print(f"{what}: {measured:.1f} cycles/frame measured, {model} modelled ({measured / model - 1:+.2%})")
    assert abs(measured - model) <= 0.03 * model, f"{what}: {measured} measured vs {model} modelled"
