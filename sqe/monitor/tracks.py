"""Bounded histories of frame tracks on the stream's absolute 50 Hz grid, and the region rule of offline
analysis (sqe.metrics.regions.runs: merge gaps, drop short runs) applied as frames become final.

    >>> t = Track(); t.extend(np.arange(5.0)); t.extend(np.arange(5.0, 8.0)); t.trim(3)
    >>> t.start, t.end, t.get(4, 6).tolist()
    (3, 8, [4.0, 5.0])
    >>> r = RunCloser(merge_gap=1, min_len=2)
    >>> r.feed(np.array([0, 1, 1, 0, 0, 1, 0], bool), 0), r.feed(np.array([1, 1, 0, 0], bool), 7)
    ([(0, 1, 3)], [(1, 5, 9)])
    >>> r = RunCloser(merge_gap=1, min_len=2, early=True)
    >>> r.feed(np.array([0, 1, 1, 0], bool), 0), r.feed(np.array([1, 1, 0], bool), 4)
    ([(0, 1, 3)], [(0, 1, 6)])
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
    """Runs of True in a mask that arrives block by block, reported as ``(id, start, end)`` (absolute frames).

    ``early=False``: a run is reported once, when no later frame can merge with it (``merge_gap`` frames after
    its end are in). ``early=True``: a run is reported as soon as a frame after it is in (its end is known
    unless a run within ``merge_gap`` follows); such a follower is merged into it and the merged run reported
    again under the same id. Either way the last report of each id is a run of
    ``runs(whole mask, merge_gap, min_len)``, in order, and every one of those runs has an id."""

    def __init__(self, merge_gap: int, min_len: int, early: bool = False) -> None:
        self.merge_gap, self.min_len, self.early = merge_gap, min_len, early
        self.open: list[int] | None = None  # [start, end) of the run that may still grow
        self.open_id: int | None = None  # its id once reported
        self.reported_end = -1  # the end it was last reported with
        self.next_id = 0

    def feed(self, mask: np.ndarray, offset: int) -> list[tuple[int, int, int]]:
        """The reports that frames ``[offset, offset + len(mask))`` make certain."""
        out: list[tuple[int, int, int]] = []
        for s, e in runs(mask):
            s, e = s + offset, e + offset
            if self.open is not None and s - self.open[1] <= self.merge_gap:
                self.open[1] = e
                continue
            out += self._close()
            self.open = [s, e]
        end = offset + mask.size
        if self.open is not None and end - self.open[1] > self.merge_gap:
            out += self._close()
        elif self.early and self.open is not None and self.open[1] < end:
            out += self._report()  # ended: a non-degraded frame follows it
        return out

    def flush(self) -> list[tuple[int, int, int]]:
        """End of the stream: the open run, if long enough and not yet reported as it is."""
        return self._close()

    @property
    def open_start(self) -> int | None:
        return None if self.open is None else self.open[0]

    def _report(self) -> list[tuple[int, int, int]]:
        s, e = self.open  # type: ignore[misc]
        if e - s < self.min_len or e == self.reported_end:
            return []
        if self.open_id is None:
            self.open_id, self.next_id = self.next_id, self.next_id + 1
        self.reported_end = e
        return [(self.open_id, s, e)]

    def _close(self) -> list[tuple[int, int, int]]:
        out = self._report() if self.open is not None else []
        self.open, self.open_id, self.reported_end = None, None, -1
        return out
