"""Region stores and the faiss index: exact search equals brute force, approximate search keeps recall."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.search.faiss_index import IndexConf, build_index, load_index, save_index, search
from sqe.search.store import RegionStore
from sqe.utils.errors import SqeError


def unit_rows(n, d, seed=0):
    x = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_store_round_trip_and_merge(tmp_path):
    a = RegionStore("m1", 4, unit_rows(3, 4), [("f1", "/x/f1.wav", 0.5, 1.0, "lpf", 0.9)] * 3)
    b = RegionStore("m1", 4, unit_rows(2, 4, 1), [("f2", "/x/f2.wav", 1.25, 2.0, "unknown", 0.3)] * 2)
    a.save(tmp_path / "a")
    b.save(tmp_path / "b")
    merged = RegionStore.merge([RegionStore.load(tmp_path / "a"), RegionStore.load(tmp_path / "b")], ["a", "b"])
    assert len(merged) == 5 and merged.rows[3] == ("f2", "/x/f2.wav", 1.25, 2.0, "unknown", 0.3)
    np.testing.assert_array_equal(merged.vectors[:3], a.vectors)
    other = RegionStore("m2", 4, unit_rows(1, 4), [("f3", "/x/f3.wav", 0.0, 1.0, "clip", 0.8)])
    with pytest.raises(SqeError, match="c was made with another model than a"):
        RegionStore.merge([a, other], ["a", "c"])
    lines = (tmp_path / "b" / "regions.tsv").read_text().splitlines()
    (tmp_path / "b" / "regions.tsv").write_text("\n".join(lines[:2] + ["f2\tonly\tthree"]) + "\n")
    with pytest.raises(SqeError, match=r"regions.tsv:3: 3 fields, expected 6"):
        RegionStore.load(tmp_path / "b")
    with pytest.raises(SqeError, match="not an index part"):
        RegionStore.load(tmp_path)


@pytest.mark.parametrize("precision", ["fp16", "fp32"])
def test_flat_search_is_brute_force(tmp_path, precision):
    x = unit_rows(2000, 16)
    q = unit_rows(5, 16, seed=3)
    index = build_index(x, IndexConf(precision=precision))
    save_index(index, tmp_path / "i.faiss")
    sims, ids = search(load_index(tmp_path / "i.faiss"), q, 7, x)
    brute = q @ x.T
    for row in range(5):
        expected = np.argsort(-brute[row])[:7]
        np.testing.assert_array_equal(ids[row], expected)
        np.testing.assert_allclose(sims[row], brute[row, expected], atol=1e-5)
    sims, ids = search(index, q[0] * 5.0, 3, x)  # queries are normalised: a scaled query finds the same
    np.testing.assert_array_equal(ids[0], np.argsort(-brute[0])[:3])
    assert search(build_index(x[:2], IndexConf(precision=precision)), q[0], 10, x[:2])[1].shape == (1, 2)
    if precision == "fp16":  # without the float32 re-ranking, scores carry fp16 rounding
        raw, raw_ids = search(index, q, 7)
        assert 0 < np.abs(raw - np.take_along_axis(brute, raw_ids, 1)).max() < 2e-3


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_search_keeps_recall(kind):
    # clustered data, as degradation embeddings are
    rng = np.random.default_rng(4)
    centres = unit_rows(20, 32, seed=5)
    x = centres[rng.integers(20, size=5000)] + 0.2 * rng.standard_normal((5000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[rng.choice(5000, 50, replace=False)] + 0.05 * rng.standard_normal((50, 32)).astype(np.float32)
    exact = search(build_index(x, IndexConf(precision="fp32")), q, 10)[1]
    approx = search(build_index(x, IndexConf(kind=kind)), q, 10)[1]
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])
    assert recall >= 0.9, recall
