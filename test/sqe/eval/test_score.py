"""Scoring a model on a mix-up set from known (synthetic) frame scores and embeddings."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, make_data_dir, teacher_arks

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

    assert threshold_sources({"con1": {"a": metrics, "b": alone}}, ["a", "b"]) == "`a`: validation; `b`: test"
    assert metrics["settings"]["i_auc"]["dtc_threshold"] == 0.7


def test_score_cli_writes_metrics_and_score_tables(sets, tmp_path):
    args = ["--test_infer", sets["test"] / "infer", "--test_data", sets["test"] / "mix", "--valid_infer",
            sets["valid"] / "infer", "--valid_data", sets["valid"] / "mix", "--enroll", sets["enroll"], "--out",
            tmp_path / "res"]
    res = subprocess.run([sys.executable, "-m", "sqe.bin.score", *map(str, args)], capture_output=True, text=True,
                         cwd=REPO)
    assert res.returncode == 0, res.stderr
    metrics = json.loads((tmp_path / "res" / "metrics.json").read_text())  # valid JSON: no NaN
    assert metrics["detection"]["z_scl"]["frame_eer"] == 0.0
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
    run = [sys.executable, "-m", "sqe.bin.score"]
    res = subprocess.run([*run, *map(str, base), "--out", str(tmp_path / "det")], capture_output=True, text=True,
                         cwd=REPO)
    assert res.returncode == 0, res.stderr
    detector = ["--detector", sets["test"] / "infer", sets["enroll"], tmp_path / "det" / "metrics.json"]
    res = subprocess.run([*run, *map(str, base + detector), "--medfilt_size", "3", "--out", str(tmp_path / "x")],
                         capture_output=True, text=True, cwd=REPO)
    assert res.returncode != 0 and "scored with medfilt_size 1, this run uses 3" in res.stderr
    assert not (tmp_path / "x" / "metrics.json").exists()
    res = subprocess.run([*run, *map(str, base + detector), "--out", str(tmp_path / "y")], capture_output=True,
                         text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr
    assert json.loads((tmp_path / "y" / "metrics.json").read_text())["clustering"]["cross"]["ari"] > 0.9
