#!/usr/bin/env python3
"""Benchmark: the frozen DistillMOS front end (sqe.models.distillmos): seconds of audio per second it encodes
(bf16 and fp32), how far bf16 features lie from fp32 ones, and how fast cached features come back.

Usage (repository root, environment active):
    python bench/encoder_features.py [--seconds 8] [--utts 12] [--threads 2]
Prints one JSON object. What it says decides how egs/mini spends its 15 minutes: every utterance is encoded
once and then read from the cache (sqe.models.feature_cache).
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=8.0, help="length of each synthetic utterance")
    p.add_argument("--utts", type=int, default=12)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    from sqe.models.distillmos import DistillMOSFrontEnd
    from sqe.models.feature_cache import FeatureCache

    torch.manual_seed(0)
    utts = [0.1 * torch.randn(int(args.seconds * 16000)) for _ in range(args.utts)]
    audio_s = args.seconds * args.utts
    result: dict[str, float] = {"audio_seconds": audio_s, "threads": args.threads}
    feats = {}
    for precision in ("bf16", "fp32"):
        front = DistillMOSFrontEnd(precision=precision)
        front(utts[0][:16000])  # warm-up: kernels and allocator
        start = time.perf_counter()
        feats[precision] = [front(x) for x in utts]
        result[f"{precision}_audio_s_per_s"] = round(audio_s / (time.perf_counter() - start), 1)
    diff = sum(float((a.float() - b).norm() ** 2) for a, b in zip(feats["bf16"], feats["fp32"])) ** 0.5
    ref = sum(float(b.norm() ** 2) for b in feats["fp32"]) ** 0.5
    result["bf16_relative_l2_to_fp32"] = round(diff / ref, 5)
    with tempfile.TemporaryDirectory() as root:
        writer = FeatureCache(root, "bench")
        keys = [writer.key_of(x) for x in utts]
        for key, f in zip(keys, feats["bf16"]):
            writer.put(key, f)
        reader = FeatureCache(root, "bench")  # a new process: reads from disk, then from memory
        start = time.perf_counter()
        for key in keys:
            reader.get(key)
        result["cache_disk_audio_s_per_s"] = round(audio_s / (time.perf_counter() - start), 1)
        start = time.perf_counter()
        for x in utts:
            reader.get(reader.key_of(x))  # hashing included, as in training
        result["cache_memory_audio_s_per_s"] = round(audio_s / (time.perf_counter() - start), 1)
        result["cache_bytes_per_audio_s"] = round(reader.memory_bytes / audio_s)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
