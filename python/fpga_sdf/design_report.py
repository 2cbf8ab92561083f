"""The report of a module's current design on its target (what --sdf-report prints)."""

from __future__ import annotations

from . import network, target
from .dse.ir_bridge import network_links
from .model import build_report


def network_report(module, needed_by: str) -> dict:
    """The model's report dict (network, partitions, layers, platform) for the module."""
    goal = target.read(module, needed_by)
    partitions = network.model_partitions(module, needed_by=needed_by)
    name = network.only_function(module, needed_by).operation.attributes["sym_name"]
    return build_report(partitions, goal.platform, goal.clock_mhz, goal.batch,
                        network_name=str(name).strip('"'), links=network_links(module))
