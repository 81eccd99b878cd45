#!/usr/bin/env python3
"""Benchmark: wall time of the whole egs/mini recipe (stages 1-12), stage by stage.

Usage (from the repository root, environment active):
    python bench/mini_recipe.py                          # default size, in a temporary copy of the recipe
    python bench/mini_recipe.py --keep /tmp/mini_bench   # keep data/, exp/ (exp/RESULTS.md) there
    python bench/mini_recipe.py -- --data_conf conf/data_tiny.yaml --mixup_set_conf conf/mixup_set_tiny.yaml
    python bench/mini_recipe.py --isa avx2 --keep /tmp/mini_avx2   # as on a CPU without AVX-512 (float order)
Arguments after -- go to run.sh. --isa avx2 caps torch's kernels, oneDNN, MKL and numpy at AVX2, so the run
sums floats in the order of a CPU without AVX-512 (bench/compare_runs.py compares two runs). Target (issue 8): the default size in at most 15 minutes on 2 cores, after
installation. Prints the recipe's log as it runs, then a JSON summary; exits 1 if run.sh fails.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "test"))
from conftest import recipe_tree  # noqa: E402  (the recipe copy the tests run in)

TARGET_S = 15 * 60
# the environment of each instruction-set cap: the libraries' own switches for their CPU dispatch
ISA_ENV = {"native": {}, "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
                                  "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                                  "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}}
STAGE_LINE = re.compile(r"\(run\.sh:\d+\) Stage (\d+): ")


def stage_seconds(starts: dict[int, float], end: float) -> dict[str, float]:
    """Seconds per stage from the times each stage's first line was seen (a stage ends where the next begins)."""
    order = sorted(starts, key=starts.get)
    bounds = [starts[s] for s in order] + [end]
    return {f"stage{s}": round(bounds[i + 1] - bounds[i], 1) for i, s in enumerate(order)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", help="run the recipe copy here instead of a temporary directory")
    parser.add_argument("--isa", choices=sorted(ISA_ENV), default="native",
                        help="instruction-set cap of the numeric libraries (avx2: as on a CPU without AVX-512)")
    parser.add_argument("run_args", nargs="*", help="options of run.sh (after --)")
    args = parser.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="sqe-bench-mini-")).resolve()
    root.mkdir(parents=True, exist_ok=True)
    mini = recipe_tree(root, "mini")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQE_")}
    env["HF_HUB_OFFLINE"] = "1"
    env.update(ISA_ENV[args.isa])
    starts: dict[int, float] = {}
    begin = time.monotonic()
    proc = subprocess.Popen(["./run.sh", *args.run_args], cwd=mini, env=env, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        sys.stderr.write(line)
        match = STAGE_LINE.search(line)
        if match:
            starts.setdefault(int(match.group(1)), time.monotonic())
    rc = proc.wait()
    end = time.monotonic()
    stages = stage_seconds(starts, end)
    total = round(end - begin, 1)
    summary = {"seconds": {**stages, "total": total}, "target_s": TARGET_S, "within_target": total <= TARGET_S,
               "cpus": os.cpu_count(), "isa": args.isa, "run_args": args.run_args, "exit_status": rc, "recipe": str(mini)}
    print(json.dumps(summary, indent=2))
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
