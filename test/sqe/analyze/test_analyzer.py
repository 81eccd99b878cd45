"""The analysis API with a tiny trained model: spliced degradations are found where they are, with their type."""
from __future__ import annotations

import numpy as np
import pytest
from model_factories import TYPES, speech_like, spliced

from sqe.analyze import AnalyzeConf, Analyzer
from sqe.audio.speech import energy_speech, frame_levels
from sqe.infer.windowed import WindowConf


@pytest.fixture(scope="module")
def analyzer(tiny_package):
    return Analyzer.from_package(tiny_package)


@pytest.mark.parametrize("kind", TYPES[1:])
def test_a_spliced_region_is_found_with_its_type(analyzer, kind):
    x, _ = spliced(6.0, kind, 2.0, 3.5, np.random.default_rng(TYPES.index(kind) + 10))
    result = analyzer.analyze(x, 16000, kind)
    assert len(result.regions) == 1
    region = result.regions[0]
    assert abs(region.onset - 2.0) <= 0.1 and abs(region.offset - 3.5) <= 0.1
    assert region.nearest[0] == (kind, region.similarity) and region.similarity > 0.9
    # the reported type: the nearest one, unless less similar than the package's open-set level
    assert region.type == (kind if region.similarity >= analyzer.package.open_set_similarity else "unknown")
    assert [t for t, _ in region.nearest] == sorted([t for t, _ in region.nearest],
                                                    key=lambda t: -dict(region.nearest)[t])
    assert result.q.shape == result.score.shape == (300,)
    outside = np.r_[0:95, 180:300]
    assert result.q[100:170].mean() < result.q[outside].mean()  # frame MOS is lower inside the region


def test_open_set_level_decides_unknown(tiny_package):
    x, _ = spliced(6.0, "clip", 2.0, 3.5, np.random.default_rng(20))
    strict = Analyzer.from_package(tiny_package)
    strict.package.info["open_set_similarity"] = 1.01
    assert [r.type for r in strict.analyze(x).regions] == ["unknown"]
    strict.package.info["open_set_similarity"] = -1.0
    assert [r.type for r in strict.analyze(x).regions] == ["clip"]


def test_the_packages_median_filter_is_applied_before_the_threshold(tiny_package):
    from sqe.metrics.smoothing import median_filter

    x, _ = spliced(6.0, "lpf", 2.0, 3.5, np.random.default_rng(21))
    plain = Analyzer.from_package(tiny_package)
    assert plain.package.medfilt_size == 1  # packed from results scored without a filter
    smoothed = Analyzer.from_package(tiny_package)
    smoothed.package.info["medfilt_size"] = 9
    a, b = plain.analyze(x), smoothed.analyze(x)
    np.testing.assert_array_equal(b.score, median_filter(a.score, 9))
    assert not np.array_equal(a.score, b.score) and [(r.onset, r.offset) for r in b.regions] == [(2.0, 3.5)]


def test_clean_speech_has_no_region(analyzer):
    result = analyzer.analyze(speech_like(5.0, np.random.default_rng(3)))
    assert result.regions == [] and result.degraded_s == 0.0
    assert (result.score < analyzer.threshold).mean() > 0.95


def test_silence_is_flagged_and_never_a_region(analyzer):
    rng = np.random.default_rng(4)
    x = np.concatenate([speech_like(2.0, rng), np.zeros(16000, np.float32), speech_like(2.0, rng)])
    result = analyzer.analyze(x)
    assert not result.speech[110:140].any() and result.speech[:90].all() and result.speech[160:].all()
    assert all(r.offset <= 2.0 or r.onset >= 3.0 for r in result.regions)


def test_any_rate_and_long_inputs_on_one_grid(analyzer, tiny_package):
    from sqe.audio.resample import resample

    x, _ = spliced(8.0, "lpf", 5.0, 6.0, np.random.default_rng(5))
    at16 = analyzer.analyze(x)
    at48 = analyzer.analyze(resample(x, 16000, 48000), 48000)
    assert [(r.onset, r.offset, r.type) for r in at48.regions] == [(r.onset, r.offset, r.type) for r in at16.regions]
    windowed = Analyzer.from_package(tiny_package, AnalyzeConf(window=WindowConf(window_s=2.0, context_s=1.0)))
    w = windowed.analyze(x)
    np.testing.assert_allclose(w.score, at16.score, atol=1e-4)
    assert [(r.onset, r.offset, r.type) for r in w.regions] == [(r.onset, r.offset, r.type) for r in at16.regions]


def test_level_is_reported_and_normalisation_keeps_it(analyzer, tiny_package):
    x = speech_like(3.0, np.random.default_rng(6))
    quiet = x * np.float32(10 ** (-20 / 20))
    a = analyzer.analyze(x)
    b = Analyzer.from_package(tiny_package, AnalyzeConf(level_dbfs=-26.0)).analyze(quiet)
    assert b.level_dbfs == pytest.approx(a.level_dbfs - 20, abs=0.01)
    assert b.gain_db == pytest.approx(-26.0 - b.level_dbfs, abs=1e-6)
    np.testing.assert_allclose(b.q, a.q, atol=1e-3)  # standardised input: the level does not change the result


def test_mos_detector_and_bad_signals(analyzer, tiny_package):
    mos = Analyzer.from_package(tiny_package, AnalyzeConf(detector="mos"))
    x, _ = spliced(6.0, "wbgn", 2.0, 3.5, np.random.default_rng(7))
    result = mos.analyze(x)
    assert mos.threshold == pytest.approx(analyzer.package.info["thresholds"]["mos"]["threshold"])
    np.testing.assert_allclose(result.score, -result.q)
    assert any(r.onset < 3.5 and r.offset > 2.0 for r in result.regions)
    for bad, why in ((np.zeros(0), "empty"), (np.full(16000, np.nan), "NaN"), (np.zeros(4000), "too short"),
                     (np.zeros((2, 16000)), "1-D")):
        with pytest.raises(ValueError, match=why):
            analyzer.analyze(bad)


def test_energy_speech_flags():
    x = np.concatenate([np.zeros(3200), 0.1 * np.ones(6400), 1e-4 * np.ones(6400)]).astype(np.float32)
    levels = frame_levels(x)
    assert levels.shape == (50,) and levels[15] == pytest.approx(-20.0, abs=0.01)
    speech = energy_speech(x, floor_db=40.0)
    assert not speech[:7].any() and speech[10:30].all() and not speech[34:].any()
