"""Contiguous blocks of a list for JOB arrays: the first ``len % n`` blocks get one item more.

    >>> [block(list("abcde"), k, 3) for k in (1, 2, 3)]
    [['a', 'b'], ['c', 'd'], ['e']]
"""
from __future__ import annotations

from typing import Sequence, TypeVar

from sqe.utils.errors import SqeError

T = TypeVar("T")


def block(items: Sequence[T], part: int, nparts: int | None) -> list[T]:
    """Block ``part`` (1-based) of ``nparts``."""
    if nparts is None or not 1 <= part <= nparts:
        raise SqeError(f"part must be in 1..nparts, got part {part} of {nparts}")
    size, extra = divmod(len(items), nparts)
    start = (part - 1) * size + min(part - 1, extra)
    return list(items[start:start + size + (1 if part <= extra else 0)])
