"""Speech on the 50 Hz frame grid, used alike by the training data (mix-up constraints), the scoring of regions
and the analysis: rVAD flags (rvadfast), frame levels, the energy rule that flags silence, and the conversions
between frame flags, frame runs and seconds.

    >>> import numpy as np
    >>> regions_from_frames(np.array([0, 1, 1, 0, 1]))
    [(1, 3), (4, 5)]
    >>> dilate(np.array([1, 0, 0, 0, 0]), 1).astype(int).tolist()
    [1, 1, 0, 0, 0]
"""
from __future__ import annotations

import numpy as np

from sqe.audio.grid import HOP, WINDOW, num_frames
from sqe.audio.io import TARGET_SR
from sqe.utils.errors import SqeError

FRAME_S = HOP / TARGET_SR
SILENCE_DBFS = -70.0  # frames quieter than this are silence whatever the file's level
SPEECH_FLOOR_DB = 40.0  # frames this far below a file's loud frames are silence, never part of a region
LOUD_PERCENTILE = 95.0  # a file's "loud frames": this percentile of its frame levels
SPEECH_WIDEN = 3  # frames of speech added each side of active frames (60 ms: onsets and word edges)


def dilate(frames: np.ndarray, width: int) -> np.ndarray:
    """Binary dilation by ``width`` frames on each side; the output has the input's length (np.convolve's
    "same" mode would return the kernel's length for inputs shorter than the kernel).

        >>> dilate(np.array([0, 1, 0]), 10).tolist()
        [True, True, True]
        >>> dilate(np.array([1, 0, 0, 0, 0]), 1).astype(int).tolist()
        [1, 1, 0, 0, 0]
    """
    frames = np.asarray(frames)
    if width <= 0:
        return frames.astype(bool)
    full = np.convolve(frames.astype(float), np.ones(2 * width + 1), mode="full")  # length L + 2 width
    return full[width:width + frames.size] > 0


def speech_frames(x: np.ndarray, sr: int = TARGET_SR) -> np.ndarray:
    """0/1 per 20 ms frame (``ceil(N / 320)`` frames): rVAD's 10 ms labels, max-pooled in pairs."""
    from rVADfast import rVADfast

    n_frames = num_frames(x.size)
    if x.size < WINDOW:  # rVAD needs one 25 ms window
        return np.zeros(n_frames, dtype=np.int8)
    labels, _ = rVADfast()(np.asarray(x, dtype=np.float64), sr)
    labels = np.asarray(labels, dtype=np.int8)
    padded = np.zeros(2 * n_frames, dtype=np.int8)
    padded[: min(labels.size, padded.size)] = labels[: padded.size]
    return padded.reshape(n_frames, 2).max(axis=1)


def frame_levels(wav: np.ndarray, block_frames: int = 1 << 14) -> np.ndarray:
    """RMS level (dBFS) of each 20 ms frame ``[320 l, 320 l + 320)``, the last one zero-padded; computed in
    blocks, so a long signal needs no full-size temporary."""
    n = num_frames(wav.size)
    power = np.empty(n, dtype=np.float64)
    full = wav.size // HOP
    for a in range(0, full, block_frames):
        b = min(full, a + block_frames)
        power[a:b] = np.square(wav[a * HOP:b * HOP].reshape(b - a, HOP), dtype=np.float32).mean(1, dtype=np.float64)
    if full < n:  # the partial last frame, zero-padded
        tail = wav[full * HOP:].astype(np.float64)
        power[full] = np.square(tail).sum() / HOP
    return (10.0 * np.log10(np.maximum(power, 1e-20))).astype(np.float32)


def energy_speech(wav: np.ndarray, floor_db: float = SPEECH_FLOOR_DB, levels: np.ndarray | None = None) -> np.ndarray:
    """Frames within ``floor_db`` of the file's loud frames (95th percentile) and above -70 dBFS, widened by
    60 ms each side so that onsets and word edges stay speech."""
    levels = frame_levels(wav) if levels is None else levels
    loud = float(np.percentile(levels, LOUD_PERCENTILE))
    return dilate(energy_active(levels, loud, floor_db), SPEECH_WIDEN)


def energy_active(levels: np.ndarray, loud: float, floor_db: float = SPEECH_FLOOR_DB) -> np.ndarray:
    """The energy rule before widening: frames within ``floor_db`` of ``loud`` and above -70 dBFS (a stream
    applies it with a running ``loud``, sqe.monitor)."""
    return (levels > loud - floor_db) & (levels > SILENCE_DBFS)


def regions_from_frames(frames: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` frame ranges of consecutive ones."""
    edges = np.diff(np.concatenate([[0], np.asarray(frames, dtype=np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def frames_from_regions(regions: list[tuple[float, float]], n_frames: int) -> np.ndarray:
    """Speech regions in seconds back to a 0/1 frame vector (the one shared conversion)."""
    frames = np.zeros(n_frames, dtype=np.int8)
    for start, end in regions:
        a, b = int(round(start / FRAME_S)), int(round(end / FRAME_S))
        if a < 0 or b > n_frames or a >= b:
            raise SqeError(f"speech region {start:.3f}-{end:.3f} s is outside the {n_frames * FRAME_S:.2f} s utterance")
        frames[a:b] = 1
    return frames
