"""Runs closed block by block are the offline runs of the whole mask; tracks keep what is asked for."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.metrics.regions import runs
from sqe.monitor.tracks import RunCloser, Track


def _feed_in_blocks(closer, mask, rng, block_ends=None):
    """Every report with the frame count that was in when it came."""
    got, a = [], 0
    while a < mask.size:
        b = min(mask.size, a + int(rng.integers(1, 40)))
        got += [(report, b) for report in closer.feed(mask[a:b], a)]
        if block_ends is not None:
            block_ends.append(b)
        a = b
    return got + [(report, mask.size) for report in closer.flush()]


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("merge_gap,min_len", [(0, 1), (5, 5), (2, 7)])
def test_runs_closed_block_by_block_equal_the_whole_masks(seed, merge_gap, min_len):
    rng = np.random.default_rng(seed)
    mask = rng.random(600) < rng.uniform(0.05, 0.6)
    got = _feed_in_blocks(RunCloser(merge_gap, min_len), mask, rng)
    expected = runs(mask, merge_gap, min_len)
    assert [(s, e) for (_, s, e), _ in got] == expected
    assert [rid for (rid, _, _), _ in got] == list(range(len(expected)))
    assert all(seen - e > merge_gap or seen == mask.size for (_, _, e), seen in got)  # none could still merge


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("merge_gap,min_len", [(0, 1), (5, 5), (2, 7)])
def test_early_reports_come_when_a_run_ends_and_their_last_revisions_are_the_runs(seed, merge_gap, min_len):
    rng = np.random.default_rng(seed)
    mask = rng.random(600) < rng.uniform(0.05, 0.6)
    block_ends = []
    got = _feed_in_blocks(RunCloser(merge_gap, min_len, early=True), mask, rng, block_ends)
    last = {}
    for (rid, s, e), seen in got:
        assert rid in (len(last) - 1, len(last))  # ids in order, only the newest one revised
        assert e < seen or seen == mask.size  # its end was known: a non-degraded frame had come
        last[rid] = (s, e)
    assert list(last.values()) == runs(mask, merge_gap, min_len)
    first_seen = {}
    for (_, _, e), seen in got:
        first_seen.setdefault(e, seen)
    for _, e in runs(mask, merge_gap, min_len):  # each region's final end came with the block of the frame after it
        if e < mask.size:
            assert first_seen[e] == min(b for b in block_ends if b > e)


def test_early_reports_revise_a_region_when_a_run_within_the_gap_follows():
    closer = RunCloser(merge_gap=2, min_len=3, early=True)
    mask = np.array([0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 0], bool)
    reports = [closer.feed(mask[i:i + 1], i) for i in range(mask.size)] + [closer.flush()]
    assert reports[4] == [(0, 1, 4)]  # frame 4 is clean: [1, 4) has ended
    assert reports[7] == [(0, 1, 7)]  # frame 6 was degraded again, within the gap: the same region, longer
    assert sum(reports, []) == [(0, 1, 4), (0, 1, 7)]  # frame 10 alone is too short, 3 frames after it


def test_track_keeps_a_window_of_frames():
    t = Track()
    t.extend(np.zeros((5, 2))), t.extend(np.ones((3, 2)))
    t.trim(4)
    assert (t.start, t.end) == (4, 8) and t.get(4, 8)[:, 0].tolist() == [0, 1, 1, 1]
    with pytest.raises(IndexError, match=r"\[2, 6\) outside the kept \[4, 8\)"):
        t.get(2, 6)
    t.trim(100)
    assert (t.start, t.end) == (8, 8)
