#!/usr/bin/env python3
"""Benchmark: how far egs/mini's degraded signals lie from their references, frame by frame, inside speech.

The histogram behind `min_distance_db` of the evaluation sets placed by the signals (`constraints_from: signal`,
egs/mini/conf/mixup_set_tiny.yaml; chosen on mini_val): the log-spectral distance (sqe.audio.distance) of every
speech frame (stage 4's rVAD) of every degraded pair, and per degradation token the share of speech frames
above the threshold.

Usage (from the repository root, environment active; a run after stage 4, e.g. bench/mini_recipe.py --keep):
    python bench/mixup_distance.py --recipe /tmp/mini_bench/egs/mini --set mini_val --threshold 1.0
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from sqe.audio.distance import frame_distance
from sqe.audio.io import load_audio
from sqe.data.datadir import DataDir
from sqe.mixup.vad import read_speech_frames
from sqe.models.frames import num_frames
from sqe.utils.progress import progress

EDGES = [0.0, 1e-6, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, np.inf]


def speech_distances(recipe: Path, name: str) -> dict[str, tuple[str, np.ndarray]]:
    """utt -> (class, distances of its speech frames) for the degraded pairs of data/<name>."""
    dd = DataDir.load(recipe / "data" / name)
    frames = {u: num_frames(dd["utt2num_samples"][u]) for u in dd.utts}
    speech = read_speech_frames(recipe / "dump" / "vad" / name, frames)
    out = {}
    for utt in progress(dd.utts, desc=name, unit="utt"):
        cls = dd["utt2cls"][utt]
        ref, deg = load_audio(dd["ref.scp"][utt], utt), load_audio(dd["wav.scp"][utt], utt)
        if cls != "clean" and ref.size == deg.size:
            out[utt] = (cls, frame_distance(ref, deg)[speech[utt].astype(bool)])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", type=Path, required=True, help="egs/mini directory after stage 4")
    parser.add_argument("--set", default="mini_val", help="a parallel data dir of the recipe (a validation set)")
    parser.add_argument("--threshold", type=float, default=1.0, help="min_distance_db to report shares for")
    args = parser.parse_args()
    pairs = speech_distances(args.recipe.resolve(), args.set)
    every = np.concatenate([d for _, d in pairs.values()])
    counts, _ = np.histogram(every, EDGES)
    by_token: dict[str, list[np.ndarray]] = defaultdict(list)
    for cls, d in pairs.values():
        for token in cls.split("+"):
            by_token[token].append(d)
    shares = {t: round(float(np.mean(np.concatenate(ds) > args.threshold)), 3) for t, ds in sorted(by_token.items())}
    print(f"{args.set}: {len(pairs)} degraded pairs, {every.size} speech frames")
    print("| distance [dB] | frames | share |\n|---|---|---|")
    for lo, hi, c in zip(EDGES[:-1], EDGES[1:], counts):
        label = "0 (bit-equal)" if hi == 1e-6 else f"{lo:g}-{hi:g}"
        print(f"| {label} | {c} | {100 * c / every.size:.1f} % |")
    print(f"\nshare of speech frames above {args.threshold:g} dB per token: {json.dumps(shares)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
