"""What the design-space exploration optimises, and under which limits.

Every objective is a cost to minimise that adds up over partitions run in sequence (time,
or energy), which is what lets the partitioning be searched exactly (see explore.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Platform, Resources, power
from ..model.resources import BOARD_RESOURCES

OBJECTIVES = ("throughput", "latency", "power", "pareto")
RESOURCES = BOARD_RESOURCES


@dataclass(frozen=True)
class Constraints:
    platform: Platform
    clock_mhz: float
    batch: int
    budget: float = 0.9  # fraction of every resource the design may use
    power_cap_w: float = 0.0  # 0: no cap
    pixels: bool = False  # layers may take p pixels per cycle (both backends build them)
    block_cuts: bool = True  # cuts inside residual blocks (several tensors in or out of a partition)

    def capacity(self, name: str) -> float:
        return getattr(self.platform, name) * self.budget

    def fits(self, used: Resources) -> bool:
        return all(getattr(used, r) <= self.capacity(r) for r in RESOURCES) and self.power_ok(used)

    def power_ok(self, used: Resources) -> bool:
        return not self.power_cap_w or self.power_w(used) <= self.power_cap_w

    def power_w(self, used: Resources) -> float:
        return power(used, self.platform, self.clock_mhz).total_w

    def overflow(self, used: Resources) -> list[str]:
        """What exceeds the budget, by how much (for error messages)."""
        problems = []
        for r in RESOURCES:
            need, have = getattr(used, r), self.capacity(r)
            if need > have:
                problems.append(f"{r.upper()} {need} > {have:.0f} available "
                                f"({self.budget:.0%} of {getattr(self.platform, r)}), over by {need - have:.0f}")
        if self.power_cap_w and not self.power_ok(used):
            problems.append(f"power {self.power_w(used):.2f} W > cap {self.power_cap_w:.2f} W")
        return problems

    def cost(self, used: Resources) -> float:
        """One number for 'how much of the board': the sum of used fractions."""
        return sum(getattr(used, r) / getattr(self.platform, r) for r in RESOURCES if getattr(self.platform, r))


def partition_cost(objective: str, time_s: float, power_w: float) -> float:
    """Additive cost of one partition's run over the batch."""
    if objective == "power":
        return time_s * power_w  # energy: minimising it maximises frames per joule
    return time_s  # throughput and latency both minimise the time to run the batch
