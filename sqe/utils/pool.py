"""Process-parallel map with progress, order preserved; ``workers <= 1`` runs in this process.

Workers are forked, so module-level state prepared before the call is visible to them.

    >>> parallel_map(abs, [-1, -2, 3], workers=1)
    [1, 2, 3]
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, TypeVar

from sqe.utils.progress import progress

T = TypeVar("T")
R = TypeVar("R")


def parallel_map(fn: Callable[[T], R], items: Iterable[T], workers: int = 1, desc: str = "",
                 unit: str = "it") -> list[R]:
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in progress(items, desc=desc, unit=unit)]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        chunk = max(1, len(items) // (workers * 16))
        return list(progress(pool.map(fn, items, chunksize=chunk), desc=desc, total=len(items), unit=unit))
