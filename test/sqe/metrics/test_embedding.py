"""Segment embeddings, verification EER and prototype retrieval."""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from sqe.metrics.detection import eer
from sqe.metrics.embedding import (class_prototypes, l2_normalize, n_concurrent, prototype_accuracy,
                                   segment_embeddings, segments_from_detection, select_by_concurrency,
                                   verification_eer)
from sqe.utils.errors import SqeError


def angles(*deg: float) -> np.ndarray:
    r = np.deg2rad(deg)
    return np.stack([np.cos(r), np.sin(r)], axis=1)


def blobs(n_per: int, n_classes: int, dim: int, noise: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_classes, dim))
    y = np.repeat(np.arange(n_classes), n_per)
    x = centers[y] + noise * rng.standard_normal((y.size, dim))
    return x, np.array([f"c{i}" for i in y])


def test_l2_normalize_and_concurrency():
    x = l2_normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(x, [[0.6, 0.8], [0.0, 0.0]])
    assert [n_concurrent(c) for c in ("clean", "wbgn", "clip+wbgn", "a+b+c")] == [0, 1, 2, 3]
    labels = ["clean", "wbgn", "clip+wbgn", "a+b+c"]
    assert select_by_concurrency(labels, 1).tolist() == [True, True, False, False]
    assert select_by_concurrency(labels, 2).tolist() == [True, True, True, False]


def test_oracle_segments():
    e = np.arange(14, dtype=np.float64).reshape(7, 2) + 1
    lab = np.array(["clean", "a", "a", "b", "b", "clean", "a"])
    emb, labels, index = segment_embeddings({"u": e, "v": e[:2]}, {"u": lab, "v": np.array(["clean"] * 2)})
    assert labels.tolist() == ["a", "b", "a"]
    assert index == [("u", 1, 2), ("u", 3, 2), ("u", 6, 1)]
    np.testing.assert_allclose(emb, l2_normalize(np.stack([e[1:3].mean(0), e[3:5].mean(0), e[6]])))
    # integer frame labels (e.g. the m_q mask) with clean_label 0
    _, labels, index = segment_embeddings({"u": e}, {"u": np.array([0, 1, 1, 0, 0, 1, 1])}, clean_label=0)
    assert labels.tolist() == ["1", "1"] and index == [("u", 1, 2), ("u", 5, 2)]


def test_segments_errors_name_the_utterance():
    e = np.ones((4, 3))
    with pytest.raises(SqeError, match="short"):
        segment_embeddings({"ok": e, "short": e}, {"ok": np.array(["a"] * 4), "short": np.array(["a"] * 3)})
    with pytest.raises(SqeError, match="lost"):
        segment_embeddings({"ok": e, "lost": e}, {"ok": np.array(["a"] * 4)})


def test_detected_segments_majority_label():
    e = np.eye(8)
    lab = np.array(["clean", "a", "a", "clean", "clean", "b", "clean", "b"])
    det = np.array([1, 1, 1, 0, 1, 1, 1, 1], dtype=bool)
    emb, labels, index = segments_from_detection({"u": e}, {"u": det}, {"u": lab})
    # run 0-2: a wins 2:1; run 4-7: clean 2, b 2 -> tie goes to the label seen first in the run (clean)
    assert labels.tolist() == ["a", "clean"]
    assert index == [("u", 0, 3), ("u", 4, 4)]
    np.testing.assert_allclose(emb[0], l2_normalize(e[:3].mean(0)))
    _, labels, _ = segments_from_detection({"u": e}, {"u": np.r_[det[:4], False, det[5:]]}, {"u": lab})
    assert labels.tolist() == ["a", "b"]  # run 5-7: b 2, clean 1
    emb, labels, index = segments_from_detection({"u": e}, {"u": np.zeros(8, bool)}, {"u": lab})
    assert emb.shape == (0, 8) and labels.size == 0 and index == []


def test_verification_eer_hand_cases():
    # two perfectly separated classes
    assert verification_eer(angles(0, 5, 90, 95), ["a", "a", "b", "b"]) == 0.0
    # one target pair (cos 0.5) between the non-targets (cos 0.866 and 0): DET through (0.5, 1) and (0.5, 0)
    for method in ("exact", "histogram"):
        assert verification_eer(angles(0, 60, -30), ["a", "a", "b"], method=method) == pytest.approx(0.5)
    # targets (cos -1) all below non-targets (cos 0)
    assert verification_eer(angles(0, 180, 90, 270), ["a", "a", "b", "b"]) == pytest.approx(1.0)


def test_verification_eer_matches_brute_force():
    x, y = blobs(12, 5, 6, noise=1.2, seed=3)
    e = l2_normalize(x)
    pairs = np.array(list(combinations(range(len(y)), 2)))
    scores = np.einsum("ij,ij->i", e[pairs[:, 0]], e[pairs[:, 1]])
    expected = eer(scores, y[pairs[:, 0]] == y[pairs[:, 1]])
    assert 0.05 < expected < 0.5
    for block in (1024, 7):  # block edges must neither drop nor duplicate pairs
        assert verification_eer(x, y, method="exact", block=block) == pytest.approx(expected, abs=1e-12)
    c = l2_normalize(e - e.mean(0))
    centred = eer(np.einsum("ij,ij->i", c[pairs[:, 0]], c[pairs[:, 1]]), y[pairs[:, 0]] == y[pairs[:, 1]])
    assert verification_eer(x, y, center=True, block=5) == pytest.approx(centred, abs=1e-12)


def test_verification_eer_exact_vs_histogram():
    x, y = blobs(40, 15, 16, noise=2.0, seed=1)  # 600 items, 179,700 pairs
    exact = verification_eer(x, y, method="exact", block=256)
    hist = verification_eer(x, y, method="histogram", block=256)
    assert 0.05 < exact < 0.45
    assert hist == pytest.approx(exact, abs=1e-3)
    coarse = verification_eer(x, y, method="histogram", n_bins=8)  # really binned: 8 bins are visibly off
    assert 1e-3 < abs(coarse - exact) < 0.05
    assert verification_eer(x, y) == exact  # auto: exact below exact_max_n
    assert verification_eer(x, y, exact_max_n=100, block=256) == hist


def test_verification_eer_errors():
    with pytest.raises(SqeError, match="non-target"):
        verification_eer(np.eye(3), ["a", "a", "a"])
    with pytest.raises(SqeError, match="0 target"):
        verification_eer(np.eye(3), ["a", "b", "c"])
    with pytest.raises(SqeError, match="method"):
        verification_eer(np.eye(3), ["a", "a", "b"], method="fast")
    with pytest.raises(SqeError):
        verification_eer(np.eye(3), ["a", "a"])


def test_prototypes_and_retrieval():
    x, y = blobs(20, 4, 8, noise=0.05, seed=2)
    classes, protos = class_prototypes(x, y)
    assert classes.tolist() == ["c0", "c1", "c2", "c3"]
    np.testing.assert_allclose(np.linalg.norm(protos, axis=1), 1.0)
    np.testing.assert_allclose(protos[1], l2_normalize(l2_normalize(x[y == "c1"]).mean(0)))
    assert prototype_accuracy(x, y, classes, protos) == (1.0, 0)
    # validation has no prototype of c3: its 20 test items can never be right
    keep = y != "c3"
    classes3, protos3 = class_prototypes(x[keep], y[keep])
    acc, missing = prototype_accuracy(x, y, classes3, protos3, block=7)
    assert (acc, missing) == (pytest.approx(60 / 80), 20)
    with pytest.raises(SqeError):
        prototype_accuracy(x, y, classes3, protos)
