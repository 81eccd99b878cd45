"""Additive noise: white noise (``wbgn``), background noise (``bgn``: babble of other utterances, pink or
brown noise) and mains hum (``hum``), each scaled to an exact signal-to-noise ratio over the whole file."""
from __future__ import annotations

from typing import Any

import numpy as np

from sqe.simulate.base import SR, Context, Degradation, Param, SimulationError, power, register, seed_param


def add_at_snr(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """``x + g * noise`` with ``g`` chosen so that 10 log10(P_x / P_gn) = snr_db."""
    px, pn = power(x), power(noise)
    if pn <= 0 or px <= 0:
        return x.astype(np.float32)
    gain = np.sqrt(px / (pn * 10.0 ** (snr_db / 10.0)))
    return (x + gain * noise).astype(np.float32)


def colored_noise(n: int, beta: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with power spectrum ~ 1/f^beta (0 white, 1 pink, 2 brown), unit variance."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1] if n > 1 else 1.0
    y = np.fft.irfft(spectrum / f ** (beta / 2.0), n)
    y -= y.mean()
    std = y.std()
    return (y / std if std > 0 else y).astype(np.float32)


def babble(n: int, sources: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Sum of other utterances, each RMS-normalised, looped to length and started at a random offset."""
    total = np.zeros(n, dtype=np.float64)
    for src in sources:
        src = np.asarray(src, dtype=np.float64)
        if src.size == 0 or power(src) == 0:
            continue
        reps = int(np.ceil((n + src.size) / src.size))
        looped = np.tile(src, reps)
        start = int(rng.integers(src.size))
        total += looped[start:start + n] / np.sqrt(power(src))
    return total.astype(np.float32)


def _wbgn(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    noise = np.random.default_rng(p["seed"]).standard_normal(x.size).astype(np.float32)
    return add_at_snr(x, noise, p["snr_db"])


def _bgn(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    rng = np.random.default_rng(p["seed"])
    if p["type"] == "babble":
        ids = p.get("sources") or []
        if not ids or ctx.sources is None:
            raise SimulationError("bgn babble needs source utterances (params['sources'] and a context)")
        noise = babble(x.size, [ctx.sources(i) for i in ids], rng)
    else:
        noise = colored_noise(x.size, {"pink": 1.0, "brown": 2.0}[p["type"]], rng)
    return add_at_snr(x, noise, p["snr_db"])


def mains_hum(n: int, base_hz: float, harmonics: int, phase_seed: int) -> np.ndarray:
    """A mains hum: ``harmonics`` multiples of ``base_hz`` with amplitudes 1/k and random phases."""
    rng = np.random.default_rng(phase_seed)
    t = np.arange(n) / SR
    return sum(np.sin(2 * np.pi * k * base_hz * t + rng.uniform(0, 2 * np.pi)) / k
               for k in range(1, harmonics + 1)).astype(np.float32)


def _hum(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    return add_at_snr(x, mains_hum(x.size, p["base_hz"], p["harmonics"], p["seed"]), p["snr_db"])


register(Degradation(
    "hum", _hum, {"base_hz": Param("choice", choices=(50, 60)), "harmonics": Param("int", 3, 12),
                  "snr_db": Param("float", 5, 25), "seed": seed_param()},
    doc="mains hum: base_hz and its harmonics (amplitudes 1/k) at snr_db",
))
register(Degradation(
    "wbgn", _wbgn, {"snr_db": Param("float", 20, 40), "seed": seed_param()},
    doc="white Gaussian noise at snr_db (whole-file RMS)",
))
register(Degradation(
    "bgn", _bgn,
    {"type": Param("choice", choices=("babble", "pink", "brown")), "snr_db": Param("float", 5, 20),
     "num_talkers": Param("int", 4, 8), "seed": seed_param()},
    doc="background noise: babble of num_talkers other utterances (ids in 'sources'), pink or brown noise",
))
