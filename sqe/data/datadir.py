"""Kaldi-style data dirs: load, save, subset, filter, combine and split.

Per-utterance files (``utt2*``, ``text``) are keyed by utterance; audio files (``wav.scp``, ``ref.scp``) by
recording. Without ``segments`` the two key sets are the same; with ``segments`` each utterance is a
``<recording> <start> <end>`` cut of a recording, as in Kaldi.

    >>> dd = DataDir({"wav.scp": {"u1": "a.wav", "u2": "b.wav"}, "utt2mos": {"u1": 3.0, "u2": 4.5}})
    >>> dd.utts
    ['u1', 'u2']
    >>> dd.filter(lambda utt: dd["utt2mos"][utt] > 4).utts
    ['u2']
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from sqe.data import tables as T
from sqe.utils.log import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class FileSpec:
    """How to parse one known file and what its keys are."""

    parse: Callable[[str], Any]
    level: str  # "reco": keyed by recording; "utt": by utterance; "sub": keyed by own id, value names an utt;
    #             "map": a plain map that is not per utterance (copied as is)
    doc: str
    repeats: bool = False  # several lines per key (values are lists)


FILE_SPECS: dict[str, FileSpec] = {
    "wav.scp": FileSpec(T.parse_str, "reco", "observed (degraded) audio: path, 'command |' or ark:offset"),
    "ref.scp": FileSpec(T.parse_str, "reco", "parallel clean reference audio"),
    "segments": FileSpec(T.parse_segment, "utt", "<utt> <recording> <start_s> <end_s>"),
    "utt2mos": FileSpec(T.parse_float, "utt", "utterance MOS"),
    "utt2cls": FileSpec(T.parse_token, "utt", "degradation class ('clean' or tokens joined by '+')"),
    "utt2con": FileSpec(T.parse_token, "utt", "condition or system id"),
    "utt2spk": FileSpec(T.parse_token, "utt", "speaker id"),
    "utt2sys": FileSpec(T.parse_token, "utt", "system id"),
    "utt2num_samples": FileSpec(T.parse_count, "utt", "number of samples at 16 kHz"),
    "utt2dur": FileSpec(T.parse_positive_float, "utt", "duration in seconds"),
    "utt2params": FileSpec(T.parse_json_object, "utt", "JSON object of the drawn degradation parameters"),
    "text": FileSpec(T.parse_str, "utt", "transcript"),
    "vad_segments": FileSpec(T.parse_segment, "sub", "speech regions: <id> <utt> <start_s> <end_s>"),
    "cls2id": FileSpec(T.parse_int, "map", "class string -> integer id (from training)"),
    "mix2src": FileSpec(T.parse_token, "utt", "mix-up example -> its source utterance"),
    "mix_segments": FileSpec(T.parse_labelled_region, "utt", "degraded segments: <utt> <onset_s> <offset_s> <class>",
                             repeats=True),
    "qpseudo.scp": FileSpec(T.parse_str, "utt", "ark of frame pseudo-targets (MOS, 50 Hz)"),
    "frame_cls.scp": FileSpec(T.parse_str, "utt", "ark of frame class ids (50 Hz; 0 = clean, ids from cls2id)"),
}


@dataclass
class DataDir:
    """The tables of one data dir, held in memory: ``{file name: {key: value}}``."""

    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None

    # -- access -------------------------------------------------------------------------------------
    def __getitem__(self, name: str) -> dict[str, Any]:
        return self.tables[name]

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    def get(self, name: str) -> dict[str, Any] | None:
        return self.tables.get(name)

    @property
    def utts(self) -> list[str]:
        """Utterance ids in C-locale order."""
        source = self.tables.get("segments") or self.tables.get("wav.scp") or {}
        return sorted(source, key=T.sort_key)

    def __len__(self) -> int:
        return len(self.utts)

    def recording(self, utt: str) -> tuple[str, float | None, float | None]:
        """``(recording id, start, end)`` of an utterance; start/end are None without ``segments``."""
        seg = self.tables.get("segments", {}).get(utt)
        return (seg.reco, seg.start, seg.end) if seg is not None else (utt, None, None)

    def audio_entry(self, utt: str, file: str = "wav.scp") -> tuple[str, float | None, float | None]:
        reco, start, end = self.recording(utt)
        return self.tables[file][reco], start, end

    # -- io -----------------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, files: Iterable[str] | None = None) -> "DataDir":
        """Read the known files present in ``path`` (all must be well-formed, else DataError)."""
        path = Path(path)
        if not path.is_dir():
            raise T.DataError(f"data dir {path} does not exist")
        names = list(files) if files is not None else [n for n in FILE_SPECS if (path / n).is_file()]
        tables = {}
        for name in names:
            if not (path / name).is_file():
                raise T.DataError(f"{path}: required file {name} is missing")
            tables[name] = T.read_table(path / name, FILE_SPECS[name].parse, FILE_SPECS[name].repeats)
        if "wav.scp" not in tables and "segments" not in tables:
            raise T.DataError(f"{path}: a data dir needs wav.scp")
        return cls(tables, path)

    def save_replacing(self, path: str | Path, extra: dict[str, str] | None = None) -> None:
        """Write the data dir (plus ``extra`` text files) into a sibling temporary dir and swap it into
        place, so that ``path`` is never seen half-written; an existing ``path`` is replaced."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        old = path.with_name(f".{path.name}.old")
        for p in (tmp, old):
            shutil.rmtree(p, ignore_errors=True)
        self.save(tmp)
        for name, text in (extra or {}).items():
            (tmp / name).write_text(text)
        if path.exists():
            path.rename(old)
        tmp.rename(path)
        shutil.rmtree(old, ignore_errors=True)
        self.path = path

    def save(self, path: str | Path) -> None:
        """Write every table (sorted, atomically); other files of the target dir are left alone."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        for name, table in self.tables.items():
            T.write_table(path / name, table)
        self.path = path

    # -- derived data dirs --------------------------------------------------------------------------
    def subset(self, utts: Iterable[str]) -> "DataDir":
        """The data dir restricted to ``utts`` (unknown ids are an error)."""
        keep = set(utts)
        unknown = keep.difference(self.utts)
        if unknown:
            raise T.DataError(f"subset: {len(unknown)} id(s) not in the data dir, e.g. {sorted(unknown)[:3]}")
        recos = {self.recording(u)[0] for u in keep}
        tables: dict[str, dict[str, Any]] = {}
        for name, table in self.tables.items():
            level = FILE_SPECS[name].level if name in FILE_SPECS else "utt"
            if level == "reco":
                tables[name] = {k: v for k, v in table.items() if k in recos}
            elif level == "utt":
                tables[name] = {k: v for k, v in table.items() if k in keep}
            elif level == "sub":
                tables[name] = {k: v for k, v in table.items() if v.reco in keep}
            else:
                tables[name] = dict(table)
        return DataDir(tables)

    def filter(self, keep: Callable[[str], bool]) -> "DataDir":
        """The utterances for which ``keep(utt)`` is true."""
        return self.subset(u for u in self.utts if keep(u))

    def split(self, n: int) -> list["DataDir"]:
        """``n`` contiguous parts; the first ``len % n`` parts get one utterance more (for JOB arrays)."""
        utts = self.utts
        if not 1 <= n <= len(utts):
            raise T.DataError(f"cannot split {len(utts)} utterance(s) into {n} part(s)")
        size, extra = divmod(len(utts), n)
        parts, start = [], 0
        for i in range(n):
            stop = start + size + (1 if i < extra else 0)
            parts.append(self.subset(utts[start:stop]))
            start = stop
        return parts


def combine(dirs: Sequence[DataDir], names: Sequence[str] | None = None) -> DataDir:
    """Union of data dirs. Duplicate utterance ids are an error; a file missing from some inputs is
    dropped with a warning (its keys would no longer cover every utterance)."""
    if not dirs:
        raise T.DataError("combine: no data dirs given")
    names = list(names) if names is not None else [str(d.path or f"#{i}") for i, d in enumerate(dirs)]
    common = set.intersection(*(set(d.tables) for d in dirs))
    for dropped in sorted(set.union(*(set(d.tables) for d in dirs)) - common):
        have = [n for d, n in zip(dirs, names) if dropped in d.tables]
        log.warning("combine: dropping %s: present only in %s", dropped, ", ".join(have))
    tables: dict[str, dict[str, Any]] = {name: {} for name in common}
    owner: dict[str, str] = {}
    for d, dname in zip(dirs, names):
        for utt in d.utts:
            if utt in owner:
                raise T.DataError(f"combine: utterance '{utt}' is in both {owner[utt]} and {dname}")
            owner[utt] = dname
        for name in common:
            target = tables[name]
            for key, value in d.tables[name].items():
                if key in target and target[key] != value:
                    raise T.DataError(
                        f"combine: {name} key '{key}' differs between inputs ({target[key]!r} vs {value!r})"
                    )
                target[key] = value
    return DataDir(tables)

