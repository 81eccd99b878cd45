"""validate_data: each defect class is found, located, and nothing is written without fix."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import noise, sine, write_audio

from sqe.data import DataDir
from sqe.data.validate import ValidateOptions, fix_data_dir, validate_data_dir


def snapshot(d):
    return {p.name: p.read_bytes() for p in d.iterdir() if p.is_file()}


def found(report):
    return {(p.file, p.line, p.key, p.kind) for p in report.problems}


def test_valid_dir_passes(data_dir):
    report = validate_data_dir(data_dir, ValidateOptions(progress=False))
    assert report.ok, report.problems
    assert report.audio[("wav.scp", "utt1")].sample_rate == 16000


def test_every_defect_class_is_reported_and_nothing_written(data_dir, tmp_path):
    wav = tmp_path / "wav"
    write_audio(wav / "stereo.wav", np.stack([sine(), sine()], axis=1))
    nan = noise()
    nan[100] = np.nan
    write_audio(wav / "nan.wav", nan, subtype="FLOAT")
    lines = (data_dir / "wav.scp").read_text().splitlines()
    lines[1] = f"utt2 {wav / 'missing.wav'}"
    lines[2] = f"utt3 {wav / 'stereo.wav'}"
    lines[3] = f"utt4 {wav / 'nan.wav'}"
    (data_dir / "wav.scp").write_text("\n".join(lines) + "\n")
    (data_dir / "utt2mos").write_text("utt1 3.0\nutt3 2.0\nutt2 good\nutt4 1\nutt4 1\nutt5 3\n")
    (data_dir / "ref.scp").unlink()
    before = snapshot(data_dir)

    report = validate_data_dir(data_dir, ValidateOptions(progress=False))
    got = found(report)
    assert ("wav.scp", 2, "utt2", "audio") in got  # missing wav
    assert ("wav.scp", 3, "utt3", "audio") in got  # stereo
    assert ("wav.scp", 4, "utt4", "audio") in got  # NaN
    assert ("utt2mos", 3, "utt2", "unsorted") in got
    assert ("utt2mos", 3, "utt2", "value") in got  # non-numeric MOS
    assert ("utt2mos", 5, "utt4", "duplicate") in got
    assert ("utt2mos", 6, "utt5", "extra_key") in got  # utt2mos key absent from wav.scp
    msgs = {p.key: str(p) for p in report.problems if p.file == "wav.scp"}
    assert "file not found" in msgs["utt2"]
    assert "2 channels" in msgs["utt3"]
    assert "NaN/Inf sample(s), first at sample 100" in msgs["utt4"]
    assert snapshot(data_dir) == before


def test_missing_keys_length_and_count_mismatch(data_dir, tmp_path):
    write_audio(tmp_path / "wav" / "short_ref.wav", sine(seconds=0.5))
    (data_dir / "ref.scp").write_text(
        (data_dir / "ref.scp").read_text().replace(str(tmp_path / "wav" / "utt2_ref.wav"),
                                                   str(tmp_path / "wav" / "short_ref.wav"))
    )
    (data_dir / "utt2cls").write_text("utt1 clean\nutt2 wbgn\nutt4 wbgn\n")
    (data_dir / "utt2num_samples").write_text("utt1 16000\nutt2 16000\nutt3 15999\nutt4 16000\n")
    report = validate_data_dir(data_dir, ValidateOptions(progress=False))
    got = found(report)
    assert ("utt2cls", None, "utt3", "missing_key") in got
    assert ("ref.scp", 2, "utt2", "length") in got
    assert ("utt2num_samples", 3, "utt3", "value") in got
    lenient = validate_data_dir(data_dir, ValidateOptions(progress=False, allow_length_mismatch=True))
    assert ("ref.scp", 2, "utt2", "length") not in found(lenient)
    assert any(w.key == "utt2" for w in lenient.warnings)


def test_expected_rate_and_resampled_lengths(tmp_path):
    from conftest import make_data_dir

    d = make_data_dir(tmp_path, n=2, sr=48000)
    assert validate_data_dir(d, ValidateOptions(progress=False)).ok  # 48 kHz files, lengths at 16 kHz
    report = validate_data_dir(d, ValidateOptions(progress=False, expect_rate=16000))
    assert ("wav.scp", 1, "utt1", "audio") in found(report)
    assert validate_data_dir(d, ValidateOptions(progress=False, audio="header")).ok


def test_fix_repairs_and_keeps_backup(data_dir):
    (data_dir / "utt2mos").write_text("utt2 2.0\nutt1 3.0\nutt3 x\nutt4 4.0\nutt4 4.0\nutt9 1\n")
    (data_dir / "utt2cls").write_text("utt1 clean\nutt2 wbgn\nutt3 wbgn\n")
    original = (data_dir / "utt2mos").read_bytes()
    opts = ValidateOptions(progress=False)
    backup, kept, dropped = fix_data_dir(data_dir, validate_data_dir(data_dir, opts), opts)
    assert (kept, dropped) == (2, 2)  # utt3: bad MOS; utt4: no class
    assert (backup / "utt2mos").read_bytes() == original
    assert validate_data_dir(data_dir, opts).ok
    dd = DataDir.load(data_dir)
    assert dd.utts == ["utt1", "utt2"] and dd["utt2mos"] == {"utt1": 3.0, "utt2": 2.0}


@pytest.mark.parametrize("mode", ["full", "header", "none"])
def test_modes_all_catch_format_problems(data_dir, mode):
    (data_dir / "utt2mos").write_text("utt1 1\nutt2 2\nutt3 3\nutt4 five\n")
    report = validate_data_dir(data_dir, ValidateOptions(progress=False, audio=mode))
    assert ("utt2mos", 4, "utt4", "value") in found(report)
