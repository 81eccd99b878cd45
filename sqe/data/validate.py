"""Check a data dir and, on request, repair it (the project's ``validate_data_dir.sh``/``fix_data_dir.sh``).

Every problem is reported with file, line and key. ``fix_data_dir`` keeps a backup of the originals in
``<dir>/.backup/<time>/``, drops what cannot be repaired (utterances with unusable audio or values, keys
not in every file) and rewrites every table sorted.
"""
from __future__ import annotations

import datetime as _dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqe.audio.io import TARGET_SR, AudioError, audio_info, check_audio, read_entry
from sqe.audio.resample import resampled_length
from sqe.data import tables as T
from sqe.data.datadir import FILE_SPECS, DataDir
from sqe.utils.log import get_logger
from sqe.utils.progress import progress

log = get_logger(__name__)


@dataclass
class ValidateOptions:
    """What ``validate_data`` checks (also the stage config of ``sqe.bin.validate_data``)."""

    audio: Literal["full", "header", "none"] = "full"  # full: read every sample (finds NaN/Inf)
    expect_rate: int | None = None  # require this sample rate of every audio file (None: any rate)
    downmix: bool = False  # accept multi-channel audio (it is averaged to mono when read)
    allow_length_mismatch: bool = False  # ref/deg of different length: a warning instead of an error
    fix: bool = False  # repair the dir (backup kept in <dir>/.backup/<time>/)
    progress: bool = True


@dataclass
class AudioFacts:
    sample_rate: int
    num_frames: int


@dataclass
class Report:
    problems: list[T.Problem] = field(default_factory=list)
    warnings: list[T.Problem] = field(default_factory=list)
    audio: dict[tuple[str, str], AudioFacts] = field(default_factory=dict)  # (file, reco) -> facts
    bad_utts: set[str] = field(default_factory=set)  # utterances a fix must drop
    unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _scan(path: Path, report: Report) -> tuple[dict[str, list[T.Entry]], dict[str, set[str]]]:
    """Parse every known file: its good entries, and every key it has (bad values included, so that a
    bad value is reported once, not also as a missing key)."""
    entries, present = {}, {}
    for name, spec in FILE_SPECS.items():
        if (path / name).is_file():
            good, problems = T.scan_table(path / name, spec.parse, repeats=spec.repeats)
            entries[name] = good
            present[name] = {e.key for e in good} | {p.key for p in problems if p.kind == "value"}
            report.problems.extend(problems)
    report.unchecked = sorted(
        p.name for p in path.iterdir() if p.is_file() and not p.name.startswith(".") and p.name not in FILE_SPECS
    )
    return entries, present


def _check_keys(entries: dict[str, list[T.Entry]], present: dict[str, set[str]],
                report: Report) -> tuple[list[str], dict[str, str]]:
    """Utterance ids and their recordings; every per-utterance file must cover exactly these ids."""
    has_segments = "segments" in entries
    recos = {e.key for e in entries.get("wav.scp", [])}
    if has_segments:
        utt2reco = {e.key: e.value.reco for e in entries["segments"]}
        for e in entries["segments"]:
            if e.value.reco not in recos:
                report.problems.append(
                    T.Problem("segments", e.line, e.key, f"recording '{e.value.reco}' not in wav.scp", "extra_key")
                )
                report.bad_utts.add(e.key)
    else:
        utt2reco = {r: r for r in recos}
    utts = sorted(utt2reco, key=T.sort_key)
    utt_set = set(utts)
    for name, spec in FILE_SPECS.items():
        if name not in entries or name in ("wav.scp", "segments"):
            continue
        keys = present[name]
        if spec.level == "utt":
            expected, ref_file = utt_set, "segments" if has_segments else "wav.scp"
        elif spec.level == "reco":
            expected, ref_file = recos, "wav.scp"
        else:
            if spec.level == "sub":
                for e in entries[name]:
                    if e.value.reco not in utt_set:
                        report.problems.append(
                            T.Problem(name, e.line, e.key, f"utterance '{e.value.reco}' not in wav.scp", "extra_key")
                        )
            continue
        for e in entries[name]:
            if e.key not in expected:
                report.problems.append(T.Problem(name, e.line, e.key, f"key not in {ref_file}", "extra_key"))
        for key in sorted(expected - keys, key=T.sort_key):
            report.problems.append(T.Problem(name, None, key, f"missing (the key is in {ref_file})", "missing_key"))
    if "cls2id" in entries:
        ids: dict[int, str] = {}
        for e in entries["cls2id"]:
            if e.value in ids:
                report.problems.append(T.Problem("cls2id", e.line, e.key, f"id {e.value} also used by '{ids[e.value]}'"))
            ids[e.value] = e.key
            if e.key == "clean" and e.value != 0:
                report.problems.append(T.Problem("cls2id", e.line, e.key, "the clean class must have id 0"))
    return utts, utt2reco


def _check_audio(path: Path, entries: dict[str, list[T.Entry]], opts: ValidateOptions, report: Report,
                 cache: dict[tuple[str, str], AudioFacts] | None) -> None:
    jobs = [(name, e) for name in ("wav.scp", "ref.scp") for e in entries.get(name, [])]
    for name, e in progress(jobs, desc=f"audio of {path}", unit="file", enabled=opts.progress):
        if cache is not None and (name, e.key) in cache:
            report.audio[(name, e.key)] = cache[(name, e.key)]
            continue
        try:
            if opts.audio == "full":
                x, sr = read_entry(e.value, e.key)
                frames, channels = x.shape[0], x.shape[1]
                check_audio(x, e.key, e.value, downmix=opts.downmix)
            else:
                info = audio_info(e.value, e.key)
                sr, frames, channels = info.sample_rate, info.num_frames, info.channels
                if channels > 1 and not opts.downmix:
                    raise AudioError(f"key '{e.key}' ({e.value}): {channels} channels; set downmix to accept")
                if frames == 0:
                    raise AudioError(f"key '{e.key}' ({e.value}): empty audio (0 samples)")
        except AudioError as err:
            report.problems.append(T.Problem(name, e.line, e.key, str(err).split(": ", 1)[-1], "audio"))
            continue
        if opts.expect_rate is not None and sr != opts.expect_rate:
            report.problems.append(
                T.Problem(name, e.line, e.key, f"sample rate {sr} Hz, expected {opts.expect_rate} Hz", "audio")
            )
            continue
        report.audio[(name, e.key)] = AudioFacts(sr, frames)


def _check_lengths(entries: dict[str, list[T.Entry]], utt2reco: dict[str, str], opts: ValidateOptions,
                   report: Report) -> None:
    """utt2num_samples/utt2dur against the audio, segment bounds, and equal ref/deg lengths."""
    lines = {name: {e.key: e for e in es} for name, es in entries.items()}
    segments = lines.get("segments", {})
    for utt, reco in utt2reco.items():
        deg = report.audio.get(("wav.scp", reco))
        if deg is None:
            continue
        seg = segments.get(utt)
        if seg is not None:
            dur = deg.num_frames / deg.sample_rate
            if seg.value.end > dur + 0.01:
                report.problems.append(T.Problem(
                    "segments", seg.line, utt, f"ends at {seg.value.end:.3f} s, after the audio ({dur:.3f} s)", "audio"
                ))
                continue
            n16 = int(round((seg.value.end - seg.value.start) * TARGET_SR))
        else:
            n16 = resampled_length(deg.num_frames, deg.sample_rate, TARGET_SR)
        e = lines.get("utt2num_samples", {}).get(utt)
        if e is not None and e.value != n16:
            report.problems.append(T.Problem(
                "utt2num_samples", e.line, utt, f"says {e.value}, the audio has {n16} samples at 16 kHz", "value"
            ))
        e = lines.get("utt2dur", {}).get(utt)
        if e is not None and abs(e.value - n16 / TARGET_SR) > 0.01:
            report.problems.append(T.Problem(
                "utt2dur", e.line, utt, f"says {e.value} s, the audio lasts {n16 / TARGET_SR:.3f} s", "value"
            ))
        ref = report.audio.get(("ref.scp", reco))
        if ref is not None and seg is None:
            n_ref = resampled_length(ref.num_frames, ref.sample_rate, TARGET_SR)
            if n_ref != n16:
                problem = T.Problem(
                    "ref.scp", lines["ref.scp"][reco].line, reco,
                    f"reference has {n_ref} samples at 16 kHz, the degraded audio {n16}", "length",
                )
                (report.warnings if opts.allow_length_mismatch else report.problems).append(problem)


def validate_data_dir(path: str | Path, opts: ValidateOptions | None = None,
                      audio_cache: dict[tuple[str, str], AudioFacts] | None = None) -> Report:
    """Check everything; never modifies the directory."""
    opts = opts or ValidateOptions()
    path = Path(path)
    report = Report()
    if not path.is_dir():
        report.problems.append(T.Problem(str(path), None, None, "not a directory", "io"))
        return report
    if not (path / "wav.scp").is_file():
        report.problems.append(T.Problem("wav.scp", None, None, "missing: a data dir needs wav.scp", "io"))
        return report
    entries, present = _scan(path, report)
    _, utt2reco = _check_keys(entries, present, report)
    if opts.audio != "none":
        _check_audio(path, entries, opts, report, audio_cache)
        _check_lengths(entries, utt2reco, opts, report)
    reco2utts: dict[str, list[str]] = {}
    for utt, reco in utt2reco.items():
        reco2utts.setdefault(reco, []).append(utt)
    for p in report.problems:
        if p.key is None or p.kind in ("extra_key", "duplicate", "unsorted"):
            continue
        level = FILE_SPECS[p.file].level if p.file in FILE_SPECS else "utt"
        if level == "reco":
            report.bad_utts.update(reco2utts.get(p.key, []))
        elif level == "utt":
            report.bad_utts.add(p.key)
    report.problems.sort(key=lambda p: (p.file, p.line or 0))
    return report


def fix_data_dir(path: str | Path, report: Report, opts: ValidateOptions | None = None) -> tuple[Path, int, int]:
    """Repair ``path`` from a validation report: returns (backup dir, kept, dropped utterances)."""
    opts = opts or ValidateOptions()
    path = Path(path)
    tables: dict[str, dict[str, Any]] = {}
    for name, spec in FILE_SPECS.items():
        if (path / name).is_file():
            good, problems = T.scan_table(path / name, spec.parse, repeats=spec.repeats)
            conflicts = {p.key for p in problems if p.kind == "conflict"}
            tables[name] = {}
            for e in good:
                if e.key in conflicts:
                    continue
                if spec.repeats:
                    tables[name].setdefault(e.key, []).append(e.value)
                else:
                    tables[name][e.key] = e.value
    dd = DataDir(tables)
    all_utts = dd.utts
    keep = []
    for utt in all_utts:
        reco = dd.recording(utt)[0]
        if utt in report.bad_utts:
            continue
        if all(utt in t if FILE_SPECS[n].level == "utt" else reco in t
               for n, t in tables.items() if FILE_SPECS[n].level in ("utt", "reco")):
            keep.append(utt)
    backup = path / ".backup" / _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    backup.mkdir(parents=True)
    for name in tables:
        shutil.copy2(path / name, backup / name)
    dd.subset(keep).save(path)
    dropped = len(all_utts) - len(keep)
    log.info("fixed %s: kept %d utterance(s), dropped %d; originals in %s", path, len(keep), dropped, backup)
    return backup, len(keep), dropped
