"""Running estimates of the per-signal statistics that offline analysis takes over a whole file (sqe.analyze):
the input's mean and standard deviation (input_norm: standardize), its peak (encoders that peak-normalise),
the frame mean of X (output_norm: mean_l2) and the loud-frame level that the energy speech rule is relative to.

Each estimate covers everything received so far, so it converges to the offline value as the stream goes on;
the monitor analyses nothing before its warm-up span is in (sqe.monitor.stream). Memory is constant: sums in
float64 and a level histogram with 0.1 dB bins.

    >>> import numpy as np
    >>> m = RunningMoments(); m.add(np.array([1.0, 2.0], np.float32)); m.add(np.array([3.0, 4.0], np.float32))
    >>> round(m.mean, 6), round(m.std, 6), m.peak_about_mean()
    (2.5, 1.118034, 1.5)
"""
from __future__ import annotations

import numpy as np

LEVEL_MIN_DB, LEVEL_MAX_DB, LEVEL_BIN_DB = -200.0, 20.0, 0.1


class RunningMoments:
    """Mean, standard deviation (clamped at 1e-8 as the model's per-utterance input_norm) and extremes of all
    samples so far, merged chunk by chunk (Chan et al.'s parallel update: no cancellation over long streams)."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0
        self.max = -np.inf
        self.min = np.inf

    def add(self, x: np.ndarray) -> None:
        if x.size == 0:
            return
        n = x.size
        mean = float(x.mean(dtype=np.float64))
        m2 = float(np.square(x.astype(np.float64) - mean).sum())
        total = self.count + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self._m2 += m2 + delta * delta * self.count * n / total
        self.count = total
        self.max = max(self.max, float(x.max()))
        self.min = min(self.min, float(x.min()))

    @property
    def std(self) -> float:
        return max((self._m2 / self.count) ** 0.5, 1e-8) if self.count else 1.0

    def peak_about_mean(self) -> float:
        """The largest ``|x - mean|`` so far: the peak of the standardised signal times its std."""
        if not self.count:
            return 0.0
        return max(self.max - self.mean, self.mean - self.min)


class RunningFrameMean:
    """The frame mean of X ``(L, D)`` over all frames so far (float64 sums)."""

    def __init__(self) -> None:
        self.total: np.ndarray | None = None
        self.count = 0

    def add(self, x: np.ndarray) -> None:
        if x.shape[0] == 0:
            return
        s = x.sum(0, dtype=np.float64)
        self.total = s if self.total is None else self.total + s
        self.count += x.shape[0]

    @property
    def mean(self) -> np.ndarray:
        if self.total is None:
            raise ValueError("no frames yet")
        return self.total / self.count


class RunningPercentile:
    """Percentiles of frame levels (dBFS) so far, from a histogram of 0.1 dB bins (constant memory and time;
    within one bin of ``np.percentile`` over the same levels)."""

    def __init__(self) -> None:
        self.bins = int(round((LEVEL_MAX_DB - LEVEL_MIN_DB) / LEVEL_BIN_DB))
        self.hist = np.zeros(self.bins, dtype=np.int64)

    def add(self, levels: np.ndarray) -> None:
        idx = np.clip(((levels.astype(np.float64) - LEVEL_MIN_DB) / LEVEL_BIN_DB).astype(np.int64), 0, self.bins - 1)
        self.hist += np.bincount(idx, minlength=self.bins)

    @property
    def count(self) -> int:
        return int(self.hist.sum())

    def percentile(self, p: float) -> float:
        """The level below which ``p`` % of the frames lie (the centre of its bin); -200 dBFS before any frame."""
        total = self.count
        if total == 0:
            return LEVEL_MIN_DB
        rank = p / 100.0 * (total - 1)
        i = int(np.searchsorted(np.cumsum(self.hist), rank, side="right"))
        return LEVEL_MIN_DB + (min(i, self.bins - 1) + 0.5) * LEVEL_BIN_DB
