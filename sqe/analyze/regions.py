"""From frame scores to degraded regions on the 50 Hz grid: speech flags, thresholding, gap merging, short-run
removal, and the nearest degradation types of each region.

    >>> import numpy as np
    >>> runs(np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], bool), merge_gap=1, min_len=2)
    [(1, 3), (5, 10)]
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sqe.audio.speech import speech_frames
from sqe.metrics.embedding import segment_vector
from sqe.metrics.regions import runs


def rvad_speech(wav: np.ndarray) -> np.ndarray:
    return speech_frames(wav).astype(bool)


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
    """The unit vector of frames ``[start, end)``, made as the segments that the prototypes come from are made
    (``sqe.metrics.embedding.segment_vector``), so a region is compared with prototypes like with like."""
    return segment_vector(embedding[start:end])


def find_regions(score: np.ndarray, q: np.ndarray, speech: np.ndarray, threshold: float, merge_gap: int,
                 min_len: int) -> list[tuple[int, int]]:
    """Frame runs where ``score >= threshold`` on speech frames."""
    return runs((score >= threshold) & speech, merge_gap, min_len)
