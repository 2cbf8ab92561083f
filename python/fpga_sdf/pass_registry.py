"""Passes as small frozen dataclasses, found by name.

A pass is a class with `name` (its flag), a docstring whose first line is its summary, typed
dataclass fields as its options, and `run(module, diag)`. `@register` adds it to the registry;
the passes of this project live one per file in `fpga_sdf.passes`, and third-party packages
add theirs through the `fpga_sdf.passes` entry-point group (each entry point names a module
that registers passes on import, or a Pass class).
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import pkgutil
import shlex
import typing
from importlib.metadata import entry_points
from typing import ClassVar

from .diagnostics import Diagnostics, UserError


class Pass:
    """Base class of every fpga-sdf pass."""

    name: ClassVar[str] = ""

    def run(self, module, diag: Diagnostics) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    @classmethod
    def options(cls) -> list[dataclasses.Field]:
        return list(dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else []

    @classmethod
    def from_options(cls, text: str) -> "Pass":
        """Build the pass from `key=value key2=value2` (values may be quoted)."""
        fields = {f.name: f for f in cls.options()}
        values = {}
        try:
            words = shlex.split(text)
        except ValueError as err:
            raise UserError(f"--{cls.name}: cannot read options '{text}': {err}") from None
        for word in words:
            key, eq, raw = word.partition("=")
            key = key.replace("-", "_")
            if key not in fields:
                known = ", ".join(fields) or "none"
                raise UserError(f"--{cls.name}: unknown option '{key}' (options: {known})")
            if not eq:
                raise UserError(f"--{cls.name}: option '{key}' needs a value ({key}=...)")
            values[key] = _convert(cls.name, key, typing.get_type_hints(cls)[key], raw)
        return cls(**values)


def _convert(pass_name: str, key: str, kind: type, raw: str):
    try:
        if kind is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind is int:
            return int(raw)
        if kind is float:
            value = float(raw)
            if not math.isfinite(value):  # nan compares false with every bound a pass checks
                raise ValueError
            return value
    except ValueError:
        expected = "a finite float" if kind is float else kind.__name__
        raise UserError(f"--{pass_name}: option '{key}' expects {expected}, got '{raw}'") from None
    return raw


REGISTRY: dict[str, type[Pass]] = {}
_loaded = False


def register(cls: type[Pass]) -> type[Pass]:
    """Class decorator: make `cls` available as `--<cls.name>`."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} has no pass name")
    existing = REGISTRY.get(cls.name)
    if existing is not None and existing is not cls:
        raise TypeError(f"pass name '{cls.name}' is taken by {existing.__module__}.{existing.__name__}")
    REGISTRY[cls.name] = cls
    return cls


def load_all() -> dict[str, type[Pass]]:
    """Import the built-in passes and every plug-in; return the registry."""
    global _loaded
    if not _loaded:
        _loaded = True
        import fpga_sdf.passes as builtin

        for info in pkgutil.iter_modules(builtin.__path__):
            importlib.import_module(f"fpga_sdf.passes.{info.name}")
        for ep in entry_points(group="fpga_sdf.passes"):
            obj = ep.load()
            if isinstance(obj, type) and issubclass(obj, Pass):
                register(obj)
    return REGISTRY


def lookup(name: str) -> type[Pass] | None:
    return load_all().get(name)
