"""Data-parallel training with 2 CPU processes (gloo, through sqe.bin.launch and torchrun) against the same
training in one process: same initial model, updates equal up to per-rank batch-norm statistics."""
from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest
import torch
import yaml
from conftest import REPO, make_data_dir

from sqe.models.checkpoint import read_checkpoint

CONF = {
    "model": {"encoder": "logmel_cnn", "encoder_conf": {"channels": 8, "layers": 1, "dropout": 0.0},
              "hidden": [8, 8], "d_z": 4},
    "optim": {"lr": 1e-3, "min_lr": 1e-3, "epochs": 2},
    "batch": {"max_utts": 4, "max_audio_s": 20.0},
    "loss": {"weights": {"mos_con": 0.0, "cons_emb": 0.0, "cons_scores": 0.0}},  # utterance-mean losses only
    "num_threads": 1, "checkpoint_every_steps": 0,
}


def train(tmp_path, data, procs):
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(CONF))
    env = dict(os.environ, SQE_DDP_CPU_PROCS=str(procs))
    out = tmp_path / f"out{procs}"
    res = subprocess.run([sys.executable, "-m", "sqe.bin.launch", "--ngpu", "0", "--", "sqe.bin.train", "--conf",
                          str(tmp_path / "c.yaml"), "--train_data", str(data), "--valid_data", str(data), "--out",
                          str(out)], env=env, capture_output=True, text=True, cwd=REPO, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return out


def test_two_gloo_processes_match_one(tmp_path):
    data = make_data_dir(tmp_path, n=8, name="train")
    one, two = train(tmp_path, data, 1), train(tmp_path, data, 2)
    a = read_checkpoint(one / "checkpoints" / "last.pt")["model"]
    b = read_checkpoint(two / "checkpoints" / "last.pt")["model"]
    flat = lambda sd: torch.cat([v.float().reshape(-1) for k, v in sorted(sd.items()) if "running" not in k])  # noqa
    moved = (flat(a) - flat(b)).norm() / flat(a).norm()
    assert moved < 0.02, f"relative parameter difference {moved:.4f}"
    rows = [list(csv.DictReader(open(p / "train_log.csv"))) for p in (one, two)]
    assert [r["epoch"] for r in rows[1]] == ["0", "1", "2"]  # written once, by rank 0
    assert rows[0][0]["valid_mse"] == rows[1][0]["valid_mse"]  # the same initial model on every rank
    for r1, r2 in zip(rows[0][1:], rows[1][1:]):
        assert float(r2["train_reg"]) == pytest.approx(float(r1["train_reg"]), rel=0.1)
    steps = [read_checkpoint(p / "checkpoints" / "last.pt")["state"]["global_step"] for p in (one, two)]
    assert steps[0] == steps[1]  # every global batch is one step, whatever the number of processes
    assert sorted(q.name for q in (two / "checkpoints").iterdir()) == ["best.pt", "last.pt"]


def test_launch_refuses_a_wrong_gpu_count(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SQE_DDP_CPU_PROCS"}
    res = subprocess.run([sys.executable, "-m", "sqe.bin.launch", "--ngpu", "2", "--", "sqe.bin.train", "--help"],
                         env=env, capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 2 and "--ngpu 2 requested but 0 GPU(s) are visible" in res.stderr
    res = subprocess.run([sys.executable, "-m", "sqe.bin.launch", "--ngpu", "0", "--", "sqe.bin.train", "--help"],
                         env=env, capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0 and "python -m sqe.bin.train" in res.stdout
