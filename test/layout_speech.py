"""The real speech behind the corpus layouts of test/corpus_layouts.py: the LibriSpeech excerpts vendored in
sqe/speech/librispeech (CC BY 4.0), dealt out to the corpora in disjoint groups of speakers, and the MOS label
of a degraded excerpt."""
from __future__ import annotations

import functools
import zlib

import numpy as np
import soundfile as sf

from sqe.audio.level import normalize_loudness
from sqe.speech.real import Excerpt, load_excerpts

TRAIN_CLEAN = "train-clean-100"  # 125 speakers, one excerpt each
TEST_OTHER = "test-other"  # 10 speakers, six excerpts each
MIN_S, MAX_S = 2.0, 8.0  # excerpt lengths used (one vendored excerpt is shorter)
LEVEL_DBFS = -26.0  # NISQA's input level (asl_in), also used for BVCC
NO_TEXT = "-"  # the vendored excerpts come without transcripts (the project's convention, sqe.corpora.mini_speech)

# Who speaks where: [start, stop) of a seeded order of each vendored subset's speakers. The groups are
# disjoint, so NISQA's training speakers are in neither its validation nor its test sets, and the LibriSpeech
# test sets share no speaker with anything a model trains on.
GROUPS = {
    "nisqa_train": (TRAIN_CLEAN, 0, 64),
    "nisqa_train_live": (TRAIN_CLEAN, 64, 68),
    "nisqa_val": (TRAIN_CLEAN, 68, 84),
    "bvcc": (TRAIN_CLEAN, 84, 112),
    "librispeech_dev": (TRAIN_CLEAN, 112, 124),
    "nisqa_test_for": (TEST_OTHER, 0, 4),
    "nisqa_test_p501": (TEST_OTHER, 4, 6),
    "librispeech_test": (TEST_OTHER, 6, 8),
    "libritts_dev": (TEST_OTHER, 8, 10),
}


@functools.lru_cache(maxsize=None)
def _usable() -> tuple[Excerpt, ...]:
    return tuple(e for e in load_excerpts() if MIN_S <= e.duration_s <= MAX_S)


def excerpts_of(group: str, seed: int) -> list[Excerpt]:
    """The excerpts of a speaker group, speaker by speaker, in manifest order within a speaker."""
    subset, start, stop = GROUPS[group]
    pool = [e for e in _usable() if e.subset == subset]
    speakers = list(dict.fromkeys(e.speaker for e in pool))
    order = np.random.default_rng([seed, zlib.crc32(subset.encode())]).permutation(len(speakers))
    chosen = [speakers[i] for i in order[start:stop]]
    return [e for spk in chosen for e in pool if e.speaker == spk]


def take(group: str, n: int, seed: int, reuse: bool) -> list[Excerpt]:
    """``n`` excerpts of a group; with ``reuse`` the group's excerpts repeat when ``n`` exceeds them (a NISQA
    reference serves several conditions), else asking for more is an error."""
    pool = excerpts_of(group, seed)
    if n > len(pool) and not reuse:
        raise ValueError(f"{group} has {len(pool)} excerpts (its speakers: test/layout_speech.py GROUPS), asked {n}")
    return [pool[i % len(pool)] for i in range(n)]


@functools.lru_cache(maxsize=256)
def _read(path: str) -> np.ndarray:
    x, sr = sf.read(path, dtype="float32")
    if sr != 16000 or x.ndim != 1:
        raise ValueError(f"{path}: expected 16 kHz mono, got {sr} Hz, shape {x.shape}")
    return x


def speech(excerpt: Excerpt, level_dbfs: float | None = LEVEL_DBFS) -> np.ndarray:
    """The excerpt at 16 kHz, scaled to ``level_dbfs`` RMS (None: as recorded). A copy: callers may alter it."""
    x = _read(str(excerpt.path))
    return normalize_loudness(x, level_dbfs) if level_dbfs is not None else x.copy()


def mos_label(ref: np.ndarray, deg: np.ndarray) -> float:
    """PESQ-WB MOS-LQO of ``deg`` against ``ref`` (16 kHz), or the SNR proxy where PESQ is missing or fails."""
    try:
        from sqe.simulate.labels import pesq_wb

        score = pesq_wb(ref, deg)
    except ImportError:
        score = None
    return round(score if score is not None else mos_proxy(ref, deg), 4)


def mos_proxy(ref: np.ndarray, deg: np.ndarray) -> float:
    """1..4.5 from the SNR of ``deg`` against its best-scaled reference (so a pure level change costs nothing):
    4.5 for a copy, 2.75 at 12 dB, towards 1 below 0 dB. A documented stand-in for PESQ, not a quality model."""
    ref, deg = np.asarray(ref, dtype=np.float64), np.asarray(deg, dtype=np.float64)
    gain = float(ref @ deg) / max(float(ref @ ref), 1e-20)
    err = float(np.sum((deg - gain * ref) ** 2))
    signal = gain * gain * float(ref @ ref)
    if signal <= 0.0:  # nothing of the reference left (silence, or a signal uncorrelated with it)
        return 1.0
    if err <= 1e-12 * signal:
        return 4.5
    snr = 10.0 * np.log10(signal / err)
    return float(1.0 + 3.5 / (1.0 + np.exp(-(snr - 12.0) / 4.0)))
