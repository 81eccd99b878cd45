"""Non-linear and time-domain distortions: amplitude clipping (``clip``), time clipping of whole 20 ms
frames (``tclip``), frame loss with concealment (``plc``), the modulated noise reference unit (``mnru``,
ITU-T P.810) and coarse uniform quantisation (``quant``)."""
from __future__ import annotations

from typing import Any

import numpy as np

from sqe.simulate.base import Context, Degradation, Param, register, seed_param

FRAME = 320  # 20 ms at 16 kHz: the frame of time clipping and of the model's 50 Hz grid


def tclip_mask(num_frames: int, fer: float, nburst: int, seed: int) -> np.ndarray:
    """Boolean mask of lost frames: bursts of 1..nburst frames, started so that about ``fer`` of the
    frames are lost; never more than half of them."""
    rng = np.random.default_rng(seed)
    lost = np.zeros(num_frames, dtype=bool)
    p_start = fer / ((1 + nburst) / 2.0)
    i = 0
    while i < num_frames:
        if rng.random() < p_start:
            length = int(rng.integers(1, nburst + 1))
            lost[i:i + length] = True
            i += length + 1  # a burst is followed by at least one received frame
        else:
            i += 1
    if lost.sum() > num_frames // 2:  # keep the signal recognisable (and PESQ able to score it)
        lost[np.flatnonzero(lost)[num_frames // 2:]] = False
    return lost


def _tclip(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    num_frames = int(np.ceil(x.size / FRAME))
    lost = np.repeat(tclip_mask(num_frames, p["fer"], p["nburst"], p["seed"]), FRAME)[: x.size]
    return np.where(lost, 0.0, x).astype(np.float32)


def _plc(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    """Lost 20 ms frames concealed as a simple decoder would: the last received frame repeated, attenuated by
    ``decay`` for every further lost frame of a burst."""
    num_frames = int(np.ceil(x.size / FRAME))
    lost = tclip_mask(num_frames, p["fer"], p["nburst"], p["seed"])
    y = np.pad(np.asarray(x, dtype=np.float32), (0, num_frames * FRAME - x.size)).reshape(num_frames, FRAME)
    out = y.copy()
    last, run = np.zeros(FRAME, dtype=np.float32), 0
    for i in range(num_frames):
        if lost[i]:
            run += 1
            out[i] = last * p["decay"] ** run
        else:
            last, run = y[i], 0
    return out.reshape(-1)[: x.size]


def _quant(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    step = 2.0 / 2 ** int(p["bits"])  # full scale [-1, 1]; references sit at -26 dBFS
    return (np.round(x / step) * step).astype(np.float32)


def _mnru(x: np.ndarray, p: dict[str, Any], ctx: Context) -> np.ndarray:
    noise = np.random.default_rng(p["seed"]).standard_normal(x.size)
    return (x * (1.0 + 10.0 ** (-p["q_db"] / 20.0) * noise)).astype(np.float32)


register(Degradation("clip", lambda x, p, c: np.clip(x, -p["threshold"], p["threshold"]).astype(np.float32),
                     {"threshold": Param("float", 0.05, 0.2)},
                     doc="hard clipping at +-threshold (references are at -26 dBFS)"))
register(Degradation("tclip", _tclip, {"fer": Param("float", 0.02, 0.10), "nburst": Param("int", 1, 3),
                                       "seed": seed_param()}, group="loss",
                     doc="whole 20 ms frames zeroed: loss rate fer, bursts of 1..nburst frames"))
register(Degradation("plc", _plc, {"fer": Param("float", 0.03, 0.15), "nburst": Param("int", 1, 4),
                                   "decay": Param("float", 0.5, 0.9), "seed": seed_param()}, group="loss",
                     doc="20 ms frames lost (rate fer, bursts of 1..nburst) and concealed by repeating the last "
                         "received frame, attenuated by decay per further lost frame"))
register(Degradation("quant", _quant, {"bits": Param("int", 8, 10)},
                     doc="uniform quantisation of the full scale to 2^bits levels (no dither)"))
register(Degradation("mnru", _mnru, {"q_db": Param("float", 20, 40), "seed": seed_param()},
                     doc="y = x (1 + 10^(-Q/20) n), n white unit-variance noise (speech-correlated noise at Q dB)"))
