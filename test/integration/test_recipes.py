"""The recipe conventions (shared files, --help, stage dependencies); every stage of the paper recipes runs in
test_paper_recipes.py."""
from __future__ import annotations

import filecmp
import os
import re
import subprocess

import pytest
from conftest import REPO, recipe_tree

RECIPES = sorted(p.name for p in (REPO / "egs").iterdir() if (p / "run.sh").is_file())
SHARED = ("path.sh", "cmd.sh", "conf/slurm.conf")


def test_shared_files_are_identical_in_every_recipe():
    assert {"mini", "nisqa", "libriaugmented"} <= set(RECIPES)
    for name in SHARED:
        for recipe in RECIPES:
            assert filecmp.cmp(REPO / "egs" / "mini" / name, REPO / "egs" / recipe / name, shallow=False), (recipe, name)


@pytest.mark.parametrize("recipe", RECIPES)
def test_help_lists_ten_stages_and_unknown_options_fail(recipe):
    res = subprocess.run(["./run.sh", "--help"], cwd=REPO / "egs" / recipe, capture_output=True, text=True)
    assert res.returncode == 0
    for n in range(1, 11):
        assert re.search(rf"^\s*{n}\s+\S", res.stdout, re.M), f"stage {n} missing from --help"
    res = subprocess.run(["./run.sh", "--nosuch", "1"], cwd=REPO / "egs" / recipe, capture_output=True, text=True)
    assert res.returncode == 1 and "invalid option --nosuch" in res.stderr


def run(recipe_dir, *args, env):
    return subprocess.run(["./run.sh", *args], cwd=recipe_dir, capture_output=True, text=True, env=env, timeout=900)


@pytest.mark.parametrize("recipe,test_set", [("nisqa", "nisqa_test_sim_mixup"),
                                             ("libriaugmented", "libriaug_test_clean_mixup")])
def test_stage_11_packs_only_scored_contrastive_models(recipe, test_set, tmp_path):
    d = recipe_tree(tmp_path / "repo", recipe)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQE_")}
    res = run(d, "--stage", "11", "--stop_stage", "11", "--models", "baseline sup2", env=env)
    assert res.returncode == 0 and "Stage 11: model packages of no contrastive model" in res.stderr
    res = run(d, "--stage", "11", "--stop_stage", "11", "--models", "sup2 con1", env=env)
    assert res.returncode == 1
    assert f"stage 11 needs exp/con1/results/{test_set}/metrics.json" in res.stderr
    assert "run: ./run.sh --stage 9 --stop_stage 11" in res.stderr


def test_a_missing_baseline_names_stage_3(tmp_path):
    d = recipe_tree(tmp_path / "repo", "nisqa")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQE_")}
    res = run(d, "--stage", "8", "--stop_stage", "8", "--models", "con1", env=env)
    assert res.returncode == 1 and "stage 8 needs exp/baseline/checkpoints/best.pt" in res.stderr
    assert "run: ./run.sh --stage 3 --stop_stage 8" in res.stderr
