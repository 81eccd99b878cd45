"""Agglomerative clustering (cosine, average linkage) and ARI, ARI_dist, ACC_clean."""
from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from sqe.metrics.clustering import agglomerative_cluster, clustering_scores
from sqe.utils.errors import SqeError


def blobs(n_per: int, n_classes: int, dim: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_classes, dim))
    y = np.repeat(np.arange(n_classes), n_per)
    return centers[y] + noise * rng.standard_normal((y.size, dim)), y


def test_well_separated_blobs_are_recovered():
    x, y = blobs(30, 5, 16, noise=0.05)
    pred = agglomerative_cluster(x, 5)
    assert pred.shape == y.shape and set(pred.tolist()) == set(range(5))
    assert clustering_scores(y, pred)["ari"] == 1.0
    assert agglomerative_cluster(x, 1).tolist() == [0] * len(x)


def test_same_partition_as_scipy_average_cosine():
    x, _ = blobs(40, 6, 8, noise=0.8, seed=4)  # overlapping blobs: the partition is not trivial
    pred = agglomerative_cluster(x, 6)
    ref = fcluster(linkage(x, method="average", metric="cosine"), t=6, criterion="maxclust")
    assert len(set(ref.tolist())) == 6
    assert adjusted_rand_score(ref, pred) == 1.0


def test_hand_made_scores():
    true = np.array(["clean"] * 4 + ["a", "a", "a", "b", "b", "b"])
    pred = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2])
    s = clustering_scores(true, pred)
    # distorted items: contingency a:{1: 2, 2: 1}, b:{2: 3} -> sum C(n_ij, 2) = 4, rows 6, cols 1 + 6 = 7,
    # C(6, 2) = 15: ARI = (4 - 6*7/15) / ((6 + 7)/2 - 6*7/15) = 12/37
    assert s["ari_dist"] == pytest.approx(12 / 37)
    assert s["acc_clean"] == pytest.approx(3 / 4)  # cluster 0 holds 3 of the 4 clean items
    assert s["ari"] == pytest.approx(adjusted_rand_score(true, pred))
    w = np.array([1, 1, 1, 5, 1, 1, 1, 1, 1, 1])  # e.g. frame counts: cluster 1 now holds most clean weight
    assert clustering_scores(true, pred, weights=w)["acc_clean"] == pytest.approx(5 / 8)
    s = clustering_scores(["x", "x", "a"], [0, 0, 1], clean_label="x")
    assert s["acc_clean"] == 1.0 and np.isnan(s["ari_dist"])
    assert np.isnan(clustering_scores(["a", "b"], [0, 1])["acc_clean"])
    with pytest.raises(SqeError):
        clustering_scores(["a", "b"], [0])
    with pytest.raises(SqeError):
        clustering_scores(["a", "b"], [0, 1], weights=[1.0, -1.0])


def test_errors():
    x, _ = blobs(3, 2, 4, noise=0.1)
    with pytest.raises(SqeError, match="n_clusters"):
        agglomerative_cluster(x, 7)
    with pytest.raises(SqeError, match="n_clusters"):
        agglomerative_cluster(x, 0)
    x[[1, 4]] = 0.0
    with pytest.raises(SqeError, match="2 of 6"):
        agglomerative_cluster(x, 2)


def test_subsampling_assigns_the_rest_to_nearest_centroid(caplog):
    x, y = blobs(100, 4, 8, noise=0.05, seed=5)
    with caplog.at_level(logging.WARNING, logger="sqe.metrics.clustering"):
        pred = agglomerative_cluster(x, 4, max_n=60, seed=1)
    assert "60 of 400" in caplog.text
    assert adjusted_rand_score(y, pred) == 1.0
    assert np.array_equal(pred, agglomerative_cluster(x, 4, max_n=60, seed=1))  # seeded
    with pytest.raises(SqeError, match="n_clusters"):
        agglomerative_cluster(x, 61, max_n=60)
