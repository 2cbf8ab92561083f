"""Reset the model's memo caches: after recalibrating a data file, or to time cold runs."""

from __future__ import annotations


def clear_caches() -> None:
    from . import coefficients, dsp, folding, memory, modules, performance, platforms, resources

    for cached in (coefficients.resource_coefficients, coefficients.power_coefficients,
                   coefficients.logic_table, dsp.dsp_per_multiplier, folding.divisors,
                   folding.folding_choices, memory.bram18_blocks, memory.map_memory,
                   modules.expand, performance.layer_performance, performance.fifo_module,
                   performance._graph, platforms._load_file,
                   resources.layer_resources, resources.module_resources):
        cached.cache_clear()
