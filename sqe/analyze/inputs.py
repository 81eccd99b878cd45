"""What ``sqe.bin.analyze`` reads: the list of inputs (files, a folder, a data dir or a list file) and each one as
16 kHz mono float32 under a channel policy, streamed in blocks so that a long file never exists in float64 or at
its original rate and channel count in memory."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sqe.audio.io import (AudioError, TARGET_SR, check_audio, check_complete, entry_file, entry_kind,
                          read_entry)
from sqe.audio.resample import resample
from sqe.utils.errors import SqeError
from sqe.utils.provenance import stat_identity

BLOCK = 1 << 18  # frames read at a time from a long file
INITIAL_SAMPLES = TARGET_SR * 3600 * 2  # the largest output buffer allocated before reading (2 h at 16 kHz)


@dataclass(frozen=True)
class Input:
    name: str  # unique, file-name safe: names the per-file outputs
    entry: str  # a path, or any wav.scp entry (pipe, ark) for data dirs
    start: float | None = None  # segments of a data dir
    end: float | None = None


@dataclass
class Signal:
    wav: np.ndarray  # 16 kHz mono float32
    sample_rate: int  # of the source
    channels: int  # of the source
    resampled: bool


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+=-]", "_", name) or "_"


def _unique(names: list[str]) -> list[str]:
    """Names made unique in order by a ``.k`` suffix that no other name already has (``a, a, a.1`` -> ``a, a.2,
    a.1``: the second ``a`` may not take the ``a.1`` that a later input is called)."""
    taken = set(names)
    used: set[str] = set()
    out = []
    for n in names:
        name, k = n, 0
        while name in used or (name != n and name in taken):
            k += 1
            name = f"{n}.{k}"
        used.add(name)
        out.append(name)
    return out


# File extensions of each libsndfile major format (its format names are not extensions: AIFF files end in .aif,
# NIST SPHERE in .sph, AU in .snd)
FORMAT_EXTENSIONS = {
    "WAV": (".wav", ".wave"), "WAVEX": (".wav",), "RF64": (".rf64",), "W64": (".w64",),
    "AIFF": (".aif", ".aiff", ".aifc"), "AU": (".au", ".snd"), "NIST": (".sph", ".nist"), "FLAC": (".flac",),
    "OGG": (".ogg", ".oga", ".opus"), "MPEG": (".mp3",), "CAF": (".caf",), "IRCAM": (".sf", ".ircam"),
    "VOC": (".voc",), "PAF": (".paf",), "SVX": (".svx", ".8svx"), "HTK": (".htk",), "WVE": (".wve",),
    "AVR": (".avr",), "SD2": (".sd2",), "MAT4": (".mat",), "MAT5": (".mat",), "XI": (".xi",), "SDS": (".sds",),
    "MPC2K": (".mpc",),
}


def audio_extensions() -> set[str]:
    """Extensions of the formats this machine's libsndfile reads."""
    import soundfile as sf

    return {e for f in sf.available_formats() for e in FORMAT_EXTENSIONS.get(f, (f".{f.lower()}",))}


def audio_files(folder: Path) -> list[Path]:
    """Every file under ``folder`` that soundfile can read by its extension, in sorted order; macOS resource
    forks (``._name``, metadata that copies from a Mac leave beside each file) are not audio and are left out."""
    exts = audio_extensions()
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in exts and not p.name.startswith("._"))


def collect_inputs(paths: list[Path], data: Path | None = None, list_file: Path | None = None) -> list[Input]:
    """Inputs from FILE/DIR arguments, a Kaldi data dir (wav.scp, segments) or a list file (``path`` or
    ``name path`` per line). Names are the file stems (relative paths inside a folder), made unique."""
    names: list[str] = []
    items: list[tuple[str, str | None, float | None]] = []
    for p in paths:
        if p.is_dir():
            files = audio_files(p)
            if not files:
                raise SqeError(f"{p}: no audio files in this folder")
            for f in files:
                names.append(_safe(str(f.relative_to(p).with_suffix("")).replace("/", "__")))
                items.append((str(f), None, None))
        else:  # missing files are reported per file, like unreadable ones
            names.append(_safe(p.stem))
            items.append((str(p), None, None))
    if data is not None:
        from sqe.data.datadir import DataDir

        dd = DataDir.load(data)
        for utt in dd.utts:
            entry, start, end = dd.audio_entry(utt, "wav.scp")
            names.append(_safe(utt))
            items.append((entry, start, end))
    if list_file is not None:
        if not list_file.is_file():
            raise SqeError(f"--list {list_file}: no such file")
        for lineno, line in enumerate(list_file.read_text().splitlines(), 1):
            fields = line.split(maxsplit=1)
            if not fields or line.lstrip().startswith("#"):
                continue
            if len(fields) == 2 and not Path(line.strip()).exists():
                names.append(_safe(fields[0]))
                items.append((fields[1].strip(), None, None))
            else:
                names.append(_safe(Path(line.strip()).stem))
                items.append((line.strip(), None, None))
            if not items[-1][0]:
                raise SqeError(f"{list_file}:{lineno}: no path")
    return [Input(n, e, s, t) for n, (e, s, t) in zip(_unique(names), items)]


def source_identity(item: Input) -> dict:
    """What identifies an input's audio without reading it: the size and mtime of its file (or archive); a pipe
    by its command, since its output is only known by running it. Missing files get their reason, not an error:
    they are reported per file when read."""
    path = entry_file(item.entry)
    return {"pipe": item.entry.strip()} if path is None else stat_identity(path)


def inputs_identity(items: list[Input]) -> list[list]:
    """The stamp of a run over ``items``: name, entry, segment and source identity of each, in order."""
    return [[i.name, i.entry, i.start, i.end, source_identity(i)] for i in items]


def _pick(block: np.ndarray, channel: str, where: str) -> np.ndarray:
    if channel == "mix":
        return block.mean(axis=1)
    index = int(channel)
    if index >= block.shape[1]:
        raise AudioError(f"{where}: channel {index} asked for, the file has {block.shape[1]}")
    return block[:, index]


def _stream_file(path: str, channel: str) -> Signal:
    import soundfile as sf
    import soxr

    try:
        f = sf.SoundFile(path)
    except Exception as err:  # soundfile raises LibsndfileError, RuntimeError, TypeError for bad files
        raise AudioError(f"{path}: cannot read audio: {err}") from None
    with f:
        sr, channels = f.samplerate, f.channels
        stream = soxr.ResampleStream(sr, TARGET_SR, 1, dtype="float32", quality="HQ") if sr != TARGET_SR else None
        # filled in place (one output-size array, no list of blocks to concatenate), sized from the header but at
        # most INITIAL_SAMPLES (a header may lie), and grown by half when full
        expected = int(max(f.frames, 0) * TARGET_SR / sr + 0.5) + 64
        wav = np.zeros(min(expected, INITIAL_SAMPLES), dtype=np.float32)
        filled, consumed = 0, 0
        while True:
            try:
                block = f.read(BLOCK, dtype="float32", always_2d=True)
            except Exception as err:
                raise AudioError(f"{path}: cannot read audio after sample {consumed}: {err}") from None
            last = block.shape[0] < BLOCK
            mono = _pick(block, channel, path) if block.size else np.zeros(0, np.float32)
            bad = ~np.isfinite(mono)
            if bad.any():
                raise AudioError(f"{path}: NaN/Inf sample(s), first at sample {consumed + int(np.argmax(bad))}")
            consumed += block.shape[0]
            out = stream.resample_chunk(mono, last=last) if stream is not None else mono
            if filled + out.size > wav.size:
                wav = np.concatenate([wav[:filled], np.zeros(max(out.size, wav.size // 2, BLOCK), np.float32)])
            wav[filled:filled + out.size] = out
            filled += out.size
            if last:
                break
    if consumed == 0:
        raise AudioError(f"{path}: empty audio (0 samples)")
    check_complete(path, consumed, sr)
    wav = wav[:filled]
    want = int(consumed * TARGET_SR / sr + 0.5)
    wav = wav[:want] if wav.size >= want else np.pad(wav, (0, want - wav.size))
    return Signal(wav, sr, channels, sr != TARGET_SR)


_last_recording: dict[tuple, tuple[np.ndarray, int, int]] = {}  # the one recording whose segments are being read


def _recording(item: Input, channel: str) -> tuple[np.ndarray, int, int]:
    """A data dir recording as checked mono samples, its rate and channel count, decoded once for a run of its
    segments (a 60-minute recording cut into 1,000 segments was decoded 1,000 times). Only the latest is kept,
    keyed by entry, channel and the file's size and mtime, so memory stays at one recording and a re-recorded
    file is read again."""
    key = (item.entry, channel, str(source_identity(item)))
    if key not in _last_recording:
        x, sr = read_entry(item.entry, item.name)
        if x.shape[0] == 0:
            raise AudioError(f"{item.entry}: empty audio (0 samples)")
        mono = check_audio(_pick(x, channel, item.entry)[:, None], item.name, item.entry)
        _last_recording.clear()
        _last_recording[key] = (mono, sr, x.shape[1])
    return _last_recording[key]


def read_signal(item: Input, channel: str = "mix") -> Signal:
    """The input as 16 kHz mono; AudioError (one line: file and reason) when it is unreadable, empty or not
    finite."""
    if item.start is None and item.end is None and entry_kind(item.entry) == "path":
        if not Path(item.entry).is_file():
            raise AudioError(f"{item.entry}: file not found")
        return _stream_file(item.entry, channel)
    x, sr, channels = _recording(item, channel)
    if item.start is not None or item.end is not None:
        a = int(round((item.start or 0.0) * sr))
        b = x.size if item.end is None else int(round(item.end * sr))
        x = x[a:b]
        if x.size == 0:
            raise AudioError(f"{item.entry}: segment {item.start}-{item.end} s is empty")
    return Signal(resample(x, sr, TARGET_SR), sr, channels, sr != TARGET_SR)
