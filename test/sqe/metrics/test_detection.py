"""Frame EER and minDCF against scikit-learn, brute force and Gaussian reference values."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from scipy.stats import norm
from sklearn.metrics import roc_curve

from sqe.metrics.detection import det_curve, eer, eer_and_min_dcf, min_dcf
from sqe.utils.errors import SqeError


def sklearn_eer(scores, labels):
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    return brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)


def brute_min_dcf(scores, labels, p=0.01):
    best = 1.0
    for thr in np.unique(scores):
        p_miss = np.mean(scores[labels == 1] < thr)
        p_fa = np.mean(scores[labels == 0] >= thr)
        best = min(best, (p * p_miss + (1 - p) * p_fa) / p)
    return best


def test_against_sklearn_and_brute_force_with_ties():
    rng = np.random.default_rng(0)
    for i in range(60):
        labels = rng.integers(0, 2, 400)
        scores = rng.normal(labels * rng.uniform(0, 2), 1.0)
        if i % 2:
            scores = np.round(scores, 1)  # heavy ties
        assert eer(scores, labels) == pytest.approx(sklearn_eer(scores, labels), abs=1e-9)
        assert min_dcf(scores, labels) == pytest.approx(brute_min_dcf(scores, labels), abs=1e-12)
        assert eer_and_min_dcf(scores, labels) == (eer(scores, labels), min_dcf(scores, labels))


@pytest.mark.parametrize("d_prime, ref_eer, ref_dcf", [(1.5, 0.2278, 0.992), (2.5, 0.1051, 0.807),
                                                       (3.5, 0.0409, 0.436), (4.5, 0.0131, 0.164)])
def test_gaussian_reference_values(d_prime, ref_eer, ref_dcf):
    rng = np.random.default_rng(1)
    labels = (rng.random(100_000) < 0.1).astype(int)
    scores = rng.normal(labels * d_prime, 1.0)
    assert eer(scores, labels) == pytest.approx(norm.cdf(-d_prime / 2), abs=0.006)
    assert eer(scores, labels) == pytest.approx(ref_eer, abs=0.006)
    assert min_dcf(scores, labels) == pytest.approx(ref_dcf, abs=0.04)


def test_hand_computed_and_degenerate_cases():
    labels = np.array([0, 0, 1, 1])
    assert eer(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 0.0
    assert min_dcf(np.array([0.1, 0.2, 0.8, 0.9]), labels) == 0.0
    assert eer(np.zeros(4), labels) == 0.5  # constant scores
    assert min_dcf(np.zeros(4), labels) == 1.0  # never flagging costs 1
    assert eer(np.array([0.9, 0.8, 0.2, 0.1]), labels) == 1.0
    p_miss, p_fa, thr = det_curve(np.array([0.5, 0.5, 0.7]), np.array([0, 1, 1]))
    assert thr[0] == np.inf and p_miss.tolist() == [1.0, 0.5, 0.0] and p_fa.tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(SqeError, match="targets and non-targets"):
        eer(np.ones(3), np.ones(3))
    with pytest.raises(SqeError, match="3 scores but 2 labels"):
        eer(np.ones(3), np.ones(2))
