"""The faiss index over unit-length region vectors: inner product = cosine similarity. ``exact`` (flat, the
default) is exhaustive; ``hnsw`` and ``ivf`` are approximate options for millions of regions."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from sqe.utils.atomic import atomic_path
from sqe.utils.errors import SqeError


@dataclass
class IndexConf:
    kind: Literal["exact", "hnsw", "ivf"] = "exact"
    hnsw_m: int = 32  # hnsw: graph neighbours per node
    hnsw_ef_search: int = 64  # hnsw: candidates explored per query (recall vs speed)
    ivf_lists: int | None = None  # ivf: number of clusters (null: 4 sqrt(N))
    ivf_probe: int = 16  # ivf: clusters searched per query

    def __post_init__(self) -> None:
        if self.hnsw_m < 2 or self.hnsw_ef_search < 1 or self.ivf_probe < 1:
            raise ValueError("hnsw_m >= 2, hnsw_ef_search >= 1 and ivf_probe >= 1 are required")


def _faiss():
    try:
        import faiss
    except ImportError:
        raise SqeError("the faiss-cpu package is missing: pip install -e '.[search]' (or tools/install.sh)") from None
    return faiss


def build_index(vectors: np.ndarray, conf: IndexConf):
    faiss = _faiss()
    n, d = vectors.shape
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if conf.kind == "exact" or n == 0:
        index = faiss.IndexFlatIP(d)
    elif conf.kind == "hnsw":
        index = faiss.IndexHNSWFlat(d, conf.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efSearch = conf.hnsw_ef_search
    else:
        lists = conf.ivf_lists or max(1, min(n // 39, int(4 * np.sqrt(n))))  # faiss wants >= 39 points per list
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, lists, faiss.METRIC_INNER_PRODUCT)
        index.train(x)
        index.nprobe = min(conf.ivf_probe, lists)
    index.add(x)
    return index


def save_index(index, path: Path) -> None:
    faiss = _faiss()
    with atomic_path(path) as tmp:
        faiss.write_index(index, str(tmp))


def load_index(path: Path, conf: IndexConf | None = None):
    faiss = _faiss()
    if not path.is_file():
        raise SqeError(f"{path} does not exist (made by sqe.bin.index)")
    index = faiss.read_index(str(path))
    if conf is not None and hasattr(index, "hnsw"):
        index.hnsw.efSearch = conf.hnsw_ef_search
    if conf is not None and hasattr(index, "nprobe"):
        index.nprobe = conf.ivf_probe
    return index


def search(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, ids) of the ``k`` nearest stored vectors per query row; ids -1 where fewer exist."""
    q = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    return index.search(q, min(k, max(index.ntotal, 1)))
