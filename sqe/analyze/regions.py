"""From frame scores to degraded regions on the 50 Hz grid: speech flags, thresholding, gap merging, short-run
removal, and the nearest degradation types of each region.

    >>> import numpy as np
    >>> runs(np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], bool), merge_gap=1, min_len=2)
    [(1, 3), (5, 10)]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sqe.audio.io import TARGET_SR
from sqe.mixup.masks import dilate
from sqe.models.frames import HOP, num_frames

FRAME_S = HOP / TARGET_SR
SILENCE_DBFS = -70.0  # frames quieter than this are silence whatever the file's level


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


def energy_speech(wav: np.ndarray, floor_db: float = 40.0, levels: np.ndarray | None = None) -> np.ndarray:
    """Frames within ``floor_db`` of the file's loud frames (95th percentile) and above -70 dBFS, widened by
    60 ms each side so that onsets and word edges stay speech."""
    levels = frame_levels(wav) if levels is None else levels
    loud = float(np.percentile(levels, 95))
    active = (levels > loud - floor_db) & (levels > SILENCE_DBFS)
    return dilate(active, 3)


def rvad_speech(wav: np.ndarray) -> np.ndarray:
    from sqe.mixup.vad import speech_frames

    return speech_frames(wav).astype(bool)


def runs(mask: np.ndarray, merge_gap: int = 0, min_len: int = 1) -> list[tuple[int, int]]:
    """``[start, end)`` runs of True, gaps of at most ``merge_gap`` frames filled, runs shorter than ``min_len``
    dropped."""
    mask = np.asarray(mask, dtype=bool)
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    merged: list[list[int]] = []
    for s, e in zip(starts.tolist(), ends.tolist()):
        if merged and s - merged[-1][1] <= merge_gap:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged if e - s >= min_len]


@dataclass
class Region:
    onset: float  # seconds
    offset: float
    score: float  # mean detection score (higher = more degraded)
    mos: float  # mean frame MOS
    type: str  # nearest degradation type, or 'unknown' below the open-set similarity
    similarity: float  # cosine similarity to that type's prototype
    nearest: list[tuple[str, float]] = field(default_factory=list)  # top-k (type, similarity)

    def as_dict(self) -> dict:
        return {"onset": self.onset, "offset": self.offset, "score": self.score, "mos": self.mos,
                "type": self.type, "similarity": self.similarity,
                "nearest": [{"type": t, "similarity": s} for t, s in self.nearest]}


def region_vector(embedding: np.ndarray, start: int, end: int) -> np.ndarray:
    """Mean of the L2-normalised frame embeddings of a region (how prototypes were made)."""
    z = embedding[start:end].astype(np.float64)
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    return z.mean(0)


def find_regions(score: np.ndarray, q: np.ndarray, speech: np.ndarray, threshold: float, merge_gap: int,
                 min_len: int) -> list[tuple[int, int]]:
    """Frame runs where ``score >= threshold`` on speech frames."""
    return runs((score >= threshold) & speech, merge_gap, min_len)
