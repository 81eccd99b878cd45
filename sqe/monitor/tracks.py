"""Bounded histories of frame tracks on the stream's absolute 50 Hz grid, and the region rule of offline
analysis (sqe.metrics.regions.runs: merge gaps, drop short runs) applied as frames become final.

    >>> t = Track(); t.extend(np.arange(5.0)); t.extend(np.arange(5.0, 8.0)); t.trim(3)
    >>> t.start, t.end, t.get(4, 6).tolist()
    (3, 8, [4.0, 5.0])
    >>> r = RunCloser(merge_gap=1, min_len=2)
    >>> r.feed(np.array([0, 1, 1, 0, 0, 1, 0], bool), 0), r.feed(np.array([1, 1, 0, 0], bool), 7)
    ([(1, 3)], [(5, 9)])
"""
from __future__ import annotations

import numpy as np

from sqe.metrics.regions import runs


class Track:
    """Frames ``[start, end)`` of one per-frame array ``(L, ...)``; older frames are dropped by ``trim``."""

    def __init__(self) -> None:
        self.data: np.ndarray | None = None
        self.start = 0

    @property
    def end(self) -> int:
        return self.start + (0 if self.data is None else self.data.shape[0])

    def extend(self, frames: np.ndarray) -> None:
        self.data = frames.copy() if self.data is None else np.concatenate([self.data, frames])

    def get(self, a: int, b: int) -> np.ndarray:
        if self.data is None or a < self.start or b > self.end:
            raise IndexError(f"frames [{a}, {b}) outside the kept [{self.start}, {self.end})")
        return self.data[a - self.start:b - self.start]

    def trim(self, keep_from: int) -> None:
        """Forget frames before ``keep_from``."""
        if self.data is not None and keep_from > self.start:
            cut = min(keep_from, self.end) - self.start
            self.data = self.data[cut:]
            self.start += cut


class RunCloser:
    """Runs of True in a mask that arrives block by block, closed as soon as no later frame can merge with them;
    the closed runs (absolute ``[start, end)``) are those ``runs(whole mask, merge_gap, min_len)`` gives."""

    def __init__(self, merge_gap: int, min_len: int) -> None:
        self.merge_gap = merge_gap
        self.min_len = min_len
        self.open: list[int] | None = None  # [start, end) of the run that may still grow

    def feed(self, mask: np.ndarray, offset: int) -> list[tuple[int, int]]:
        """The runs closed by ``mask`` (frames ``[offset, offset + len)``)."""
        closed: list[tuple[int, int]] = []
        for s, e in runs(mask):
            s, e = s + offset, e + offset
            if self.open is not None and s - self.open[1] <= self.merge_gap:
                self.open[1] = e
                continue
            closed += self._close()
            self.open = [s, e]
        if self.open is not None and offset + mask.size - self.open[1] > self.merge_gap:
            closed += self._close()
        return closed

    def flush(self) -> list[tuple[int, int]]:
        """End of the stream: the open run, if long enough."""
        return self._close()

    @property
    def open_start(self) -> int | None:
        return None if self.open is None else self.open[0]

    def _close(self) -> list[tuple[int, int]]:
        run, self.open = self.open, None
        return [(run[0], run[1])] if run is not None and run[1] - run[0] >= self.min_len else []
