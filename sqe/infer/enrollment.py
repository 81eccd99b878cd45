"""The clean enrollment file (``enrollment.npz``, one mean embedding per embedding type), read without torch so
that scoring and reports start fast."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sqe.data.tables import DataError

ENROLLMENT_FILE = "enrollment.npz"


def load_enrollment(directory: Path) -> dict[str, np.ndarray]:
    path = Path(directory) / ENROLLMENT_FILE
    if not path.is_file():
        raise DataError(f"{path} does not exist (made by sqe.bin.enroll)")
    with np.load(path) as f:
        return {k: f[k] for k in f.files}
