"""Splicing (eq. 3), pseudo-targets (eq. 4) and frame class labels of one mixed example.

Each signal is normalised on its own before splicing (loudness to -18 dBFS, then zero mean and unit
variance), so inside the mask the mixed signal *is* the normalised degraded signal and outside it the
normalised reference.

    >>> import numpy as np
    >>> ref, deg = np.ones(640, dtype=np.float32), -np.ones(640, dtype=np.float32)
    >>> ex = mix(ref, deg, np.array([False, True]), np.array([4.5, 4.5]), np.array([2.0, 2.0]), 3)
    >>> ex.q_pseudo.tolist(), ex.labels.tolist(), round(ex.y, 2)
    ([4.5, 2.0], [0, 3], 3.25)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sqe.audio.level import normalize_loudness, standardize
from sqe.data.labels import CLEAN, IGNORE
from sqe.models.frames import HOP, num_frames
from sqe.utils.errors import SqeError

LOUDNESS_DBFS = -18.0


def normalise(x: np.ndarray) -> np.ndarray:
    return standardize(normalize_loudness(x, LOUDNESS_DBFS))


def sample_mask_of(frame_mask: np.ndarray, n_samples: int) -> np.ndarray:
    """m(t) = m_q[floor(t / 320)] for t < N."""
    return np.repeat(frame_mask.astype(bool), HOP)[:n_samples]


@dataclass
class Mixed:
    wav: np.ndarray  # (N,) spliced, normalised signal
    frame_mask: np.ndarray  # (L,) True where degraded
    q_pseudo: np.ndarray  # (L,) eq. 4, MOS units
    labels: np.ndarray  # (L,) int: CLEAN outside the mask, the class id inside
    y: float  # utterance target: mean of q_pseudo


def mix(ref: np.ndarray, deg: np.ndarray, frame_mask: np.ndarray, q_ref: np.ndarray, q_deg: np.ndarray,
        class_id: int, splice: bool = True) -> Mixed:
    """The mixed example; ``splice=False`` leaves ``wav`` empty (latent-domain mix-up needs only the targets)."""
    n = deg.size
    if ref.size != n:
        raise SqeError(f"reference and degraded signal differ in length ({ref.size} vs {n} samples)")
    frames = num_frames(n)
    if not (frame_mask.size == q_ref.size == q_deg.size == frames):
        raise SqeError(f"frame vectors must have {frames} frames (mask {frame_mask.size}, q_ref {q_ref.size}, "
                       f"q_deg {q_deg.size})")
    if splice:
        m = sample_mask_of(frame_mask, n)
        wav = np.where(m, normalise(deg), normalise(ref)).astype(np.float32)
    else:
        wav = np.zeros(0, dtype=np.float32)
    q_pseudo = np.where(frame_mask, q_deg, q_ref).astype(np.float32)
    labels = np.where(frame_mask, class_id, CLEAN).astype(np.int64)
    return Mixed(wav, frame_mask.astype(bool), q_pseudo, labels, float(q_pseudo.mean()))


def unmixed_labels(q_ref: np.ndarray | None, q_deg: np.ndarray | None, class_id: int, conf_min_ref: float,
                   conf_max_deg: float, diff_threshold: float) -> np.ndarray | None:
    """Frame labels of a parallel example used without mix-up (authors' code for CON models): no labels if
    the reference scores below ``min_mos_ref``; all clean if the degraded signal is not clearly worse;
    otherwise the class where q_ref - q_deg exceeds the threshold, clean elsewhere."""
    if q_ref is None or q_deg is None:
        return None
    if float(q_ref.mean()) < conf_min_ref:
        return np.full(q_deg.size, IGNORE, dtype=np.int64)
    if float(q_ref.mean()) <= float(q_deg.mean()) or float(q_deg.mean()) > conf_max_deg:
        return np.full(q_deg.size, CLEAN, dtype=np.int64)
    return np.where(q_ref - q_deg > diff_threshold, class_id, CLEAN).astype(np.int64)
