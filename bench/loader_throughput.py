#!/usr/bin/env python3
"""Benchmark: seconds of audio per second that the training loader delivers (reading, resampling to 16 kHz,
on-the-fly partial mix-up, collation), per number of worker processes.

Usage (repository root, environment active):
    python bench/loader_throughput.py --fabricate 96 --workers 0 1 2        # NISQA-like 48 kHz float WAV pairs
    python bench/loader_throughput.py --data egs/mini/data/mini_train --scores egs/mini/dump/teacher/mini_train \\
        --vad egs/mini/dump/vad/mini_train --workers 0 1 2                  # a recipe's training set
Target (issue 13): >= 250 audio-s/s per worker core with on-the-fly mix-up of 48 kHz float files, so that 16
workers exceed 3,000 audio-s/s. No audio is kept in memory between epochs (audio_memory_mb 0), as for a
corpus larger than memory; every file is read once before the measurements, so that each worker count reads
from the page cache (the first one would otherwise pay for the disk alone).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import soundfile as sf

from sqe.data.arks import write_arrays
from sqe.data.loader import KeyedLoader
from sqe.mixup.dataset import MixupTrainingSet
from sqe.mixup.masks import MixupConf
from sqe.models.frames import num_frames
from sqe.train.conf import BatchConf
from sqe.train.distributed import Dist
from sqe.train.feed import TrainFeed


def fabricate(root: Path, n: int, sr: int = 48000, seed: int = 0) -> tuple[Path, Path, Path]:
    """n (reference, degraded) pairs of 6-12 s as 48 kHz float WAVs, a data dir, teacher arks and speech regions."""
    rng = np.random.default_rng(seed)
    d, wav = root / "data", root / "wav"
    d.mkdir(parents=True)
    wav.mkdir()
    rows: dict[str, list[str]] = {k: [] for k in ("wav.scp", "ref.scp", "utt2mos", "utt2num_samples", "utt2cls")}
    q_ref, q_deg = {}, {}
    for i in range(n):
        utt = f"fab{i:05d}"
        seconds = rng.uniform(6.0, 12.0)
        t = np.arange(int(seconds * sr)) / sr
        ref = (0.3 * np.sin(2 * np.pi * 180 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
        deg = (ref + 0.05 * rng.standard_normal(ref.size)).astype(np.float32)
        sf.write(wav / f"{utt}_ref.wav", ref, sr, subtype="FLOAT")
        sf.write(wav / f"{utt}.wav", deg, sr, subtype="FLOAT")
        n16 = int(round(ref.size * 16000 / sr))
        rows["wav.scp"].append(f"{utt} {wav / f'{utt}.wav'}")
        rows["ref.scp"].append(f"{utt} {wav / f'{utt}_ref.wav'}")
        rows["utt2mos"].append(f"{utt} {rng.uniform(1.5, 3.5):.2f}")
        rows["utt2num_samples"].append(f"{utt} {n16}")
        rows["utt2cls"].append(f"{utt} wbgn")
        q_ref[utt] = np.full(num_frames(n16), 4.5, np.float32)
        q_deg[utt] = np.full(num_frames(n16), 2.0, np.float32)
    for name, lines in rows.items():
        (d / name).write_text("".join(f"{line}\n" for line in sorted(lines)))
    (d / "cls2id").write_text("clean 0\nwbgn 1\n")
    write_arrays(root / "teacher", "qref", q_ref)
    write_arrays(root / "teacher", "qdeg", q_deg)
    (root / "vad").mkdir()
    (root / "vad" / "vad_segments").write_text("".join(
        f"{u}-000 {u} 0.000 {q.size * 0.02:.3f}\n" for u, q in sorted(q_ref.items())))
    return d, root / "teacher", root / "vad"


def warm_page_cache(data: Path) -> int:
    """Read every audio file of the data dir once; returns the bytes read."""
    total = 0
    for name in ("wav.scp", "ref.scp"):
        if (data / name).is_file():
            for line in (data / name).read_text().splitlines():
                path = Path(line.split(maxsplit=1)[1])
                if path.is_file():
                    total += len(path.read_bytes())
    return total


def measure(data: Path, scores: Path, vad: Path, workers: int, conf: BatchConf, max_batches: int) -> dict:
    mixup = MixupConf(p=1.0, constrained=True)  # every example mixed, under the CON constraints
    train = MixupTrainingSet([str(data)], mixup, str(scores), str(vad), seed=0, labels=True, audio_memory_mb=0)
    feed = TrainFeed(train, replace(conf, num_workers=workers), seed=0, dist=Dist())
    steps = range(min(max_batches, len(feed.batches(1))))
    loader = KeyedLoader(feed, workers, conf.prefetch)
    start = time.perf_counter()
    audio_s, counts = 0.0, {}
    for batch, batch_counts in loader.iterate((1, s) for s in steps):
        audio_s += float(batch["lengths"].sum()) / 16000
        for k, v in batch_counts.items():
            counts[k] = counts.get(k, 0) + v
    seconds = time.perf_counter() - start
    return {"workers": workers, "batches": len(steps), "audio_s": round(audio_s, 1), "seconds": round(seconds, 2),
            "audio_s_per_s": round(audio_s / seconds, 1),
            "per_worker_core": round(audio_s / seconds / max(workers, 1), 1), "mixup": counts}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fabricate", type=int, help="make this many NISQA-like 48 kHz pairs in a temporary dir")
    p.add_argument("--data", type=Path)
    p.add_argument("--scores", type=Path, help="teacher arks of --data (qref.scp, qdeg.scp)")
    p.add_argument("--vad", type=Path, help="speech regions of --data (vad_segments)")
    p.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--max_utts", type=int, default=32)
    p.add_argument("--max_audio_s", type=float, default=120.0)
    p.add_argument("--batches", type=int, default=40, help="batches per measurement (at most one epoch)")
    args = p.parse_args()
    conf = BatchConf(max_utts=args.max_utts, max_audio_s=args.max_audio_s, max_padding_rate=0.1,
                     audio_memory_mb=0)
    with tempfile.TemporaryDirectory() as tmp:
        if args.fabricate:
            data, scores, vad = fabricate(Path(tmp), args.fabricate)
        elif args.data and args.scores and args.vad:
            data, scores, vad = args.data, args.scores, args.vad
        else:
            p.error("give --fabricate N, or --data, --scores and --vad")
        print(f"page cache warmed with {warm_page_cache(Path(data)) / 2**20:.0f} MiB of audio", file=sys.stderr)
        rows = []
        for w in args.workers:
            rows.append(measure(data, scores, vad, w, conf, args.batches))
            print(f"workers {w}: {rows[-1]['audio_s_per_s']:.1f} audio-s/s "
                  f"({rows[-1]['per_worker_core']:.1f} per worker core)", file=sys.stderr)
    print(json.dumps({"source": "fabricated 48 kHz float" if args.fabricate else str(args.data),
                      "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
