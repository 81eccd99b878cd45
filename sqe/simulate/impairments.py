"""LibriAugmented-style impairments (Cumlin et al. 2025, as varied by the paper §6.1.1): 9 single and 6
double impairments, K = 15 classes. Used for the out-of-domain set of egs/mini and for egs/libriaugmented.

Everything stays time-aligned with the reference (zero-phase filters, zero-delay MP3, lengths kept) except
pitch shift and time stretch, which cannot (an accepted deviation). The paper's Gain replaces
GainTransition. Reverberation is rendered here from a seeded exponentially decaying impulse response
with the direct path at lag 0: audiomentations' RoomSimulator ray-traces with an unseeded random
generator (outputs differed by up to 2.2 between identical seeds) and delays the direct path by ~48
samples. Every drawn parameter is returned for ``utt2params``; the same seed gives the same output.
"""
from __future__ import annotations

import functools
import random
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from scipy import signal

from sqe.audio.io import TARGET_SR
from sqe.simulate.base import SimulationError, fit_length, power

SR = TARGET_SR
SINGLES = ("clipdist", "gain", "lpf", "mp3", "noise", "pitch", "reverb", "tmask", "tstretch")
# Class -> application order (Cumlin's order; "mp3+reverb" follows its name: reverb, then MP3).
DOUBLES = {
    "noise+reverb": ("noise", "reverb"),
    "lpf+noise": ("noise", "lpf"),
    "noise+tstretch": ("noise", "tstretch"),
    "mp3+reverb": ("reverb", "mp3"),
    "lpf+pitch": ("pitch", "lpf"),
    "gain+tmask": ("gain", "tmask"),
}
CLASSES = SINGLES + tuple(DOUBLES)
REVERB_RT60 = (0.8, 1.5)
REVERB_DRR_DB = (-3.0, 6.0)


@functools.lru_cache(maxsize=None)
def _transform(name: str, noise_files: tuple[str, ...] = ()):
    import audiomentations as A

    if name == "noise":
        if not noise_files:
            raise SimulationError("the noise impairment needs background noise files")
        return A.AddBackgroundNoise(sounds_path=list(noise_files), min_snr_db=-10, max_snr_db=15,
                                    noise_transform=A.PolarityInversion(), p=1.0)
    return {
        "clipdist": lambda: A.ClippingDistortion(min_percentile_threshold=10, max_percentile_threshold=40, p=1.0),
        "gain": lambda: A.Gain(min_gain_db=-30, max_gain_db=15, p=1.0),
        "lpf": lambda: A.LowPassFilter(min_cutoff_freq=500, max_cutoff_freq=1000, zero_phase=True, p=1.0),
        "mp3": lambda: A.Mp3Compression(min_bitrate=8, max_bitrate=16, backend="fast-mp3-augment",
                                        preserve_delay=False, p=1.0),
        "pitch": lambda: A.PitchShift(min_semitones=-4, max_semitones=4, p=1.0),
        "tmask": lambda: A.TimeMask(min_band_part=0.2, max_band_part=0.5, fade_duration=0.005, p=1.0),
        "tstretch": lambda: A.TimeStretch(min_rate=0.5, max_rate=2.0, leave_length_unchanged=True, p=1.0),
    }[name]()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def reverberate(x: np.ndarray, rt60: float, drr_db: float, seed: int) -> np.ndarray:
    """Convolve with a direct path at lag 0 plus a noise tail decaying 60 dB in ``rt60`` seconds whose
    energy is ``drr_db`` below the direct path; the output keeps the input's RMS level."""
    rng = np.random.default_rng(seed)
    n = int(1.2 * rt60 * SR)
    t = np.arange(1, n) / SR
    tail = rng.standard_normal(n - 1) * np.exp(-6.9078 * t / rt60)
    tail *= np.sqrt(10.0 ** (-drr_db / 10.0) / np.sum(tail ** 2))
    rir = np.concatenate([[1.0], tail])
    y = signal.fftconvolve(x, rir)[: x.size]
    scale = np.sqrt(power(x) / max(power(y), 1e-20))
    return (y * scale).astype(np.float32)


def apply_one(name: str, x: np.ndarray, seed: int, noise_files: Sequence[str] = ()) -> tuple[np.ndarray, dict]:
    """One impairment with its drawn parameters."""
    if name == "reverb":
        rng = np.random.default_rng(seed)
        params = {"rt60": float(rng.uniform(*REVERB_RT60)), "drr_db": float(rng.uniform(*REVERB_DRR_DB)),
                  "seed": int(rng.integers(2**31 - 1))}
        return reverberate(x, params["rt60"], params["drr_db"], params["seed"]), params
    if name not in SINGLES:
        raise SimulationError(f"unknown impairment '{name}' (known: {', '.join(SINGLES)})")
    tr = _transform(name, tuple(noise_files) if name == "noise" else ())
    random.seed(seed)  # audiomentations draws from both generators
    np.random.seed(seed % 2**32)
    y = tr(samples=np.ascontiguousarray(x, dtype=np.float32), sample_rate=SR)
    params = {k: _jsonable(v) for k, v in tr.parameters.items() if k != "should_apply"}
    return fit_length(y, x.size), params


def impair(cls: str, x: np.ndarray, seed: int, noise_files: Sequence[str] = ()) -> tuple[np.ndarray, dict]:
    """Apply the impairment class ``cls`` (a single or a double); returns the signal and
    ``{"order": [...], "<name>": {params}, "seed": seed}``."""
    order = DOUBLES.get(cls, (cls,))
    if cls not in CLASSES:
        raise SimulationError(f"unknown impairment class '{cls}' (known: {', '.join(CLASSES)})")
    y = np.asarray(x, dtype=np.float32)
    record: dict[str, Any] = {"order": list(order), "seed": int(seed)}
    for i, name in enumerate(order):
        y, record[name] = apply_one(name, y, (seed + 7919 * i) % (2**31 - 1), noise_files)
    if not np.isfinite(y).all():
        raise SimulationError(f"impairment {cls} produced NaN/Inf samples")
    return y, record
