"""sqe.bin.analyze as a user runs it on a folder with good and bad files."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, StageRun, write_audio
from model_factories import speech_like, spliced


def analyze_process(*args):
    cmd = [sys.executable, "-m", "sqe.bin.analyze", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)


@pytest.fixture
def analyze(capsys):
    return lambda *args: StageRun("analyze", args, capsys)


def test_a_folder_with_bad_files(tiny_package, tmp_path, analyze):
    rng = np.random.default_rng(30)
    x, _ = spliced(6.0, "lpf", 2.0, 3.5, rng)
    from sqe.audio.resample import resample

    write_audio(tmp_path / "in" / "take1.flac", np.stack([resample(x, 16000, 48000)] * 2, 1), 48000)
    write_audio(tmp_path / "in" / "clean.wav", speech_like(4.0, rng))
    nan = speech_like(2.0, rng)
    nan[100] = np.nan
    write_audio(tmp_path / "in" / "nan.wav", nan, subtype="FLOAT")
    write_audio(tmp_path / "in" / "short.wav", speech_like(0.2, rng))
    out = tmp_path / "out"
    res = analyze_process("--model", tiny_package, tmp_path / "in", "--out", out)
    assert res.returncode == 1, res.stderr
    assert "2 inputs analysed, 2 failed" in res.stderr and "resampled 48000 Hz -> 16000 Hz" in res.stderr

    summary = json.loads((out / "summary.json").read_text())
    rows = {r["file"]: r for r in summary["files"]}
    assert summary["failed"] == 2 and summary["settings"]["threshold"] > 0
    assert rows["nan"]["status"] == "failed" and "NaN/Inf sample" in rows["nan"]["reason"]
    assert rows["short"]["status"] == "failed" and "too short: 0.200 s" in rows["short"]["reason"]
    take = rows["take1"]
    assert (take["status"], take["sample_rate"], take["channels"], take["regions"]) == ("ok", 48000, 2, 1)
    assert take["main_type"] in ("lpf", "unknown") and rows["clean"]["regions"] == 0

    regions = (out / "regions.tsv").read_text().splitlines()
    assert regions[0].split("\t") == ["file", "onset", "offset", "score", "mos", "type", "similarity", "nearest"]
    assert len(regions) == 2 and regions[1].startswith("take1\t2.00\t3.50\t")
    assert regions[1].split("\t")[7].startswith("lpf:")
    detail = json.loads((out / "files" / "take1.json").read_text())
    assert len(detail["frames"]["q"]) == len(detail["frames"]["score"]) == len(detail["frames"]["speech"]) == 300
    assert (out / "labels" / "take1.txt").read_text().startswith("2.00\t3.50\t")
    assert (out / "labels" / "clean.txt").read_text() == ""
    from sed_scores_eval.base_modules.io import read_sed_scores

    table = read_sed_scores(out / "scores" / "take1.tsv")
    assert list(table.columns) == ["onset", "offset", "degraded"] and len(table) == 300
    np.testing.assert_allclose(table["degraded"].to_numpy(), detail["frames"]["score"], atol=1e-4)
    assert (out / "plots" / "take1.png").read_bytes()[:4] == b"\x89PNG"
    md = (out / "summary.md").read_text()
    assert "4 inputs, 2 analysed, 2 failed" in md and "| take1 | ok |" in md
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["clean.png", "take1.png"]

    before = (out / "files" / "take1.json").stat().st_mtime_ns
    again = analyze("--model", tiny_package, tmp_path / "in", "--out", out)
    assert again.returncode == 1 and "resuming the interrupted run" in again.stderr
    assert (out / "files" / "take1.json").stat().st_mtime_ns == before  # finished files are not redone
    assert json.loads((out / "summary.json").read_text())["files"] == summary["files"]


def test_good_inputs_exit_zero_and_rerun_is_skipped(tiny_package, tmp_path, analyze):
    write_audio(tmp_path / "a.wav", speech_like(2.0, np.random.default_rng(31)))
    args = ["--model", tiny_package, tmp_path / "a.wav", "--png", "false", "--out", tmp_path / "out"]
    assert analyze(*args).returncode == 0
    assert not (tmp_path / "out" / "plots").exists()
    again = analyze(*args)
    assert again.returncode == 0 and "up to date" in again.stderr
    nothing = analyze("--model", tiny_package, "--out", tmp_path / "o2")
    assert nothing.returncode == 1 and "nothing to analyse" in nothing.stderr
    bad = analyze("--model", tiny_package, tmp_path / "a.wav", "--channel", "left", "--out", tmp_path / "o3")
    assert bad.returncode == 2 and "channel must be 'mix' or a channel index" in bad.stderr


def test_a_file_added_to_a_subfolder_is_analysed_on_the_next_run(tiny_package, tmp_path, analyze):
    """A folder argument is identified by every audio file under it, not only its top-level files."""
    rng = np.random.default_rng(32)
    write_audio(tmp_path / "in" / "day1" / "a.wav", speech_like(2.0, rng))
    args = ["--model", tiny_package, tmp_path / "in", "--png", "false", "--out", tmp_path / "out"]
    assert analyze(*args).returncode == 0
    write_audio(tmp_path / "in" / "day2" / "b.wav", speech_like(2.0, rng))
    again = analyze(*args)
    assert again.returncode == 0 and "up to date" not in again.stderr
    files = json.loads((tmp_path / "out" / "summary.json").read_text())["files"]
    assert sorted(r["file"] for r in files) == ["day1__a", "day2__b"]
