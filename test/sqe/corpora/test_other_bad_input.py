"""BVCC and LibriSpeech/LibriTTS trees that cannot be prepared as they are: every problem is named with its file
and line, and no data dir is written (not even the splits that were fine)."""
from __future__ import annotations

import pytest
from corpus_factories import write_bvcc
from layout_libri import write_librispeech, write_libritts

from sqe.corpora.bvcc import prepare_bvcc
from sqe.corpora.librispeech import prepare_librispeech
from sqe.utils.errors import SqeError


def test_bvcc_names_every_bad_line_and_writes_no_split(tmp_path):
    main = write_bvcc(tmp_path / "main")
    (main / "DATA" / "wav" / "sysC-utt4.wav").unlink()
    val = main / "DATA" / "sets" / "val_mos_list.txt"
    val.write_text(val.read_text() + "sysA-utt9.wav;4.0\n")
    with pytest.raises(SqeError) as err:
        prepare_bvcc(main, tmp_path / "data")
    msg = str(err.value)
    assert f"{val}:2: expected '<file>.wav,<mos>', got 'sysA-utt9.wav;4.0'" in msg
    test_list = main / "DATA" / "sets" / "test_mos_list.txt"
    assert f"{test_list}:1: {main / 'DATA' / 'wav' / 'sysC-utt4.wav'} does not exist" in msg
    assert "set BVCC in db.sh" in msg
    assert not (tmp_path / "data").exists()  # bvcc_train was fine, and is not written either


def test_bvcc_names_a_missing_listing(tmp_path):
    main = write_bvcc(tmp_path / "main")
    (main / "DATA" / "sets" / "val_mos_list.txt").unlink()
    with pytest.raises(SqeError, match=r"val_mos_list.txt do\(es\) not exist; set BVCC in db.sh"):
        prepare_bvcc(main, tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_librispeech_names_each_bad_transcript_line(tmp_path):
    write_librispeech(tmp_path, subsets=("test-clean",), n_utts=3)
    trans = sorted((tmp_path / "LibriSpeech" / "test-clean").glob("*/*/*.trans.txt"))[0]
    first = trans.read_text().splitlines()[0].split()[0]
    (trans.parent / f"{first}.flac").unlink()
    trans.write_text(trans.read_text() + "1234-5678-0000\n")
    with pytest.raises(SqeError) as err:
        prepare_librispeech(tmp_path, "test-clean", tmp_path / "out")
    msg = str(err.value)
    assert f"{trans}:1: {trans.parent / first}.flac does not exist" in msg
    assert f"{trans}:4: expected '<utterance> <transcript>', got '1234-5678-0000'" in msg
    assert "nothing written, because:" in msg and "check LIBRISPEECH in db.sh" in msg
    assert not (tmp_path / "out").exists()


def test_libritts_names_a_missing_transcript(tmp_path):
    write_libritts(tmp_path, n_utts=1)
    text = next((tmp_path / "LibriTTS" / "dev-clean").glob("*/*/*.normalized.txt"))
    text.unlink()
    with pytest.raises(SqeError, match=f"LibriTTS: {text} does not exist; check LIBRITTS in db.sh"):
        prepare_librispeech(tmp_path, "dev-clean", tmp_path / "out", flavor="libritts")
    assert not (tmp_path / "out").exists()
