"""The log-mel encoder's filter bank (sqe.audio.mel) against known values and transformers' Slaney filters."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.audio.mel import hz_to_mel, mel_filter_bank, mel_to_hz


def test_the_slaney_scale_is_linear_below_1_khz_and_logarithmic_above():
    assert hz_to_mel(1000.0) == pytest.approx(15.0) and hz_to_mel(200.0) == pytest.approx(3.0)
    assert hz_to_mel(6400.0) == pytest.approx(15.0 + 27.0)  # 27 mels per factor 6.4
    hz = np.array([0.0, 20.0, 999.0, 1000.0, 4321.0, 8000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(hz)), hz, rtol=1e-12, atol=1e-9)


def test_filters_are_triangles_of_equal_area():
    fb = mel_filter_bank(257, 64, 20.0, 8000.0, 16000)
    assert fb.shape == (257, 64) and (fb >= 0).all()
    bins = np.linspace(0, 8000, 257)
    areas = (fb * (bins[1] - bins[0])).sum(0)  # 2 / width times the triangle's area (width / 2): 1 each
    np.testing.assert_allclose(areas[12:], 1.0, rtol=0.06)  # sampled at 31.25 Hz: narrow low ones vary more
    np.testing.assert_allclose(areas.mean(), 1.0, rtol=0.01)
    assert (np.diff(fb.argmax(0)) >= 0).all()  # centres rise with the filter index


def test_agrees_with_transformers_slaney_filter_bank():
    from transformers.audio_utils import mel_filter_bank as reference

    for n_mels, fmin, fmax in ((64, 20.0, 8000.0), (32, 20.0, 8000.0), (40, 500.0, 4000.0)):
        expected = reference(num_frequency_bins=257, num_mel_filters=n_mels, min_frequency=fmin, max_frequency=fmax,
                             sampling_rate=16000, norm="slaney", mel_scale="slaney")
        np.testing.assert_allclose(mel_filter_bank(257, n_mels, fmin, fmax, 16000), expected, rtol=0, atol=1e-12)


def test_a_band_outside_the_spectrum_is_refused():
    with pytest.raises(ValueError, match="not inside 0-8000.0 Hz"):
        mel_filter_bank(257, 64, 20.0, 9000.0, 16000)
