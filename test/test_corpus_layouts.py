"""test/corpus_layouts.py: the corpora it lays out are accepted by the recipes' preparation stages, and their
files hold what their tables say (the NISQA classes are the degradations applied, deg/ref aligned)."""
from __future__ import annotations

import csv
import re
from collections import Counter

import numpy as np
import pytest
import soundfile as sf
from conftest import StageRun
from corpus_layouts import (plan_nisqa, write_bvcc, write_chime3_backgrounds, write_librispeech, write_libritts,
                            write_nisqa_corpus)
from layout_bvcc import system_id
from layout_speech import GROUPS, excerpts_of, mos_label, mos_proxy

from sqe.corpora.nisqa_classes import class_of_description, class_of_row
from sqe.data import DataDir
from sqe.speech.real import load_excerpts

NISQA_SIZES = {"n_train": 12, "n_val": 4, "n_test": 6, "n_live": 1}  # about 4 s to write
SUBSET_DIRS = {"NISQA_TRAIN_SIM": "nisqa_train_sim", "NISQA_VAL_SIM": "nisqa_val_sim",
               "NISQA_TEST_FOR": "nisqa_test_for", "NISQA_TEST_P501": "nisqa_test_p501"}


@pytest.fixture(scope="module")
def nisqa(tmp_path_factory):
    return write_nisqa_corpus(tmp_path_factory.mktemp("layouts") / "NISQA_Corpus", **NISQA_SIZES)


def rows_of(root, subset):
    with open(root / subset / f"{subset}_file.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_prepare_nisqa_takes_the_tree_and_derives_the_applied_classes(nisqa, tmp_path):
    res = StageRun("prepare_nisqa", ["--corpus", nisqa, "--data", tmp_path, "--out", tmp_path / "local",
                                     "--num_workers", 1])
    assert res.returncode == 0, res.stderr
    plan = plan_nisqa(seed=0, **NISQA_SIZES)
    for subset, name in SUBSET_DIRS.items():
        dd = DataDir.load(tmp_path / name)
        applied = {f"{subset.removeprefix('NISQA_')}-{r.deg_name[:-4]}": r.applied_class
                   for r in plan if r.subset == subset}
        assert dd["utt2cls"] == applied, subset  # row by row, so the counts agree too
        assert Counter(dd["utt2cls"].values()) == Counter(applied.values())
        assert all(2.0 * 16000 <= n <= 8.0 * 16000 for n in dd["utt2num_samples"].values())
    train = Counter(DataDir.load(tmp_path / "nisqa_train_sim")["utt2cls"].values())
    test = Counter(DataDir.load(tmp_path / "nisqa_test_sim")["utt2cls"].values())
    for counts in (train, test):
        assert counts["clean"] >= 1 and len(counts) >= 6, counts
    assert len(DataDir.load(tmp_path / "nisqa_train_live")) == 1


def test_csv_condition_columns_give_the_class_of_the_steps(nisqa):
    plan = {(r.subset, r.deg_name): r for r in plan_nisqa(seed=0, **NISQA_SIZES)}
    for subset in SUBSET_DIRS:
        for row in rows_of(nisqa, subset):
            applied = plan[subset, row["filename_deg"]].applied_class
            derived = class_of_row(row) if "SIM" in subset else class_of_description(row["con_description"])[0]
            assert derived == applied, (subset, row["filename_deg"])


def test_degraded_files_are_their_references_degraded_and_aligned(nisqa):
    for subset in SUBSET_DIRS:
        for row in rows_of(nisqa, subset):
            deg, sr_deg = sf.read(nisqa / row["filepath_deg"], dtype="float32")
            ref, sr_ref = sf.read(nisqa / row["filepath_ref"], dtype="float32")
            assert sr_deg == sr_ref == 48000 and sf.info(nisqa / row["filepath_deg"]).subtype == "FLOAT"
            assert deg.shape == ref.shape and 2.0 <= ref.size / 48000 <= 8.0
            if class_of_row(row) == "clean" and "SIM" in subset or row["con_description"] == "Fullband clean":
                assert np.array_equal(deg, ref), row["filename_deg"]
            else:
                assert not np.array_equal(deg, ref), row["filename_deg"]
    white = [r for r in rows_of(nisqa, "NISQA_TEST_FOR") if r["con_description"] == "Anchor White Noise 12dB"]
    assert white  # FOR lists its anchors first
    for row in white:
        ref = sf.read(nisqa / row["filepath_ref"], dtype="float64")[0]
        noise = sf.read(nisqa / row["filepath_deg"], dtype="float64")[0] - ref
        assert 10 * np.log10(np.sum(ref ** 2) / np.sum(noise ** 2)) == pytest.approx(12.0, abs=1.0)


def test_mos_is_pesq_of_the_pair(nisqa):
    rows = [r for s in SUBSET_DIRS for r in rows_of(nisqa, s)]
    assert all(1.0 <= float(r["mos"]) <= 4.65 for r in rows)
    clean = [float(r["mos"]) for r in rows if r["con_description"] == "Fullband clean"]
    assert clean and all(m == pytest.approx(4.644, abs=1e-3) for m in clean)  # PESQ-WB of a signal with itself
    assert min(float(r["mos"]) for r in rows) < 2.5  # the degradations are heard


def test_mos_proxy_is_the_snr_mapped_to_one_to_four_and_a_half():
    """What labels a pair where PESQ is missing or fails."""
    x = np.sin(np.arange(32000) / 7.0) * (1 + np.sin(np.arange(32000) / 900.0))
    noise = np.random.default_rng(0).standard_normal(x.size)
    at = lambda snr: x + noise * np.sqrt(np.mean(x ** 2) / np.mean(noise ** 2) / 10 ** (snr / 10))  # noqa: E731
    assert mos_proxy(x, 0.3 * x) == 4.5  # a level change costs nothing
    assert mos_proxy(x, at(12.0)) == pytest.approx(2.75, abs=0.05)
    assert mos_proxy(x, at(0.0)) < 1.3 < mos_proxy(x, at(6.0)) < mos_proxy(x, at(24.0)) < 4.5
    assert mos_label(x, np.zeros_like(x)) == round(mos_proxy(x, np.zeros_like(x)), 4) == 1.0  # PESQ refuses silence


def speakers(root, subset):
    return {re.match(r"ls_(\d+)-", r["filename_ref"]).group(1) for r in rows_of(root, subset)}


def test_training_speakers_are_in_no_validation_or_test_set(nisqa):
    train = speakers(nisqa, "NISQA_TRAIN_SIM")
    others = set().union(*(speakers(nisqa, s) for s in ("NISQA_VAL_SIM", "NISQA_TEST_FOR", "NISQA_TEST_P501")))
    assert train and others and not train & others
    groups = {g: {e.speaker for e in excerpts_of(g, seed=3)} for g in GROUPS}
    names = sorted(groups)
    assert all(not groups[a] & groups[b] for i, a in enumerate(names) for b in names[i + 1:])


def test_same_seed_same_bytes(tmp_path):
    tiny = {"n_train": 3, "n_val": 1, "n_test": 2, "n_live": 0}
    a = write_nisqa_corpus(tmp_path / "a", seed=5, **tiny)
    b = write_nisqa_corpus(tmp_path / "b", seed=5, **tiny)
    for name in ("NISQA_corpus_file.csv", "NISQA_TRAIN_SIM/NISQA_TRAIN_SIM_file.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    deg = rows_of(a, "NISQA_TRAIN_SIM")[1]["filepath_deg"]  # samples: a float WAV's PEAK chunk holds a time
    assert np.array_equal(sf.read(a / deg)[0], sf.read(b / deg)[0])
    c = write_nisqa_corpus(tmp_path / "c", seed=6, **tiny)
    assert (a / "NISQA_corpus_file.csv").read_bytes() != (c / "NISQA_corpus_file.csv").read_bytes()


def test_bvcc_layout_is_prepared(tmp_path):
    main = write_bvcc(tmp_path / "bvcc" / "main", 6, 2, 2)
    for split, n in (("train", 6), ("val", 2), ("test", 2)):
        lines = (main / "DATA" / "sets" / f"{split}_mos_list.txt").read_text().splitlines()
        assert len(lines) == n and all(re.fullmatch(r"sys[0-9a-f]{5}-utt[0-9a-f]{7}\.wav,\d\.\d{3}", x) for x in lines)
        assert all(float(x.split(",")[1]) * 8 == int(float(x.split(",")[1]) * 8) for x in lines)  # eighths
    res = StageRun("prepare_bvcc", ["--corpus", main, "--data", tmp_path / "data", "--out", tmp_path / "local"])
    assert res.returncode == 0, res.stderr
    train = DataDir.load(tmp_path / "data" / "bvcc_train")
    assert len(train) == 6 and len(set(train["utt2sys"].values())) >= 5
    natural = system_id("natural")  # the undegraded system scores above every degraded one
    assert min(m for u, m in train["utt2mos"].items() if train["utt2sys"][u] == natural) > max(
        m for u, m in train["utt2mos"].items() if train["utt2sys"][u] != natural)
    assert all(sf.info(p).samplerate == 16000 and sf.info(p).subtype == "PCM_16" for p in train["wav.scp"].values())


def test_librispeech_libritts_and_chime3_layouts_are_prepared(tmp_path):
    write_librispeech(tmp_path, n_utts=3)
    write_libritts(tmp_path, n_utts=2)
    chime3 = write_chime3_backgrounds(tmp_path, seconds=2.0, channels=3)
    vendored = {e.utt: e.path for e in load_excerpts()}
    for subset in ("dev-clean", "test-clean"):
        res = StageRun("prepare_librispeech", ["--corpus", tmp_path, "--subset", subset, "--out",
                                               tmp_path / f"ls_{subset}"])
        assert res.returncode == 0, res.stderr
        dd = DataDir.load(tmp_path / f"ls_{subset}")
        assert len(dd) == 3 and all(dd["utt2spk"][u] == u.split("-")[0] for u in dd.utts)
        for utt, path in dd["wav.scp"].items():  # the vendored FLAC, byte for byte
            assert open(path, "rb").read() == vendored[utt].read_bytes()
    assert not set(DataDir.load(tmp_path / "ls_dev-clean")["utt2spk"].values()) & set(
        DataDir.load(tmp_path / "ls_test-clean")["utt2spk"].values())
    res = StageRun("prepare_librispeech", ["--corpus", tmp_path, "--flavor", "libritts", "--subset", "dev-clean",
                                           "--out", tmp_path / "tts"])
    assert res.returncode == 0, res.stderr
    tts = DataDir.load(tmp_path / "tts")
    assert len(tts) == 2 and all(re.fullmatch(r"\d+_\d+_\d{6}_000000", u) for u in tts.utts)
    for utt, path in tts["wav.scp"].items():
        info = sf.info(path)
        assert info.samplerate == 24000 and tts["utt2num_samples"][utt] == round(info.frames * 2 / 3)
    res = StageRun("prepare_chime3_noise", ["--corpus", chime3, "--out", tmp_path / "noise"])
    assert res.returncode == 0, res.stderr
    noise = DataDir.load(tmp_path / "noise")
    assert [u.rsplit("_", 1)[1] for u in noise.utts] == ["BUS", "CAF", "PED", "STR"]
    assert all(n == 32000 for n in noise["utt2num_samples"].values())
    assert len(list((chime3 / "data" / "audio" / "16kHz" / "backgrounds").glob("BGD_*.CH3.wav"))) == 4


def test_more_utterances_than_set_aside_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="librispeech_test has 12 excerpts"):
        write_librispeech(tmp_path, subsets=("test-clean",), n_utts=13)
    with pytest.raises(ValueError, match="no speakers set aside for subset 'dev-other'"):
        write_librispeech(tmp_path, subsets=("dev-other",))


def test_make_libriaugmented_runs_on_the_layout(tmp_path):
    write_librispeech(tmp_path, subsets=("test-clean",), n_utts=2)
    chime3 = write_chime3_backgrounds(tmp_path, seconds=3.0, channels=1)
    assert StageRun("prepare_librispeech", ["--corpus", tmp_path, "--subset", "test-clean", "--out",
                                            tmp_path / "ls"]).returncode == 0
    assert StageRun("prepare_chime3_noise", ["--corpus", chime3, "--out", tmp_path / "noise"]).returncode == 0
    res = StageRun("make_libriaugmented", ["--data", tmp_path / "ls", "--noise", tmp_path / "noise", "--out",
                                           tmp_path / "la", "--num_workers", 1, "--pesq", "false"])
    assert res.returncode == 0, res.stderr
    la = DataDir.load(tmp_path / "la")
    assert len(la) == 4 and all(la["utt2num_samples"][u] == sf.info(la["ref.scp"][u]).frames for u in la.utts)
