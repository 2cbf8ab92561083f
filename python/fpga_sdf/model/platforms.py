"""Target boards: device resources, off-chip memory, clock and reconfiguration time.

Off-chip memory: `bandwidth_gbps` is the memory's peak (Gbit/s); `ddr_mb` its capacity in MiB
(the memory the kernel's buffers live in; optional: without it nothing checks capacity);
`axi_ports` and `axi_port_bits` (optional, both or neither) say that the fabric reaches that
memory only through a fixed set of ports of that width, each one beat a cycle at the fabric
clock, and the kernel's m_axi beats take that width (`backend/hls/platform.py` deals the
kernel's masters over the ports, the model caps each master at one port and all of them at
the ports they use):
- a Zynq PS's slave ports to its DDR: Zynq-7000 S_AXI_HP0..3 (4 x 64 bits); Zynq UltraScale+
  S_AXI_HP0..3_FPD and S_AXI_HPC0..1_FPD (6 x 128 bits). They share the DDR (`bandwidth_gbps`).
- an Alveo card's memory banks, one per kernel argument (v++ `sp=`): with `memory_bank` (the
  banks' v++ tag, "DDR" or "HBM") and `bank_gbps` (each bank's peak; a master moves at most
  that, and `axi_ports` x `bank_gbps` is at most `bandwidth_gbps`).

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
_OPTIONAL = ("notes", "static_power_w", "ddr_mb", "axi_ports", "axi_port_bits", "memory_bank", "bank_gbps")
MEMORY_BANKS = ("DDR", "HBM")  # v++ memory tags of an Alveo card's banks


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
    axi_ports: int | None = None  # fixed ports to that memory (Zynq HP/HPC, Alveo banks); None: no cap
    axi_port_bits: int | None = None  # bits per beat of each of them
    memory_bank: str | None = None  # the ports are memory banks of this v++ tag (Alveo)
    bank_gbps: float | None = None  # each bank's peak (Gbit/s)

    @property
    def has_uram(self) -> bool:
        return self.uram > 0

    def port_bits(self, clock_mhz: float) -> float | None:
        """Bits a cycle one memory port moves at `clock_mhz`: a beat of `axi_port_bits`, and
        where the ports are memory banks no more than the bank's peak; None without ports."""
        if not self.axi_ports:
            return None
        if self.bank_gbps is None:
            return float(self.axi_port_bits)
        return min(float(self.axi_port_bits), self.bank_gbps * 1e3 / clock_mhz)


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
    # a memory field a board leaves unset may be given as null (a Platform's fields round-trip)
    data = {k: v for k, v in data.items() if not (k in ("memory_bank", "bank_gbps") and v is None)}
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
                                   ("ddr_mb", False), ("bank_gbps", False)):
        optional = field_name in ("static_power_w", "ddr_mb", "bank_gbps")
        value = data.get(field_name, 1.0 if optional else None)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0 or \
                (value == 0 and not allow_zero):
            raise PlatformError(f"{source}: field {field_name!r} must be a "
                                f"{'non-negative' if allow_zero else 'positive'} number, "
                                f"got {value!r}")
    _check_banks(data, source)
    fields = {f: data[f] for f in Platform.__dataclass_fields__ if f in data}
    return Platform(**fields)


def _check_banks(data, source: str) -> None:
    """`memory_bank` and `bank_gbps` go together, on ports (`axi_ports`) that are those banks."""
    if ("memory_bank" in data) != ("bank_gbps" in data):
        raise PlatformError(f"{source}: fields 'memory_bank' and 'bank_gbps' go together "
                            f"(the banks' v++ tag and each bank's peak)")
    if "memory_bank" not in data:
        return
    if data["memory_bank"] not in MEMORY_BANKS:
        raise PlatformError(f"{source}: field 'memory_bank' is {data['memory_bank']!r}; expected "
                            f"one of {', '.join(MEMORY_BANKS)}")
    if "axi_ports" not in data:
        raise PlatformError(f"{source}: field 'memory_bank' needs 'axi_ports' and 'axi_port_bits' "
                            f"(the number of banks and the kernel's port width)")
    if data["axi_ports"] * data["bank_gbps"] > data["bandwidth_gbps"] * (1 + 1e-9):
        raise PlatformError(f"{source}: {data['axi_ports']} banks of {data['bank_gbps']:g} Gb/s "
                            f"exceed the memory's bandwidth_gbps {data['bandwidth_gbps']:g}")
