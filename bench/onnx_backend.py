#!/usr/bin/env python3
"""Benchmark: the ONNX backend of sqe.bin.analyze against the torch backend on a package and a test set.

For every utterance of a Kaldi data dir (wav.scp, segments honoured) both backends analyse the audio through
the same Analyzer; the bench reports the largest |torch - onnx| of frame MOS and of the detection score, whether
the regions agree (intersection F1 of the two region lists, torch as reference), the CPU real-time factor of
each backend (model and regions, audio already in memory) and, in a fresh interpreter each, the seconds to
import sqe's analyzer and load the package (onnx: numpy + onnxruntime only; torch: with torch).

Usage (repository root, environment active; the package must hold model.onnx: sqe.bin.export_onnx):
    python bench/onnx_backend.py --model exp/con1/package/con1.sqe --data data/mini_test_real_mixup [--threads 1]
Targets (issue 25): scores within 1e-3 of torch on the test sets, RTF no worse than torch's, import plus
load under 1 s. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

LOAD = """
import sys, time
t = time.perf_counter()
from sqe.analyze.analyzer import AnalyzeConf, Analyzer
Analyzer.from_package(sys.argv[1], AnalyzeConf(backend=sys.argv[2], threads=int(sys.argv[3])))
print(time.perf_counter() - t, "torch" in sys.modules)
"""


def load_seconds(model: Path, backend: str, threads: int) -> dict:
    out = subprocess.run([sys.executable, "-c", LOAD, str(model), backend, str(threads)], capture_output=True,
                         text=True, check=True).stdout.split()
    return {"seconds": round(float(out[0]), 3), "torch_imported": out[1] == "True"}


def region_f1(ref: list, hyp: list) -> float:
    """Frame-intersection F1 of two region lists (onset, offset in s) at 50 Hz."""
    def frames(regions):
        return {f for r in regions for f in range(int(round(r.onset * 50)), int(round(r.offset * 50)))}
    a, b = frames(ref), frames(hyp)
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="at most this many utterances (0: all)")
    args = parser.parse_args()
    # a recipe's path.sh points the feature cache at dump/: torch would read the features its stage 8 cached
    # (measured: a real-time factor of 0.0025 instead of 0.059), so the timing would not be the model's
    os.environ.pop("SQE_FEATURE_CACHE", None)

    from sqe.analyze.analyzer import AnalyzeConf, Analyzer
    from sqe.analyze.inputs import collect_inputs
    from sqe.audio.io import load_audio

    inputs = collect_inputs([], args.data, None)
    if args.limit:
        inputs = inputs[:args.limit]
    audio = [(i.name, load_audio(i.entry, i.name, start=i.start, end=i.end, downmix=True)) for i in inputs]
    seconds = sum(w.size for _, w in audio) / 16000
    analyzers = {b: Analyzer.from_package(args.model, AnalyzeConf(backend=b, threads=args.threads))
                 for b in ("torch", "onnx")}
    results, busy = {}, {}
    for backend, analyzer in analyzers.items():
        t = time.process_time()
        results[backend] = [analyzer.analyze(w, name=n) for n, w in audio]
        busy[backend] = time.process_time() - t
    dq = max(float(np.abs(a.q - b.q).max()) for a, b in zip(results["torch"], results["onnx"]))
    ds = max(float(np.abs(a.score - b.score).max()) for a, b in zip(results["torch"], results["onnx"]))
    f1 = [region_f1(a.regions, b.regions) for a, b in zip(results["torch"], results["onnx"])]
    same = sum(len(a.regions) == len(b.regions) for a, b in zip(results["torch"], results["onnx"]))
    print(json.dumps({
        "model": str(args.model), "data": str(args.data), "utterances": len(audio), "audio_s": round(seconds, 1),
        "threads": args.threads, "max_abs_diff": {"q": dq, "score": ds},
        "region_f1": {"min": round(min(f1), 4), "mean": round(float(np.mean(f1)), 4)},
        "same_region_count": f"{same}/{len(audio)}",
        "rtf_cpu": {b: round(busy[b] / seconds, 4) for b in busy},
        "import_and_load": {b: load_seconds(args.model, b, args.threads) for b in ("onnx", "torch")},
    }, indent=2))


if __name__ == "__main__":
    main()
