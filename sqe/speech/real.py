"""Real read speech vendored with the project: LibriSpeech excerpts (CC BY 4.0, ``sqe/speech/librispeech/``).

``excerpts.tsv`` lists every file with its speaker, the LibriSpeech subset and utterance it was cut from, where
the cut starts and ends in the original, and its SHA-256; ``tools/vendor_librispeech.py`` makes the folder
from a LibriSpeech copy. Reading goes through :func:`load_excerpts`, which refuses a missing, altered or
unreadable file by name.

Each excerpt starts where its utterance starts and ends in a pause (the quietest 100 ms between
``min_s`` and ``max_s``), faded out over 20 ms so the cut leaves no click a model could learn as damage:

    >>> sr = 1000
    >>> x = np.ones(10 * sr, dtype=np.float32); x[6500:6600] = 0.0   # a pause at 6.5-6.6 s
    >>> excerpt_bounds(x, sr, min_s=5.0, max_s=8.0)
    (0, 6550)
    >>> excerpt_bounds(x[:3000], sr, min_s=5.0, max_s=8.0)           # short enough: kept whole
    (0, 3000)
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sqe.utils.errors import SqeError

VENDORED = Path(__file__).with_name("librispeech")
MANIFEST = "excerpts.tsv"
COLUMNS = ("utt", "subset", "speaker", "source", "source_start_s", "source_end_s", "sha256")
FADE_S = 0.02  # fade-out at a cut end
PAUSE_S = 0.1  # the window whose energy picks the cut


@dataclass(frozen=True)
class Excerpt:
    utt: str  # <speaker>-<chapter>-<utterance> as in LibriSpeech
    subset: str  # train-clean-100, test-other, ...
    speaker: str
    source: str  # the LibriSpeech utterance it was cut from
    source_start_s: float
    source_end_s: float
    sha256: str
    path: Path

    @property
    def duration_s(self) -> float:
        return self.source_end_s - self.source_start_s


def excerpt_bounds(x: np.ndarray, sr: int, min_s: float, max_s: float) -> tuple[int, int]:
    """``[0, end)`` samples: the whole signal if it lasts at most ``max_s``, else up to the centre of its
    quietest ``PAUSE_S`` window that ends between ``min_s`` and ``max_s``."""
    if not 0 < min_s <= max_s:
        raise ValueError(f"need 0 < min_s <= max_s, got {min_s}, {max_s}")
    if x.size <= max_s * sr:
        return 0, int(x.size)
    win = max(1, int(PAUSE_S * sr))
    energy = np.convolve(np.square(x.astype(np.float64)), np.ones(win), mode="valid")  # energy[i]: [i, i + win)
    lo, hi = int(min_s * sr) - win, int(max_s * sr) - win
    start = lo + int(np.argmin(energy[lo:hi + 1]))
    return 0, start + win // 2


def fade_out(x: np.ndarray, sr: int, seconds: float = FADE_S) -> np.ndarray:
    n = min(x.size, int(seconds * sr))
    y = np.array(x, dtype=np.float32)
    if n > 0:
        y[-n:] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
    return y


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(folder: Path = VENDORED) -> list[Excerpt]:
    """The excerpts ``folder/excerpts.tsv`` lists; errors name the file and line."""
    path = Path(folder) / MANIFEST
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise SqeError(f"cannot read the real-speech list {path}: {err.strerror}") from None
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise SqeError(f"{path}:1: the header must be {' '.join(COLUMNS)}")
    out = []
    for n, line in enumerate(lines[1:], start=2):
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            raise SqeError(f"{path}:{n}: {len(cells)} columns, expected {len(COLUMNS)}")
        utt, subset, speaker, source, a, b, digest = cells
        try:
            start, end = float(a), float(b)
        except ValueError:
            raise SqeError(f"{path}:{n}: source_start_s and source_end_s must be numbers") from None
        out.append(Excerpt(utt, subset, speaker, source, start, end, digest, Path(folder) / subset / f"{utt}.flac"))
    if not out:
        raise SqeError(f"{path} lists no excerpt")
    return out


def verify(excerpts: list[Excerpt]) -> None:
    """Every file present, unaltered (SHA-256) and readable; the first problem names its file."""
    import soundfile as sf

    for e in excerpts:
        if not e.path.is_file():
            raise SqeError(f"{e.path}: vendored file missing (listed in {e.path.parent.parent / MANIFEST})")
        if sha256_file(e.path) != e.sha256:
            raise SqeError(f"{e.path}: checksum differs from {e.path.parent.parent / MANIFEST} (altered or damaged)")
        try:
            sf.info(str(e.path))
        except Exception as err:  # soundfile raises several types for unreadable files
            raise SqeError(f"{e.path}: unreadable audio ({err})") from None


def load_excerpts(folder: Path = VENDORED, subsets: tuple[str, ...] | None = None) -> list[Excerpt]:
    """The verified excerpts of ``subsets`` (all if None), in manifest order."""
    excerpts = [e for e in read_manifest(folder) if subsets is None or e.subset in subsets]
    verify(excerpts)
    return excerpts


def speakers(excerpts: list[Excerpt]) -> list[str]:
    """Speakers in first-seen order."""
    return list(dict.fromkeys(e.speaker for e in excerpts))
