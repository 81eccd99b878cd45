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


def bucket_batches(seconds: np.ndarray, max_utts: int, max_audio_s: float, max_padding_rate: float, jitter: float,
                   rng: np.random.Generator) -> list[list[int]]:
    """Sort by (jittered) length and cut greedily into batches of at most ``max_utts`` utterances, ``max_audio_s``
    seconds of padded audio and ``max_padding_rate`` padding; batch order shuffled."""
    noisy = seconds * (1.0 + jitter * rng.uniform(-1, 1, seconds.size))
    order = np.argsort(noisy, kind="stable")
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        trial = current + [int(i)]
        longest = max(seconds[trial])
        padded = longest * len(trial)
        padding = 1.0 - seconds[trial].sum() / padded
        if current and (len(trial) > max_utts or padded > max_audio_s or padding > max_padding_rate):
            batches.append(current)
            trial = [int(i)]
        current = trial
    if current:
        batches.append(current)
    return [batches[j] for j in rng.permutation(len(batches))]


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
