"""Read any ``wav.scp`` entry as float32 mono 16 kHz, and write WAV files atomically.

The three ``wav.scp`` forms:

- a path (any format soundfile reads, including the 32-bit float WAVs NISQA ships),
- a command whose standard output is audio, ending in ``|`` (``sox x.flac -t wav - |``),
- a Kaldi ark position ``file.ark:offset`` (read with kaldiio; kaldiio cannot read float WAV paths).

    >>> import numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "x.wav")
    >>> write_wav(p, np.zeros(4800, dtype=np.float32), 48000)
    >>> load_audio(p).shape   # resampled to 16 kHz
    (1600,)
"""
from __future__ import annotations

import io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sqe.audio.grid import WINDOW
from sqe.audio.header import declared_wav_frames
from sqe.audio.resample import resample
from sqe.utils.atomic import atomic_path
from sqe.utils.errors import SqeError

TARGET_SR = 16000
# the least audio any model of sqe can analyse: one 25-ms window of the SSL front end (wav2vec2's convolutional
# encoder sees WINDOW = 400 samples at 16 kHz per 20-ms frame), which gives the first 50 Hz frame
MIN_AUDIO_S = WINDOW / TARGET_SR
_ARK = re.compile(r"(?P<path>.+):(?P<offset>\d+)")


class AudioError(SqeError):
    """Audio that cannot be used; the message names the key and the entry."""


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    num_frames: int
    channels: int


def entry_kind(entry: str) -> str:
    """``'pipe'``, ``'ark'`` or ``'path'`` for a ``wav.scp`` value."""
    entry = entry.strip()
    if entry.endswith("|"):
        return "pipe"
    m = _ARK.fullmatch(entry)
    if m and not Path(entry).exists() and Path(m["path"]).is_file():
        return "ark"
    return "path"


def entry_file(entry: str) -> Path | None:
    """The file a ``wav.scp`` value reads (the path, or the archive of an ark entry); None for a pipe."""
    entry = entry.strip()
    kind = entry_kind(entry)
    if kind == "pipe":
        return None
    return Path(_ARK.fullmatch(entry)["path"]) if kind == "ark" else Path(entry)


def _describe(key: str | None, entry: str) -> str:
    return f"key '{key}' ({entry})" if key is not None else entry


def read_entry(entry: str, key: str | None = None) -> tuple[np.ndarray, int]:
    """Raw read: float32 array ``[frames, channels]`` and its sample rate (no checks, no resampling)."""
    import soundfile as sf

    entry = entry.strip()
    kind = entry_kind(entry)
    try:
        if kind == "pipe":
            command = entry[:-1].strip()
            proc = subprocess.run(["bash", "-c", command], capture_output=True)
            if proc.returncode != 0:
                tail = proc.stderr.decode(errors="replace").strip().splitlines()[-3:]
                raise AudioError(
                    f"{_describe(key, entry)}: command exited with {proc.returncode}: {' | '.join(tail)}"
                )
            x, sr = sf.read(io.BytesIO(proc.stdout), dtype="float32", always_2d=True)
        elif kind == "ark":
            import kaldiio

            loaded = kaldiio.load_mat(entry)
            if not (isinstance(loaded, tuple) and len(loaded) == 2):
                raise AudioError(f"{_describe(key, entry)}: the ark entry holds a matrix, not audio")
            sr, data = loaded
            x = _to_float(np.asarray(data))
            x = x[:, None] if x.ndim == 1 else x
        else:
            if not Path(entry).is_file():
                raise FileNotFoundError(entry)
            x, sr = sf.read(entry, dtype="float32", always_2d=True)
            check_complete(entry, x.shape[0], int(sr), key)
    except AudioError:
        raise
    except FileNotFoundError:
        raise AudioError(f"{_describe(key, entry)}: file not found") from None
    except Exception as err:  # soundfile/kaldiio raise many types for unreadable data
        raise AudioError(f"{_describe(key, entry)}: cannot read audio: {err}") from None
    return x, int(sr)


def check_complete(path: str, frames: int, sample_rate: int, key: str | None = None) -> None:
    """AudioError when a WAV file holds fewer frames than its header declares (a cut-off download or copy)."""
    declared = declared_wav_frames(path)
    if declared is not None and frames < declared:
        raise AudioError(f"{_describe(key, path)}: truncated: the header declares {declared} samples "
                         f"({declared / sample_rate:.3f} s), the file holds {frames} ({frames / sample_rate:.3f} s)")


def _to_float(x: np.ndarray) -> np.ndarray:
    if np.issubdtype(x.dtype, np.integer):
        scale = float(2 ** (8 * x.dtype.itemsize - 1))
        return (x.astype(np.float32) / scale).astype(np.float32)
    return x.astype(np.float32)


def check_audio(x: np.ndarray, key: str | None, entry: str, *, downmix: bool = False) -> np.ndarray:
    """Mono float32 1-D, or AudioError for multi-channel (unless ``downmix``), empty or non-finite audio."""
    if x.ndim == 2 and x.shape[1] > 1:
        if not downmix:
            raise AudioError(
                f"{_describe(key, entry)}: {x.shape[1]} channels; set downmix to average them into mono"
            )
        x = x.mean(axis=1, keepdims=True)
    x = x.reshape(-1) if x.ndim == 2 else x
    if x.size == 0:
        raise AudioError(f"{_describe(key, entry)}: empty audio (0 samples)")
    bad = ~np.isfinite(x)
    if bad.any():
        first = int(np.argmax(bad))
        raise AudioError(
            f"{_describe(key, entry)}: {int(bad.sum())} NaN/Inf sample(s), first at sample {first}"
        )
    return np.ascontiguousarray(x, dtype=np.float32)


def load_audio(
    entry: str,
    key: str | None = None,
    *,
    sample_rate: int = TARGET_SR,
    downmix: bool = False,
    start: float | None = None,
    end: float | None = None,
    min_seconds: float = MIN_AUDIO_S,
) -> np.ndarray:
    """Any ``wav.scp`` entry as float32 mono at ``sample_rate``; ``start``/``end`` (s) cut a segment. Audio (or a
    segment) shorter than ``min_seconds`` is refused: a model would give it no frame or a padded one."""
    x, sr = read_entry(entry, key)
    x = check_audio(x, key, entry, downmix=downmix)
    if start is not None or end is not None:
        first = int(round((start or 0.0) * sr))
        last = x.shape[0] if end is None else int(round(end * sr))
        if last > x.shape[0] + int(0.01 * sr) or first >= last:
            raise AudioError(
                f"{_describe(key, entry)}: segment {start}-{end} s outside the audio "
                f"({x.shape[0] / sr:.3f} s)"
            )
        x = x[first:last]
    if x.shape[0] < min_seconds * sr:
        raise AudioError(f"{_describe(key, entry)}: too short: {x.shape[0]} samples ({x.shape[0] / sr:.4f} s); a "
                         f"model needs at least {min_seconds * 1000:g} ms (one frame)")
    return resample(x, sr, sample_rate)


def audio_info(entry: str, key: str | None = None) -> AudioInfo:
    """Sample rate, frames and channels; reads only the header of plain files."""
    import soundfile as sf

    if entry_kind(entry) == "path":
        if not Path(entry.strip()).is_file():
            raise AudioError(f"{_describe(key, entry)}: file not found")
        try:
            info = sf.info(entry.strip())
        except FileNotFoundError:
            raise AudioError(f"{_describe(key, entry)}: file not found") from None
        except Exception as err:
            raise AudioError(f"{_describe(key, entry)}: cannot read audio header: {err}") from None
        return AudioInfo(int(info.samplerate), int(info.frames), int(info.channels))
    x, sr = read_entry(entry, key)
    return AudioInfo(sr, x.shape[0], x.shape[1])


def write_wav(path: str | Path, x: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> None:
    """Write ``x`` atomically. PCM formats refuse samples beyond full scale instead of clipping silently
    (use ``subtype='FLOAT'`` for signals that may exceed it)."""
    import soundfile as sf

    x = np.asarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        raise AudioError(f"{path}: refusing to write NaN/Inf samples")
    if subtype.startswith("PCM") and x.size and float(np.max(np.abs(x))) > 1.0:
        raise AudioError(
            f"{path}: peak {float(np.max(np.abs(x))):.3f} exceeds full scale for {subtype}; "
            "scale the signal or write subtype='FLOAT'"
        )
    with atomic_path(path) as tmp:
        sf.write(str(tmp), x, sample_rate, subtype=subtype, format="WAV")
