"""n-best checkpoint averaging: ranking, the mean of state dicts, snapshots kept by the trainer."""
from __future__ import annotations

import json

import pytest
import torch
from conftest import TINY_TRAIN_CONF, make_data_dir

from sqe.models.checkpoint import read_checkpoint
from sqe.train.averaging import average_states, rank_epochs, snapshot_path, stale_snapshots
from sqe.train.conf import TrainConf
from sqe.train.trainer import Trainer
from sqe.utils.config import ConfigError, from_dict

CONF = {**TINY_TRAIN_CONF, "optim": {"lr": 3e-3, "min_lr": 1e-3, "epochs": 4}, "checkpoint_every_steps": 0}


def test_rank_epochs_maximises_or_minimises_and_skips_epoch_zero():
    history = [{"epoch": 0, "valid_srcc": 0.9}, {"epoch": 1, "valid_srcc": 0.2}, {"epoch": 2, "valid_srcc": 0.7},
               {"epoch": 3, "valid_srcc": 0.5}]
    assert rank_epochs(history, "valid_srcc", minimise=False) == [2, 3, 1]
    assert rank_epochs(history, "valid_srcc", minimise=True) == [1, 3, 2]


def test_average_states_means_floats_keeps_integers_and_dtypes():
    a = {"w": torch.tensor([1.0, 2.0]), "h": torch.tensor([1.0], dtype=torch.bfloat16), "n": torch.tensor(7)}
    b = {"w": torch.tensor([3.0, 6.0]), "h": torch.tensor([2.0], dtype=torch.bfloat16), "n": torch.tensor(9)}
    out = average_states([a, b])
    assert out["w"].tolist() == [2.0, 4.0]
    assert out["h"].dtype == torch.bfloat16 and out["h"].item() == 1.5
    assert out["n"].item() == 7  # integer buffers (e.g. batch-norm step counts) from the best
    with pytest.raises(ValueError, match="different keys"):
        average_states([a, {"w": a["w"]}])
    with pytest.raises(ValueError, match="nothing"):
        average_states([])


def test_stale_snapshots(tmp_path):
    for e in (1, 2, 5):
        snapshot_path(tmp_path, e).write_bytes(b"")
    (tmp_path / "last.pt").write_bytes(b"")
    assert [p.name for p in stale_snapshots(tmp_path, [5, 3])] == ["epoch1.pt", "epoch2.pt"]


def test_average_best_must_be_positive():
    with pytest.raises(ConfigError, match="average_best must be >= 1"):
        from_dict(TrainConf, {**CONF, "average_best": 0})


def test_trainer_keeps_the_n_best_snapshots_and_writes_their_mean(tmp_path):
    train = make_data_dir(tmp_path / "c", n=8, name="train")
    valid = make_data_dir(tmp_path / "c" / "v", n=4, name="valid")
    out = tmp_path / "exp"
    trainer = Trainer(from_dict(TrainConf, {**CONF, "average_best": 2}), [str(train)], [str(valid)], out)
    trainer.run()
    ranked = rank_epochs(trainer.state.history, "valid_srcc", minimise=False)
    ckpts = out / "checkpoints"
    assert sorted(p.name for p in ckpts.glob("epoch*.pt")) == sorted(f"epoch{e}.pt" for e in ranked[:2])
    snaps = [read_checkpoint(snapshot_path(ckpts, e))["model"] for e in ranked[:2]]
    best = read_checkpoint(ckpts / "best.pt")["model"]
    for key, value in best.items():
        if value.is_floating_point():
            torch.testing.assert_close(value, (snaps[0][key] + snaps[1][key]) / 2)
    last = read_checkpoint(ckpts / "last.pt")["model"]
    assert any(not torch.equal(best[k], last[k]) for k in best)  # best.pt is not simply the last epoch
    summary = json.loads((out / "best.json").read_text())
    assert summary["averaged_epochs"] == ranked[:2] and "valid_srcc" in summary and "epoch" not in summary
