"""The frame log-spectral distance that places the evaluation sets' segments without a teacher."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.audio.distance import frame_distance
from sqe.audio.grid import num_frames


def test_equal_frames_are_zero_and_a_gain_is_its_decibels():
    rng = np.random.default_rng(1)
    ref = (rng.standard_normal(16000) * 0.05).astype(np.float32)
    d = frame_distance(ref, ref.copy())
    assert d.shape == (num_frames(16000),) and not d.any()
    np.testing.assert_allclose(frame_distance(ref, ref * 2)[1:-1], 20 * np.log10(2), rtol=1e-6)


def test_noise_in_a_pause_counts_and_digital_silence_does_not_explode():
    t = np.arange(32000) / 16000
    ref = np.where(t < 1, 0.1 * np.sin(2 * np.pi * 300 * t), 0.0).astype(np.float32)  # tone, then silence
    deg = ref.copy()
    deg[16000:] += 1e-6 * np.random.default_rng(0).standard_normal(16000).astype(np.float32)  # -120 dB
    assert frame_distance(ref, deg).max() < 0.5  # under the 80-dB floor: far below the sets' 1 dB
    deg[24000:] += 0.01 * np.random.default_rng(1).standard_normal(8000).astype(np.float32)
    d = frame_distance(ref, deg)
    assert d[:49].max() == 0 and d[76:].min() > 20  # the noise 20 dB under the tone, on silence


def test_signals_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="one length"):
        frame_distance(np.zeros(100), np.zeros(120))
