"""Figure 2 shows the tracks that were scored (issue 24, defect 8: with egs/mini's 9-frame filter it drew the
filtered thresholds over unfiltered tracks)."""
from __future__ import annotations

import numpy as np

from sqe.eval.figure_data import scored_tracks
from sqe.infer.scores import cosine_scores
from sqe.metrics.smoothing import median_filter


def test_tracks_are_filtered_like_the_scores():
    q = np.array([4.0, 4.0, 1.0, 4.0, 4.0, 4.0, 1.0, 1.0, 1.0, 4.0], np.float32)
    sim = np.linspace(1.0, 0.0, 10).astype(np.float32)
    sim[4] = 0.0  # a one-frame dip the filter removes
    q_track, sim_track = scored_tracks(q, sim, 3)
    np.testing.assert_array_equal(q_track, [4, 4, 4, 4, 4, 4, 1, 1, 1, 4])  # edges repeat
    assert np.isclose(sim_track[4], 4 / 9) and sim[4] == 0.0  # the median of its neighbours 6/9, 0, 4/9
    # a frame is detected in the figure (track at or below the threshold) exactly when the scored frame was
    thr = 2.0
    assert ((median_filter(-q, 3) >= -thr) == (q_track <= thr)).all()
    z = np.random.default_rng(0).normal(size=(10, 4))
    e = np.ones(4)
    scored = median_filter(cosine_scores({"u": z}, e)["u"], 3)
    shown = scored_tracks(q, 1.0 - cosine_scores({"u": z}, e)["u"], 3)[1]
    np.testing.assert_allclose(1.0 - shown, scored, atol=1e-6)


def test_without_a_filter_the_tracks_are_unchanged():
    q, sim = np.arange(5.0), np.arange(5.0)[::-1]
    assert all(a is b for a, b in zip(scored_tracks(q, sim, 1), (q, sim)))
