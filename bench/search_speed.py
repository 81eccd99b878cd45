#!/usr/bin/env python3
"""Benchmark: degradation search (sqe.search.faiss_index) over N random unit vectors in clusters, as region
embeddings are: index build time, single-query latency (k = 10) and, for the approximate kinds, recall@10
against exact search. flat = exhaustive over fp16 vectors with float32 re-ranking (the default);
flat_fp32 = exhaustive over float32 vectors.

Usage (repository root, environment active):
    python bench/search_speed.py [--regions 1000000] [--dim 64] [--threads 2] [--kinds flat_fp32 flat hnsw ivf]
Targets (issue 12): 1 million regions, d = 64: build <= 60 s, query <= 10 ms (exact). Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--regions", type=int, default=1_000_000)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--queries", type=int, default=200)
    kinds = ["flat_fp32", "flat", "hnsw", "ivf"]
    p.add_argument("--kinds", nargs="+", default=kinds, choices=kinds)
    args = p.parse_args()
    import faiss

    from sqe.search.faiss_index import IndexConf, build_index, search

    faiss.omp_set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((200, args.dim)).astype(np.float32)
    x = centres[rng.integers(200, size=args.regions)] + 0.5 * rng.standard_normal((args.regions, args.dim),
                                                                                   dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    queries = x[rng.choice(args.regions, args.queries, replace=False)]
    result: dict[str, object] = {"regions": args.regions, "dim": args.dim, "threads": args.threads}
    exact_ids = None
    for kind in args.kinds:
        start = time.perf_counter()
        conf = IndexConf(kind="flat", precision="fp32") if kind == "flat_fp32" else IndexConf(kind=kind)
        index = build_index(x, conf)
        result[f"{kind}_build_s"] = round(time.perf_counter() - start, 2)
        rerank = x if kind == "flat" else None  # as sqe.bin.search does for the fp16 flat index
        search(index, queries[0], 10, rerank)  # warm-up
        start = time.perf_counter()
        ids = np.concatenate([search(index, q, 10, rerank)[1] for q in queries])
        result[f"{kind}_query_ms"] = round(1000 * (time.perf_counter() - start) / args.queries, 3)
        if kind == "flat_fp32":
            exact_ids = ids
        if exact_ids is not None and kind != "flat_fp32":
            result[f"{kind}_recall_at_10"] = round(float(np.mean(
                [len(set(a) & set(e)) / 10 for a, e in zip(ids, exact_ids)])), 4)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
