"""Arrays that users hand to the tools (.npy inputs, calibration data, sidecar weights).

numpy reads many things that are not a network's data: archives where one array is wanted,
strings, objects, complex or boolean values, NaN. Each is refused here with a message that
says what was wrong, instead of failing (or silently dropping an imaginary part) later.
"""

from __future__ import annotations

import zipfile
import zlib

import numpy as np

from .diagnostics import UserError

MAX_VALUES = 2 ** 30
"""Most elements one array of the executor or the backends may hold: 8 GiB as int64. Beyond
it the tools refuse before allocating, rather than run out of memory or work for minutes."""

READ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)
"""What numpy raises on a missing, truncated, corrupt or pickled file."""


def load_array(path: str, what: str) -> np.ndarray:
    """The float32 array in the .npy file `path`; `what` names it in messages."""
    try:
        data = np.load(path, allow_pickle=False)
    except READ_ERRORS as err:
        raise UserError(f"cannot read {what} '{path}': {err}") from None
    if not isinstance(data, np.ndarray):  # an .npz archive
        data.close()
        raise UserError(f"{what} '{path}' is an .npz archive; give a single array saved with numpy.save (.npy)")
    return real_values(data, f"{what} '{path}'")


def real_values(data: np.ndarray, what: str) -> np.ndarray:
    """`data` as float32, refusing non-numeric, complex, boolean and non-finite values."""
    if data.dtype.kind not in "fiu":
        raise UserError(f"{what} must hold real numbers, got dtype {data.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):
        values = data.astype(np.float32, copy=False)
    if not np.all(np.isfinite(values)):
        raise UserError(f"{what} holds NaN or infinite values (or values beyond float32)")
    return values
