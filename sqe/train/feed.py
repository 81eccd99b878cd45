"""The training batches, keyed by (epoch, step) so that worker processes can make them.

An epoch's batches depend only on (seed, epoch) and every example on (seed, epoch, index) (mixup/dataset.py),
so batch (epoch, step) is the same whichever process makes it and however many workers there are; a resumed
run asks for the steps its epoch has left. The mix-up counts a worker makes travel back with each batch.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from sqe.data.batching import grouped_batches
from sqe.data.labels import IGNORE
from sqe.mixup.dataset import MixupTrainingSet
from sqe.train.conf import BatchConf
from sqe.train.distributed import Dist, shard_groups
from sqe.utils.errors import SqeError


class TrainFeed:
    def __init__(self, data: MixupTrainingSet, conf: BatchConf, seed: int, dist: Dist):
        self.data, self.conf, self.seed, self.dist = data, conf, seed, dist
        self.classes = None
        if conf.per_class > 1:
            if not data.class_id:
                raise SqeError(f"batch.per_class: {conf.per_class} groups the utterances by degradation class, "
                               "which needs the contrastive loss's class labels (utt2cls; loss.weights.scl > 0)")
            self.classes = np.array([data.class_id.get(it.key, IGNORE) for it in data.items])
        self._epoch: int | None = None
        self._groups: list[list[list[int]]] = []
        self._batches: list[list[int]] = []

    def batches(self, epoch: int) -> list[list[int]]:
        """The global batches (utterance indices of all ranks) of ``epoch``."""
        if epoch != self._epoch:
            c = self.conf
            rng = np.random.default_rng([self.seed, epoch])
            self._groups = grouped_batches(self.data.seconds(), c.max_utts, c.max_audio_s, c.max_padding_rate,
                                           c.length_jitter, rng, self.classes, c.per_class)
            self._batches = [[i for g in b for i in g] for b in self._groups]
            self._epoch = epoch
        return self._batches

    def local(self, epoch: int, step: int) -> list[int]:
        """This rank's share of batch ``step`` of ``epoch`` (a class group stays on one rank)."""
        self.batches(epoch)
        return shard_groups(self._groups[step], self.dist)

    def __call__(self, key: tuple[int, int]) -> tuple[dict[str, torch.Tensor] | None, dict[str, int]]:
        """(the collated batch of this rank, or None for an empty share; the mix-up counts of the batch): the
        caller adds the counts to the set's, so they are right whichever process made the batch."""
        epoch, step = key
        idx = self.local(epoch, step)
        if not idx:
            return None, {}
        kept, self.data.stats = self.data.stats, Counter()  # count this batch alone, in any process
        try:
            batch = self.data.batch(idx, epoch)
            return batch, dict(self.data.stats)
        finally:
            self.data.stats = kept
