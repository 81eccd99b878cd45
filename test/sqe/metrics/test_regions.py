"""The user-facing false-alarm figure (sqe.metrics.regions) on toy cases counted by hand."""
import doctest

import numpy as np
import pytest

from sqe.metrics import regions
from sqe.metrics.regions import region_figures, runs


def test_module_examples_hold():
    assert doctest.testmod(regions).failed == 0


def test_runs_merge_short_gaps_and_drop_short_runs():
    mask = np.array([1, 1, 0, 1, 0, 0, 0, 1, 0, 1, 1, 1], bool)
    assert runs(mask) == [(0, 2), (3, 4), (7, 8), (9, 12)]
    assert runs(mask, merge_gap=1) == [(0, 4), (7, 12)]
    assert runs(mask, merge_gap=1, min_len=5) == [(7, 12)]
    assert runs(np.zeros(5, bool)) == []


def two_utterances():
    """Two 10-s utterances at 50 Hz; ``a`` has a labelled segment at 2-3 s, ``b`` is clean; 1 s of ``b`` is a pause."""
    n = 500
    deg = {"a": np.zeros(n, bool), "b": np.zeros(n, bool)}
    deg["a"][100:150] = True
    speech = {"a": np.ones(n, bool), "b": np.ones(n, bool)}
    speech["b"][400:450] = False
    score = {"a": np.zeros(n), "b": np.zeros(n)}
    score["a"][110:140] = 1.0   # a region on the segment: found, not false
    score["a"][300:320] = 1.0   # 0.4 s on clean speech: one false region
    score["b"][50:52] = 1.0     # 40 ms: shorter than the 0.1 s minimum, no region
    score["b"][200:210] = 1.0   # 0.2 s and 0.3 s apart by 60 ms: merged into one false region
    score["b"][213:225] = 1.0
    score["b"][400:450] = 1.0   # in the pause: never a region
    return score, deg, speech


def test_false_regions_per_minute_of_clean_speech_and_segments_found():
    score, deg, speech = two_utterances()
    r = region_figures(score, deg, speech, threshold=0.5)
    # clean speech: a 450 frames + b 450 frames = 900 frames = 18 s = 0.3 min; false regions: a 1, b 1
    assert (r["regions"], r["false_regions"]) == (3, 2)
    assert r["clean_speech_min"] == pytest.approx(0.3)
    assert r["false_regions_per_min"] == pytest.approx(2 / 0.3, abs=1e-4)
    assert (r["segments"], r["segments_found"], r["segments_found_share"]) == (1, 1, 1.0)


def test_a_higher_threshold_finds_less_and_a_silent_set_has_no_rate():
    score, deg, speech = two_utterances()
    score["a"][110:140] = 0.4  # the true region now scores below the threshold
    r = region_figures(score, deg, speech, threshold=0.5)
    assert (r["regions"], r["false_regions"], r["segments_found"]) == (2, 2, 0)
    silent = {k: np.zeros_like(v) for k, v in speech.items()}
    r = region_figures(score, deg, silent, threshold=0.5)
    assert r["regions"] == 0 and r["false_regions_per_min"] is None
