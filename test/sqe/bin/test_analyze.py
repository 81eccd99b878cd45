"""sqe.bin.analyze as a user runs it on a folder with good and bad files."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, StageRun, write_audio
from model_factories import speech_like, spliced
from no_torch import SCRIPT as NO_TORCH


def analyze_process(*args):
    cmd = [sys.executable, "-m", "sqe.bin.analyze", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)


@pytest.fixture
def analyze():
    return lambda *args: StageRun("analyze", args)


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


def test_a_missing_file_argument_is_reported_and_the_others_go_on(tiny_package, tmp_path, analyze):
    """Issue 24, defect 1: a FILE that does not exist is one failed row of the summary, not the end of the run."""
    write_audio(tmp_path / "a.wav", speech_like(2.0, np.random.default_rng(33)))
    out = tmp_path / "out"
    res = analyze("--model", tiny_package, tmp_path / "a.wav", tmp_path / "gone.wav", "--png", "false", "--out", out)
    assert res.returncode == 1 and "1 inputs analysed, 1 failed" in res.stderr
    rows = {r["file"]: r for r in json.loads((out / "summary.json").read_text())["files"]}
    assert rows["a"]["status"] == "ok"
    assert rows["gone"]["status"] == "failed" and rows["gone"]["reason"].endswith("gone.wav: file not found")


def test_an_unreadable_file_in_a_folder_is_reported(tiny_package, tmp_path, analyze, monkeypatch):
    """Issue 24, defect 1: a permission-denied file (simulated: the tests run as root) fails alone."""
    import pathlib

    import soundfile

    rng = np.random.default_rng(34)
    write_audio(tmp_path / "in" / "a.wav", speech_like(2.0, rng))
    write_audio(tmp_path / "in" / "locked.wav", speech_like(2.0, rng))
    locked = str(tmp_path / "in" / "locked.wav")

    def deny(path):
        raise PermissionError(13, "Permission denied", path)

    real_read_bytes, real_sound_file = pathlib.Path.read_bytes, soundfile.SoundFile
    monkeypatch.setattr(pathlib.Path, "read_bytes",
                        lambda self: deny(str(self)) if str(self) == locked else real_read_bytes(self))
    monkeypatch.setattr(soundfile, "SoundFile",
                        lambda file, *a, **k: deny(file) if str(file) == locked else real_sound_file(file, *a, **k))
    out = tmp_path / "out"
    res = analyze("--model", tiny_package, tmp_path / "in", "--png", "false", "--out", out)
    assert res.returncode == 1 and "1 inputs analysed, 1 failed" in res.stderr
    rows = {r["file"]: r for r in json.loads((out / "summary.json").read_text())["files"]}
    assert rows["a"]["status"] == "ok" and "Permission denied" in rows["locked"]["reason"]


def test_re_recorded_audio_behind_the_same_list_is_analysed_again(tiny_package, tmp_path, analyze):
    """Issue 24, defect 3: --list and --data runs are identified by their audio files, not only the list."""
    rng = np.random.default_rng(35)
    write_audio(tmp_path / "a.wav", speech_like(2.0, rng))
    (tmp_path / "list").write_text(f"take {tmp_path / 'a.wav'}\n")
    args = ["--model", tiny_package, "--list", tmp_path / "list", "--png", "false", "--out", tmp_path / "out"]
    assert analyze(*args).returncode == 0
    assert "up to date" in analyze(*args).stderr
    x, _ = spliced(3.0, "lpf", 1.0, 2.0, rng)
    write_audio(tmp_path / "a.wav", x)
    again = analyze(*args)
    assert again.returncode == 0 and "up to date" not in again.stderr
    assert json.loads((tmp_path / "out" / "files" / "take.json").read_text())["duration_s"] == 3.0


def test_a_resumed_run_redoes_a_file_changed_since(tiny_package, tmp_path):
    """Issue 24, defect 3: resuming keeps a finished file only while its source has the same size and mtime."""
    from sqe.analyze.analyzer import AnalyzeConf, Analyzer
    from sqe.analyze.inputs import collect_inputs
    from sqe.analyze.run import analyze_inputs

    rng = np.random.default_rng(36)
    write_audio(tmp_path / "a.wav", speech_like(2.0, rng))
    write_audio(tmp_path / "b.wav", speech_like(2.0, rng))
    analyzer = Analyzer.from_package(tiny_package, AnalyzeConf())
    items = collect_inputs([tmp_path / "a.wav", tmp_path / "b.wav"])
    out = tmp_path / "out"
    analyze_inputs(analyzer, items, out, png=False)
    kept = (out / "files" / "a.json").stat().st_mtime_ns
    write_audio(tmp_path / "b.wav", speech_like(2.5, rng))
    rows = analyze_inputs(analyzer, items, out, png=False, resume=True)
    assert (out / "files" / "a.json").stat().st_mtime_ns == kept
    assert [r["duration_s"] for r in rows] == [2.0, 2.5]


def test_a_truncated_wav_in_a_folder_is_reported(tiny_package, tmp_path, analyze):
    """Issue 24, defect 2: a WAV cut off after 100 bytes is named as truncated, not analysed as 28 samples."""
    rng = np.random.default_rng(37)
    write_audio(tmp_path / "in" / "a.wav", speech_like(2.0, rng))
    cut = write_audio(tmp_path / "in" / "cut.wav", speech_like(2.0, rng))
    cut.write_bytes(cut.read_bytes()[:100])
    out = tmp_path / "out"
    res = analyze("--model", tiny_package, tmp_path / "in", "--png", "false", "--out", out)
    assert res.returncode == 1
    rows = {r["file"]: r for r in json.loads((out / "summary.json").read_text())["files"]}
    assert rows["a"]["status"] == "ok"
    assert "truncated: the header declares 32000 samples (2.000 s), the file holds 28" in rows["cut"]["reason"]


def test_a_folder_in_job_parts_gives_what_one_call_gives(tiny_package, tmp_path, analyze):
    """Issue 25: --part K --nparts N as a JOB array through utils/run.py (local backend), then the joining call."""
    rng = np.random.default_rng(33)
    for i in range(5):
        x, _ = spliced(4.0, "lpf", 1.0, 2.5, rng) if i % 2 else (speech_like(3.0, rng), None)
        write_audio(tmp_path / "in" / f"f{i}.wav", x)
    write_audio(tmp_path / "in" / "short.wav", speech_like(0.2, rng))  # fails in whichever part holds it
    whole = tmp_path / "whole"
    assert analyze("--model", tiny_package, tmp_path / "in", "--png", "false", "--out", whole).returncode == 1
    out = tmp_path / "parts"
    common = ["--model", tiny_package, tmp_path / "in", "--png", "false", "--nparts", "4", "--out", out]
    early = analyze(*common)
    assert early.returncode == 1 and "analysis parts not made yet" in early.stderr and "part1" in early.stderr
    cmd = [sys.executable, str(REPO / "utils" / "run.py"), "JOB=1:4", str(out / "log" / "analyze.JOB.log"),
           sys.executable, "-m", "sqe.bin.analyze", *map(str, common[:-4]), "--part", "JOB", *map(str, common[-4:])]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env={**__import__("os").environ,
                                                                             "SQE_CMD_BACKEND": "local"})
    assert res.returncode == 1 and "1 / 4 failed" in res.stderr  # the part with short.wav exits 1, as one call
    blocks = [json.loads((out / "parts" / f"part{k}" / "summary.json").read_text())["files"] for k in range(1, 5)]
    assert [len(b) for b in blocks] == [2, 2, 1, 1]
    joined = analyze(*common)
    assert joined.returncode == 1 and "5 inputs analysed, 1 failed, 2 degraded regions" in joined.stderr
    for name in ("regions.tsv", "summary.tsv"):
        assert (out / name).read_text() == (whole / name).read_text(), name
    assert json.loads((out / "summary.json").read_text())["files"] == json.loads((whole / "summary.json").read_text())["files"]
    assert sorted(p.name for p in (out / "files").iterdir()) == sorted(p.name for p in (whole / "files").iterdir())
    again = analyze(*common)  # with a failed input the run is not finished: joined again, the same
    assert again.returncode == 1 and (out / "regions.tsv").read_text() == (whole / "regions.tsv").read_text()
    fewer = analyze("--model", tiny_package, tmp_path / "in" / "f0.wav", "--png", "false", "--nparts", "4",
                    "--out", out)
    assert fewer.returncode == 1 and "hold 6 inputs, this call has 1" in fewer.stderr


def test_the_onnx_backend_never_imports_torch_and_matches_torch(tiny_package, tmp_path, analyze):
    import shutil

    package = tmp_path / "tiny.sqe"
    shutil.copytree(tiny_package, package)
    rng = np.random.default_rng(31)
    x, _ = spliced(5.0, "lpf", 1.5, 3.0, rng)
    write_audio(tmp_path / "in" / "take.wav", x)
    no_graph = subprocess.run([sys.executable, "-c", NO_TORCH, "analyze", "--model", package, tmp_path / "in",
                               "--backend", "onnx", "--out", tmp_path / "none"], capture_output=True, text=True,
                              cwd=REPO)
    assert no_graph.returncode == 1 and "no model.onnx" in no_graph.stderr and "Traceback" not in no_graph.stderr
    assert analyze("--model", package, tmp_path / "in", "--out", tmp_path / "torch").returncode == 0
    assert StageRun("export_onnx", ["--model", package]).returncode == 0
    run = subprocess.run([sys.executable, "-c", NO_TORCH, "analyze", "--model", package, tmp_path / "in", "--backend",
                          "onnx", "--out", tmp_path / "onnx"], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "TORCH_IMPORTED False" in run.stdout
    a, b = (json.loads((tmp_path / d / "files" / "take.json").read_text()) for d in ("torch", "onnx"))
    np.testing.assert_allclose(a["frames"]["score"], b["frames"]["score"], atol=1e-4)
    assert [(r["onset"], r["offset"], r["type"]) for r in a["regions"]] == \
           [(r["onset"], r["offset"], r["type"]) for r in b["regions"]]


def test_a_reference_gives_the_agreement_and_a_bad_one_stops_the_run_first(tiny_package, tmp_path, analyze):
    rng = np.random.default_rng(36)
    x, _ = spliced(6.0, "lpf", 2.0, 3.5, rng)
    write_audio(tmp_path / "in" / "take1.wav", x)
    write_audio(tmp_path / "in" / "clean.wav", speech_like(4.0, rng))
    ref = tmp_path / "mix_segments"
    ref.write_text("clean 0.50 0.90 clip\ntake1 2.00 3.50 lpf\n")  # clean's label is never found
    out = tmp_path / "out"
    res = analyze("--model", tiny_package, tmp_path / "in", "--reference", ref, "--png", "false", "--out", out)
    assert res.returncode == 0, res.stderr
    typed = [line.split("\t")[5] for line in (out / "regions.tsv").read_text().splitlines()[1:]]
    assert len(typed) == 1 and typed[0] in ("lpf", "unknown")  # the prototype test above allows either
    exact = int(typed[0] == "lpf")
    assert (f"1 of 2 labelled segments found, 0 false regions, type exact for {exact} of 1 regions on segments"
            in res.stderr)
    agreement = json.loads((out / "agreement.json").read_text())
    assert agreement["reference"] == str(ref) and agreement["per_class"]["lpf"]["type_exact"] == exact
    assert "| labelled segments a region overlaps (found) | 1 / 2 | 50.0 % |" in (out / "agreement.md").read_text()

    again = analyze("--model", tiny_package, tmp_path / "in", "--png", "false", "--out", out)
    assert again.returncode == 0 and not (out / "agreement.json").exists()  # no stale agreement without labels
    assert not (out / "agreement.md").exists()

    ref.write_text("take1 2.00 3.50 lpf\ntake1 4.00 3.00 lpf\n")
    bad = analyze("--model", tiny_package, tmp_path / "in", "--reference", ref, "--out", tmp_path / "o2")
    assert bad.returncode != 0 and "mix_segments:2: key 'take1': expected 0 <= onset < offset" in bad.stderr
    assert not (tmp_path / "o2" / "summary.json").exists() and not (tmp_path / "o2" / "files").exists()
