"""Agglomerative clustering of segment embeddings and its scores ARI, ARI_dist, ACC_clean.

Clustering is average linkage on cosine distances (the paper's Table 6). sklearn builds the full condensed
distance matrix (≈ 8.3 bytes · N² peak), so above ``max_n`` items a seeded subsample is clustered and the rest
is assigned to the nearest cluster centroid.

    >>> import numpy as np
    >>> emb = np.array([[1., 0.], [1., .1], [0., 1.], [.1, 1.]])
    >>> agglomerative_cluster(emb, 2).tolist()
    [1, 1, 0, 0]
    >>> s = clustering_scores(["clean", "clean", "wbgn", "clip"], [0, 0, 1, 1])
    >>> round(s["ari"], 3), s["ari_dist"], s["acc_clean"]
    (0.571, 0.0, 1.0)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from sqe.metrics.embedding import l2_normalize
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger

log = get_logger(__name__)


def _cluster_all(x: np.ndarray, n_clusters: int) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    if n_clusters == 1:  # sklearn needs >= 2 samples; one cluster is trivial anyway
        return np.zeros(len(x), dtype=np.int64)
    # metric= (sklearn >= 1.2); the old affinity= raises TypeError in current sklearn
    model = AgglomerativeClustering(n_clusters=n_clusters, metric="cosine", linkage="average")
    return model.fit_predict(x).astype(np.int64)


def agglomerative_cluster(emb: np.ndarray, n_clusters: int, *, max_n: int = 20000, seed: int = 0,
                          block: int = 4096) -> np.ndarray:
    """Cluster labels [N] of average-linkage clustering with cosine distance into ``n_clusters`` clusters.

    Above ``max_n`` items, ``max_n`` of them (drawn with ``seed``) are clustered and every other item joins
    the cluster whose centroid (normalised mean of unit embeddings) has the highest cosine similarity.
    """
    x = np.asarray(emb, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise SqeError(f"need a non-empty (N, D) embedding matrix, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise SqeError(f"{int((~np.isfinite(x).all(axis=1)).sum())} embeddings contain NaN or inf")
    zero = np.flatnonzero(~np.any(x != 0, axis=1))
    if zero.size:
        raise SqeError(f"cosine distance is undefined for zero vectors: {zero.size} of {len(x)} embeddings are "
                       f"zero (first indices {zero[:10].tolist()})")
    n = len(x)
    if not 1 <= n_clusters <= min(n, max_n):
        raise SqeError(f"n_clusters must be in [1, {min(n, max_n)}] for {n} items (max_n {max_n}), "
                       f"got {n_clusters}")
    if n <= max_n:
        return _cluster_all(x, n_clusters)
    log.warning("clustering a random subset of %d of %d items (seed %d); the rest joins the nearest centroid",
                max_n, n, seed)
    sub = np.sort(np.random.default_rng(seed).choice(n, size=max_n, replace=False))
    labels = np.empty(n, dtype=np.int64)
    labels[sub] = _cluster_all(x[sub], n_clusters)
    unit = l2_normalize(x)
    centroids = np.zeros((n_clusters, x.shape[1]))
    np.add.at(centroids, labels[sub], unit[sub])
    centroids = l2_normalize(centroids)
    rest = np.setdiff1d(np.arange(n), sub, assume_unique=True)
    for i in range(0, rest.size, block):
        idx = rest[i:i + block]
        labels[idx] = (unit[idx] @ centroids.T).argmax(axis=1)
    return labels


def clustering_scores(true: Sequence | np.ndarray, pred: Sequence | np.ndarray, *, clean_label: str = "clean",
                      weights: Sequence[float] | np.ndarray | None = None) -> dict[str, float]:
    """``ari``, ``ari_dist`` and ``acc_clean`` of a clustering.

    - ari: adjusted Rand index of all items.
    - ari_dist: ARI over the items whose true label is not ``clean_label``, cluster labels from the full
      clustering; NaN with fewer than 2 such items.
    - acc_clean: share of the true-clean items (weighted by ``weights``, e.g. frame counts) in the cluster that
      holds the most of them; NaN without clean items. ``weights`` affect only this score.
    """
    from sklearn.metrics import adjusted_rand_score

    true = np.asarray(true).astype(str)
    pred = np.asarray(pred)
    if true.ndim != 1 or pred.shape != true.shape or true.size == 0:
        raise SqeError(f"need equally long non-empty label vectors, got {true.shape} true and {pred.shape} predicted")
    w = np.ones(true.size) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != true.shape or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise SqeError(f"weights must be {true.size} finite non-negative numbers, got shape {w.shape}")
    dist = true != str(clean_label)
    out = {"ari": float(adjusted_rand_score(true, pred))}
    out["ari_dist"] = float(adjusted_rand_score(true[dist], pred[dist])) if dist.sum() >= 2 else float("nan")
    clean = ~dist
    if not clean.any() or w[clean].sum() == 0:
        out["acc_clean"] = float("nan")
    else:
        _, code = np.unique(pred[clean], return_inverse=True)
        per_cluster = np.bincount(code, weights=w[clean])
        out["acc_clean"] = float(per_cluster.max() / per_cluster.sum())
    return out
