"""Progress for long loops: a tqdm bar on a terminal, periodic log lines in job logs (no carriage returns).

    >>> sum(progress(range(3), desc="count"))
    3
"""
from __future__ import annotations

import sys
import time
from typing import Iterable, Iterator, TypeVar

from sqe.utils.log import get_logger

T = TypeVar("T")
log = get_logger("sqe.progress")


def progress(items: Iterable[T], desc: str = "", total: int | None = None, unit: str = "it",
             enabled: bool = True, log_every_s: float = 30.0) -> Iterator[T]:
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    if not enabled:
        yield from items
        return
    if sys.stderr.isatty():
        from tqdm import tqdm

        yield from tqdm(items, desc=desc, total=total, unit=unit, leave=False)
        return
    start = last = time.monotonic()
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= log_every_s:
            last = now
            rate = done / (now - start)
            if total:
                eta = (total - done) / rate if rate > 0 else float("inf")
                log.info("%s: %d/%d %s (%.0f%%, %.1f %s/s, ETA %.0f s)", desc, done, total, unit,
                         100 * done / total, rate, unit, eta)
            else:
                log.info("%s: %d %s (%.1f %s/s)", desc, done, unit, rate, unit)
    if done and time.monotonic() - start >= log_every_s:
        log.info("%s: %d %s in %.0f s", desc, done, unit, time.monotonic() - start)
