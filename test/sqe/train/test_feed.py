from types import SimpleNamespace

import numpy as np
import pytest

from sqe.data.labels import IGNORE
from sqe.train.conf import BatchConf
from sqe.train.distributed import Dist, shard_groups
from sqe.train.feed import TrainFeed
from sqe.utils.errors import SqeError


class FakeSet:
    """What TrainFeed reads of a MixupTrainingSet to make batches: lengths, keys and class ids."""

    def __init__(self, seconds: np.ndarray, class_id: dict[str, int]):
        self._seconds = seconds
        self.items = [SimpleNamespace(key=f"u{i}") for i in range(seconds.size)]
        self.class_id = class_id

    def seconds(self) -> np.ndarray:
        return self._seconds


def fake_set(n: int = 200, labelled: bool = True) -> FakeSet:
    rng = np.random.default_rng(5)
    ids = {f"u{i}": int(c) for i, c in enumerate(rng.integers(0, 40, n))} if labelled else {}
    return FakeSet(rng.uniform(3.0, 6.0, n), ids)


def test_per_class_batches_put_utterances_of_one_class_together():
    data = fake_set()
    conf = BatchConf(max_utts=16, max_audio_s=80.0, per_class=2)
    feed = TrainFeed(data, conf, seed=0, dist=Dist())
    batches = feed.batches(0)
    assert sorted(i for b in batches for i in b) == list(range(200))
    partnered = sum(sum(1 for j in b if data.class_id[f"u{j}"] == data.class_id[f"u{i}"]) > 1
                    for b in batches for i in b)
    plain = TrainFeed(data, BatchConf(max_utts=16, max_audio_s=80.0), seed=0, dist=Dist()).batches(0)
    partnered_plain = sum(sum(1 for j in b if data.class_id[f"u{j}"] == data.class_id[f"u{i}"]) > 1
                          for b in plain for i in b)
    assert partnered >= 2 * partnered_plain  # 130 against 55 of 200 utterances (40 classes, 5 each)
    assert feed.batches(0) == TrainFeed(data, conf, seed=0, dist=Dist()).batches(0)  # (seed, epoch) decide
    assert feed.batches(1) != batches


def test_per_class_needs_class_labels_and_a_size_within_the_batch():
    with pytest.raises(SqeError, match="utt2cls"):
        TrainFeed(fake_set(labelled=False), BatchConf(per_class=2), seed=0, dist=Dist())
    TrainFeed(fake_set(labelled=False), BatchConf(), seed=0, dist=Dist())  # 1: no labels needed
    for bad in (0, 65):
        with pytest.raises(ValueError, match="per_class"):
            BatchConf(max_utts=64, per_class=bad)


def test_a_class_group_stays_on_one_rank():
    groups = [[0, 1], [2], [3, 4, 5], [6]]
    ranks = [shard_groups(groups, Dist(rank=r, world=2)) for r in range(2)]
    assert ranks == [[0, 1, 3, 4, 5], [2, 6]]
    assert shard_groups(groups, Dist()) == [0, 1, 2, 3, 4, 5, 6]
    singles = [[0], [1], [2]]  # no groups: dealt as before
    assert [shard_groups(singles, Dist(rank=r, world=2)) for r in range(2)] == [[0, 2], [1]]
    data = fake_set()
    data.class_id = {k: IGNORE if i % 2 else v for i, (k, v) in enumerate(data.class_id.items())}
    feed = TrainFeed(data, BatchConf(max_utts=16, max_audio_s=80.0, per_class=2), seed=0, dist=Dist(rank=1, world=2))
    both = [TrainFeed(data, BatchConf(max_utts=16, max_audio_s=80.0, per_class=2), seed=0,
                      dist=Dist(rank=r, world=2)).local(0, 3) for r in range(2)]
    assert sorted(both[0] + both[1]) == sorted(feed.batches(0)[3]) and feed.local(0, 3) == both[1]
