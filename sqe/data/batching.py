"""Utterances of a data dir as training items, length-bucketed batches, and padding collation.

    >>> import numpy as np
    >>> batches = bucket_batches(np.array([1.0, 1.0, 4.0, 4.1, 2.0]), max_utts=2, max_audio_s=10, max_padding_rate=0.1,
    ...                          jitter=0.0, rng=np.random.default_rng(0))
    >>> sorted(sorted(b) for b in batches)
    [[0, 1], [2, 3], [4]]
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from sqe.audio.io import TARGET_SR as SR
from sqe.audio.io import load_audio
from sqe.data.datadir import DataDir
from sqe.data.ratings import mos_to_norm
from sqe.data.tables import DataError


@dataclass
class Item:
    key: str
    entry: str
    start: float | None
    end: float | None
    num_samples: int
    mos: float


class AudioMemo:
    """Decoded audio kept in memory up to ``max_mb``, so later epochs do not read and resample files again."""

    def __init__(self, max_mb: float):
        self.max_bytes = int(max_mb * 2**20)
        self.arrays: dict[tuple, np.ndarray] = {}
        self.bytes = 0

    def load(self, entry: str, key: str, start: float | None = None, end: float | None = None) -> np.ndarray:
        memo_key = (entry, start, end)
        hit = self.arrays.get(memo_key)
        if hit is not None:
            return hit
        x = load_audio(entry, key, start=start, end=end)
        if self.bytes + x.nbytes <= self.max_bytes:  # shared between epochs: callers never change it in place
            self.arrays[memo_key] = x
            self.bytes += x.nbytes
        return x


class UtteranceSet:
    """(audio, MOS) items of one or more data dirs, each needing wav.scp, utt2mos and utt2num_samples."""

    def __init__(self, dirs: list[str | Path], audio_memory_mb: float = 0.0):
        self.audio = AudioMemo(audio_memory_mb)
        self.items: list[Item] = []
        for d in dirs:
            dd = DataDir.load(d)
            for name in ("utt2mos", "utt2num_samples"):
                if name not in dd:
                    raise DataError(f"{d}: training needs {name}")
            for utt in dd.utts:
                entry, start, end = dd.audio_entry(utt)
                self.items.append(Item(utt, entry, start, end, dd["utt2num_samples"][utt], dd["utt2mos"][utt]))
        if not self.items:
            raise DataError(f"no utterances in {', '.join(map(str, dirs))}")

    def __len__(self) -> int:
        return len(self.items)

    def seconds(self) -> np.ndarray:
        return np.array([it.num_samples / SR for it in self.items])

    def load(self, i: int) -> np.ndarray:
        it = self.items[i]
        return self.audio.load(it.entry, it.key, start=it.start, end=it.end)


def class_groups(classes: np.ndarray, lengths: np.ndarray, per_class: int, max_spread: float) -> list[list[int]]:
    """Utterances of one class in groups of up to ``per_class`` of similar length: each class taken in ``lengths``
    order, a group closed when full or when the next member's length exceeds the group's shortest by more than
    ``max_spread`` of it (so a group pads no more than a length bucket may). Negative classes (no label) stay alone.

        >>> class_groups(np.array([1, 2, 1, 1, -100, 2]), np.array([1.0, 2.0, 1.05, 2.0, 1.0, 2.1]), 2, 0.1)
        [[4], [0, 2], [3], [1, 5]]
    """
    groups: list[list[int]] = []
    for c in np.unique(classes):
        members = np.flatnonzero(classes == c)
        members = members[np.argsort(lengths[members], kind="stable")].tolist()
        if c < 0:
            groups += [[i] for i in members]
            continue
        group = [members[0]]
        for i in members[1:]:
            if len(group) < per_class and lengths[i] <= lengths[group[0]] * (1.0 + max_spread):
                group.append(i)
            else:
                groups.append(group)
                group = [i]
        groups.append(group)
    return groups


def grouped_batches(seconds: np.ndarray, max_utts: int, max_audio_s: float, max_padding_rate: float, jitter: float,
                    rng: np.random.Generator, classes: np.ndarray | None = None,
                    per_class: int = 1) -> list[list[list[int]]]:
    """Batches as lists of groups: the utterances sorted by (jittered) length and cut greedily into batches of at
    most ``max_utts`` utterances, ``max_audio_s`` seconds of padded audio and ``max_padding_rate`` padding (a
    batch holds at least one group); batch order shuffled. With ``classes`` and ``per_class`` > 1 the units sorted
    and cut are the groups of ``class_groups`` (P x K sampling: a labelled utterance meets others of its class of
    similar length in its batch), ordered by their longest member."""
    noisy = seconds * (1.0 + jitter * rng.uniform(-1, 1, seconds.size))
    if classes is None or per_class == 1:
        groups = [[int(i)] for i in np.argsort(noisy, kind="stable")]
    else:
        groups = sorted(class_groups(np.asarray(classes), noisy, per_class, max_padding_rate),
                        key=lambda g: float(noisy[g].max()))
    batches: list[list[list[int]]] = []
    current: list[list[int]] = []
    members: list[int] = []
    for g in groups:
        trial = members + g
        longest = max(seconds[trial])
        padded = longest * len(trial)
        padding = 1.0 - seconds[trial].sum() / padded
        if current and (len(trial) > max_utts or padded > max_audio_s or padding > max_padding_rate):
            batches.append(current)
            current, trial = [], list(g)
        current.append(g)
        members = trial
    if current:
        batches.append(current)
    return [batches[j] for j in rng.permutation(len(batches))]


def bucket_batches(seconds: np.ndarray, max_utts: int, max_audio_s: float, max_padding_rate: float, jitter: float,
                   rng: np.random.Generator) -> list[list[int]]:
    """``grouped_batches`` of single utterances, each batch a flat list of utterance indices."""
    return [[i for g in b for i in g] for b in grouped_batches(seconds, max_utts, max_audio_s, max_padding_rate,
                                                               jitter, rng)]


def pad_waves(waves: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-padded batch ``(B, N_max)`` and the lengths ``(B,)``."""
    lengths = torch.tensor([w.size for w in waves], dtype=torch.long)
    wav = torch.zeros(len(waves), int(lengths.max()))
    for b, w in enumerate(waves):
        wav[b, : w.size] = torch.from_numpy(np.asarray(w, dtype=np.float32))
    return wav, lengths


def collate(items: list[tuple[np.ndarray, float]]) -> dict[str, torch.Tensor]:
    """Pad waveforms into a batch: ``wav`` (B, N), ``lengths`` (B,), ``y`` (B,) normalised MOS."""
    wav, lengths = pad_waves([x for x, _ in items])
    y = mos_to_norm(torch.tensor([m for _, m in items], dtype=torch.float32))
    return {"wav": wav, "lengths": lengths, "y": y}
