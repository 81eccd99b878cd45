"""Contiguous blocks of a list for JOB arrays (the first ``len % n`` blocks get one item more) and where each
task writes.

    >>> [block(list("abcde"), k, 3) for k in (1, 2, 3)]
    [['a', 'b'], ['c', 'd'], ['e']]
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence, TypeVar

from sqe.utils.errors import SqeError

T = TypeVar("T")


def part_dir(out: Path, part: int) -> Path:
    """Where task ``part`` of a JOB array writes under the output folder ``out`` (its joining call reads there)."""
    return Path(out) / "parts" / f"part{part}"


def block(items: Sequence[T], part: int, nparts: int | None) -> list[T]:
    """Block ``part`` (1-based) of ``nparts``."""
    if nparts is None or not 1 <= part <= nparts:
        raise SqeError(f"part must be in 1..nparts, got part {part} of {nparts}")
    size, extra = divmod(len(items), nparts)
    start = (part - 1) * size + min(part - 1, extra)
    return list(items[start:start + size + (1 if part <= extra else 0)])
