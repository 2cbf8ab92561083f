"""What the RTL simulation tests compare a measured design against: the fixed-point
executor's output, and the partition's model figures (on its board, or on one whose
off-chip memory moves `bits_per_cycle`), within 3%."""

from __future__ import annotations

from dataclasses import replace

from fpga_sdf import network
from fpga_sdf import target as target_mod
from fpga_sdf.backend.rtl import sim
from fpga_sdf.interp.executor import _arg_format, entry_function, execute
from fpga_sdf.interp.fixed import Fixed, quantize
from fpga_sdf.model import partition_performance


def simulate(module, project: str, x, bandwidth_bits: float | None = None):
    """(RTL output, the fixed-point executor's, simulation stats) of the emitted `project`
    on the float inputs `x`, its off-chip ports sharing `bandwidth_bits` a cycle if given."""
    y, stats = sim.run_integers(project, quantize(x, _arg_format(entry_function(module), 0)),
                                bandwidth_bits=bandwidth_bits)
    ref = quantize(execute(module, [x], "fixed")[0], Fixed(*sim.output_format(sim.load_manifest(project))))
    return y.reshape(ref.shape), ref, stats


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
