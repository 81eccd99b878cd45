"""Triangular mel filters on the Slaney mel scale with Slaney area normalisation (the filter bank of the log-mel
encoder, sqe.models.encoders.LogMelEncoder).

Slaney's scale is linear below 1 kHz (200/3 Hz per mel) and logarithmic above (27 mels per factor 6.4); each
triangle rises from the centre frequency of its left neighbour to its own and falls to its right neighbour's,
scaled by 2 / (right - left) so that every filter has the same area. Written here rather than imported from
transformers, whose import alone took about 2 s per process on the CI machine (the values agree: tested).
"""
from __future__ import annotations

import numpy as np

_LINEAR_HZ_PER_MEL = 200.0 / 3.0
_LOG_START_HZ = 1000.0
_LOG_START_MEL = _LOG_START_HZ / _LINEAR_HZ_PER_MEL  # 15
_MELS_PER_LOG_HZ = 27.0 / np.log(6.4)


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _LINEAR_HZ_PER_MEL
    log = _LOG_START_MEL + np.log(np.maximum(hz, _LOG_START_HZ) / _LOG_START_HZ) * _MELS_PER_LOG_HZ
    return np.where(hz >= _LOG_START_HZ, log, linear)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _LINEAR_HZ_PER_MEL
    log = _LOG_START_HZ * np.exp((np.maximum(mel, _LOG_START_MEL) - _LOG_START_MEL) / _MELS_PER_LOG_HZ)
    return np.where(mel >= _LOG_START_MEL, log, linear)


def mel_filter_bank(n_freqs: int, n_mels: int, fmin: float, fmax: float, sample_rate: int) -> np.ndarray:
    """``(n_freqs, n_mels)`` weights from the bins of a one-sided spectrum (``n_freqs`` bins from 0 Hz to
    ``sample_rate // 2``) to ``n_mels`` triangles equally spaced in mel between ``fmin`` and ``fmax``."""
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(f"mel band {fmin}-{fmax} Hz is not inside 0-{sample_rate / 2} Hz")
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))  # left, centre, right
    bins = np.linspace(0, sample_rate // 2, n_freqs)
    offset = edges[None, :] - bins[:, None]  # (n_freqs, n_mels + 2): edge minus bin frequency
    widths = np.diff(edges)
    rising = -offset[:, :-2] / widths[:-1]  # from the left edge (0) to the centre (1)
    falling = offset[:, 2:] / widths[1:]  # from the centre (1) to the right edge (0)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return weights * (2.0 / (edges[2:] - edges[:-2]))[None, :]
