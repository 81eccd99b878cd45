"""Linear filtering: ``lpf``, ``hpf``, ``bp`` (8th-order Butterworth, zero phase) and ``arbfilt`` (a random
smooth magnitude response as a linear-phase FIR with its group delay removed). All keep the signal
sample-aligned with its reference."""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy import signal

from sqe.simulate.base import SR, Context, Degradation, Param, register, seed_param

ORDER = 8
ARB_TAPS = 511
ARB_KNOTS = 12


def butter(x: np.ndarray, btype: str, cutoff: float | list[float]) -> np.ndarray:
    sos = signal.butter(ORDER, cutoff, btype=btype, fs=SR, output="sos")
    return signal.sosfiltfilt(sos, x).astype(np.float32)


def arbitrary_response(gains_db: list[float]) -> np.ndarray:
    """Linear-phase FIR whose magnitude follows ``gains_db`` at knots spread on a log axis, 50 Hz-8 kHz."""
    knots = np.geomspace(50.0, SR / 2 * 0.999, len(gains_db))
    freq = np.concatenate([[0.0], knots, [SR / 2]])
    gain = 10.0 ** (np.concatenate([[gains_db[0]], gains_db, [gains_db[-1]]]) / 20.0)
    return signal.firwin2(ARB_TAPS, freq, gain, fs=SR)


def _arbfilt(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    rng = np.random.default_rng(p["seed"])
    gains = rng.uniform(p["min_gain_db"], 10.0, ARB_KNOTS).tolist()
    taps = arbitrary_response(gains)
    delay = (ARB_TAPS - 1) // 2
    return signal.fftconvolve(x, taps)[delay:delay + x.size].astype(np.float32)


register(Degradation("lpf", lambda x, p, c: butter(x, "lowpass", p["cutoff_hz"]),
                     {"cutoff_hz": Param("float", 1000, 4000)}, group="filter",
                     doc="low-pass, 8th-order Butterworth, zero phase"))
register(Degradation("hpf", lambda x, p, c: butter(x, "highpass", p["cutoff_hz"]),
                     {"cutoff_hz": Param("float", 300, 800)}, group="filter",
                     doc="high-pass, 8th-order Butterworth, zero phase"))
register(Degradation("bp", lambda x, p, c: butter(x, "bandpass", [p["low_hz"], p["high_hz"]]),
                     {"low_hz": Param("float", 200, 600), "high_hz": Param("float", 2500, 4000)}, group="filter",
                     doc="band-pass, 8th-order Butterworth, zero phase"))
register(Degradation("arbfilt", _arbfilt, {"min_gain_db": Param("float", -40, -25), "seed": seed_param()},
                     group="filter",
                     doc="random smooth response, knot gains in [min_gain_db, +10] dB (deep enough that PESQ sees it)"))
