"""MOS labels of the embedded corpus: PESQ-WB MOS-LQO of a degraded signal against its clean reference.

An objective proxy, not human MOS (the paper's footnote 1 calls models trained on such labels SQA).
PESQ fails on silent or too short signals, sometimes with a plain ValueError: every failure returns None
so the caller drops the pair and counts it.

    >>> import numpy as np
    >>> t = np.arange(32000) / 16000
    >>> x = (0.1 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    >>> pesq_wb(x, np.zeros_like(x)) is None   # silent degraded signal: PESQ cannot score it
    True
"""
from __future__ import annotations

import numpy as np

from sqe.audio.io import TARGET_SR
from sqe.utils.log import get_logger

log = get_logger(__name__)
PESQ_MAX = 4.644  # PESQ-WB of a signal against itself


def pesq_wb(ref: np.ndarray, deg: np.ndarray, sr: int = TARGET_SR) -> float | None:
    """PESQ-WB MOS-LQO, or None when PESQ cannot score the pair."""
    from pesq import pesq

    try:
        score = float(pesq(sr, np.asarray(ref, dtype=np.float64), np.asarray(deg, dtype=np.float64), "wb"))
    except Exception as err:  # PesqError subclasses and, for silent input, a plain ValueError
        log.debug("PESQ failed: %s", err)
        return None
    if not np.isfinite(score) or score < 0.5:
        return None
    return score
