"""Detection error trade-off, EER and minDCF. Scores are "higher = more likely target".

    >>> import numpy as np
    >>> eer(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    0.5
    >>> round(min_dcf(np.array([0.1, 0.2, 0.9, 0.8]), np.array([0, 0, 1, 1])), 6)
    0.0
"""
from __future__ import annotations

import numpy as np

from sqe.utils.errors import SqeError


def det_curve(scores: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p_miss, p_fa, thresholds) at every distinct score (ties grouped) plus +inf (flag nothing)."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    targets = np.asarray(targets).astype(bool).ravel()
    if scores.shape != targets.shape:
        raise SqeError(f"{scores.size} scores but {targets.size} labels")
    n_tar, n_non = int(targets.sum()), int((~targets).sum())
    if n_tar == 0 or n_non == 0:
        raise SqeError(f"detection metrics need targets and non-targets (got {n_tar} and {n_non})")
    order = np.argsort(-scores)  # ties are grouped below, so the sort need not be stable
    s, t = scores[order], targets[order]
    last = np.flatnonzero(np.r_[s[1:] != s[:-1], True])  # last index of each tie group
    tp = np.cumsum(t)[last]
    fp = last + 1 - tp
    p_miss = np.r_[1.0, 1.0 - tp / n_tar]
    p_fa = np.r_[0.0, fp / n_non]
    return p_miss, p_fa, np.r_[np.inf, s[last]]


def eer(scores: np.ndarray, targets: np.ndarray) -> float:
    """Equal error rate on the piecewise-linear DET curve (a fraction)."""
    return _eer(*det_curve(scores, targets)[:2])


def _eer(p_miss: np.ndarray, p_fa: np.ndarray) -> float:
    d = p_miss - p_fa
    i = int(np.flatnonzero(d > 0)[-1])
    j = i + 1
    if j >= d.size:
        return float(p_fa[i])
    w = d[i] / (d[i] - d[j])
    return float(p_fa[i] + w * (p_fa[j] - p_fa[i]))


def min_dcf(scores: np.ndarray, targets: np.ndarray, p_target: float = 0.01, c_miss: float = 1.0,
            c_fa: float = 1.0) -> float:
    """Normalised minimum detection cost (NIST): at most 1, the cost of never flagging anything."""
    return _min_dcf(*det_curve(scores, targets)[:2], p_target, c_miss, c_fa)


def _min_dcf(p_miss: np.ndarray, p_fa: np.ndarray, p_target: float, c_miss: float = 1.0, c_fa: float = 1.0
             ) -> float:
    cost = c_miss * p_target * p_miss + c_fa * (1 - p_target) * p_fa
    return float(cost.min() / min(c_miss * p_target, c_fa * (1 - p_target)))


def eer_and_min_dcf(scores: np.ndarray, targets: np.ndarray, p_target: float = 0.01) -> tuple[float, float]:
    """Both from one DET curve (one sort of the scores)."""
    p_miss, p_fa, _ = det_curve(scores, targets)
    return _eer(p_miss, p_fa), _min_dcf(p_miss, p_fa, p_target)
