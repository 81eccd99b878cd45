"""Generated environmental background noises standing in for CHiME-3's BUS, CAF, PED and STR recordings
(which cannot be downloaded here). Each is a deterministic function of its kind and seed: shaped noise
beds plus the events that characterise the place (engine hum, dish clatter, footsteps, passing cars).

    >>> x = environmental_noise("bus", 2.0, seed=1)
    >>> x.shape, bool(abs(x).max() <= 1.0)
    ((32000,), True)
"""
from __future__ import annotations

import numpy as np
from scipy import signal

from sqe.audio.io import TARGET_SR
from sqe.simulate.additive import colored_noise

SR = TARGET_SR
KINDS = ("bus", "cafe", "pedestrian", "street")


def _band(x: np.ndarray, low: float, high: float) -> np.ndarray:
    sos = signal.butter(4, [low, high], btype="bandpass", fs=SR, output="sos")
    return signal.sosfilt(sos, x)


def _slow_envelope(n: int, rate_hz: float, depth: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth random gain around 1 varying at about ``rate_hz``."""
    knots = max(2, int(n / SR * rate_hz) + 2)
    env = np.interp(np.arange(n), np.linspace(0, n, knots), rng.uniform(-1, 1, knots))
    return 1.0 + depth * env


def _events(n: int, rate_hz: float, make, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    for start in np.flatnonzero(rng.random(n) < rate_hz / SR):
        ev = make(rng)
        end = min(n, start + ev.size)
        out[start:end] += ev[: end - start]
    return out


def _clink(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.15 * SR)) / SR
    f = rng.uniform(2000, 6000)
    return 0.5 * np.sin(2 * np.pi * f * t) * np.exp(-t / 0.02)


def _step(rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.08 * SR)) / SR
    return 0.8 * rng.standard_normal(t.size) * np.exp(-t / 0.012) * (1 + np.sin(2 * np.pi * 80 * t))


def environmental_noise(kind: str, seconds: float, seed: int) -> np.ndarray:
    """``seconds`` of the noise ``kind`` (one of KINDS), peak-normalised to 0.9."""
    if kind not in KINDS:
        raise ValueError(f"unknown noise kind '{kind}' (known: {', '.join(KINDS)})")
    rng = np.random.default_rng(seed)
    n = int(round(seconds * SR))
    t = np.arange(n) / SR
    if kind == "bus":  # engine harmonics over rumble, load changing slowly
        f0 = rng.uniform(30, 60)
        hum = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi)) / k for k in range(1, 6))
        x = 0.6 * colored_noise(n, 2.0, rng) + 0.3 * hum * _slow_envelope(n, 0.3, 0.4, rng)
    elif kind == "cafe":  # murmur with a syllabic rhythm, dish clatter
        murmur = _band(colored_noise(n, 1.0, rng), 250, 3500) * _slow_envelope(n, 4.0, 0.5, rng)
        x = murmur + 0.3 * _events(n, 1.5, _clink, rng)
    elif kind == "pedestrian":  # open-air bed, footsteps, distant voices
        steps = _events(n, 2.0, _step, rng)
        x = 0.5 * colored_noise(n, 1.5, rng) + 0.5 * _band(colored_noise(n, 1.0, rng), 300, 3000) + steps
    else:  # street: traffic rumble with cars passing by
        x = 0.5 * colored_noise(n, 2.0, rng)
        for _ in range(max(1, int(seconds / 3))):
            centre, width = rng.uniform(0, seconds), rng.uniform(1.0, 3.0)
            x = x + 1.5 * np.exp(-((t - centre) / width) ** 2) * _band(colored_noise(n, 1.0, rng), 80, 2000)
    x = np.asarray(x, dtype=np.float64)
    return (0.9 * x / max(np.abs(x).max(), 1e-9)).astype(np.float32)
