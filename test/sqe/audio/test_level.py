import numpy as np
import pytest
from conftest import noise, sine

from sqe.audio import normalize_loudness, rms_dbfs, standardize


def test_rms_dbfs_of_known_signals():
    assert rms_dbfs(np.ones(10, dtype=np.float32)) == pytest.approx(0.0)
    assert rms_dbfs(sine(amp=1.0, seconds=1.0)) == pytest.approx(-3.0103, abs=1e-3)
    assert rms_dbfs(np.zeros(10, dtype=np.float32)) == float("-inf")


def test_normalize_loudness_hits_the_target_and_keeps_silence():
    y = normalize_loudness(noise(amp=0.01), -18.0)
    assert rms_dbfs(y) == pytest.approx(-18.0, abs=1e-4)
    assert np.all(normalize_loudness(np.zeros(5, dtype=np.float32)) == 0)


def test_standardize():
    y = standardize(sine(amp=0.2) + 0.3)
    assert float(y.mean()) == pytest.approx(0.0, abs=1e-6)
    assert float(y.std()) == pytest.approx(1.0, abs=1e-5)
    assert np.all(standardize(np.full(4, 2.0, dtype=np.float32)) == 0)
