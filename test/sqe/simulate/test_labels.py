import numpy as np
import pytest

from sqe.simulate.labels import PESQ_MAX, pesq_wb


@pytest.fixture(scope="module")
def speech():
    from sqe.speech.tts import synthesize

    return synthesize("hibari", "Please close the window before the rain starts tonight.", 1.0, 1)


def test_pesq_wb_orders_quality(speech):
    assert pesq_wb(speech, speech) == pytest.approx(PESQ_MAX, abs=0.01)
    noisy = speech + 0.02 * np.random.default_rng(0).standard_normal(speech.size).astype(np.float32)
    very_noisy = speech + 0.1 * np.random.default_rng(0).standard_normal(speech.size).astype(np.float32)
    assert 1.0 <= pesq_wb(speech, very_noisy) < pesq_wb(speech, noisy) < PESQ_MAX


def test_pesq_failures_return_none(speech):
    assert pesq_wb(speech, np.zeros_like(speech)) is None  # silent degraded: plain ValueError inside pesq
    assert pesq_wb(np.zeros_like(speech), speech) is None  # silent reference
    assert pesq_wb(speech[:2000], speech[:2000]) is None  # shorter than 0.25 s
