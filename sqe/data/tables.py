"""Kaldi-style text tables: ``<key> <value>`` per line, keys unique and sorted in C-locale (byte) order.

Reading collects every problem with file, line and key (``scan_table``) or raises on the first ones
(``read_table``); writing sorts the keys and replaces the file atomically.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "utt2mos"
    >>> write_table(p, {"b": 3.5, "a": 2.0})
    >>> p.read_text()
    'a 2.0\\nb 3.5\\n'
    >>> read_table(p, parse_float)
    {'a': 2.0, 'b': 3.5}
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from sqe.utils.atomic import atomic_write
from sqe.utils.errors import SqeError


class DataError(SqeError):
    """A data file that cannot be used as it is."""


@dataclass(frozen=True)
class Problem:
    """One defect of a data dir, located as precisely as possible."""

    file: str
    line: int | None
    key: str | None
    message: str
    kind: str = "format"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        key = f" key '{self.key}':" if self.key is not None else ""
        return f"{where}:{key} {self.message}"


@dataclass(frozen=True)
class Entry:
    line: int
    key: str
    value: Any


def sort_key(key: str) -> bytes:
    """C-locale order: compare the UTF-8 bytes (what ``LC_ALL=C sort`` does)."""
    return key.encode("utf-8")


# -- value parsers: raise ValueError with a short reason ---------------------------------------------
def parse_str(text: str) -> str:
    return text


def parse_token(text: str) -> str:
    if any(ch.isspace() for ch in text):
        raise ValueError(f"expected one token without spaces, got {text!r}")
    return text


def parse_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def parse_positive_float(text: str) -> float:
    value = parse_float(text)
    if value <= 0:
        raise ValueError(f"expected a positive number, got {text!r}")
    return value


def parse_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"not an integer: {text!r}") from None
    if value < 0:
        raise ValueError(f"expected a non-negative integer, got {text!r}")
    return value


def parse_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"not an integer: {text!r}") from None


def parse_json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"invalid JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class LabelledRegion:
    """A ``mix_segments`` line: ``<utt> <onset_s> <offset_s> <class>``."""

    onset: float
    offset: float
    label: str


def parse_labelled_region(text: str) -> LabelledRegion:
    parts = text.split()
    if len(parts) != 3:
        raise ValueError(f"expected '<onset> <offset> <class>', got {text!r}")
    onset, offset = parse_float(parts[0]), parse_float(parts[1])
    if onset < 0 or offset <= onset:
        raise ValueError(f"expected 0 <= onset < offset, got {parts[0]} {parts[1]}")
    return LabelledRegion(onset, offset, parts[2])


@dataclass(frozen=True)
class Segment:
    """A ``segments`` line: ``<utt> <recording> <start_s> <end_s>``."""

    reco: str
    start: float
    end: float


def parse_segment(text: str) -> Segment:
    parts = text.split()
    if len(parts) != 3:
        raise ValueError(f"expected '<recording> <start> <end>', got {text!r}")
    start, end = parse_float(parts[1]), parse_float(parts[2])
    if start < 0 or end <= start:
        raise ValueError(f"expected 0 <= start < end, got start={parts[1]} end={parts[2]}")
    return Segment(parts[0], start, end)


# -- value formatters -------------------------------------------------------------------------------
def format_value(value: Any) -> str:
    if isinstance(value, Segment):
        return f"{value.reco} {value.start:.3f} {value.end:.3f}"
    if isinstance(value, LabelledRegion):
        return f"{value.onset:.3f} {value.offset:.3f} {value.label}"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value)
    return str(value)


# -- reading ----------------------------------------------------------------------------------------
def scan_table(
    path: str | Path, parse: Callable[[str], Any] = parse_str, *, name: str | None = None, repeats: bool = False
) -> tuple[list[Entry], list[Problem]]:
    """Parse every line; return the good entries (first occurrence of each key) and all problems.
    With ``repeats`` a key may have several consecutive lines (e.g. one per segment); all are returned."""
    path = Path(path)
    name = name or path.name
    entries: list[Entry] = []
    problems: list[Problem] = []
    seen: dict[str, tuple[int, str]] = {}
    previous: str | None = None
    try:
        raw = path.read_bytes()
    except OSError as err:
        return [], [Problem(name, None, None, f"cannot read: {err.strerror}", "io")]
    for lineno, raw_line in enumerate(raw.split(b"\n"), start=1):
        if not raw_line.strip():
            if lineno < raw.count(b"\n") + 1:  # blank lines inside the file, not the final newline
                problems.append(Problem(name, lineno, None, "empty line"))
            continue
        try:
            line = raw_line.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            problems.append(Problem(name, lineno, None, "not valid UTF-8"))
            continue
        if line[0].isspace():
            problems.append(Problem(name, lineno, None, "line starts with whitespace (empty key)"))
            continue
        parts = line.split(maxsplit=1)
        key = parts[0]
        if len(parts) < 2:
            problems.append(Problem(name, lineno, key, "no value after the key"))
            continue
        if repeats and key == previous:
            try:
                entries.append(Entry(lineno, key, parse(parts[1].strip())))
            except ValueError as err:
                problems.append(Problem(name, lineno, key, str(err), "value"))
            continue
        if key in seen:
            first, first_value = seen[key]
            same = first_value == parts[1].strip()
            problems.append(Problem(
                name, lineno, key,
                f"duplicate key (first on line {first}{', same value' if same else ', different value'})",
                "duplicate" if same else "conflict",
            ))
            continue
        seen[key] = (lineno, parts[1].strip())
        if previous is not None and sort_key(key) < sort_key(previous):
            problems.append(
                Problem(name, lineno, key, f"not sorted (LC_ALL=C): comes after '{previous}'", "unsorted")
            )
        previous = key
        try:
            value = parse(parts[1].strip())
        except ValueError as err:
            problems.append(Problem(name, lineno, key, str(err), "value"))
            continue
        entries.append(Entry(lineno, key, value))
    return entries, problems


def read_table(path: str | Path, parse: Callable[[str], Any] = parse_str, repeats: bool = False
               ) -> dict[str, Any]:
    """Read a table that must be well-formed; raise DataError listing its problems otherwise. With
    ``repeats`` every value is a list of the key's lines."""
    entries, problems = scan_table(path, parse, name=str(path), repeats=repeats)
    if problems:
        raise DataError(problems_message(problems, f"{path} is not a valid table"))
    if not repeats:
        return {e.key: e.value for e in entries}
    table: dict[str, list[Any]] = {}
    for e in entries:
        table.setdefault(e.key, []).append(e.value)
    return table


def problems_message(problems: list[Problem], title: str, limit: int = 20) -> str:
    lines = [f"{title} ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"]
    lines += [f"  {p}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more (python -m sqe.bin.validate_data lists all)")
    return "\n".join(lines)


# -- writing ----------------------------------------------------------------------------------------
def check_key(key: str) -> None:
    if not key or any(ch.isspace() for ch in key):
        raise DataError(f"invalid key {key!r}: keys must be non-empty and contain no whitespace")


def write_table(
    path: str | Path, table: Mapping[str, Any] | Iterable[tuple[str, Any]],
    fmt: Callable[[Any], str] = format_value,
) -> None:
    """Write ``key value`` lines sorted in C-locale order, atomically."""
    items = list(table.items()) if isinstance(table, Mapping) else list(table)
    keys = [k for k, _ in items]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise DataError(f"{path}: duplicate key {dup!r}")
    lines = []
    for key, value in sorted(items, key=lambda kv: sort_key(kv[0])):
        check_key(key)
        for one in value if isinstance(value, list) else [value]:  # a list: one line per element
            text = fmt(one)
            if "\n" in text or not text.strip():
                raise DataError(f"{path}: key {key!r}: the value must be one non-empty line, got {text!r}")
            lines.append(f"{key} {text}\n")
    with atomic_write(path) as f:
        f.writelines(lines)
