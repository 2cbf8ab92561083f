"""A one-line progress bar for long work (DSE, C-simulation builds, RTL simulation,
synthesis): drawn on a terminal only, so pipes, logs and CI stay quiet."""

from __future__ import annotations

import os
import sys


def interactive() -> bool:
    """True when stderr is a terminal and we are not under CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


class Progress:
    """`step()` once per unit of work; `close()` ends the line. Silent unless enabled."""

    def __init__(self, total: int, what: str = "", enabled: bool | None = None):
        self.total, self.done, self.what = max(total, 1), 0, what
        self.enabled = interactive() if enabled is None else enabled

    def step(self, label: str = "") -> None:
        self.done += 1
        if self.enabled:
            filled = min(30, int(30 * self.done / self.total))
            sys.stderr.write(f"\r{self.what} [{'#' * filled}{'.' * (30 - filled)}] "
                             f"{self.done}/{self.total} {label[:30]:<30}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
