"""Errors whose message is meant for the user: stages print it (no traceback) and exit with status 1."""
from __future__ import annotations

import contextlib
import errno
import os
from typing import Iterator

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)  # no space left, disk quota exceeded


class SqeError(RuntimeError):
    """A failure the user can fix; the message names the file, key or line at fault."""


class DiskFullError(SqeError):
    """An output could not be written for lack of space; the message names the file."""


def disk_full_message(err: OSError, path: str | os.PathLike | None = None) -> str:
    where = path if path is not None else err.filename
    return f"no space left on device writing {where}" if where else f"no space left on device ({err.strerror})"


@contextlib.contextmanager
def naming_disk_full(path: str | os.PathLike) -> Iterator[None]:
    """Turn a full disk while writing ``path`` into a DiskFullError that names it (other errors pass)."""
    try:
        yield
    except OSError as err:
        if err.errno in DISK_FULL:
            raise DiskFullError(disk_full_message(err, path)) from None
        raise
