"""Level helpers: RMS level in dBFS, loudness normalisation and standardisation.

Before splicing a reference and a degraded signal, each is normalised *separately*: RMS to -18 dBFS,
then zero mean and unit variance.

    >>> import numpy as np
    >>> x = np.full(100, 0.5, dtype=np.float32)
    >>> round(rms_dbfs(x), 2)
    -6.02
    >>> round(rms_dbfs(normalize_loudness(x, -18.0)), 2)
    -18.0
"""
from __future__ import annotations

import numpy as np

_EPS = 1e-12


def rms_dbfs(x: np.ndarray) -> float:
    """RMS level relative to a full-scale constant (1.0 -> 0 dBFS); -inf for silence."""
    rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
    return float(20.0 * np.log10(rms)) if rms > 0 else float("-inf")


def normalize_loudness(x: np.ndarray, target_dbfs: float = -18.0) -> np.ndarray:
    """Scale ``x`` so its RMS level is ``target_dbfs``; silence is returned unchanged."""
    level = rms_dbfs(x)
    if not np.isfinite(level):
        return np.asarray(x, dtype=np.float32)
    return (np.asarray(x, dtype=np.float64) * 10.0 ** ((target_dbfs - level) / 20.0)).astype(np.float32)


def standardize(x: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance (a constant signal becomes all zeros)."""
    x = np.asarray(x, dtype=np.float64)
    centred = x - x.mean() if x.size else x
    std = centred.std() if x.size else 0.0
    return (centred / std if std > _EPS else centred).astype(np.float32)
