import numpy as np
import torch

from sqe.data.batching import bucket_batches, class_groups, collate, grouped_batches


def test_buckets_respect_every_limit_and_cover_each_utterance_once():
    rng = np.random.default_rng(0)
    seconds = rng.uniform(1.0, 12.0, 500)
    batches = bucket_batches(seconds, max_utts=64, max_audio_s=180.0, max_padding_rate=0.1, jitter=0.1,
                             rng=np.random.default_rng(1))
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(500))
    for b in batches:
        s = seconds[b]
        assert len(b) <= 64
        if len(b) > 1:
            assert s.max() * len(b) <= 180.0
            assert 1 - s.sum() / (s.max() * len(b)) <= 0.1 + 1e-9
    again = bucket_batches(seconds, 64, 180.0, 0.1, 0.1, np.random.default_rng(1))
    assert again == batches  # same seed, same batches
    other = bucket_batches(seconds, 64, 180.0, 0.1, 0.1, np.random.default_rng(2))
    assert other != batches


def test_collate_pads_and_normalises():
    batch = collate([(np.ones(5, dtype=np.float32), 5.0), (np.ones(3, dtype=np.float32), 1.0)])
    assert batch["wav"].shape == (2, 5) and batch["lengths"].tolist() == [5, 3]
    assert torch.all(batch["wav"][1, 3:] == 0)
    assert batch["y"].tolist() == [1.0, -1.0]


def test_class_groups_keep_one_class_of_similar_length_together():
    rng = np.random.default_rng(3)
    classes = rng.integers(-1, 6, 300)  # -1: no label
    seconds = rng.uniform(2.0, 9.0, 300)
    groups = class_groups(classes, seconds, per_class=3, max_spread=0.1)
    assert sorted(i for g in groups for i in g) == list(range(300))
    for g in groups:
        assert len(g) <= 3 and len(set(classes[g])) == 1
        assert seconds[g].max() <= seconds[g].min() * 1.1 + 1e-12
        if classes[g[0]] < 0:
            assert len(g) == 1
    assert sum(len(g) > 1 for g in groups) > 50  # 300 draws of 6 classes over 7 s: most find a partner


def test_grouped_batches_hold_whole_groups_within_the_limits():
    rng = np.random.default_rng(0)
    seconds = rng.uniform(1.0, 12.0, 500)
    classes = rng.integers(0, 8, 500)
    grouped = grouped_batches(seconds, 64, 180.0, 0.1, 0.1, np.random.default_rng(1), classes, per_class=2)
    assert sorted(i for b in grouped for g in b for i in g) == list(range(500))
    pairs = 0
    for b in grouped:
        flat = [i for g in b for i in g]
        s = seconds[flat]
        assert len(flat) <= 64 and s.max() * len(flat) <= 180.0
        if len(flat) > 1:
            assert 1 - s.sum() / (s.max() * len(flat)) <= 0.1 + 1e-9
        for g in b:
            assert len(g) <= 2 and len(set(classes[g])) == 1
            pairs += len(g) == 2
    assert pairs > 100
    # with groups of one the batches are the plain length buckets, drawn from the same random stream
    plain = grouped_batches(seconds, 64, 180.0, 0.1, 0.1, np.random.default_rng(1), classes, per_class=1)
    flat_plain = [[i for g in b for i in g] for b in plain]
    assert flat_plain == bucket_batches(seconds, 64, 180.0, 0.1, 0.1, np.random.default_rng(1))
