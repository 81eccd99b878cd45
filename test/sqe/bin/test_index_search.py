"""sqe.bin.index and sqe.bin.search on a generated database with the tiny trained model."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, StageRun, write_audio
from model_factories import TYPES, speech_like, spliced


def subprocess_run(verb, *args):
    cmd = [sys.executable, "-m", f"sqe.bin.{verb}", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)


@pytest.fixture
def run():
    return lambda verb, *args: StageRun(verb, args)


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    root = tmp_path_factory.mktemp("db")
    rng = np.random.default_rng(50)
    for i in range(9):
        kind = TYPES[1 + i % 3]
        x, _ = spliced(4.0, kind, 1.0 + 0.2 * (i // 3), 2.5, rng)
        write_audio(root / "db" / f"f{i}_{kind}.wav", x)
    write_audio(root / "db" / "clean.wav", speech_like(3.0, rng))
    return root


def hits(stdout):
    rows = [line.split("\t") for line in stdout.strip().splitlines()]
    assert rows[0] == ["rank", "similarity", "file", "onset", "offset", "type", "source"]
    return rows[1:]


def test_index_then_search_by_region_class_and_file(tiny_package, database, tmp_path, run):
    idx = tmp_path / "idx"
    res = subprocess_run("index", "--model", tiny_package, database / "db", "--out", idx)
    assert res.returncode == 0, res.stderr
    info = json.loads((idx / "index.json").read_text())
    assert info["regions"] == 9 and info["index"]["kind"] == "flat"

    res = subprocess_run("search", "--index", idx, "--query", f"{database}/db/f1_lpf.wav:1.0-2.5", "--top_k", "4")
    assert res.returncode == 0, res.stderr
    found = hits(res.stdout)
    assert {r[2] for r in found[:3]} == {"f1_lpf", "f4_lpf", "f7_lpf"}  # the query's own region among them
    assert found[0][2] == "f1_lpf" and float(found[0][1]) > 0.99 and found[3][2].split("_")[1] != "lpf"
    sims = [float(r[1]) for r in found]
    assert sims == sorted(sims, reverse=True)

    res = run("search", "--index", idx, "--class", "clip", "--top_k", "3", "--results", tmp_path / "clip.tsv")
    assert res.returncode == 0 and {r[2] for r in hits(res.stdout)} == {"f2_clip", "f5_clip", "f8_clip"}
    assert (tmp_path / "clip.tsv").read_text() == res.stdout
    res = run("search", "--index", idx, "--query", f"{database}/db/f0_wbgn.wav", "--top_k", "3")
    assert {r[2] for r in hits(res.stdout)} == {"f0_wbgn", "f3_wbgn", "f6_wbgn"}

    res = run("search", "--index", idx, "--class", "hum")
    assert res.returncode == 1 and "class 'hum' is not among the model's 3 prototypes" in res.stderr
    res = run("search", "--index", idx, "--query", f"{database}/db/clean.wav")
    assert res.returncode == 1 and "no degraded region detected; give a time range" in res.stderr
    res = run("search", "--index", idx, "--query", f"{database}/db/f0_wbgn.wav:7.0-8.0")
    assert res.returncode == 1 and "outside the file (4.00 s)" in res.stderr


def test_job_parts_merge_into_the_same_index(tiny_package, database, tmp_path, run):
    whole = tmp_path / "whole"
    assert run("index", "--model", tiny_package, database / "db", "--out", whole).returncode == 0
    split = tmp_path / "split"
    early = run("index", "--model", tiny_package, database / "db", "--nparts", "2", "--out", split)
    assert early.returncode == 1 and "index parts not made yet" in early.stderr
    for part in (1, 2):
        res = run("index", "--model", tiny_package, database / "db", "--part", part, "--nparts", "2", "--out", split)
        assert res.returncode == 0, res.stderr
    assert run("index", "--model", tiny_package, database / "db", "--nparts", "2", "--out", split).returncode == 0
    assert (split / "regions.tsv").read_text() == (whole / "regions.tsv").read_text()
    np.testing.assert_array_equal(np.load(split / "vectors.npy"), np.load(whole / "vectors.npy"))

    merged = run("index", "--merge", whole, split, "--set", "index.kind=hnsw", "--out", tmp_path / "both")
    assert merged.returncode == 0, merged.stderr
    info = json.loads((tmp_path / "both" / "index.json").read_text())
    assert info["regions"] == 18 and info["index"]["kind"] == "hnsw" and info["package"]
    res = run("search", "--index", tmp_path / "both", "--class", "lpf", "--top_k", "6")
    assert res.returncode == 0 and all(r[2].endswith("_lpf") for r in hits(res.stdout))

    bad = run("index", "--merge", whole, "--model", tiny_package, "--out", tmp_path / "x")
    assert bad.returncode == 1 and "--merge takes only index or part directories" in bad.stderr


def test_an_index_is_rebuilt_when_a_subfolder_or_a_merged_part_changes(tiny_package, tmp_path, run):
    """Issue 24, defect 3: a folder is identified by every audio file under it, a merge by its parts' files."""
    rng = np.random.default_rng(51)
    x, _ = spliced(4.0, "lpf", 1.0, 2.5, rng)
    write_audio(tmp_path / "db" / "day1" / "a_lpf.wav", x)
    idx = tmp_path / "idx"
    assert run("index", "--model", tiny_package, tmp_path / "db", "--out", idx).returncode == 0
    assert json.loads((idx / "index.json").read_text())["regions"] == 1
    y, _ = spliced(4.0, "lpf", 0.5, 3.0, rng)
    write_audio(tmp_path / "db" / "day2" / "b_lpf.wav", y)
    again = run("index", "--model", tiny_package, tmp_path / "db", "--out", idx)
    assert again.returncode == 0 and "up to date" not in again.stderr
    assert json.loads((idx / "index.json").read_text())["regions"] == 2

    merged = tmp_path / "merged"
    assert run("index", "--merge", idx, "--out", merged).returncode == 0
    assert "up to date" in run("index", "--merge", idx, "--out", merged).stderr
    write_audio(tmp_path / "db" / "day2" / "b_lpf.wav", y[: 16000 * 3])  # re-recorded, shorter
    assert run("index", "--model", tiny_package, tmp_path / "db", "--out", idx).returncode == 0
    remerged = run("index", "--merge", idx, "--out", merged)
    assert remerged.returncode == 0 and "up to date" not in remerged.stderr
    assert (merged / "regions.tsv").read_text() == (idx / "regions.tsv").read_text()
