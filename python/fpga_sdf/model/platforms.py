"""Target boards: device resources, off-chip memory, clock and reconfiguration time.

Off-chip memory: `bandwidth_gbps` is the memory's peak (Gbit/s); `ddr_mb` its capacity in MiB
(the memory the kernel's buffers live in; optional: without it nothing checks capacity);
`axi_ports` and `axi_port_bits` (optional, both or neither) say that the fabric reaches that
memory only through a fixed set of ports of that width, each one beat a cycle at the fabric
clock: the Zynq PS's HP ports (4 x 64 bits on Zynq-7000, 4 x 128 on Zynq UltraScale+), which
the HLS backend's block design connects the kernel's masters to and whose width its m_axi
beats take (`backend/hls/platform.py`).

Boards live as JSON data files so a user can describe a new board without touching code;
a bad file must fail with the file and field named, never with a traceback from deep inside
the model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PLATFORM_DIR = Path(__file__).parent / "data" / "platforms"
FAMILIES = ("7series", "ultrascale+")
_COUNTS = ("dsp", "bram18", "uram", "lut", "ff")  # integers >= 0 (uram may be 0)
_REQUIRED_POSITIVE = ("dsp", "bram18", "lut", "ff")
_OPTIONAL = ("notes", "static_power_w", "ddr_mb", "axi_ports", "axi_port_bits")


class PlatformError(ValueError):
    """A platform name or file the model cannot use; the message says what to fix."""


@dataclass(frozen=True)
class Platform:
    name: str
    part: str
    family: str  # "7series" or "ultrascale+"
    dsp: int
    bram18: int  # BRAM18 units (one BRAM36 = 2)
    uram: int
    lut: int
    ff: int
    bandwidth_gbps: float  # off-chip memory bandwidth
    clock_mhz: float  # default fabric clock
    reconfiguration_ms: float  # full-device reconfiguration time
    static_power_w: float | None = None  # overrides the family's static power model
    ddr_mb: float | None = None  # off-chip memory capacity, MiB (None: not checked)
    axi_ports: int | None = None  # fixed ports to that memory (Zynq HP ports); None: no cap
    axi_port_bits: int | None = None  # bits per beat of each of them

    @property
    def has_uram(self) -> bool:
        return self.uram > 0


def platform_names() -> list[str]:
    """Names of the boards shipped with the model."""
    return sorted(p.stem for p in PLATFORM_DIR.glob("*.json"))


def load_platform(name_or_path) -> Platform:
    """A shipped board by name (case-insensitive) or a user JSON file by path."""
    if isinstance(name_or_path, Platform):
        return name_or_path
    text = str(name_or_path)
    if text.endswith(".json") or "/" in text or Path(text).is_file():
        return _load_file(str(Path(text).resolve()))
    key = text.lower()
    if key not in platform_names():
        raise PlatformError(f"unknown platform {text!r}; valid platforms: "
                            f"{', '.join(platform_names())} (or a path to a platform .json)")
    return _load_file(str(PLATFORM_DIR / f"{key}.json"))


@lru_cache(maxsize=64)
def _load_file(path: str) -> Platform:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise PlatformError(f"{path}: platform file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PlatformError(f"{path}: cannot read platform file: {error}") from None
    except json.JSONDecodeError as error:
        raise PlatformError(f"{path}:{error.lineno}:{error.colno}: malformed JSON: "
                            f"{error.msg}") from None
    return platform_from_dict(data, source=path)


def platform_from_dict(data, source: str = "<dict>") -> Platform:
    """Validate a platform description; every error names the source and the field."""
    if not isinstance(data, dict):
        raise PlatformError(f"{source}: a platform must be a JSON object, got "
                            f"{type(data).__name__}")
    known = {f for f in Platform.__dataclass_fields__} | set(_OPTIONAL)
    unknown = sorted(set(data) - known)
    if unknown:
        raise PlatformError(f"{source}: unknown field(s) {', '.join(map(repr, unknown))}; "
                            f"known fields: {', '.join(sorted(known))}")
    missing = [f for f in Platform.__dataclass_fields__
               if f not in data and f not in _OPTIONAL]
    if missing:
        raise PlatformError(f"{source}: missing required field(s) "
                            f"{', '.join(map(repr, missing))}")
    for field_name in ("name", "part"):
        if not isinstance(data[field_name], str) or not data[field_name]:
            raise PlatformError(f"{source}: field {field_name!r} must be a non-empty string")
    if data["family"] not in FAMILIES:
        raise PlatformError(f"{source}: field 'family' is {data['family']!r}; expected one of "
                            f"{', '.join(FAMILIES)}")
    for field_name in _COUNTS:
        value = data[field_name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise PlatformError(f"{source}: field {field_name!r} must be a non-negative "
                                f"integer, got {value!r}")
        if field_name in _REQUIRED_POSITIVE and value == 0:
            raise PlatformError(f"{source}: field {field_name!r} must be positive")
    for field_name in ("axi_ports", "axi_port_bits"):
        value = data.get(field_name, 1)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise PlatformError(f"{source}: field {field_name!r} must be a positive integer, "
                                f"got {value!r}")
    if ("axi_ports" in data) != ("axi_port_bits" in data):
        raise PlatformError(f"{source}: fields 'axi_ports' and 'axi_port_bits' go together "
                            f"(the number of memory ports and the bits of each)")
    for field_name, allow_zero in (("bandwidth_gbps", False), ("clock_mhz", False),
                                   ("reconfiguration_ms", True), ("static_power_w", True),
                                   ("ddr_mb", False)):
        optional = field_name in ("static_power_w", "ddr_mb")
        value = data.get(field_name, 1.0 if optional else None)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0 or \
                (value == 0 and not allow_zero):
            raise PlatformError(f"{source}: field {field_name!r} must be a "
                                f"{'non-negative' if allow_zero else 'positive'} number, "
                                f"got {value!r}")
    fields = {f: data[f] for f in Platform.__dataclass_fields__ if f in data}
    return Platform(**fields)
