"""Running statistics equal the whole-signal ones of offline analysis over what has arrived."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.monitor.running import RunningFrameMean, RunningMoments, RunningPercentile


def test_moments_merged_over_chunks_equal_the_whole_signals():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(100_003) * 0.3 + 0.01).astype(np.float32)
    m = RunningMoments()
    cuts = np.sort(rng.integers(0, x.size, 40))
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, x.size]):
        m.add(x[a:b])
    whole = x.astype(np.float64)
    assert m.count == x.size
    assert m.mean == pytest.approx(whole.mean(), abs=1e-12)
    assert m.std == pytest.approx(whole.std(), rel=1e-10)
    assert m.peak_about_mean() == pytest.approx(np.abs(whole - whole.mean()).max(), rel=1e-9)


def test_moments_of_silence_and_of_nothing():
    m = RunningMoments()
    assert m.std == 1.0 and m.peak_about_mean() == 0.0
    m.add(np.zeros(16000, np.float32))
    assert m.std == 1e-8 and m.peak_about_mean() == 0.0  # clamped as the model's input_norm clamps


def test_frame_mean():
    x = np.random.default_rng(1).standard_normal((101, 4)).astype(np.float32)
    r = RunningFrameMean()
    with pytest.raises(ValueError):
        r.mean
    r.add(x[:30]), r.add(x[30:30]), r.add(x[30:])
    np.testing.assert_allclose(r.mean, x.astype(np.float64).mean(0), atol=1e-12)


def test_percentile_within_one_bin_of_numpy():
    levels = np.random.default_rng(2).uniform(-90, -5, 5000).astype(np.float32)
    p = RunningPercentile()
    assert p.percentile(95) == -200.0  # nothing yet: everything counts as loud enough
    p.add(levels[:1234]), p.add(levels[1234:])
    for q in (5, 50, 95):
        assert abs(p.percentile(q) - np.percentile(levels, q)) <= 0.1
    p.add(np.array([-400.0, 50.0], np.float32))  # outside the histogram: counted in its end bins
    assert p.count == 5002
