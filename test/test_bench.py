"""bench/mini_recipe.py: stage timing from the recipe's log and the recipe copy it runs in (the run itself is the
benchmark, not a test)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

from conftest import REPO


def load(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stage_seconds_end_where_the_next_stage_begins():
    bench = load("mini_recipe")
    assert bench.stage_seconds({3: 10.0, 4: 70.5, 6: 71.0}, 100.0) == {"stage3": 60.5, "stage4": 0.5, "stage6": 29.0}
    assert bench.stage_seconds({}, 5.0) == {}
    line = "2026-11-26T13:25:53 (run.sh:57) Stage 10: report -> exp/RESULTS.md"
    assert bench.STAGE_LINE.search(line).group(1) == "10"


def test_the_recipe_copy_runs_run_sh(tmp_path):
    bench = load("mini_recipe")
    mini = bench.recipe_tree(tmp_path, "mini")
    assert bench.recipe_tree(tmp_path, "mini") == mini  # a second call reuses the copy (bench --keep DIR)
    res = subprocess.run([sys.executable, str(REPO / "bench" / "mini_recipe.py"), "--keep", str(tmp_path), "--",
                          "--help"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "Usage: ./run.sh" in res.stdout
    assert '"exit_status": 0' in res.stdout and not (mini / "data").exists()
