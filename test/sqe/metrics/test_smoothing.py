"""Median filtering of frame tracks: which runs survive, the edges, the size checks."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.metrics.smoothing import check_size, median_filter, smooth_scores


def runs(n_before: int, run: int, n_after: int) -> np.ndarray:
    return np.r_[np.zeros(n_before), np.ones(run), np.zeros(n_after)].astype(np.float32)


@pytest.mark.parametrize("size, shortest_kept", [(3, 2), (5, 3), (9, 5)])
def test_runs_shorter_than_half_the_window_vanish_and_longer_ones_keep_their_edges(size, shortest_kept):
    gone = median_filter(runs(10, shortest_kept - 1, 10), size)
    assert not gone.any()
    kept = median_filter(runs(10, shortest_kept, 10), size)
    assert np.array_equal(kept, runs(10, shortest_kept, 10))
    gap = 1 - runs(10, shortest_kept - 1, 10)  # a short gap inside a long run is filled
    assert median_filter(gap, size).all()


def test_edges_repeat_the_end_values_unless_zero_padding_is_asked_for():
    x = np.array([5, 5, 1], np.float32)
    assert median_filter(x, 5).tolist() == [5, 5, 1]
    assert median_filter(x, 5, "zero").tolist() == [1, 1, 1]  # scipy.signal.medfilt (the authors' code) pulls down
    assert median_filter(x, 5).dtype == np.float32


def test_size_one_is_the_identity_and_every_track_is_filtered():
    scores = {"mos": {"a": runs(3, 1, 3)}, "z": {"a": runs(3, 1, 3), "b": runs(2, 4, 2)}}
    assert smooth_scores(scores, 1) is scores
    out = smooth_scores(scores, 3)
    assert not out["mos"]["a"].any() and not out["z"]["a"].any()
    assert np.array_equal(out["z"]["b"], scores["z"]["b"])


@pytest.mark.parametrize("bad", [0, 2, -3, True, 3.0])
def test_sizes_that_are_not_odd_positive_integers_are_refused(bad):
    with pytest.raises(ValueError, match="medfilt_size must be an odd number >= 1"):
        check_size(bad)
