#!/usr/bin/env python3
"""Benchmark: wall time of the egs/mini data stages (1: speech, 2: degradations + PESQ) at a given size.

Usage (from the repository root, environment active):
    python bench/make_mini_data.py                       # default size (egs/mini/conf/data.yaml)
    python bench/make_mini_data.py --conf egs/mini/conf/data_tiny.yaml --keep /tmp/mini
Target (issue 3): the default size in at most 3 minutes on a 2-core machine after installation.
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

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conf", default=str(REPO / "egs" / "mini" / "conf" / "data.yaml"))
    parser.add_argument("--keep", help="write here instead of a temporary directory")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="sqe-bench-"))
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    timings = {}
    steps = {
        "stage1_speech": ["sqe.bin.make_mini_speech", "--conf", args.conf, "--out", str(root / "speech"),
                          "--overwrite"],
        "stage2_corpus": ["sqe.bin.make_mini_corpus", "--conf", args.conf, "--speech", str(root / "speech"),
                          "--data", str(root / "data"), "--out", str(root / "corpus"), "--overwrite"],
    }
    for name, cmd in steps.items():
        start = time.monotonic()
        res = subprocess.run([sys.executable, "-m", *cmd], env=env, cwd=root.parent)
        timings[name] = round(time.monotonic() - start, 1)
        if res.returncode != 0:
            print(f"{name} failed with exit status {res.returncode}", file=sys.stderr)
            return 1
    inv = json.loads((root / "corpus" / "inventory.json").read_text())
    timings["total"] = round(sum(timings.values()), 1)
    print(json.dumps({"seconds": timings, "cpus": os.cpu_count(),
                      "utterances": {k: v["utterances"] for k, v in inv.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
