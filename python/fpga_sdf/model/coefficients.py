"""Calibration data of the resource and power models, loaded once from data/*.json.

Coefficients live in data files so they can be refitted against synthesis or board
measurements without touching the model code.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"


@lru_cache(maxsize=None)
def resource_coefficients() -> dict:
    with open(DATA_DIR / "resource_coefficients.json", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=None)
def power_coefficients() -> dict:
    with open(DATA_DIR / "power_coefficients.json", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=None)
def logic_table(module: str, resource: str, family: str = "ultrascale+") -> tuple[tuple[str, float], ...]:
    """(feature, coefficient) pairs for one module's LUT or FF model on a device family:
    the defaults, the module's table ("logic", fitted on UltraScale+), then the family's own
    fit where there is one ("logic_by_family": 7-series LUT6/CARRY4 mapping differs)."""
    data = resource_coefficients()
    logic = data["logic"]
    merged = dict(logic["default"][resource])
    merged.update(logic.get(module, {}).get(resource, {}))
    merged.update(data.get("logic_by_family", {}).get(family, {}).get(module, {}).get(resource, {}))
    return tuple(merged.items())
