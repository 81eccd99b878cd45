"""Mix-up masks in frame units: the frame mask m_q is primary and the sample
mask is ``m(t) = m_q[floor(t / 320)]``, so eq. 3, eq. 4 and the frame labels mask the same time points.

    >>> import numpy as np
    >>> conf = MixupConf(min_segments=2, max_segments=2, min_dur=0.2, max_dur=0.2)
    >>> m = sample_mask(100, conf, np.random.default_rng(0))
    >>> 10 <= int(m.sum()) <= 20, m.dtype
    (True, dtype('bool'))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from sqe.audio.speech import dilate
from sqe.models.frames import FRAME_RATE


@dataclass
class MixupConf:
    p: float = 0.0  # probability that a parallel training example is mixed (SUP1 0.5, SUP2/CON 1.0)
    min_segments: int = 1  # degraded segments per mixed example (paper: 1-3)
    max_segments: int = 3
    min_dur: float = 0.2  # segment duration in seconds (training 0.2-1.0, evaluation sets 0.4-2.0)
    max_dur: float = 1.0
    target_rate: float | None = None  # code variant: about this share of the utterance mixed (2-10 segments)
    constrained: bool = False  # the contrastive constraints below (CON models, evaluation sets)
    min_mos_ref: float = 3.5  # skip pairs whose reference scores below (teacher's mean q_ref)
    max_mos_deg: float = 4.0  # skip pairs whose degraded signal scores above (teacher's mean q_deg)
    diff_threshold: float = 0.5  # sample only where q_ref - q_deg exceeds this (MOS)
    use_vad: bool = True  # ... and inside rVAD speech regions (sqe.bin.compute_vad --signal: degraded by default)
    # {q_ref - q_deg > diff_threshold} widened by this much on each side before the speech regions cut it. The
    # authors' code dilates with a kernel as long as the shortest segment (0.2 s), i.e. 0.1 s per side.
    dilation_s: float = 0.1
    # waveform: splice the signals (eq. 3, exact). latents: splice the frozen encoder latents of the two whole
    # signals with the frame mask (a CPU shortcut for frozen front ends whose features are cached: equal to the
    # waveform splice except near segment edges and in the level normalisation; see mixup/dataset.py)
    domain: Literal["waveform", "latents"] = "waveform"
    # frame labels of a parallel example that is not mixed (CON models): "teacher" = the authors' code (none if
    # the reference scores below min_mos_ref, all clean if the degraded signal is not clearly worse, else the
    # class where q_ref - q_deg > diff_threshold); "ignore" = no labels, the pair is excluded as the paper says
    unmixed_labels: Literal["teacher", "ignore"] = "teacher"

    def __post_init__(self) -> None:
        if not 0.0 <= self.p <= 1.0:
            raise ValueError("p must be in [0, 1]")
        if not 1 <= self.min_segments <= self.max_segments:
            raise ValueError("need 1 <= min_segments <= max_segments")
        if not 0 < self.min_dur <= self.max_dur:
            raise ValueError("need 0 < min_dur <= max_dur")


def frames_of(seconds: float) -> int:
    return max(1, int(round(seconds * FRAME_RATE)))


def _segment_count(n_frames: int, conf: MixupConf, rng: np.random.Generator) -> int:
    if conf.target_rate is None:
        return int(rng.integers(conf.min_segments, conf.max_segments + 1))
    mean_dur = (conf.min_dur + conf.max_dur) / 2
    centre = int(conf.target_rate * n_frames / FRAME_RATE / mean_dur)
    return int(np.clip(centre + rng.integers(-1, 2), conf.min_segments, conf.max_segments))


def sample_mask(n_frames: int, conf: MixupConf, rng: np.random.Generator, allowed: np.ndarray | None = None
                ) -> np.ndarray:
    """Boolean frame mask: the union of the drawn segments. With ``allowed``, every segment lies inside one
    allowed run (shortened to the run if the run is shorter, dropped if the run is below ``min_dur``)."""
    mask = np.zeros(n_frames, dtype=bool)
    lo, hi = frames_of(conf.min_dur), frames_of(conf.max_dur)
    if allowed is None:
        runs = [(0, n_frames)]
    else:
        edges = np.diff(np.concatenate([[0], allowed.astype(np.int8), [0]]))
        runs = [(a, b) for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)) if b - a >= lo]
    if not runs:
        return mask
    for _ in range(_segment_count(n_frames, conf, rng)):
        length = int(rng.integers(lo, hi + 1))
        weights = np.array([b - a for a, b in runs], dtype=float)
        a, b = runs[int(rng.choice(len(runs), p=weights / weights.sum()))]
        length = min(length, b - a)
        start = a + int(rng.integers(0, b - a - length + 1))
        mask[start:start + length] = True
    return mask


def allowed_region(q_ref: np.ndarray, q_deg: np.ndarray, speech: np.ndarray | None, conf: MixupConf) -> np.ndarray:
    """Where the contrastive constraints let a segment go: {q_ref - q_deg > threshold} dilated, and speech."""
    return allowed_where(q_ref - q_deg > conf.diff_threshold, speech, conf)


def allowed_where(differs: np.ndarray, speech: np.ndarray | None, conf: MixupConf) -> np.ndarray:
    """Frames where the pair differs (by whatever measure), widened by ``dilation_s``, cut by the speech regions."""
    region = dilate(differs, frames_of(conf.dilation_s) if conf.dilation_s > 0 else 0)
    if conf.use_vad and speech is not None:
        region &= speech.astype(bool)
    return region


def skip_reason(q_ref: np.ndarray, q_deg: np.ndarray, conf: MixupConf) -> str | None:
    """Why a pair may not be mixed under the contrastive constraints (teacher means), or None."""
    if not conf.constrained:
        return None
    ref, deg = float(np.mean(q_ref)), float(np.mean(q_deg))
    if ref < conf.min_mos_ref:
        return "reference below min_mos_ref"
    if deg > conf.max_mos_deg:
        return "degraded above max_mos_deg"
    if ref <= deg:
        return "reference not better than degraded"
    return None
