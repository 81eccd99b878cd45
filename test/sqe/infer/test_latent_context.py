"""The latent window both incremental encoders share: the frames each X frame needs, and what is dropped."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.infer.latent_context import LatentContext


class Summing(LatentContext):
    """X of frame i = sum of latent frames i - 1 .. i + 1 (zeros outside), a context of 1 frame each side."""

    def __init__(self, n: int):
        self.context, self.start = 1, 0
        self.latents = np.arange(n, dtype=np.float64)[:, None] ** 2
        self.seen: list[tuple[int, int]] = []

    def _convolve(self, latents: np.ndarray) -> np.ndarray:
        self.seen.append((self.start, latents.shape[0]))
        padded = np.pad(latents[:, 0], 1)
        return (padded[:-2] + padded[1:-1] + padded[2:])[:, None]


def test_frames_equal_the_whole_signal_and_drop_what_is_no_longer_needed():
    whole = np.pad(np.arange(10.0) ** 2, 1)
    expected = whole[:-2] + whole[1:-1] + whole[2:]
    enc = Summing(10)
    np.testing.assert_array_equal(enc.frames(0, 4)[:, 0], expected[:4])
    assert (enc.start, enc.end) == (3, 10) and enc.seen == [(0, 5)]  # frames 0..4 seen; from frame 3 kept
    np.testing.assert_array_equal(enc.frames(4, 10, final=True)[:, 0], expected[4:])
    assert enc.seen[-1] == (3, 7)
    with pytest.raises(IndexError, match=r"X frames \[2, 4\) need latent frames \[1, 5\), have \[9, 10\)"):
        enc.frames(2, 4)
