"""TTS voices: hibari's bundled voice ``hibari`` (pseudo-speakers by speed and seed) and flite's
``kal16``, ``awb``, ``rms``, ``slt`` (pseudo-speakers by mean pitch and speaking rate). Output is float32 mono
at 16 kHz; each voice is deterministic.

    >>> sorted(VOICES)
    ['awb', 'hibari', 'kal16', 'rms', 'slt']
"""
from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from sqe.audio.io import TARGET_SR
from sqe.audio.resample import resample
from sqe.utils.errors import SqeError

SR = TARGET_SR
FLITE_VOICES = ("kal16", "awb", "rms", "slt")
VOICES = ("hibari",) + FLITE_VOICES
HIBARI_SPEED = (0.9, 1.15)
# Mean F0 of each flite voice (Hz, median of voiced frames of one sentence, flite 2.2): the centre of its
# pseudo-speakers' pitch. Pseudo-speakers scale it by FLITE_F0_SCALE and the speaking rate by FLITE_SPEED.
FLITE_F0 = {"kal16": 95.0, "awb": 130.0, "rms": 100.0, "slt": 170.0}
FLITE_F0_SCALE = (0.8, 1.25)
FLITE_SPEED = (0.87, 1.15)


@functools.lru_cache(maxsize=None)
def _flite_voices() -> frozenset[str]:
    if shutil.which("flite") is None:
        return frozenset()
    out = subprocess.run(["flite", "-lv"], capture_output=True, text=True).stdout
    return frozenset(out.split(":", 1)[-1].split())


def unavailable(voice: str) -> str | None:
    """None if ``voice`` can speak here, else why not."""
    if voice == "hibari":
        try:
            import hibari.tts  # noqa: F401
        except ImportError:
            return "hibari-tts is not installed (pip extra 'data')"
        return None
    if voice in FLITE_VOICES:
        if shutil.which("flite") is None:
            return "flite is not installed (Debian package flite)"
        if voice not in _flite_voices():
            return f"this flite has no voice '{voice}' (flite -lv lists {' '.join(sorted(_flite_voices()))})"
        return None
    return f"unknown voice (known: {', '.join(VOICES)})"


def check_voices(voices: list[str]) -> None:
    problems = [f"'{v}': {why}" for v in voices if (why := unavailable(v))]
    if problems:
        raise SqeError("voice(s) not available: " + "; ".join(problems))


@functools.lru_cache(maxsize=1)
def _hibari():
    from hibari.tts import Hibari

    return Hibari(voice="heart", threads=1)  # threads=1: identical samples on every machine


def pseudo_speaker(index: int, seed: int) -> tuple[float, int]:
    """(speed, seed) of hibari pseudo-speaker ``index``."""
    rng = np.random.default_rng([seed, index])
    return float(rng.uniform(*HIBARI_SPEED)), int(rng.integers(2**31 - 1))


def flite_pseudo_speaker(voice: str, index: int, seed: int) -> tuple[float, float | None]:
    """(speed, mean F0 in Hz) of flite pseudo-speaker ``index`` of ``voice``; index 0 is the voice itself."""
    if index == 0:
        return 1.0, None
    rng = np.random.default_rng([seed, FLITE_VOICES.index(voice), index])
    return float(rng.uniform(*FLITE_SPEED)), round(FLITE_F0[voice] * float(rng.uniform(*FLITE_F0_SCALE)), 1)


def synthesize(voice: str, text: str, speed: float = 1.0, seed: int = 0, f0: float | None = None) -> np.ndarray:
    """Speak ``text``; ``speed`` applies to every voice, ``seed`` to hibari, ``f0`` (mean pitch, Hz) to flite."""
    if voice == "hibari":
        y = np.asarray(_hibari()(text, speed=speed, seed=seed), dtype=np.float32)
        return resample(y, 24000, SR)
    if voice not in FLITE_VOICES:
        raise SqeError(f"unknown voice '{voice}' (known: {', '.join(VOICES)})")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.wav"
        settings = [] if speed == 1.0 else ["--setf", f"duration_stretch={1.0 / speed:.4f}"]
        if f0 is not None:
            settings += ["--setf", f"int_f0_target_mean={f0}"]
        proc = subprocess.run(["flite", "-voice", voice, *settings, "-t", text, "-o", str(out)], capture_output=True,
                              text=True)
        if proc.returncode != 0 or not out.is_file():
            raise SqeError(f"flite -voice {voice} failed: {proc.stderr.strip()}")
        y, sr = sf.read(str(out), dtype="float32")
    return resample(y.reshape(-1) if y.ndim == 1 else y.mean(axis=1), sr, SR)
