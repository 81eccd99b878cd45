"""NISQA preparation on a miniature corpus in the real layout (48 kHz float WAVs, the real CSV header)."""
from __future__ import annotations

import json

import pytest
import soundfile as sf

from sqe.corpora.nisqa import NisqaConf, prepare_nisqa
from sqe.corpora.nisqa_classes import TOKENS
from sqe.data import DataDir
from sqe.data.validate import ValidateOptions, validate_data_dir
from sqe.utils.errors import SqeError

from corpus_factories import SIM_ROWS, TEST_ROWS, write_nisqa

@pytest.fixture
def corpus(tmp_path):
    return write_nisqa(tmp_path / "NISQA_Corpus")


def test_data_dirs_key_by_key(corpus, tmp_path):
    dirs = prepare_nisqa(corpus, tmp_path / "data", NisqaConf(num_workers=1))
    assert sorted(dirs) == ["NISQA_TEST_FOR", "NISQA_TEST_P501", "NISQA_TEST_SIM", "NISQA_TRAIN_LIVE",
                            "NISQA_TRAIN_SIM", "NISQA_VAL_SIM"]
    both = DataDir.load(tmp_path / "data" / "nisqa_test_sim")  # FOR + P501, as the paper's NISQA_TEST_SIM
    assert len(both) == len(TEST_ROWS) + 2 and both.utts[-1].startswith("TEST_P501-")
    train = DataDir.load(tmp_path / "data" / "nisqa_train_sim")
    for i, (_, cls) in enumerate(SIM_ROWS, start=1):
        utt = f"TRAIN_SIM-c{i:05d}_src_{i:02d}"
        assert train["utt2cls"][utt] == cls
        assert train["utt2mos"][utt] == pytest.approx(1.0 + 0.2 * i)
        assert train["utt2num_samples"][utt] == 8000  # 0.5 s at 16 kHz
        assert train["ref.scp"][utt].endswith(f"NISQA_TRAIN_SIM/ref/src_{i:02d}.wav")
        assert train["utt2con"][utt] == str(i)
    tokens = {t for c in train["utt2cls"].values() if c != "clean" for t in c.split("+")}
    assert tokens == set(TOKENS) and len(TOKENS) == 19
    assert train["utt2params"]["TRAIN_SIM-c00003_src_03"] == {"filter": "bandpass", "bp_low": 300, "bp_high": 3400}
    inv = json.loads((tmp_path / "data" / "nisqa_train_sim" / "cls_inventory.json").read_text())
    assert inv["K"] == len(SIM_ROWS) - 1  # every row a distinct class, one clean
    assert train["cls2id"]["clean"] == 0 and len(train["cls2id"]) == len(SIM_ROWS)
    test = DataDir.load(tmp_path / "data" / "nisqa_test_for")
    assert [test["utt2cls"][u] for u in test.utts] == [c for _, c in TEST_ROWS]
    assert test["utt2params"][test.utts[2]]["bp"] == {"low": 500.0, "high": 2500.0}
    assert test["cls2id"] == train["cls2id"]
    live = DataDir.load(tmp_path / "data" / "nisqa_train_live")
    assert "ref.scp" not in live and "utt2cls" not in live and len(live) == 2
    for name in ("nisqa_train_sim", "nisqa_val_sim", "nisqa_test_for", "nisqa_train_live"):
        assert validate_data_dir(tmp_path / "data" / name, ValidateOptions(progress=False)).ok


def test_resample_once_writes_16k_copies(corpus, tmp_path):
    prepare_nisqa(corpus, tmp_path / "data", NisqaConf(subsets=["NISQA_VAL_SIM"], resample="once", num_workers=1))
    val = DataDir.load(tmp_path / "data" / "nisqa_val_sim")
    for path in list(val["wav.scp"].values()) + list(val["ref.scp"].values()):
        info = sf.info(path)
        assert "wav16k" in path and info.samplerate == 16000 and info.frames == 8000
    assert validate_data_dir(tmp_path / "data" / "nisqa_val_sim", ValidateOptions(progress=False, expect_rate=16000)).ok


def test_incomplete_corpus_names_the_file_and_db_variable(corpus, tmp_path):
    """More bad trees: test_nisqa_bad_input.py."""
    (corpus / "NISQA_VAL_SIM" / "deg" / "c00002_src_02.wav").unlink()
    with pytest.raises(SqeError, match=r"NISQA_VAL_SIM_file.csv:3: degraded file .*c00002_src_02.wav does not exist"
                                       r"\n  \(set NISQA in db.sh"):
        prepare_nisqa(corpus, tmp_path / "data", NisqaConf(num_workers=1))
    assert not (tmp_path / "data").exists()
    with pytest.raises(SqeError, match="is not a directory; set NISQA in db.sh"):
        prepare_nisqa(tmp_path / "nowhere", tmp_path / "data", NisqaConf())
