import numpy as np
import torch

from sqe.data.batching import bucket_batches, collate


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
