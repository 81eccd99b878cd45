#!/usr/bin/env python3
"""Benchmark of the evaluation metrics against the targets of issue 6 (synthetic data, fixed seeds):

- frame EER + minDCF on 10 million frames: <= 5 s
- verification EER on 20,000 embeddings (d = 128): <= 10 s and <= 1 GB
- I-AUC on 2,000 utterances of 250 frames: <= 5 s
- agglomerative clustering of 20,000 points: <= 4 GB

Usage (repository root, environment active): python bench/metrics_speed.py [--only eer|verification|iauc|clustering]
Memory is the peak RSS increase over the process before the step (Linux ru_maxrss), measured in a fresh
subprocess per step so the steps do not mask each other.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_eer() -> dict:
    from sqe.metrics.detection import eer_and_min_dcf

    rng = np.random.default_rng(0)
    labels = rng.random(10_000_000) < 0.3
    scores = rng.normal(labels * 2.0, 1.0).astype(np.float32)
    start = time.perf_counter()
    e, d = eer_and_min_dcf(scores, labels)
    return {"seconds": time.perf_counter() - start, "eer": e, "min_dcf": d, "target_s": 5}


def step_verification() -> dict:
    from sqe.metrics.embedding import verification_eer

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 36, 20_000)
    centres = rng.standard_normal((36, 128))
    emb = (centres[labels] + 1.5 * rng.standard_normal((20_000, 128))).astype(np.float32)
    start = time.perf_counter()
    e = verification_eer(emb, labels.astype(str))
    return {"seconds": time.perf_counter() - start, "eer": e, "target_s": 10, "target_mb": 1024}


def step_iauc() -> dict:
    from sqe.metrics.events import intersection_auc, mask_to_events

    rng = np.random.default_rng(0)
    scores, truth, durations = {}, {}, {}
    for i in range(2000):
        mask = np.zeros(250, dtype=bool)
        for _ in range(rng.integers(1, 4)):
            a = rng.integers(0, 200)
            mask[a:a + rng.integers(20, 50)] = True
        key = f"u{i:04d}"
        scores[key] = (mask + 0.8 * rng.standard_normal(250)).astype(np.float32)
        truth[key] = mask_to_events(mask)
        durations[key] = 5.0
    start = time.perf_counter()
    value = intersection_auc(scores, truth, durations)
    return {"seconds": time.perf_counter() - start, "i_auc": value, "target_s": 5}


def step_clustering() -> dict:
    from sqe.metrics.clustering import agglomerative_cluster

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 30, 20_000)
    emb = (rng.standard_normal((30, 128))[labels] + 0.5 * rng.standard_normal((20_000, 128))).astype(np.float32)
    start = time.perf_counter()
    agglomerative_cluster(emb, 30)
    return {"seconds": time.perf_counter() - start, "target_mb": 4096}


STEPS = {"eer": step_eer, "verification": step_verification, "iauc": step_iauc, "clustering": step_clustering}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", choices=list(STEPS))
    p.add_argument("--child", choices=list(STEPS), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        import warnings

        with warnings.catch_warnings():  # imports outside the measured time and peak
            warnings.simplefilter("ignore")
            import sed_scores_eval.intersection_based  # noqa: F401
            import sklearn.cluster  # noqa: F401
        import sqe.metrics.clustering  # noqa: F401
        import sqe.metrics.embedding  # noqa: F401
        import sqe.metrics.events  # noqa: F401

        before = rss_mb()
        result = STEPS[args.child]()
        result["peak_rss_increase_mb"] = round(rss_mb() - before, 1)
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}))
        return 0
    report = {}
    for name in [args.only] if args.only else STEPS:
        out = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return 1
        report[name] = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
