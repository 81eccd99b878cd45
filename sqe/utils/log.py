"""Logging in the recipe format ``time [host] (module:line) LEVEL: msg`` on stderr.

Named ``log.py`` (not ``logging.py``) so it can never shadow the standard library module.

Usage:
    >>> from sqe.utils.log import get_logger, setup_logging
    >>> setup_logging("INFO")
    >>> get_logger(__name__).info("hello")   # doctest: +SKIP
"""
from __future__ import annotations

import logging
import socket
import sys

_FORMAT = "%(asctime)s [{host}] (%(module)s:%(lineno)d) %(levelname)s: %(message)s"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (it may be replaced, e.g. by tests)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self):  # noqa: D401
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup_logging(level: str | int = "INFO") -> None:
    """Configure the root logger once per process; later calls only change the level."""
    root = logging.getLogger()
    if not any(getattr(h, "_sqe", False) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(
            logging.Formatter(_FORMAT.format(host=socket.gethostname().split(".")[0]), "%Y-%m-%d %H:%M:%S")
        )
        handler._sqe = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    logging.getLogger("matplotlib").setLevel(logging.WARNING)  # font cache chatter


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
