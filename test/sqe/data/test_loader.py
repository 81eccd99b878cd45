"""Batches made by worker processes: the same batches, in the same order, as in the calling process."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from sqe.data.loader import KeyedLoader, to_device


def make(key):
    rng = np.random.default_rng(key)  # a function of the key alone
    return {"x": torch.from_numpy(rng.standard_normal(4)), "pid": torch.tensor(os.getpid())}


@pytest.mark.filterwarnings("ignore:This DataLoader will create 3 worker processes")  # 2 cores here
def test_workers_give_the_in_process_batches_in_order_on_every_pass():
    inline, workers = KeyedLoader(make, 0), KeyedLoader(make, 3, prefetch=1)
    for keys in ([5, 1, 9, 2, 7], [3, 4], []):  # persistent workers serve passes with other keys
        a, b = list(inline.iterate(keys)), list(workers.iterate(keys))
        assert len(a) == len(b) == len(keys)
        for x, y in zip(a, b):
            assert torch.equal(x["x"], y["x"])
    pids = {int(b["pid"]) for b in workers.iterate(range(12))}
    assert os.getpid() not in pids  # made elsewhere
    assert {int(b["pid"]) for b in inline.iterate([1])} == {os.getpid()}


def test_a_pass_left_early_does_not_leak_into_the_next():
    loader = KeyedLoader(make, 2)
    first = loader.iterate(range(10))
    next(first)
    first.close()
    again = [b["x"] for b in loader.iterate([8, 9])]
    assert torch.equal(again[0], make(8)["x"]) and torch.equal(again[1], make(9)["x"])


def test_bad_worker_count_and_device_copy():
    with pytest.raises(ValueError, match="num_workers"):
        KeyedLoader(make, -1)
    batch = to_device(make(0), torch.device("cpu"))
    assert batch["x"].device.type == "cpu" and torch.equal(batch["x"], make(0)["x"])
