"""Analytical hardware model of streaming CNN accelerators: rates, cycles, resources, power.

Plain Python with no MLIR dependency; passes, the DSE and the report all call it.
"""

from .caches import clear_caches
from .folding import FoldingChoices, check_folding, divisors, folding_choices
from .modules import Memory, Module, expand
from .performance import (LayerPerf, NetworkPerf, PartitionPerf, layer_performance,
                          network_performance, partition_performance)
from .platforms import Platform, PlatformError, load_platform, platform_from_dict, platform_names
from .power import Power, power
from .report import build_report, format_table
from .resources import Resources, layer_resources, module_resources, partition_resources
from .spec import KINDS, LayerSpec, Partition

__all__ = [
    "KINDS", "FoldingChoices", "LayerPerf", "LayerSpec", "Memory", "Module", "NetworkPerf",
    "Partition", "PartitionPerf", "Platform", "PlatformError", "Power", "Resources",
    "build_report", "check_folding", "clear_caches", "divisors", "expand", "folding_choices", "format_table",
    "layer_performance", "layer_resources", "load_platform", "module_resources",
    "network_performance", "partition_performance", "partition_resources", "platform_from_dict",
    "platform_names", "power",
]
