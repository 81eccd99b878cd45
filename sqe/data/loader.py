"""Batches made in worker processes: a torch DataLoader over keys, each key turned into one finished batch by a
function of the key alone (so the batches do not depend on the number of workers).

Training keys are (epoch, step) and inference keys are batch numbers; the caller decides which keys are left
(a resumed epoch starts at its next step). With ``num_workers: 0`` the same function runs in the calling
process. Workers are forked once and kept for the whole run (persistent); each keeps ``prefetch`` batches
ready, in pinned memory when the batches go to a GPU.

    >>> loader = KeyedLoader(lambda key: {"x": key * 2}, num_workers=0)
    >>> [b["x"] for b in loader.iterate([1, 2, 3])]
    [2, 4, 6]
"""
from __future__ import annotations

from typing import Any, Callable, Hashable, Iterable, Iterator, Sequence

import torch
from torch.utils.data import DataLoader, Dataset, Sampler


class _KeyedBatches(Dataset):
    def __init__(self, make: Callable[[Any], Any]):
        self.make = make

    def __getitem__(self, key: Any) -> Any:
        return self.make(key)


class _Keys(Sampler):
    """The keys of the next pass; set before each pass so persistent workers serve every epoch."""

    def __init__(self) -> None:
        self.keys: Sequence[Hashable] = ()

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self.keys)

    def __len__(self) -> int:
        return len(self.keys)


def _as_is(batch: Any) -> Any:  # batches are collated by ``make`` already
    return batch


class KeyedLoader:
    def __init__(self, make: Callable[[Any], Any], num_workers: int = 0, prefetch: int = 2,
                 pin_memory: bool = False):
        if num_workers < 0:
            raise ValueError("num_workers must be >= 0")
        self.make = make
        self.num_workers = num_workers
        self._keys = _Keys()
        self._loader: DataLoader | None = None
        if num_workers > 0:
            self._loader = DataLoader(_KeyedBatches(make), batch_size=None, sampler=self._keys,
                                      num_workers=num_workers, collate_fn=_as_is, pin_memory=pin_memory,
                                      prefetch_factor=max(1, prefetch), persistent_workers=True)

    def iterate(self, keys: Iterable[Hashable]) -> Iterator[Any]:
        """The batches of ``keys``, in order."""
        if self._loader is None:
            for key in keys:
                yield self.make(key)
            return
        self._keys.keys = list(keys)
        yield from self._loader


def to_device(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """Copy a batch to ``device``; asynchronous from pinned memory."""
    return {k: v.to(device, non_blocking=v.is_pinned()) for k, v in batch.items()}
