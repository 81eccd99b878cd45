"""The training loop: Adam with a linear decay per epoch, gradient clipping, bf16 autocast on GPU,
length-bucketed batches, validation every epoch, best/last checkpoints and training curves.

Resuming is exact: the batches of an epoch depend only on (seed, epoch) and every step reseeds the random
generators from (seed, epoch, step), so a job killed mid-epoch and restarted from its last checkpoint
continues with the losses an uninterrupted run would have had.

Outputs in ``out``: ``checkpoints/{last,best}.pt``, ``train_log.csv``, ``curves.png``, ``best.json``; with
``average_best`` N > 1 also the snapshots ``checkpoints/epoch<k>.pt`` of the N best epochs, and best.pt is their
average (validated again: best.json holds its own metrics and ``averaged_epochs``).
"""
from __future__ import annotations

import json
import math
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sqe.models.lssqa import LSSQAModel
from sqe.models.checkpoint import check_architecture, read_checkpoint, save_checkpoint
from sqe.train.accel import compile_encoder, make_optimizer
from sqe.train.averaging import average_states, rank_epochs, snapshot_path, stale_snapshots
from sqe.train.conf import TrainConf
from sqe.train.curves import plot_curves, write_log
from sqe.mixup.dataset import MixupTrainingSet
from sqe.data.batching import UtteranceSet
from sqe.data.labels import CLEAN
from sqe.data.loader import KeyedLoader, to_device
from sqe.train.distributed import barrier, init_from_env, mean_of, sync_gradients
from sqe.train.feed import TrainFeed
from sqe.train.step import compute_losses, loss_keys
from sqe.infer.runner import use_bf16
from sqe.train.monitor import predict_utterances, scl_eer, utterance_metrics
from sqe.utils.atomic import write_text_atomic
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.progress import progress

log = get_logger(__name__)


class TrainingDiverged(SqeError):
    """A non-finite loss: training stops, the last good checkpoint is kept."""


@dataclass
class State:
    epoch: int = 0  # epochs completed
    step_in_epoch: int = 0  # batches of the current epoch already trained
    global_step: int = 0
    best: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    running: dict[str, float] = field(default_factory=dict)  # sums of this epoch's logged losses so far


def _step_seed(seed: int, epoch: int, step: int) -> int:
    return (seed * 1_000_003 + epoch * 10_007 + step) % (2**63 - 1)


class Trainer:
    def __init__(self, conf: TrainConf, train_dirs: list[str], valid_dirs: list[str], out: Path,
                 train_scores: str | None = None, train_vad: str | None = None, valid_mixup: str | None = None):
        self.conf, self.out = conf, Path(out)
        self.train = MixupTrainingSet(train_dirs, conf.mixup, train_scores, train_vad, conf.seed,
                                      labels=conf.loss.weights.scl > 0, audio_memory_mb=conf.batch.audio_memory_mb)
        self.valid = UtteranceSet(valid_dirs, audio_memory_mb=conf.batch.audio_memory_mb / 4)
        self.valid_mixup = valid_mixup
        if conf.select_metric == "scl_eer" and (valid_mixup is None or conf.model.scl is None):
            raise SqeError("select_metric scl_eer needs a model with an SCL branch and --valid_mixup")
        self.dist = init_from_env()
        use_cuda = conf.device == "cuda" or (conf.device == "auto" and torch.cuda.is_available())
        self.device = torch.device(f"cuda:{self.dist.local_rank}" if use_cuda and self.dist.enabled
                                   else "cuda" if use_cuda else "cpu")
        if conf.device == "cuda" and not torch.cuda.is_available():
            raise SqeError("device: cuda requested but no GPU is visible")
        self.autocast = use_bf16(conf.precision, self.device)
        if conf.num_threads > 0:
            torch.set_num_threads(conf.num_threads)
        torch.manual_seed(conf.seed)
        self.model = LSSQAModel(conf.model).to(self.device)  # same seed: the same initial weights on every rank
        o = conf.optim
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.optimizer = make_optimizer(self.params, o)
        if conf.compile:
            compile_encoder(self.model)
        self.scheduler = torch.optim.lr_scheduler.LinearLR(
            self.optimizer, start_factor=1.0, end_factor=o.min_lr / o.lr, total_iters=max(o.epochs - 1, 1))
        self.state = State()
        self.ckpt_dir = self.out / "checkpoints"
        self.feed = TrainFeed(self.train, conf.batch, conf.seed, self.dist)
        self.loader = KeyedLoader(self.feed, conf.batch.num_workers, conf.batch.prefetch,
                                  pin_memory=self.device.type == "cuda")

    # -- checkpoints --------------------------------------------------------------------------------
    def _save(self, name: str) -> None:
        if not self.dist.primary:
            return
        save_checkpoint(self.ckpt_dir / name, self.model, optimizer=self.optimizer.state_dict(),
                        scheduler=self.scheduler.state_dict(), state=self.state.__dict__)

    def resume(self) -> bool:
        last = self.ckpt_dir / "last.pt"
        if not last.is_file():
            return False
        payload = read_checkpoint(last)
        check_architecture(payload, self.conf.model, last)
        self.model.load_state_dict(payload["model"])
        self.optimizer.load_state_dict(payload["optimizer"])
        self.scheduler.load_state_dict(payload["scheduler"])
        self.state = State(**payload["state"])
        log.info("resuming from %s: epoch %d, step %d of the epoch", last, self.state.epoch + 1,
                 self.state.step_in_epoch)
        return True

    # -- one epoch ----------------------------------------------------------------------------------
    def _train_epoch(self) -> dict[str, float]:
        c, st = self.conf, self.state
        epoch = st.epoch + 1
        steps = range(st.step_in_epoch, len(self.feed.batches(epoch)))  # a resumed epoch: the steps it has left
        made = self.loader.iterate((epoch, step) for step in steps)
        self.model.train()
        for step, (batch, counts) in progress(zip(steps, made), total=len(steps), desc=f"epoch {epoch}",
                                              unit="batch"):
            self.train.stats.update(counts)  # what the mix-up did, counted where the batch was made
            seed = _step_seed(c.seed, epoch, step)
            torch.manual_seed(seed)
            generator = torch.Generator().manual_seed(seed + self.dist.rank)
            n_local = len(self.feed.local(epoch, step))  # this rank's share of the global batch
            self.optimizer.zero_grad(set_to_none=True)
            parts = {k: 0.0 for k in loss_keys(self.model, c.loss)}
            if batch is not None:
                batch = to_device(batch, self.device)
                with torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.autocast):
                    total, parts = compute_losses(self.model, batch, c.loss, generator)
                if math.isfinite(parts["total"]):
                    total.backward()
            parts = mean_of(parts, n_local, self.dist)
            if not all(math.isfinite(v) for v in parts.values()):
                raise TrainingDiverged(
                    f"non-finite loss at epoch {epoch}, step {step} ({parts}); training stopped, the last good "
                    f"checkpoint is {self.ckpt_dir / 'last.pt'}")
            sync_gradients(self.params, n_local, self.dist)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), c.optim.grad_clip)
            self.optimizer.step()
            st.global_step += 1
            st.step_in_epoch = step + 1
            for k, v in parts.items():
                st.running[k] = st.running.get(k, 0.0) + v
            st.running["n"] = st.running.get("n", 0.0) + 1
            if c.checkpoint_every_steps and st.global_step % c.checkpoint_every_steps == 0:
                self._save("last.pt")
            if c.debug_kill_after_steps is not None and st.global_step == c.debug_kill_after_steps:
                os.kill(os.getpid(), signal.SIGKILL)
        n = st.running.pop("n", 1.0)
        means = {f"train_{k}": v / n for k, v in st.running.items()}
        st.running = {}
        if self.train.stats:
            log.info("epoch %d mix-up: %s", epoch, ", ".join(f"{k} {v}" for k, v in sorted(self.train.stats.items())))
            self.train.stats.clear()
        return means

    def _validate(self) -> dict[str, float]:
        pred = predict_utterances(self.model, self.valid, self.device, self.conf.batch.max_audio_s,
                                  self.conf.batch.max_utts, self.autocast)
        target = np.array([it.mos for it in self.valid.items])
        metrics = {f"valid_{k}": v for k, v in utterance_metrics(pred, target).items()}
        if self.valid_mixup is not None and self.model.scl is not None:
            clean_not_anchor = CLEAN in self.conf.loss.scl.exclude_anchor_classes
            metrics["valid_scl_eer"] = scl_eer(self.model, self.valid_mixup, self.device, self.conf.scl_eer_embedding,
                                               self.conf.scl_eer_clean == "auto" and clean_not_anchor,
                                               autocast=self.autocast)
        return metrics

    # -- the loop -----------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        resumed = self.resume()
        c, st = self.conf, self.state
        primary = self.dist.primary
        if not resumed:
            row = {"epoch": 0, **(self._validate() if primary else {})}
            st.history.append(row)
            if primary:
                log.info("before training: %s", _fmt(row))
            barrier(self.dist)
        metric = f"valid_{c.select_metric}"
        minimise = c.select_metric.endswith("eer")  # EERs are minimised
        sign = -1.0 if minimise else 1.0
        while st.epoch < c.optim.epochs:
            start = time.monotonic()
            means = self._train_epoch()
            self.scheduler.step()
            st.epoch += 1
            st.step_in_epoch = 0
            if not primary:  # rank 0 validates and writes; the others wait for it
                barrier(self.dist)
                continue
            row = {"epoch": st.epoch, "lr": self.optimizer.param_groups[0]["lr"], **means, **self._validate(),
                   "seconds": round(time.monotonic() - start, 1)}
            st.history.append(row)
            improved = not st.best or sign * row[metric] > sign * st.best[metric]
            if improved:
                st.best = dict(row)
                self._save("best.pt")
            self._keep_snapshots(metric, minimise)  # before last.pt: a resumed run finds them
            self._save("last.pt")
            write_log(self.out / "train_log.csv", st.history)
            plot_curves(self.out / "curves.png", st.history)
            log.info("epoch %d: %s%s", st.epoch, _fmt(row), " (best)" if improved else "")
            barrier(self.dist)
        if primary:
            if c.average_best > 1:
                self._average_best(metric, minimise)
            write_text_atomic(self.out / "best.json", json.dumps(st.best, indent=2) + "\n")
        return st.best

    # -- n-best averaging ---------------------------------------------------------------------------
    def _best_epochs(self, metric: str, minimise: bool) -> list[int]:
        return rank_epochs(self.state.history, metric, minimise)[: self.conf.average_best]

    def _keep_snapshots(self, metric: str, minimise: bool) -> None:
        if self.conf.average_best <= 1:
            return
        keep = self._best_epochs(metric, minimise)
        if self.state.epoch in keep:
            save_checkpoint(snapshot_path(self.ckpt_dir, self.state.epoch), self.model)
        for path in stale_snapshots(self.ckpt_dir, keep):
            path.unlink()

    def _average_best(self, metric: str, minimise: bool) -> None:
        keep = self._best_epochs(metric, minimise)
        states = [read_checkpoint(snapshot_path(self.ckpt_dir, e))["model"] for e in keep]
        self.model.load_state_dict(average_states(states))
        self.state.best = {"averaged_epochs": keep, **self._validate()}
        self._save("best.pt")
        log.info("best.pt: the mean of epochs %s: %s", keep, _fmt(self.state.best))


def _fmt(row: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items() if k != "epoch")
