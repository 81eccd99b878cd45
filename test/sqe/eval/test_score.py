"""Scoring a model on a mix-up set from known (synthetic) frame scores and embeddings."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import StageRun, make_data_dir, teacher_arks

from sqe.data import DataDir
from sqe.data.arks import read_arrays, write_arrays
from sqe.data.tables import DataError
from sqe.eval.evaluate import ScoreConf, evaluate, load_set
from sqe.mixup.evalset import MixupSetConf, make_mixup_set


def fake_infer(set_dir, out, dim=8, seed=0, noise=0.05):
    """Frame MOS 4.5/1.5 and embeddings: clean frames near e0, degraded frames near one vector per class."""
    rng = np.random.default_rng(seed)
    dd = DataDir.load(set_dir)
    labels = read_arrays(set_dir / "frame_cls.scp")
    centres = np.eye(dim)
    q, z = {}, {}
    for key, lab in labels.items():
        q[key] = np.where(lab != 0, 1.5, 4.5).astype(np.float32)
        z[key] = (centres[lab % dim] + noise * rng.standard_normal((lab.size, dim))).astype(np.float32)
    write_arrays(out, "q", q)
    for name in ("x", "z_scl"):
        write_arrays(out, name, z)
    return dd


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("score")
    out = {}
    for name, n in (("test", 48), ("valid", 24)):
        d = make_data_dir(root / name, n=n, seconds=5.0)
        classes = ["wbgn", "lpf", "clip", "lpf+wbgn"]
        (d / "utt2cls").write_text("".join(f"utt{i} {classes[i % 4]}\n" for i in range(1, n + 1)))
        (d / "utt2cls").write_text("\n".join(sorted((d / "utt2cls").read_text().split("\n")[:-1])) + "\n")
        teacher_arks(d, root / name / "t")
        make_mixup_set(d, root / name / "t", root / name / "t" / "vad", root / name / "mix", MixupSetConf(seed=2))
        fake_infer(root / name / "mix", root / name / "infer")
        out[name] = root / name
    e0 = np.eye(8)[0].astype(np.float32)
    (root / "enroll").mkdir()
    np.savez(root / "enroll" / "enrollment.npz", x=e0, z_scl=e0)
    out["enroll"] = root / "enroll"
    return out


def test_known_embeddings_give_known_metrics(sets):
    test = load_set(sets["test"] / "infer", sets["test"] / "mix")
    valid = load_set(sets["valid"] / "infer", sets["valid"] / "mix")
    enrollment = {k: v for k, v in np.load(sets["enroll"] / "enrollment.npz").items()}
    metrics, scores = evaluate(test, valid, enrollment, ScoreConf())
    det = metrics["detection"]
    assert det["z_scl"]["frame_eer"] == 0.0 and det["mos"]["frame_eer"] == 0.0
    assert det["z_scl"]["frame_min_dcf"] == 0.0
    assert det["z_scl"]["i_auc"] > 0.9 and det["mos"]["i_auc"] > 0.9
    seg = metrics["segments"]["z_scl"]["all"]
    assert seg["eer"] == 0.0 and seg["accuracy"] == 1.0 and seg["K"] == 4
    assert metrics["segments"]["z_scl"]["max1"]["K"] == 3
    assert metrics["clustering"]["oracle"]["ari"] == pytest.approx(1.0)
    assert set(metrics["thresholds"]["z_scl"]) >= {"threshold", "test_threshold", "validation_best_f1"}
    # Table 6 detects with the validation threshold when there is one (issue 14 item 6)
    detected = metrics["clustering"]["detected"]
    assert detected["threshold"] == metrics["thresholds"]["z_scl"]["threshold"]
    assert detected["threshold_source"] == "validation"
    alone, _ = evaluate(test, None, enrollment, ScoreConf())
    assert alone["clustering"]["detected"]["threshold_source"] == "test"
    assert alone["clustering"]["detected"]["threshold"] == alone["thresholds"]["z_scl"]["test_threshold"]
    from sqe.eval.report import threshold_sources

    assert threshold_sources({"con1": {"a": metrics, "b": alone}}, ["a", "b"]) == \
        "`a`: own validation; `b`: own test"
    assert metrics["settings"]["i_auc"]["dtc_threshold"] == 0.7


def test_score_cli_writes_metrics_and_score_tables(sets, tmp_path):
    args = ["--test_infer", sets["test"] / "infer", "--test_data", sets["test"] / "mix", "--valid_infer",
            sets["valid"] / "infer", "--valid_data", sets["valid"] / "mix", "--enroll", sets["enroll"], "--out",
            tmp_path / "res"]
    res = StageRun("score", args)
    assert res.returncode == 0, res.stderr
    metrics = json.loads((tmp_path / "res" / "metrics.json").read_text())  # valid JSON: no NaN
    assert metrics["detection"]["z_scl"]["frame_eer"] == 0.0
    regions = metrics["regions"]["z_scl"]  # speech flags from the set's audio
    assert regions["threshold_source"] == "validation" and regions["segments"] > 0
    assert 0 < regions["clean_speech_min"] and regions["false_regions"] <= regions["regions"]
    tables = sorted((tmp_path / "res" / "scores" / "z_scl").glob("*.tsv"))
    assert len(tables) == len(DataDir.load(sets["test"] / "mix"))
    assert tables[0].read_text().splitlines()[0].split("\t") == ["onset", "offset", "degraded"]


def test_bad_inputs_name_the_problem(sets, tmp_path):
    q = read_arrays(sets["test"] / "infer" / "q.scp")
    write_arrays(tmp_path / "short", "q", dict(list(q.items())[1:]))
    with pytest.raises(DataError, match="different keys, e.g. " + sorted(q)[0]):
        load_set(tmp_path / "short", sets["test"] / "mix")
    test = load_set(sets["test"] / "infer", sets["test"] / "mix")
    with pytest.raises(DataError, match="z_scl embeddings have dimension \\[8\\], the enrollment 5"):
        evaluate(test, None, {"z_scl": np.ones(5, np.float32)}, ScoreConf())
    empty = tmp_path / "empty"
    empty.mkdir()
    for name in ("wav.scp", "cls2id"):
        (empty / name).write_text("")
    write_arrays(empty, "frame_cls", {})
    with pytest.raises(DataError, match="the test set is empty"):
        load_set(tmp_path / "short", empty)


def with_flicker(s):
    """A copy of the set whose MOS track has one isolated, very low frame inside a clean stretch of each
    utterance: a false alarm the unfiltered MOS detector cannot avoid and a 3-frame median filter removes."""
    q = {}
    for key, deg in s.degraded.items():
        v = s.q[key].copy()
        clean5 = np.flatnonzero(~deg[:-4] & ~deg[1:-3] & ~deg[2:-2] & ~deg[3:-1] & ~deg[4:]) + 2
        v[clean5[len(clean5) // 2]] = 0.5
        q[key] = v
    return type(s)(q, s.embeddings, s.degraded, s.classes)


def test_a_median_filter_removes_flicker_and_keeps_the_unfiltered_numbers(sets):
    test = with_flicker(load_set(sets["test"] / "infer", sets["test"] / "mix"))
    valid = with_flicker(load_set(sets["valid"] / "infer", sets["valid"] / "mix"))
    enrollment = {k: v for k, v in np.load(sets["enroll"] / "enrollment.npz").items()}
    raw, _ = evaluate(test, valid, enrollment, ScoreConf())
    n_utts = len(test.q)
    n_clean = sum(int((~d).sum()) for d in test.degraded.values())
    # every flicker frame scores above every degraded frame: at the EER point P_fa = P_miss = flickers / clean
    # frames is not reachable exactly, but the EER is positive and no larger than the flicker share
    assert 0.0 < raw["detection"]["mos"]["frame_eer"] <= n_utts / n_clean + 1e-9
    assert "detection_unfiltered" not in raw and raw["settings"]["medfilt_size"] == 1
    filtered, scores = evaluate(test, valid, enrollment, ScoreConf(medfilt_size=3))
    # the filter erases the flicker: the same numbers as the filtered set without it (where the filter only
    # shortens the few one-frame label runs at segment edges)
    without, _ = evaluate(load_set(sets["test"] / "infer", sets["test"] / "mix"),
                          load_set(sets["valid"] / "infer", sets["valid"] / "mix"), enrollment, ScoreConf(medfilt_size=3))
    assert filtered["detection"]["mos"] == without["detection"]["mos"]
    assert filtered["detection"]["mos"]["frame_eer"] < raw["detection"]["mos"]["frame_eer"] / 10
    assert filtered["detection_unfiltered"] == raw["detection"]
    assert filtered["settings"]["medfilt_size"] == 3
    assert max(v.max() for v in scores["mos"].values()) == -1.5  # the returned (written) scores are filtered: no -0.5
    with pytest.raises(ValueError, match="medfilt_size must be an odd number"):
        ScoreConf(medfilt_size=4)


def test_cross_detection_needs_the_detectors_filter(sets, tmp_path):
    base = ["--test_infer", sets["test"] / "infer", "--test_data", sets["test"] / "mix", "--enroll", sets["enroll"]]
    res = StageRun("score", [*base, "--out", tmp_path / "det"])
    assert res.returncode == 0, res.stderr
    detector = ["--detector", sets["test"] / "infer", sets["enroll"], tmp_path / "det" / "metrics.json"]
    res = StageRun("score", [*base, *detector, "--medfilt_size", "3", "--out", tmp_path / "x"])
    assert res.returncode != 0 and "scored with medfilt_size 1, this run uses 3" in res.stderr
    assert not (tmp_path / "x" / "metrics.json").exists()
    res = StageRun("score", [*base, *detector, "--out", tmp_path / "y"])
    assert res.returncode == 0, res.stderr
    cross = json.loads((tmp_path / "y" / "metrics.json").read_text())["clustering"]["cross"]
    assert cross["ari"] > 0.9 and cross["threshold_source"] == "test"  # the detector had no validation set
    # issue 24, defect 9: a detector tuned on validation lends that threshold, and the report says so
    valid = ["--valid_infer", sets["valid"] / "infer", "--valid_data", sets["valid"] / "mix"]
    res = StageRun("score", [*base, *valid, "--out", tmp_path / "det2"])
    assert res.returncode == 0, res.stderr
    detector2 = ["--detector", sets["test"] / "infer", sets["enroll"], tmp_path / "det2" / "metrics.json"]
    res = StageRun("score", [*base, *valid, *detector2, "--out", tmp_path / "z"])
    assert res.returncode == 0, res.stderr
    metrics = json.loads((tmp_path / "z" / "metrics.json").read_text())
    det2 = json.loads((tmp_path / "det2" / "metrics.json").read_text())
    assert metrics["clustering"]["cross"]["threshold_source"] == "validation"
    assert metrics["clustering"]["cross"]["threshold"] == det2["thresholds"]["z_scl"]["threshold"]
    from sqe.eval.report import threshold_sources

    assert threshold_sources({"con2": {"s": metrics}}, ["s"]) == "`s`: own validation, cross validation"


def test_regions_at_the_operating_threshold_count_false_alarms_per_clean_minute(sets):
    from sqe.eval.operating import RegionConf, region_alarms

    test = load_set(sets["test"] / "infer", sets["test"] / "mix")
    valid = load_set(sets["valid"] / "infer", sets["valid"] / "mix")
    enrollment = {k: v for k, v in np.load(sets["enroll"] / "enrollment.npz").items()}
    speech = {k: np.ones(d.size, bool) for k, d in test.degraded.items()}
    metrics, _ = evaluate(test, valid, enrollment, ScoreConf(), speech=speech)
    r = metrics["regions"]["z_scl"]  # separable scores: every region on a segment, every segment found
    clean_min = sum(int((~d).sum()) for d in test.degraded.values()) * 0.02 / 60
    assert r["false_regions"] == 0 and r["false_regions_per_min"] == 0.0
    assert r["segments_found_share"] == 1.0 and r["segments"] == sum(len(mask_runs(d)) for d in test.degraded.values())
    assert r["clean_speech_min"] == pytest.approx(clean_min, abs=1e-4)
    assert r["threshold"] == metrics["thresholds"]["z_scl"]["threshold"] and r["threshold_source"] == "validation"
    # one 3-frame flicker per utterance in a clean stretch: one false region each once regions may be that short
    flick = with_flicker(test)
    q = {k: v.copy() for k, v in flick.q.items()}
    for v in q.values():
        i = int(np.argmin(v))
        v[i - 1:i + 2] = 0.5
    flick = type(test)(q, test.embeddings, test.degraded, test.classes)
    scores = {"mos": {k: -v for k, v in q.items()}}
    thr = {"mos": {"threshold": -1.0}}  # between clean (-4.5), flicker (-0.5) and degraded (-1.5) frames
    loose = region_alarms(scores, flick.degraded, speech, thr, RegionConf(min_region_s=0.06))["mos"]
    assert loose["false_regions"] == len(q) and loose["false_regions_per_min"] == pytest.approx(len(q) / clean_min, rel=1e-3)
    strict = region_alarms(scores, flick.degraded, speech, thr, RegionConf())["mos"]  # analyze's 0.1 s minimum drops them
    assert strict["false_regions"] == 0
    silent = region_alarms(scores, flick.degraded, {k: ~v for k, v in speech.items()}, thr, RegionConf())["mos"]
    assert silent["regions"] == 0 and silent["false_regions_per_min"] is None  # no speech: no regions, no rate


def mask_runs(mask):
    from sqe.metrics.regions import runs

    return runs(mask)


def test_a_false_region_limit_raises_the_threshold_just_enough():
    from sqe.eval.operating import RegionConf, tune_threshold
    from sqe.metrics.events import IAUCSettings, mask_to_events

    # 20 utterances of 60 s: a degraded 2 s segment scoring 0.9, and a clean 0.2 s bump scoring 0.5 in half of them
    deg, scores = {}, {}
    for i in range(20):
        d = np.zeros(3000, bool)
        d[1000:1100] = True
        s = np.where(d, 0.9, 0.1).astype(np.float32)
        if i % 2:
            s[2000:2010] = 0.5
        deg[f"u{i}"], scores[f"u{i}"] = d, s
    truth = {k: mask_to_events(d) for k, d in deg.items()}
    speech = {k: np.ones(3000, bool) for k in deg}
    free = tune_threshold(scores, truth, deg, speech, IAUCSettings(), RegionConf(), None)
    assert set(free) == {"validation_best_f1", "threshold"}
    clean_min = 20 * 2900 * 0.02 / 60  # 10 false bumps over 19.3 minutes: 0.52 per minute below 0.5
    loose = tune_threshold(scores, truth, deg, speech, IAUCSettings(), RegionConf(), 1.0)
    assert loose["threshold"] == loose["f1_threshold"]  # 0.52 <= 1: the F1 optimum stands
    tight = tune_threshold(scores, truth, deg, speech, IAUCSettings(), RegionConf(), 0.1)
    assert 0.5 < tight["threshold"] <= 0.9 and tight["validation_false_per_min"] == 0.0
    low = tune_threshold({k: np.where(deg[k], 0.9, 0.5).astype(np.float32) for k in deg}, truth, deg, speech,
                         IAUCSettings(), RegionConf(), 0.1)
    assert 0.5 < low["threshold"] <= 0.9  # every clean frame at one score: the limit lifts it above them
    assert round(10 / clean_min, 2) == 0.52
