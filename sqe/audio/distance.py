"""How far a degraded signal is from its reference, frame by frame on the 50 Hz grid: the log-spectral
distance (dB) of 400-sample Hann windows centred like the model's frames (see sqe.audio.grid).

It tells the evaluation sets where a parallel pair really differs without asking a trained model: frames that a
time-varying impairment (dropouts, lost packets, clipping of the loudest peaks) leaves untouched are bit-equal
and give exactly 0 dB.

    >>> import numpy as np
    >>> ref = np.random.default_rng(0).standard_normal(3200).astype(np.float32) * 0.1
    >>> deg = ref.copy(); deg[1600:] *= 0.5  # -6 dB from frame 5 on (frame 4's window reaches 40 samples in)
    >>> np.round(frame_distance(ref, deg), 1).tolist()
    [0.0, 0.0, 0.0, 0.0, 0.2, 6.0, 6.0, 6.0, 6.0, 6.0]
"""
from __future__ import annotations

import numpy as np

from sqe.audio.grid import HOP, LEFT_PAD, WINDOW, num_frames

NFFT = 512
# Power below the reference's loudest frame minus this is treated as equal (digital silence, a noise floor
# far under the speech): without a floor the log of near-zero bins would make inaudible changes huge.
FLOOR_DB = 80.0


def _power(x: np.ndarray, n: int) -> np.ndarray:
    padded = np.pad(np.asarray(x, np.float64), (LEFT_PAD, HOP * n + WINDOW - x.size))
    frames = padded[np.arange(n)[:, None] * HOP + np.arange(WINDOW)[None]] * np.hanning(WINDOW)
    return np.abs(np.fft.rfft(frames, NFFT)) ** 2


def frame_distance(ref: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """Root-mean-square difference of the two log power spectra per frame, in dB (``num_frames`` values)."""
    if ref.shape != deg.shape or ref.ndim != 1:
        raise ValueError(f"frame_distance needs two mono signals of one length, got {ref.shape} and {deg.shape}")
    n = num_frames(ref.size)
    p_ref, p_deg = _power(ref, n), _power(deg, n)
    floor = max(float(p_ref.mean(1).max()), np.finfo(np.float64).tiny) * 10 ** (-FLOOR_DB / 10)
    diff = 10 * np.log10(p_deg + floor) - 10 * np.log10(p_ref + floor)
    return np.sqrt(np.mean(diff ** 2, axis=1))
