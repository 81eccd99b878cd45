"""Median filtering of frame tracks (teacher pseudo-targets, detection scores).

A median filter of ``size`` frames removes runs shorter than ``size // 2 + 1`` frames and fills gaps of that
length, without moving the edges of longer runs: the usual post-processing of frame-wise event detectors
(DCASE baselines), here optional and off unless a config asks for it.

    >>> median_filter(np.array([0, 0, 1, 0, 0, 5, 5, 5, 0, 5, 5], np.float32), 3, "nearest").tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0]
"""
from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import ndimage


def check_size(size: int, key: str = "medfilt_size") -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise ValueError(f"{key} must be an odd number >= 1 (1: no filter), got {size!r}")


def median_filter(x: np.ndarray, size: int, edge: Literal["nearest", "zero"] = "nearest") -> np.ndarray:
    """Median over ``size`` frames centred on each frame, as float32. ``edge`` "nearest" repeats the end
    values; "zero" pads with zeros like ``scipy.signal.medfilt`` (which biases the first and last frames)."""
    check_size(size)
    if size == 1:
        return x
    if edge == "zero":
        from scipy import signal  # lazily: scipy.signal imports scipy.stats (about 1 s), analysis needs neither

        return signal.medfilt(x, size).astype(np.float32)
    return ndimage.median_filter(x, size=size, mode="nearest").astype(np.float32)


def smooth_scores(scores: dict[str, dict[str, np.ndarray]], size: int) -> dict[str, dict[str, np.ndarray]]:
    """Every track (score type -> utterance -> frames) median-filtered over ``size`` frames."""
    check_size(size)
    if size == 1:
        return scores
    return {name: {utt: median_filter(v, size) for utt, v in per_utt.items()} for name, per_utt in scores.items()}
