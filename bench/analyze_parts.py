#!/usr/bin/env python3
"""Benchmark: a folder of many files analysed in JOB parts gives what one call gives (issue 25).

Writes N short files (1-3 s of speech-like noise, every other one with a spliced low-pass segment) in a
folder tree, analyses it with `sqe.bin.analyze` once, and again as `utils/run.py JOB=1:K ... --part JOB
--nparts K` on the local backend followed by the joining call, then compares regions.tsv and summary.tsv of
the two byte by byte. Prints one JSON object with both wall times; exits 1 if the outputs differ.

Usage (repository root, environment active; PKG: a model package, e.g. egs/mini's exp/con1/package/con1.sqe):
    python bench/analyze_parts.py --model PKG --files 10000 --nparts 4 --keep /tmp/parts_bench
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "test")]  # the repository first: test/sqe must not hide the package
from model_factories import speech_like, spliced  # noqa: E402  (the signals the tests use)


def write_folder(root: Path, n: int, seed: int = 0) -> None:
    """``n`` files in 100-file subfolders, every second one with a low-pass segment."""
    import soundfile as sf

    rng = np.random.default_rng(seed)
    for i in range(n):
        seconds = float(rng.uniform(1.0, 3.0))
        x = spliced(seconds, "lpf", 0.3, seconds - 0.3, rng)[0] if i % 2 else speech_like(seconds, rng)
        path = root / f"d{i // 100:03d}" / f"f{i:05d}.flac"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, x.astype(np.float32), 16000)


def analyze(args: list[str], env: dict[str, str]) -> float:
    begin = time.monotonic()
    res = subprocess.run(args, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"failed ({res.returncode}): {' '.join(args)}\n{res.stderr[-3000:]}")
    return round(time.monotonic() - begin, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True, help="model package")
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--nparts", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per analysis process")
    parser.add_argument("--keep", type=Path, help="work here instead of a temporary folder")
    args = parser.parse_args()
    root = (args.keep or Path(tempfile.mkdtemp(prefix="sqe-bench-parts-"))).resolve()
    folder = root / "archive"
    if not folder.is_dir():
        write_folder(folder, args.files)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQE_")}
    env.update(HF_HUB_OFFLINE="1", SQE_CMD_BACKEND="local", OMP_NUM_THREADS=str(args.threads))
    common = [sys.executable, "-m", "sqe.bin.analyze", "--model", str(args.model), str(folder), "--png", "false",
              "--threads", str(args.threads)]
    one = analyze([*common, "--out", str(root / "one")], env)
    parts_out = root / "parts"
    split = analyze([sys.executable, str(REPO / "utils" / "run.py"), f"JOB=1:{args.nparts}",
                     str(parts_out / "log" / "analyze.JOB.log"), *common, "--part", "JOB", "--nparts",
                     str(args.nparts), "--out", str(parts_out)], env)
    join = analyze([*common, "--nparts", str(args.nparts), "--out", str(parts_out)], env)
    same = {name: (root / "one" / name).read_bytes() == (parts_out / name).read_bytes()
            for name in ("regions.tsv", "summary.tsv")}
    regions = len((root / "one" / "regions.tsv").read_text().splitlines()) - 1
    print(json.dumps({"files": args.files, "nparts": args.nparts, "regions": regions, "identical": same,
                      "seconds": {"one_call": one, "parts": split, "join": join}, "cpus": os.cpu_count(),
                      "folder": str(folder)}, indent=2))
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
