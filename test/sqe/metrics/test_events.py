"""Frame masks <-> events, sed_scores_eval score frames, I-AUC and best intersection F1."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.metrics.events import (EVENT, IAUCSettings, best_intersection_f1, events_to_mask, intersection_auc,
                                mask_to_events, to_sed_scores)
from sqe.utils.errors import SqeError

L = 250  # 5 s at 50 Hz


def test_mask_to_events_merges_touching_segments():
    # two mix-up segments (0.6, 1.0) and (1.0, 1.4) touch: sed_scores_eval needs them as one event
    mask = events_to_mask([(0.6, 1.0, EVENT), (1.0, 1.4, EVENT), (2.0, 2.1, EVENT)], 150)
    assert mask_to_events(mask) == [(0.6, 1.4, EVENT), (2.0, 2.1, EVENT)]


def test_mask_to_events_edges_rounding_and_label():
    mask = np.array([1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    assert mask_to_events(mask) == [(0.0, 0.04, EVENT), (0.08, 0.1, EVENT), (0.12, 0.18, EVENT)]
    assert mask_to_events(mask, frame_shift=0.5, label="x") == [(0.0, 1.0, "x"), (2.0, 2.5, "x"), (3.0, 4.5, "x")]
    assert mask_to_events(np.zeros(5, dtype=bool)) == []
    assert mask_to_events(np.ones(3, dtype=bool)) == [(0.0, 0.06, EVENT)]  # 0.06, not 0.060000000000000005


def test_round_trip_random_masks():
    rng = np.random.default_rng(0)
    for _ in range(50):
        mask = rng.random(L) < rng.uniform(0.05, 0.95)
        assert np.array_equal(events_to_mask(mask_to_events(mask), L), mask)


def test_events_to_mask_clips_and_accepts_overlaps():
    m = events_to_mask([(0.02, 0.1, EVENT), (0.06, 0.14, EVENT), (0.18, 9.0, EVENT)], 10)
    assert m.tolist() == [False, True, True, True, True, True, True, False, False, True]
    assert not events_to_mask([], 4).any()


def test_to_sed_scores_format():
    df = to_sed_scores({"a": np.arange(5, dtype=np.float64), "b": np.ones(2)})["a"]
    assert list(df.columns) == ["onset", "offset", EVENT]
    assert df[EVENT].dtype == np.float32
    assert df[EVENT].to_numpy().flags.writeable
    np.testing.assert_allclose(df["onset"], np.arange(5) * 0.02)
    np.testing.assert_array_equal(df["offset"].to_numpy()[:-1], df["onset"].to_numpy()[1:])
    assert df["offset"].iloc[-1] == 0.1
    with pytest.raises(SqeError, match="bad_utt"):
        to_sed_scores({"ok": np.ones(3), "bad_utt": np.ones((3, 2))})
    with pytest.raises(SqeError, match="nan_utt"):
        to_sed_scores({"nan_utt": np.array([0.0, np.nan])})


@pytest.fixture(scope="module")
def synthetic():
    """40 utterances of 5 s with 1–3 degraded segments of 0.4–2 s (enough audio for max_efpr 100/h)."""
    rng = np.random.default_rng(1)
    masks = {}
    for i in range(40):
        m = np.zeros(L, dtype=bool)
        for _ in range(rng.integers(1, 4)):
            a = rng.integers(0, L - 100)
            m[a:a + rng.integers(20, 100)] = True
        masks[f"utt{i:02d}"] = m
    gt = {k: mask_to_events(m) for k, m in masks.items()}
    durations = {k: L * 0.02 for k in masks}
    kernel = np.ones(9) / 9  # smoothed noise: detections not fully fragmented, so the I-AUC is in (0, 1)
    noisy = {k: np.convolve(m + 0.7 * rng.standard_normal(L), kernel, mode="same") for k, m in masks.items()}
    return masks, gt, durations, noisy


def test_intersection_auc_perfect_and_constant(synthetic):
    masks, gt, durations, _ = synthetic
    perfect = {k: m.astype(np.float64) for k, m in masks.items()}
    assert intersection_auc(perfect, gt, durations) == pytest.approx(1.0)
    # any strictly increasing map of a perfect score is perfect too (negative scores are fine)
    assert intersection_auc({k: 3 * v - 10 for k, v in perfect.items()}, gt, durations) == pytest.approx(1.0)
    constant = {k: np.full(L, 0.3) for k in masks}
    assert intersection_auc(constant, gt, durations) == 0.0


def test_intersection_auc_settings_matter(synthetic):
    _, gt, durations, noisy = synthetic
    default = intersection_auc(noisy, gt, durations)
    assert default == intersection_auc(noisy, gt, durations, IAUCSettings())
    assert 0.0 < default < 1.0
    assert intersection_auc(noisy, gt, durations, IAUCSettings(max_efpr=1000.0)) > default
    assert intersection_auc(noisy, gt, durations, IAUCSettings(dtc_threshold=0.3, gtc_threshold=0.3)) > default


def test_best_intersection_f1(synthetic):
    masks, gt, _, noisy = synthetic
    f1, thr = best_intersection_f1({k: m.astype(np.float64) for k, m in masks.items()}, gt)
    assert f1 == pytest.approx(1.0)
    assert 0.0 < thr <= 1.0  # detects exactly the frames scored 1
    f1_noisy, thr_noisy = best_intersection_f1(noisy, gt)
    assert 0.0 < f1_noisy < 1.0 and np.isfinite(thr_noisy)


def test_mismatched_or_bad_inputs_raise(synthetic):
    masks, gt, durations, noisy = synthetic
    short = {k: v for k, v in durations.items() if k != "utt07"}
    with pytest.raises(SqeError, match="utt07"):
        intersection_auc(noisy, gt, short)
    with pytest.raises(SqeError, match="extra_utt"):
        intersection_auc({**noisy, "extra_utt": np.ones(L)}, gt, durations)
    with pytest.raises(SqeError, match="utt03"):
        best_intersection_f1({k: v for k, v in noisy.items() if k != "utt03"}, gt)
    with pytest.raises(SqeError, match="no utterances"):
        intersection_auc({}, {}, {})
    touching = {**gt, "utt05": [(0.6, 1.0, EVENT), (1.0, 1.4, EVENT)]}
    with pytest.raises(SqeError, match="utt05"):
        intersection_auc(noisy, touching, durations)
    with pytest.raises(SqeError, match="utt06"):
        intersection_auc(noisy, {**gt, "utt06": [(0.0, 1.0, "clip")]}, durations)
    with pytest.raises(SqeError, match="dtc_threshold"):
        IAUCSettings(dtc_threshold=0.0)


def test_best_threshold_is_finite_where_detecting_everything_scores_best():
    import json

    rng = np.random.default_rng(0)
    scores = {f"u{i}": rng.random(100) for i in range(3)}  # every frame degraded: detect all of them
    truth = {k: [(0.0, 2.0, "degraded")] for k in scores}
    f1, thr = best_intersection_f1(scores, truth)
    assert f1 == 1.0 and thr == min(s.min() for s in scores.values())  # sed_scores_eval says -inf
    assert all((s >= thr).all() for s in scores.values())
    json.dumps({"threshold": thr}, allow_nan=False)  # what package.json and metrics.json need
