"""Per-file outputs of an analysis: the frame tracks are written a chunk at a time (long files never hold them
as one Python list), and the files hold exactly what the whole-list formatting gives."""
from __future__ import annotations

import json

import numpy as np
import pytest

from sqe.analyze import writers
from sqe.analyze.analyzer import FileAnalysis
from sqe.analyze.regions import Region


def _result(frames: int) -> FileAnalysis:
    rng = np.random.default_rng(0)
    q = rng.uniform(1, 5, frames).astype(np.float32)
    score = rng.uniform(0, 1, frames).astype(np.float32)
    speech = rng.uniform(size=frames) > 0.2
    region = Region(onset=0.4, offset=1.0, score=0.8, mos=2.1, type="clip", similarity=0.93,
                    nearest=[("clip", 0.93), ("lpf", 0.41)])
    return FileAnalysis(name="take", duration_s=frames * 0.02, level_dbfs=-26.0, gain_db=0.0, mos=float(q.mean()),
                        mos_speech=float(q[speech].mean()), threshold=0.5, regions=[region], q=q, score=score,
                        speech=speech, info={"sample_rate": 16000, "channels": 1})


@pytest.mark.parametrize("chunk", [7, 1000, 1 << 14])
def test_chunked_frame_tracks_equal_the_whole_list(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(writers, "CHUNK", chunk)
    result = _result(1003)  # not a multiple of any chunk: a short last chunk
    writers.write_file_outputs(tmp_path, result, "take.wav", "pkg", {"size": 1, "mtime_ns": 2})
    record = json.loads((tmp_path / "files" / "take.json").read_text())
    frames = record["frames"]
    assert frames["shift_s"] == 0.02
    assert frames["q"] == np.round(result.q, 4).tolist()
    assert frames["score"] == np.round(result.score, 4).tolist()
    assert frames["speech"] == result.speech.astype(int).tolist()
    assert record["source_identity"] == {"size": 1, "mtime_ns": 2} and record["regions"][0]["type"] == "clip"
    assert record["regions"][0]["nearest"] == [{"type": "clip", "similarity": 0.93},
                                               {"type": "lpf", "similarity": 0.41}]
    lines = (tmp_path / "scores" / "take.tsv").read_text().splitlines()
    assert lines[0] == "onset\toffset\tdegraded" and len(lines) == 1004
    stamps = np.arange(1004) * 0.02
    expected = [f"{stamps[i]:.2f}\t{stamps[i + 1]:.2f}\t{s:.6f}" for i, s in enumerate(result.score.tolist())]
    assert lines[1:] == expected
    assert (tmp_path / "labels" / "take.txt").read_text() == "0.40\t1.00\tclip (0.93)\n"


def test_no_temporary_file_is_left_beside_the_outputs(tmp_path):
    writers.write_file_outputs(tmp_path, _result(50), "take.wav", "pkg")
    left = [p.name for p in tmp_path.rglob("*") if p.is_file() and p.name.endswith(".tmp")]
    assert left == []
