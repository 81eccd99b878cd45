"""Sample frames to the analyser's input: channel choice, non-finite samples, clipping, stream resampling."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.monitor.session import ToMono16k
from sqe.monitor.sources import PcmFormat
from sqe.utils.errors import SqeError


def test_channels_nonfinite_samples_and_clipping_are_handled_and_counted():
    frames = np.array([[0.5, -0.5], [np.nan, 0.25], [1.0, 0.0], [32767 / 32768, np.inf]], np.float32)
    mix = ToMono16k(PcmFormat("f32le", 16000, 2))
    assert mix(frames).tolist() == [0.0, 0.0, 0.5, 0.0]  # a NaN or Inf makes the mix 0
    assert mix.nonfinite == 2 and mix.clipped == 0
    left = ToMono16k(PcmFormat("s16le", 16000, 2), channel="0")
    assert left(frames).tolist() == [0.5, 0.0, 1.0, pytest.approx(32767 / 32768)]
    assert left.nonfinite == 1 and left.clipped == 2  # full scale either way
    with pytest.raises(SqeError, match="--channel '2'"):
        ToMono16k(PcmFormat("s16le", 16000, 2), channel="2")


def test_resampling_as_a_stream_keeps_the_length_and_the_tone():
    convert = ToMono16k(PcmFormat("f32le", 48000, 1))
    t = np.arange(48000 * 2) / 48000
    x = np.sin(2 * np.pi * 440 * t).astype(np.float32)[:, None]
    pieces = [convert(x[a:a + 1234]) for a in range(0, x.shape[0], 1234)]
    pieces.append(convert(np.zeros((0, 1), np.float32), last=True))
    y = np.concatenate(pieces)
    assert y.size == 32000
    ref = np.sin(2 * np.pi * 440 * np.arange(32000) / 16000)
    assert np.abs(y[1000:-1000] - ref[1000:-1000]).max() < 1e-3  # the soxr filter's delay is compensated
