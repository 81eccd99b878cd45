"""Mask sampling in frame units and splicing: bounds, constraints, exact splices, aligned targets."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.audio.speech import dilate
from sqe.mixup.masks import MixupConf, allowed_region, sample_mask, skip_reason
from sqe.mixup.splice import CLEAN, mix, normalise, sample_mask_of, unmixed_labels
from sqe.audio.speech import regions_from_frames
from sqe.losses.supcon import IGNORE
from sqe.utils.errors import SqeError


def runs(mask):
    return [b - a for a, b in regions_from_frames(mask)]


@pytest.mark.parametrize("conf", [MixupConf(), MixupConf(min_dur=0.4, max_dur=2.0),
                                  MixupConf(min_segments=2, max_segments=10, target_rate=0.5)])
def test_masks_obey_the_bounds(conf):
    lo, hi = round(conf.min_dur * 50), round(conf.max_dur * 50)
    for seed in range(200):
        mask = sample_mask(400, conf, np.random.default_rng(seed))
        assert mask.any() and mask.sum() <= conf.max_segments * hi
        assert all(r >= lo for r in runs(mask))  # overlapping segments merge into longer runs, never shorter
    np.testing.assert_array_equal(sample_mask(400, conf, np.random.default_rng(3)),
                                  sample_mask(400, conf, np.random.default_rng(3)))


def test_masks_stay_inside_the_allowed_region():
    allowed = np.zeros(300, dtype=bool)
    allowed[20:60] = allowed[100:112] = allowed[200:205] = True  # the last run is shorter than 0.2 s
    for seed in range(200):
        mask = sample_mask(300, MixupConf(), np.random.default_rng(seed), allowed)
        assert not (mask & ~allowed).any()
        assert not mask[200:205].any()
    assert not sample_mask(300, MixupConf(), np.random.default_rng(0), np.zeros(300, dtype=bool)).any()


def test_allowed_region_and_skip_reasons():
    conf = MixupConf(constrained=True, dilation_s=0.04)  # 2 frames
    q_ref, q_deg = np.full(20, 4.0), np.full(20, 4.0)
    q_deg[8:10] = 3.0
    speech = np.ones(20, dtype=np.int8)
    speech[11:] = 0
    region = allowed_region(q_ref, q_deg, speech, conf)
    assert np.flatnonzero(region).tolist() == list(range(6, 11))  # dilated 6..11, cut by the speech end
    np.testing.assert_array_equal(dilate(np.array([0, 0, 1, 0, 0]), 1), [False, True, True, True, False])


def test_short_utterances_keep_their_length():
    """Under 21 frames (0.42 s) a 0.2 s dilation's kernel is longer than the utterance (issue 14 item 2)."""
    conf = MixupConf(constrained=True, dilation_s=0.2)  # 10 frames each side
    q_ref, q_deg = np.full(12, 4.0), np.full(12, 4.0)
    q_deg[0] = 2.0
    region = allowed_region(q_ref, q_deg, np.ones(12, dtype=np.int8), conf)
    assert region.shape == (12,) and region[:11].all() and not region[11]
    assert dilate(np.zeros(3), 10).shape == (3,)


def test_the_default_dilation_is_the_authors_a_tenth_of_a_second_each_side():
    """The authors dilate by a kernel of the minimum segment duration (0.2 s), i.e. 0.1 s = 5 frames per side
    (issue 14 item 7)."""
    q_ref, q_deg = np.full(40, 4.0), np.full(40, 4.0)
    q_deg[20] = 2.0
    region = allowed_region(q_ref, q_deg, None, MixupConf(constrained=True))
    assert np.flatnonzero(region).tolist() == list(range(15, 26))

def test_skip_reasons():
    conf = MixupConf(constrained=True, dilation_s=0.04)
    assert skip_reason(np.full(5, 3.4), np.full(5, 2.0), conf) == "reference below min_mos_ref"
    assert skip_reason(np.full(5, 4.5), np.full(5, 4.1), conf) == "degraded above max_mos_deg"
    assert skip_reason(np.full(5, 3.6), np.full(5, 3.8), conf) == "reference not better than degraded"
    assert skip_reason(np.full(5, 4.5), np.full(5, 2.0), conf) is None
    assert skip_reason(np.full(5, 1.0), np.full(5, 5.0), MixupConf()) is None  # unconstrained (SUP)


def test_splice_is_exact_and_targets_line_up_with_samples():
    rng = np.random.default_rng(0)
    n = 320 * 50 + 123
    ref = (0.1 * rng.standard_normal(n)).astype(np.float32)
    deg = (0.5 * rng.standard_normal(n) + 0.2).astype(np.float32)
    frames = 51
    mask = sample_mask(frames, MixupConf(min_dur=0.2, max_dur=0.4), rng)
    q_ref, q_deg = rng.uniform(3, 5, frames), rng.uniform(1, 3, frames)
    m = mix(ref, deg, mask, q_ref, q_deg, class_id=7)
    s = sample_mask_of(mask, n)
    assert s.size == n and np.array_equal(s[::320], mask)  # frame l covers samples [320 l, 320 l + 320)
    np.testing.assert_array_equal(m.wav[s], normalise(deg)[s])
    np.testing.assert_array_equal(m.wav[~s], normalise(ref)[~s])
    np.testing.assert_array_equal(m.q_pseudo, np.where(mask, q_deg, q_ref).astype(np.float32))  # eq. 4
    np.testing.assert_array_equal(m.labels, np.where(mask, 7, CLEAN))
    assert m.y == pytest.approx(float(m.q_pseudo.mean()))
    for start, end in regions_from_frames(mask):  # class labels switch exactly at segment boundaries
        assert s[start * 320] and not s[start * 320 - 1] if start else True
        assert s[min(end * 320, n) - 1]
    with pytest.raises(SqeError, match="differ in length"):
        mix(ref[:-1], deg, mask, q_ref, q_deg, 7)


def test_labels_of_unmixed_pairs():
    q = np.full(4, 4.5)
    assert unmixed_labels(np.full(4, 3.0), q, 5, 3.5, 4.0, 0.5).tolist() == [IGNORE] * 4
    assert unmixed_labels(q, np.full(4, 4.2), 5, 3.5, 4.0, 0.5).tolist() == [CLEAN] * 4
    assert unmixed_labels(q, np.array([4.4, 3.0, 3.0, 4.4]), 5, 3.5, 4.0, 0.5).tolist() == [0, 5, 5, 0]
    assert unmixed_labels(None, q, 5, 3.5, 4.0, 0.5) is None
