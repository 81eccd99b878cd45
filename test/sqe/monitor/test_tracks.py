"""Runs closed block by block are the offline runs of the whole mask; tracks keep what is asked for."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.metrics.regions import runs
from sqe.monitor.tracks import RunCloser, Track


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("merge_gap,min_len", [(0, 1), (5, 5), (2, 7)])
def test_runs_closed_block_by_block_equal_the_whole_masks(seed, merge_gap, min_len):
    rng = np.random.default_rng(seed)
    mask = rng.random(600) < rng.uniform(0.05, 0.6)
    closer, got, a = RunCloser(merge_gap, min_len), [], 0
    while a < mask.size:
        b = min(mask.size, a + int(rng.integers(1, 40)))
        for run in closer.feed(mask[a:b], a):
            assert b - run[1] > merge_gap  # closed only once nothing can merge with it
            got.append(run)
        a = b
    got += closer.flush()
    assert got == runs(mask, merge_gap, min_len)


def test_track_keeps_a_window_of_frames():
    t = Track()
    t.extend(np.zeros((5, 2))), t.extend(np.ones((3, 2)))
    t.trim(4)
    assert (t.start, t.end) == (4, 8) and t.get(4, 8)[:, 0].tolist() == [0, 1, 1, 1]
    with pytest.raises(IndexError, match=r"\[2, 6\) outside the kept \[4, 8\)"):
        t.get(2, 6)
    t.trim(100)
    assert (t.start, t.end) == (8, 8)
