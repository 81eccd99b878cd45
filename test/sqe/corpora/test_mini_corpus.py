"""Stages 1-2 of egs/mini through their CLIs at a tiny size (hibari voice only, so any machine runs it)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import yaml
from conftest import StageRun

from sqe.audio import load_audio
from sqe.data import DataDir
from sqe.data.validate import ValidateOptions, validate_data_dir
from sqe.simulate import Context
from sqe.simulate.conditions import Condition, render
from sqe.simulate.impairments import CLASSES

NO_REAL = {"real_subset": None, "real_speakers": 0}
CONF = {
    "seed": 7, "num_workers": 2,
    "speech": {"noise_files_per_kind": 1, "noise_seconds": 4.0, "hibari_speakers": 2, "splits": {
        # every key given: a split in YAML overrides the default split key by key
        "train": {"voices": ["hibari"], "utts": 6, "text_share": 0.6, "real_subset": "train-clean-100",
                  "real_speakers": 2},
        "val": {"voices": ["hibari"], "utts": 3, "text_share": 0.15, **NO_REAL},
        "test": {"voices": ["hibari"], "utts": 3, "text_share": 0.1, **NO_REAL},
        "test_real": {"voices": [], "utts": 0, "real_subset": "train-clean-100", "real_speakers": 2},
        "val_ood": {"voices": [], "utts": 0, "real_subset": "test-other", "real_speakers": 1},
        "test_ood": {"voices": ["hibari"], "utts": 4, "text_share": 0.1, **NO_REAL},
        "enroll_ood": {"voices": ["hibari"], "utts": 2, "text_share": 0.05, **NO_REAL}}},
    "degrade": {"per_utt": 2, "clean_share": 0.5, "tokens": ["wbgn", "bgn", "lpf", "clip", "tclip", "mnru", "gsm"]},
}


CONF_OOD = sorted(CLASSES)


def stage(verb, *args, cwd):
    return StageRun(verb, args, cwd=cwd)


def build(root, conf=CONF):
    (root / "data.yaml").write_text(yaml.safe_dump(conf))
    s1 = stage("make_mini_speech", "--conf", "data.yaml", "--out", "speech", cwd=root)
    assert s1.returncode == 0, s1.stderr
    s2 = stage("make_mini_corpus", "--conf", "data.yaml", "--speech", "speech", "--data", "data", "--out", "corpus",
               cwd=root)
    assert s2.returncode == 0, s2.stderr
    return s1, s2


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("mini")
    _, s2 = build(root)
    return root, s2.stderr


def test_data_dirs_exist_and_validate(corpus):
    root, _ = corpus
    for split, n in (("train", 16), ("val", 6), ("test", 6), ("test_real", 4), ("val_ood", 12), ("test_ood", 8),
                     ("enroll_ood", 2)):
        d = root / "data" / f"mini_{split}"
        report = validate_data_dir(d, ValidateOptions(progress=False))
        assert report.ok, report.problems
        dd = DataDir.load(d)
        clean = [u for u in dd.utts if u.endswith("-c")]
        assert len(dd) - len(clean) == n
        if split in ("train", "val", "test", "test_real"):
            assert all(dd["utt2cls"][u] == "clean" and dd["utt2mos"][u] > 4.6 for u in clean)
            assert all(dd["wav.scp"][u] != dd["ref.scp"][u] for u in clean)  # its own (identical) file
        else:
            assert not clean
        if split != "enroll_ood":
            assert set(dd.tables) >= {"wav.scp", "ref.scp", "utt2mos", "utt2cls", "utt2params", "utt2num_samples",
                                      "cls2id"}
            assert all(1.0 <= m <= 4.65 for m in dd["utt2mos"].values())


def test_classes_cls2id_and_inventory(corpus):
    root, log = corpus
    train = DataDir.load(root / "data" / "mini_train")
    assert train["cls2id"]["clean"] == 0
    assert set(train["cls2id"]) == {"clean"} | set(train["utt2cls"].values())
    assert sorted(train["cls2id"].values()) == list(range(len(train["cls2id"])))
    assert DataDir.load(root / "data" / "mini_test")["cls2id"] == train["cls2id"]
    inv = json.loads((root / "data" / "mini_train" / "cls_inventory.json").read_text())
    n = len(train)
    assert inv["K"] == len(set(train["utt2cls"].values()) - {"clean"}) and inv["utterances"] == n
    assert sum(inv["by_num_tokens"].values()) == n and inv["by_num_tokens"].get("0", 0) == n - 16
    assert f"mini_train: {n} utterances, K=" in log and "MOS of single-token classes" in log
    tsv = (root / "corpus" / "mos_by_class.tsv").read_text().splitlines()
    assert tsv[0].split("\t") == ["split", "class", "n", "mos_mean", "mos_std", "mos_min", "mos_max"]


def test_out_of_domain_each_reference_twice(corpus):
    root, _ = corpus
    ood = DataDir.load(root / "data" / "mini_test_ood")
    by_ref: dict[str, list[str]] = {}
    for utt, ref in ood["ref.scp"].items():
        by_ref.setdefault(ref, []).append(ood["utt2cls"][utt])
    assert len(by_ref) == 4
    for classes in by_ref.values():
        assert sorted(c.count("+") for c in classes) == [0, 1]  # one single, one double
    assert set(ood["utt2cls"].values()) <= set(CLASSES)
    assert set(ood["cls2id"]) == {"clean"} | set(CONF_OOD)  # one map for the out-of-domain splits
    assert DataDir.load(root / "data" / "mini_val_ood")["cls2id"] == ood["cls2id"]


def test_params_reproduce_the_degraded_audio(corpus):
    root, _ = corpus
    train = DataDir.load(root / "data" / "mini_train")
    speech = {u: p for s in ("train",) for u, p in DataDir.load(root / "speech" / s)["wav.scp"].items()}
    ctx = Context(sources=lambda u: load_audio(speech[u]))
    for utt in train.utts[:6]:
        ref = load_audio(train["ref.scp"][utt])
        deg = load_audio(train["wav.scp"][utt])
        again = render(ref, Condition.from_json(train["utt2params"][utt]), ctx)
        assert deg.shape == ref.shape == again.shape
        assert np.max(np.abs(deg - again)) <= 1 / 32768 + 1e-7  # PCM16 quantisation only


def test_rerun_is_up_to_date_and_same_seed_same_corpus(corpus, tmp_path):
    root, _ = corpus
    again = stage("make_mini_corpus", "--conf", "data.yaml", "--speech", "speech", "--data", "data", "--out",
                  "corpus", cwd=root)
    assert again.returncode == 0 and "up to date" in again.stderr
    build(tmp_path)
    for split in ("train", "test_ood"):
        for name in ("utt2mos", "utt2cls", "utt2params"):
            a = (root / "data" / f"mini_{split}" / name).read_text()
            b = (tmp_path / "data" / f"mini_{split}" / name).read_text()
            if name == "utt2params":  # noise file paths differ between the two roots
                a, b = a.replace(str(root), "ROOT"), b.replace(str(tmp_path), "ROOT")
            assert a == b, (split, name)


def test_interrupted_run_resumes(corpus, tmp_path):
    root, _ = corpus
    shutil.copytree(root, tmp_path / "m", symlinks=True)
    work = tmp_path / "m"
    # the copy's paths still point into root: rebuild stage 2 in the copy from its own speech
    for name in ("wav.scp",):
        for split in ("train", "val", "test", "test_real", "val_ood", "test_ood", "enroll_ood"):
            p = work / "speech" / split / name
            p.write_text(p.read_text().replace(str(root), str(work)))
    shutil.rmtree(work / "corpus")
    shutil.rmtree(work / "data")
    res = stage("make_mini_corpus", "--conf", "data.yaml", "--speech", "speech", "--data", "data", "--out", "corpus",
                cwd=work)
    assert res.returncode == 0, res.stderr
    expected = (work / "data" / "mini_train" / "utt2mos").read_text()
    # simulate a kill: no .done, one record gone, the data dirs not yet written
    (work / "corpus" / ".done").unlink()
    victim = sorted((work / "corpus" / "wav" / "train").glob("*.json"))[0]
    victim.unlink()
    shutil.rmtree(work / "data")
    res = stage("make_mini_corpus", "--conf", "data.yaml", "--speech", "speech", "--data", "data", "--out", "corpus",
                cwd=work)
    assert res.returncode == 0, res.stderr
    assert "resuming" in res.stderr
    assert (work / "data" / "mini_train" / "utt2mos").read_text() == expected


@pytest.mark.parametrize("change, message", [
    ({"speech": {"splits": {**CONF["speech"]["splits"], "test": {"voices": ["espeak"], "utts": 1,
                                                                    "text_share": 0.1}}}}, "'espeak': unknown voice"),
    ({"degrade": {"tokens": ["wbgn", "warble"]}}, "unknown degradation 'warble'"),
    ({"degrade": {"ranges": {"wbgn": {"snr": [1, 2]}}}}, "unknown parameter 'snr'"),
])
def test_bad_requests_fail_before_any_work(tmp_path, change, message):
    conf = {**CONF, **change}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(conf))
    verb = "make_mini_speech" if "speech" in change else "make_mini_corpus"
    args = ["--out", "out"] if verb == "make_mini_speech" else ["--speech", "speech", "--out", "out"]
    if verb == "make_mini_corpus":
        (tmp_path / "speech").mkdir()
        for s in ("train", "val", "test", "test_real", "val_ood", "test_ood", "enroll_ood"):
            (tmp_path / "speech" / s).mkdir()
        (tmp_path / "speech" / "noise.scp").write_text("")
    res = stage(verb, "--conf", "data.yaml", *args, cwd=tmp_path)
    assert res.returncode == 1 and message in res.stderr
    assert not (tmp_path / "out").exists()


def test_empty_sentence_list_fails_before_any_work(tmp_path):
    (tmp_path / "empty.txt").write_text("\n")
    conf = {**CONF, "speech": {**CONF["speech"], "sentences": str(tmp_path / "empty.txt")}}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(conf))
    res = stage("make_mini_speech", "--conf", "data.yaml", "--out", "out", cwd=tmp_path)
    assert res.returncode == 1 and "is empty" in res.stderr and not (tmp_path / "out").exists()


def test_output_dirs_holding_a_different_corpus_are_not_replaced(corpus, tmp_path):
    root, _ = corpus
    before = (root / "speech" / "train" / "wav.scp").read_text()
    res = stage("make_mini_speech", "--conf", "data.yaml", "--seed", "8", "--out", "speech", cwd=root)
    assert res.returncode == 1 and "different config" in res.stderr
    assert (root / "speech" / "train" / "wav.scp").read_text() == before
    foreign = tmp_path / "data" / "mini_train"
    foreign.mkdir(parents=True)
    (foreign / "wav.scp").write_text("x y.wav\n")
    res = stage("make_mini_corpus", "--conf", str(root / "data.yaml"), "--speech", str(root / "speech"),
                "--data", str(tmp_path / "data"), "--out", str(tmp_path / "corpus"), cwd=tmp_path)
    assert res.returncode == 1 and "already holds a different corpus" in res.stderr
    assert (foreign / "wav.scp").read_text() == "x y.wav\n"


def test_noise_floor_lies_the_drawn_level_below_the_speech(tmp_path):
    from sqe.corpora.mini_conf import MiniDataConf
    from sqe.corpora.mini_speech import _synthesize, plan
    from sqe.utils.config import from_dict

    conf = from_dict(MiniDataConf, {**CONF, "speech": {**CONF["speech"], "noise_floor_db": [38, 60]}})
    plans = plan(conf, tmp_path / "a")
    floors = [p.floor for p in plans if p.source is None]
    assert all(38 <= f[0] <= 60 and 0.5 <= f[1] <= 2.0 for f in floors) and len({f[0] for f in floors}) > 3
    assert all(p.floor is None for p in plans if p.source)  # real recordings keep their own floor
    bare = from_dict(MiniDataConf, CONF)
    assert all(p.floor is None for p in plan(bare, tmp_path / "b"))
    assert [p.text for p in plan(bare, tmp_path / "b")] == [p.text for p in plans]  # same corpus otherwise
    p = plans[0]
    _synthesize(p, -26.0)
    _synthesize(plan(bare, tmp_path / "b")[0], -26.0)
    with_floor = load_audio(p.path, p.utt)
    without = load_audio(str(tmp_path / "b" / "wav" / f"{p.utt}.wav"), p.utt)
    noise = with_floor.astype(np.float64) - without
    below = 10 * np.log10(np.mean(without.astype(np.float64) ** 2) / np.mean(noise ** 2))
    assert below == pytest.approx(p.floor[0], abs=0.5)  # PCM16 rounding of both files


def test_real_speakers_are_vendored_recordings_at_the_reference_level(corpus):
    from sqe.audio.level import rms_dbfs

    root, _ = corpus
    clean = DataDir.load(root / "speech" / "test_real")
    assert len(clean) == 2 and all(u.startswith("ls") for u in clean.utts)
    for utt in clean.utts:
        spk = clean["utt2spk"][utt]
        assert utt.startswith(spk + "-") and clean["text"][utt] == "-"
        assert rms_dbfs(load_audio(clean["wav.scp"][utt])) == pytest.approx(-26.0, abs=0.05)
    train_spk = set(DataDir.load(root / "speech" / "train")["utt2spk"].values())
    assert not set(clean["utt2spk"].values()) & train_spk  # held-out speakers


def test_a_missing_vendored_file_stops_stage_1_by_name(tmp_path):
    from sqe.speech import real

    src = tmp_path / "real"
    shutil.copytree(real.VENDORED, src)
    victim = real.read_manifest(src)[3]
    victim.path.unlink()
    conf = {**CONF, "speech": {**CONF["speech"], "real_dir": str(src)}}
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(conf))
    res = stage("make_mini_speech", "--conf", "data.yaml", "--out", "out", cwd=tmp_path)
    assert res.returncode == 1 and f"{victim.utt}.flac: vendored file missing" in res.stderr
    assert not (tmp_path / "out").exists()  # nothing half-written
