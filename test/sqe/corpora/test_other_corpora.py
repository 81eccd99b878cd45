"""BVCC, LibriSpeech, LibriTTS and CHiME-3 preparation and LibriAugmented creation on miniature corpora in
the real layouts."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from conftest import REPO

from sqe.corpora.bvcc import prepare_bvcc
from sqe.corpora.libriaugmented import LibriAugConf, make_libriaugmented
from sqe.corpora.librispeech import prepare_chime3_noise, prepare_librispeech
from sqe.data import DataDir
from sqe.data.validate import ValidateOptions, validate_data_dir
from sqe.simulate.impairments import CLASSES, DOUBLES
from sqe.utils.errors import SqeError


def speechlike(seconds, sr, seed):
    t = np.arange(int(seconds * sr)) / sr
    rng = np.random.default_rng(seed)
    f0 = 120 + 40 * seed % 3
    x = sum(np.sin(2 * np.pi * k * f0 * t) / k for k in range(1, 8)) * (1 + np.sin(2 * np.pi * 3 * t))
    return (0.05 * x + 0.002 * rng.standard_normal(t.size)).astype(np.float32)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    # BVCC main/DATA
    wav = root / "main" / "DATA" / "wav"
    wav.mkdir(parents=True)
    (root / "main" / "DATA" / "sets").mkdir()
    for split, names in (("train", ["sysA-utt1", "sysB-utt2"]), ("val", ["sysA-utt3"]), ("test", ["sysC-utt4"])):
        for i, n in enumerate(names):
            sf.write(wav / f"{n}.wav", speechlike(1.0, 16000, i), 16000)
        (root / "main" / "DATA" / "sets" / f"{split}_mos_list.txt").write_text(
            "".join(f"{n}.wav,{3.0 + i / 4}\n" for i, n in enumerate(names)))
    # LibriSpeech-like flac tree
    for spk in (84, 174, 251):
        chap = root / "LibriSpeech" / "test-clean" / str(spk) / "1000"
        chap.mkdir(parents=True)
        lines = []
        for u in range(2):
            utt = f"{spk}-1000-{u:04d}"
            sf.write(chap / f"{utt}.flac", speechlike(2.0 + u / 2, 16000, spk + u), 16000, format="FLAC")
            lines.append(f"{utt} WORDS OF {utt}\n")
        (chap / f"{spk}-1000.trans.txt").write_text("".join(lines))
    # LibriTTS-like (24 kHz)
    chap = root / "LibriTTS" / "dev-clean" / "1272" / "128104"
    chap.mkdir(parents=True)
    for u in range(2):
        stem = f"1272_128104_000001_00000{u}"
        sf.write(chap / f"{stem}.wav", speechlike(1.5, 24000, u), 24000)
        (chap / f"{stem}.normalized.txt").write_text("Some text here.")
    # CHiME-3 backgrounds, two channels per recording
    bgd = root / "CHiME3" / "data" / "audio" / "16kHz" / "backgrounds"
    bgd.mkdir(parents=True)
    for rec in ("BGD_150203_010_CAF", "BGD_150204_020_STR"):
        for ch in (1, 2):
            sf.write(bgd / f"{rec}.CH{ch}.wav", 0.1 * np.random.default_rng(ch).standard_normal(48000), 16000)
    return root


def test_bvcc(corpora, tmp_path):
    dirs = prepare_bvcc(corpora / "main", tmp_path)
    train = DataDir.load(tmp_path / "bvcc_train")
    assert train["utt2mos"] == {"sysA-utt1": 3.0, "sysB-utt2": 3.25}
    assert train["utt2sys"] == {"sysA-utt1": "sysA", "sysB-utt2": "sysB"}
    assert "ref.scp" not in train and sorted(dirs) == ["test", "train", "val"]
    assert validate_data_dir(tmp_path / "bvcc_val", ValidateOptions(progress=False)).ok
    (corpora / "main" / "DATA" / "wav" / "sysC-utt4.wav").rename(corpora / "moved.wav")
    try:
        with pytest.raises(SqeError, match=r"1 file\(s\) of test_mos_list.txt missing:\n.*test_mos_list.txt:1: "
                                           r".*sysC-utt4.wav does not exist\n  \(set BVCC"):
            prepare_bvcc(corpora / "main", tmp_path / "x")
    finally:
        (corpora / "moved.wav").rename(corpora / "main" / "DATA" / "wav" / "sysC-utt4.wav")


def test_prepare_bvcc_stage_rebuilds_a_deleted_data_dir(corpora, tmp_path):
    """Issue 14 item 1: the stage said "up to date" after data/bvcc_train was removed."""
    import shutil

    from conftest import StageRun

    args = ["--corpus", corpora / "main", "--data", tmp_path / "data", "--out", tmp_path / "data" / "local" / "bvcc"]
    assert StageRun("prepare_bvcc", args).returncode == 0
    again = StageRun("prepare_bvcc", args)
    assert again.returncode == 0 and "up to date" in again.stderr
    shutil.rmtree(tmp_path / "data" / "bvcc_train")
    rebuilt = StageRun("prepare_bvcc", args)
    assert rebuilt.returncode == 0 and "missing" in rebuilt.stderr and "bvcc_train" in rebuilt.stderr
    assert DataDir.load(tmp_path / "data" / "bvcc_train")["utt2mos"] == {"sysA-utt1": 3.0, "sysB-utt2": 3.25}


def test_librispeech_libritts_and_chime3(corpora, tmp_path):
    ls = prepare_librispeech(corpora, "test-clean", tmp_path / "ls")
    assert len(ls) == 6 and ls["utt2spk"]["174-1000-0001"] == "174"
    assert ls["text"]["84-1000-0000"] == "WORDS OF 84-1000-0000"
    assert ls["utt2num_samples"]["84-1000-0001"] == 40000
    tts = prepare_librispeech(corpora, "dev-clean", tmp_path / "tts", flavor="libritts")
    assert tts["utt2num_samples"]["1272_128104_000001_000000"] == 24000  # 1.5 s at 16 kHz
    for d in ("ls", "tts"):
        assert validate_data_dir(tmp_path / d, ValidateOptions(progress=False)).ok
    noise = prepare_chime3_noise(corpora / "CHiME3", tmp_path / "noise")
    assert sorted(noise["wav.scp"]) == ["BGD_150203_010_CAF", "BGD_150204_020_STR"]
    assert all(p.endswith(".CH1.wav") for p in noise["wav.scp"].values())
    with pytest.raises(SqeError, match="set LIBRISPEECH in db.sh"):
        prepare_librispeech(corpora, "dev-other", tmp_path / "none")
    with pytest.raises(SqeError, match="set CHIME3 in db.sh"):
        prepare_chime3_noise(corpora, tmp_path / "none")


def gcc_lag(y, x, max_lag=200):
    n = len(x) + len(y)
    r = np.fft.rfft(y, n) * np.conj(np.fft.rfft(x, n))
    cc = np.fft.irfft(r / (np.abs(r) + 1e-12), n)
    cc = np.concatenate([cc[-max_lag:], cc[: max_lag + 1]])
    return int(np.argmax(cc)) - max_lag


def test_libriaugmented_in_parts_equals_one_run(corpora, tmp_path):
    prepare_librispeech(corpora, "test-clean", tmp_path / "ls")
    prepare_chime3_noise(corpora / "CHiME3", tmp_path / "noise")
    base = [sys.executable, "-m", "sqe.bin.make_libriaugmented", "--data", str(tmp_path / "ls"), "--noise",
            str(tmp_path / "noise"), "--num_workers", "1"]
    for part in (1, 2):  # a JOB array of two parts, then the assembling call
        res = subprocess.run(base + ["--out", str(tmp_path / "la"), "--part", str(part), "--nparts", "2"],
                             capture_output=True, text=True, cwd=REPO)
        assert res.returncode == 0, res.stderr
    assert len(list((tmp_path / "la" / "work" / "records").glob("*.json"))) == 12
    assert not (tmp_path / "la" / "wav.scp").exists()
    res = subprocess.run(base + ["--out", str(tmp_path / "la")], capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr
    make_libriaugmented(tmp_path / "ls", tmp_path / "noise", tmp_path / "once", LibriAugConf(num_workers=1))
    la = DataDir.load(tmp_path / "la")
    once = DataDir.load(tmp_path / "once")
    assert la["utt2cls"] == once["utt2cls"] and la["utt2mos"] == once["utt2mos"]
    assert la.utts == sorted(f"{u}-{s}" for u in DataDir.load(tmp_path / "ls").utts for s in "ds")
    for utt in la.utts:
        cls = la["utt2cls"][utt]
        assert cls in CLASSES and (cls in DOUBLES) == utt.endswith("-d")
        ref, deg = sf.read(la["ref.scp"][utt])[0], sf.read(la["wav.scp"][utt])[0]
        assert ref.size == deg.size == la["utt2num_samples"][utt]
        if not {"pitch", "tstretch", "tmask", "clipdist"} & set(cls.split("+")) and "noise" not in cls:
            assert abs(gcc_lag(deg, ref)) <= 1, (utt, cls)
        assert la["utt2params"][utt]["order"] == list(DOUBLES.get(cls, (cls,)))
    assert set(la["cls2id"]) == {"clean"} | set(la["utt2cls"].values())
    assert validate_data_dir(tmp_path / "la", ValidateOptions(progress=False)).ok
