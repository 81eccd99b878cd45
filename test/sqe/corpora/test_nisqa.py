"""NISQA preparation on a miniature corpus in the real layout (48 kHz float WAVs, the real CSV header)."""
from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from sqe.corpora.nisqa import NisqaConf, prepare_nisqa
from sqe.corpora.nisqa_classes import TOKENS
from sqe.data import DataDir
from sqe.data.validate import ValidateOptions, validate_data_dir
from sqe.utils.errors import SqeError

HEADER = ("db,con,file,con_description,filename_deg,filename_ref,source,lang,votes,mos,noi,col,dis,loud,"
          "noi_std,col_std,dis_std,loud_std,mos_std,filepath_deg,filepath_ref,"
          "filter,timeclipping,wbgn,p50mnru,bgn,clipping,arb_filter,asl_in,asl_out,"
          "codec1,codec2,codec3,plcMode1,plcMode2,plcMode3,"
          "wbgn_snr,bgn_snr,tc_fer,tc_nburst,cl_th,bp_low,bp_high,p50_q,bMode1,bMode2,bMode3,FER1,FER2,FER3,"
          "asl_in_level,asl_out_level").split(",")
# (cells, expected class): together the rows cover all 19 tokens, combinations and a clean row
SIM_ROWS = [
    ({"filter": "lowpass", "bp_low": "", "bp_high": ""}, "lpf"),
    ({"filter": "highpass"}, "hpf"),
    ({"filter": "bandpass", "bp_low": "300", "bp_high": "3400"}, "bp"),
    ({"wbgn": "x", "wbgn_snr": "20"}, "wbgn"),
    ({"bgn": "random_bgn", "bgn_snr": "10"}, "bgn"),
    ({"p50mnru": "x", "p50_q": "15"}, "mnru"),
    ({"clipping": "x", "cl_th": "0.1"}, "clip"),
    ({"arb_filter": "x"}, "arbfilt"),
    ({"asl_out": "x", "asl_out_level": "-20"}, "level"),
    ({"timeclipping": "x", "tc_fer": "10", "tc_nburst": "2"}, "tclip"),
    ({"codec1": "amrnb", "bMode1": "4", "plcMode1": "noloss"}, "amrnb"),
    ({"codec1": "amrwb", "plcMode1": "random", "FER1": "0.1"}, "amrwb+pl+plc_random"),
    ({"codec1": "evs", "plcMode1": "bursty", "FER1": "0.2"}, "evs+pl+plc_bursty"),
    ({"codec1": "opus", "bMode1": "12"}, "opus"),
    ({"codec1": "g711", "codec2": "g722", "codec3": "g711"}, "g711+g722"),
    ({"filter": "lowpass", "wbgn": "x", "codec1": "amrnb"}, "amrnb+lpf+wbgn"),
    ({"asl_in": "x", "asl_in_level": "-10", "plcMode1": "noloss"}, "clean"),
]
TEST_ROWS = [("Fullband clean", "clean"), ("Anchor P50MNRU 25dB", "mnru"), ("Anchor BP 500-2500Hz", "bp"),
             ("EVS@m7 PL 3% bursty", "evs+pl+plc_bursty"), ("AMR-NB@m4xG.711xAMR-NB@m4 + BGN 10dB", "amrnb+bgn+g711"),
             ("Zoom", "live")]


def wav48(path, seconds=0.5, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    x = 0.1 * np.random.default_rng(seed).standard_normal(int(48000 * seconds))
    sf.write(str(path), x.astype(np.float32), 48000, subtype="FLOAT")


def write_subset(root, subset, rows, with_ref=True):
    d = root / subset
    lines = []
    for i, (cells, _) in enumerate(rows, start=1):
        ref, deg = f"src_{i:02d}.wav", f"c{i:05d}_src_{i:02d}.wav"
        wav48(d / "deg" / deg, seed=i)
        if with_ref:
            wav48(d / "ref" / ref, seed=100 + i)
        row = {h: "" for h in HEADER}
        row.update(db=subset, con=str(i), file=str(i), filename_deg=deg, filename_ref=ref if with_ref else "",
                   mos=str(1.0 + 0.2 * i), filepath_deg=f"{subset}/deg/{deg}",
                   filepath_ref=f"{subset}/ref/{ref}" if with_ref else "")
        for col in ("filter", "codec1", "codec2", "codec3", "plcMode1", "plcMode2", "plcMode3"):
            row[col] = "-"
        row.update(cells)
        lines.append(row)
    with open(d / f"{subset}_file.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(lines)


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "NISQA_Corpus"
    write_subset(root, "NISQA_TRAIN_SIM", SIM_ROWS)
    write_subset(root, "NISQA_VAL_SIM", SIM_ROWS[:4])
    write_subset(root, "NISQA_TEST_FOR", [({"con_description": d}, c) for d, c in TEST_ROWS])
    write_subset(root, "NISQA_TRAIN_LIVE", [({}, None)] * 2, with_ref=False)
    return root


def test_data_dirs_key_by_key(corpus, tmp_path):
    dirs = prepare_nisqa(corpus, tmp_path / "data", NisqaConf(num_workers=1))
    assert sorted(dirs) == ["NISQA_TEST_FOR", "NISQA_TRAIN_LIVE", "NISQA_TRAIN_SIM", "NISQA_VAL_SIM"]
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
    (corpus / "NISQA_VAL_SIM" / "deg" / "c00002_src_02.wav").unlink()
    with pytest.raises(SqeError, match=r"1 audio file\(s\) of NISQA_VAL_SIM missing, e.g. .*c00002_src_02.wav; "
                                       "set NISQA in db.sh"):
        prepare_nisqa(corpus, tmp_path / "data", NisqaConf(num_workers=1))
    assert not (tmp_path / "data").exists()
    with pytest.raises(SqeError, match="is not a directory; set NISQA in db.sh"):
        prepare_nisqa(tmp_path / "nowhere", tmp_path / "data", NisqaConf())


def test_renamed_column_is_named(corpus, tmp_path):
    csv_path = corpus / "NISQA_TRAIN_SIM" / "NISQA_TRAIN_SIM_file.csv"
    csv_path.write_text(csv_path.read_text().replace("filename_deg", "file_deg", 1))
    with pytest.raises(SqeError, match="NISQA_TRAIN_SIM_file.csv: column\\(s\\) filename_deg missing"):
        prepare_nisqa(corpus, tmp_path / "data", NisqaConf(num_workers=1))


def test_unknown_test_description_fails(corpus, tmp_path):
    csv_path = corpus / "NISQA_TEST_FOR" / "NISQA_TEST_FOR_file.csv"
    csv_path.write_text(csv_path.read_text().replace("Anchor P50MNRU 25dB", "Reverb 0.5s"))
    with pytest.raises(SqeError, match="fragment\\(s\\) not understood, e.g. line 3: 'Reverb 0.5s'"):
        prepare_nisqa(corpus, tmp_path / "data", NisqaConf(num_workers=1))
    shutil.rmtree(corpus / "NISQA_TEST_FOR")
    prepare_nisqa(corpus, tmp_path / "data", NisqaConf(num_workers=1))  # subsets not present are skipped
