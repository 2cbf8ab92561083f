"""sdf_hw.split: one feature-map stream copied to several consumer layers (skip connections).

The same hardware as fork (every copy moves together); the branches' different delays are
absorbed by the FIFOs the driver puts on the consumer side, at the depths the model chose.
"""

from __future__ import annotations

from .fork import broadcast
from .streams import ModuleParams


def generate(p: ModuleParams):
    return broadcast(p.name, p.inputs[0], len(p.outputs))
