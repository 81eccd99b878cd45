"""Training end to end on a small synthetic corpus: outputs, learning, exact resume after a kill, NaN stop,
architecture checks."""
from __future__ import annotations

import csv
import subprocess
import sys

import pytest
import torch
import yaml
from conftest import REPO, TINY_TRAIN_CONF, StageRun, make_data_dir

from sqe.train import step as step_module
from sqe.models.checkpoint import check_architecture, load_model, read_checkpoint
from sqe.train.conf import TrainConf
from sqe.train.trainer import Trainer, TrainingDiverged
from sqe.utils.config import from_dict
from sqe.utils.errors import SqeError

CONF = TINY_TRAIN_CONF


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    return make_data_dir(root, n=8, name="train"), make_data_dir(root / "v", n=4, name="valid")


def train_args(out, conf):
    out.mkdir(parents=True, exist_ok=True)
    (out.parent / f"{out.name}.yaml").write_text(yaml.safe_dump(conf))
    return ["--conf", str(out.parent / f"{out.name}.yaml"), "--train_data", str(CORPUS[0]), "--valid_data",
            str(CORPUS[1]), "--out", str(out)]


def train_cli(out, conf=CONF):
    """``python -m sqe.bin.train`` in its own process (one that kills itself must not take pytest with it)."""
    return subprocess.run([sys.executable, "-m", "sqe.bin.train", *train_args(out, conf)], capture_output=True,
                          text=True, cwd=REPO)


CORPUS: tuple = ()


def log_rows(out):
    with open(out / "train_log.csv") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def test_training_outputs_and_resume_after_kill(corpus, tmp_path):
    global CORPUS
    CORPUS = corpus
    full = StageRun("train", train_args(tmp_path / "full", CONF))
    assert full.returncode == 0, full.stderr
    for name in ("checkpoints/last.pt", "checkpoints/best.pt", "train_log.csv", "curves.png", "best.json",
                 "config.yaml", "env.json", ".done"):
        assert (tmp_path / "full" / name).is_file(), name
    rows = log_rows(tmp_path / "full")
    assert [r["epoch"] for r in rows] == ["0", "1", "2", "3"]

    # killed and resumed with 2 loader workers (issue 13): the same rows as the uninterrupted in-process run
    workers = {**CONF, "batch": {**CONF["batch"], "num_workers": 2}, "debug_kill_after_steps": 5}
    killed = train_cli(tmp_path / "kill", conf=workers)
    assert killed.returncode == -9
    assert read_checkpoint(tmp_path / "kill" / "checkpoints" / "last.pt")["state"]["global_step"] == 5
    resumed = train_cli(tmp_path / "kill", conf=workers)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from" in resumed.stderr
    assert log_rows(tmp_path / "kill") == rows  # same losses and metrics as the uninterrupted run

    again = StageRun("train", train_args(tmp_path / "full", CONF))
    assert again.returncode == 0 and "up to date" in again.stderr
    changed = StageRun("train", train_args(tmp_path / "full", {**CONF, "seed": 1}))
    assert changed.returncode == 1 and "different config" in changed.stderr


def test_learning_improves_validation(corpus, tmp_path):
    conf = from_dict(TrainConf, {**CONF, "optim": {"lr": 3e-3, "min_lr": 1e-3, "epochs": 6},
                                 "checkpoint_every_steps": 0})
    trainer = Trainer(conf, [str(corpus[0])], [str(corpus[0])], tmp_path)
    trainer.run()
    hist = trainer.state.history
    assert hist[-1]["train_total"] < hist[1]["train_total"]


def test_nan_loss_stops_and_keeps_last_good_checkpoint(corpus, tmp_path, monkeypatch):
    conf = from_dict(TrainConf, CONF)
    trainer = Trainer(conf, [str(corpus[0])], [str(corpus[1])], tmp_path)
    real = step_module.compute_losses
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        total, parts = real(*args, **kwargs)
        if calls["n"] == 3:
            parts["reg"] = float("nan")
        return total, parts

    monkeypatch.setattr("sqe.train.trainer.compute_losses", flaky)
    with pytest.raises(TrainingDiverged, match="non-finite loss at epoch 1, step 2"):
        trainer.run()
    assert read_checkpoint(tmp_path / "checkpoints" / "last.pt")["state"]["global_step"] == 2


def test_checkpoint_architecture_check(corpus, tmp_path):
    conf = from_dict(TrainConf, {**CONF, "optim": {"epochs": 1}})
    Trainer(conf, [str(corpus[0])], [str(corpus[1])], tmp_path).run()
    payload = read_checkpoint(tmp_path / "checkpoints" / "best.pt")
    other = from_dict(TrainConf, {**CONF, "model": {**CONF["model"], "d_z": 6}})
    with pytest.raises(SqeError, match=r"different architecture \(model.d_z: checkpoint 4, config 6\)"):
        check_architecture(payload, other.model, "best.pt")
    model = load_model(tmp_path / "checkpoints" / "best.pt")
    assert not model.training and model.conf.d_z == 4
    (tmp_path / "junk.pt").write_bytes(b"x")
    with pytest.raises(SqeError, match="cannot read checkpoint"):
        read_checkpoint(tmp_path / "junk.pt")
    torch.save({"a": 1}, tmp_path / "other.pt")
    with pytest.raises(SqeError, match="not an sqe LSSQA checkpoint"):
        read_checkpoint(tmp_path / "other.pt")
