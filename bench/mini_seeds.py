#!/usr/bin/env python3
"""Benchmark: how much egs/mini's numbers move with the training seed.

Retrains models of a finished egs/mini run (kept by `bench/mini_recipe.py --keep DIR`) with other training
seeds and tables each target metric per seed with its mean and standard deviation. The recipe's own run
(exp/<model>, its config's seed) is the first column. Two kinds of seed:

- default: the mix-up models only, on the recipe's data, teacher and evaluation sets (stage 7's training and
  stages 8-9's enrollment, inference and scoring into exp_seeds/<model>/seed<K>/);
- `--pipeline`: the whole chain from the teacher on. Seed K also trains its own Baseline (stage 3) and
  scores mini_train with it (stage 5), and its mix-up models learn from that teacher's pseudo-targets
  (exp_seeds/pipeline/seed<K>/{baseline,teacher,<model>}/). The Baseline is tabled too. The evaluation sets
  stay the recipe's (made once with its own teacher), so only the models change: the spread of the models
  between two runs of the recipe or two machines, whose float orders move everything after the teacher
  (egs/mini/README.md, "Other machines"; the test sets move there too).

Usage (from the repository root, environment active):
    python bench/mini_seeds.py --recipe /tmp/mini_bench/egs/mini --models con1 con2 --seeds 1 2
    python bench/mini_seeds.py --recipe /tmp/mini_bench/egs/mini --models con1 con2 --seeds 1 2 --pipeline

A variant (`--set KEY=VALUE ...`, as `sqe.bin.train --set`, e.g. one a validation sweep chose): every seed
listed is trained with it, seed 0 included, into exp_seeds/set_<KEY=VALUE>/<model>/seed<K>/; the recipe's
own run is not one of them. Its tables go to exp_seeds/summary_set_<KEY=VALUE>.{json,md}.
    python bench/mini_seeds.py --recipe /tmp/mini_bench/egs/mini --models con2 --seeds 0 1 2 --set model.scl.d_p=128

Scoring runs without CON2's cross-detection, which only adds Table 6. The stages are idempotent, so an
interrupted benchmark continues where it stopped. Writes exp_seeds/summary[_pipeline].{json,md} and prints
the Markdown. About 3-4 minutes per model and seed on 2 CPU cores, plus about 3 for a pipeline seed's
Baseline and teacher scores (a pipeline seed of Baseline, CON1 and CON2 took about 20 minutes beside other jobs).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import yaml

from sqe.utils.atomic import write_text_atomic

# test set -> (its enrollment, its validation set), as stage 9 of egs/mini/run.sh scores them
TEST_SETS = {"mini_test_mixup": ("mini_val_ref", "mini_val_mixup"),
             "mini_test_real_mixup": ("mini_val_ref", "mini_val_mixup"),
             "mini_test_ood_mixup": ("mini_enroll_ood", "mini_val_ood_mixup")}
VALID_SETS = {"mini_val_mixup": "mini_val_ref", "mini_val_ood_mixup": "mini_enroll_ood"}  # set -> enrollment
# the validation sets are also scored on their own (their seed spread is the tie margin of bench/valid_sweep.py),
# into results/<set>.valid
SCORED = [*TEST_SETS, *(f"{v}.valid" for v in VALID_SETS)]
# (label, path in metrics.json with {emb} for the model's embedding, scale)
METRICS = [("frame EER [%]", ("detection", "{emb}", "frame_eer"), 100.0),
           ("minDCF", ("detection", "{emb}", "frame_min_dcf"), 1.0),
           ("I-AUC", ("detection", "{emb}", "i_auc"), 1.0),
           ("false regions / min clean speech", ("regions", "{emb}", "false_regions_per_min"), 1.0),
           ("segments found [%]", ("regions", "{emb}", "segments_found_share"), 100.0),
           ("verification EER single [%]", ("segments", "{emb}", "max1", "eer"), 100.0)]


def train_command(model: str, seed: int, out: Path, teacher: Path, overrides: list[str] = ()) -> list[str]:
    """Stage 3's call for the Baseline, stage 7's (pseudo-targets from ``teacher``) for a mix-up model."""
    cmd = [sys.executable, "-m", "sqe.bin.train", "--conf", f"conf/{model}.yaml", "--seed", str(seed),
           "--train_data", "data/mini_train", "--valid_data", "data/mini_val", "--out", str(out)]
    if model != "baseline":
        cmd += ["--train_scores", str(teacher / "mini_train"), "--train_vad", "dump/vad/mini_train",
                "--valid_mixup", "data/mini_val_mixup"]
    return cmd + (["--set", *overrides] if overrides else [])


def teacher_command(baseline: Path, teacher: Path) -> list[str]:
    """Stage 5's call for the training set: the Baseline's frame scores of its degraded and reference signals."""
    return [sys.executable, "-m", "sqe.bin.dump_frame_scores", "--model", str(baseline / "checkpoints" / "best.pt"),
            "--data", "data/mini_train", "--out", str(teacher / "mini_train")]


def stage_commands(model: str, seed: int, out: Path, teacher: Path = Path("dump/teacher"),
                   overrides: list[str] = ()) -> list[list[str]]:
    """The sqe.bin calls of egs/mini's stages 7-9 (3, 8 and 9 for the Baseline) for one model, trained with
    ``seed`` (and the training ``overrides``) into ``out``."""
    ckpt = str(out / "checkpoints" / "best.pt")
    py = [sys.executable, "-m"]
    cmds = [train_command(model, seed, out, teacher, overrides),
            py + ["sqe.bin.enroll", "--model", ckpt, "--data", "data/mini_val", "--source", "ref.scp",
                  "--out", str(out / "enroll" / "mini_val_ref")],
            py + ["sqe.bin.enroll", "--model", ckpt, "--data", "data/mini_enroll_ood", "--source", "wav.scp",
                  "--out", str(out / "enroll" / "mini_enroll_ood")]]
    for s in (*VALID_SETS, *TEST_SETS):
        cmds.append(py + ["sqe.bin.infer", "--model", ckpt, "--data", f"data/{s}", "--out", str(out / "infer" / s)])
    for s, (enroll, valid) in TEST_SETS.items():
        cmds.append(py + ["sqe.bin.score", "--conf", "conf/score.yaml", "--test_infer", str(out / "infer" / s),
                          "--test_data", f"data/{s}", "--enroll", str(out / "enroll" / enroll), "--valid_infer",
                          str(out / "infer" / valid), "--valid_data", f"data/{valid}", "--out", str(out / "results" / s)])
    return cmds + valid_score_commands(out)


def valid_score_commands(out: Path) -> list[list[str]]:
    """Each validation set scored on its own with the model's enrollment for it (no thresholds from elsewhere)."""
    return [[sys.executable, "-m", "sqe.bin.score", "--conf", "conf/score.yaml", "--test_infer",
             str(out / "infer" / s), "--test_data", f"data/{s}", "--enroll", str(out / "enroll" / enroll),
             "--out", str(out / "results" / f"{s}.valid")] for s, enroll in VALID_SETS.items()]


def metric_value(metrics: dict, path: tuple[str, ...], emb: str) -> float | None:
    node = metrics
    for key in path:
        node = node.get(key.format(emb=emb)) if isinstance(node, dict) else None
    return None if node is None else float(node)


def pipeline_commands(models: list[str], seed: int, root: Path) -> dict[str, list[list[str]]]:
    """Model -> its calls for one pipeline seed under ``root``: the Baseline and its teacher scores first."""
    teacher = root / "teacher"
    base = stage_commands("baseline", seed, root / "baseline")
    cmds = {"baseline": base[:1] + [teacher_command(root / "baseline", teacher)] + base[1:]}
    for model in models:
        cmds[model] = stage_commands(model, seed, root / model, teacher)
    return cmds


def detection_embedding(metrics: dict, model: str) -> str:
    """The embedding each table reports, fixed in advance as in RESULTS.md: z~ for the contrastive models,
    the frame MOS for the Baseline (its detection by MOS threshold), z_MOS otherwise."""
    if "z_tilde" in metrics["detection"]:
        return "z_tilde"
    return "mos" if model == "baseline" else "z_mos"


def summarize(runs: dict[str, dict[str, dict]], model: str) -> dict:
    """Per test set and metric: the value of every run (seed label -> metrics.json by set), mean and SD."""
    out: dict = {}
    for s in SCORED:
        rows = {}
        for label, path, scale in METRICS:
            values = {}
            for seed, by_set in runs.items():
                m = by_set.get(s)
                if m is not None:
                    v = metric_value(m, path, detection_embedding(m, model))
                    if v is not None:
                        values[seed] = v * scale
            if values:
                vs = list(values.values())
                rows[label] = {"values": values, "mean": statistics.fmean(vs),
                               "sd": statistics.stdev(vs) if len(vs) > 1 else 0.0}
        out[s] = rows
    return {"model": model, "sets": out}


def markdown(summary: dict) -> list[str]:
    lines = []
    for s, rows in summary["sets"].items():
        seeds = list(next(iter(rows.values()))["values"]) if rows else []
        lines += [f"{summary['model']} on `{s}`:", "",
                  "| Metric | " + " | ".join(f"seed {k}" for k in seeds) + " | mean | SD |",
                  "|---|" + "---|" * (len(seeds) + 2)]
        for label, r in rows.items():
            lines.append(f"| {label} | " + " | ".join(f"{r['values'].get(k, float('nan')):.2f}" for k in seeds)
                         + f" | {r['mean']:.2f} | {r['sd']:.2f} |")
        lines.append("")
    return lines


def read_results(root: Path) -> dict[str, dict]:
    return {s: json.loads((root / "results" / s / "metrics.json").read_text())
            for s in SCORED if (root / "results" / s / "metrics.json").is_file()}


def variant_name(overrides: list[str]) -> str:
    """exp_seeds/<this> of a --set variant: its overrides, kept readable (model.scl.d_p=128)."""
    return "set_" + "_".join("".join(c if c.isalnum() or c in ".=-" else "_" for c in o) for o in overrides)


def plan(models: list[str], seeds: list[int], pipeline: bool, recipe: Path,
         overrides: list[str] = ()) -> list[tuple[str, str, Path, list]]:
    """(model, seed label, output dir, calls) in the order they must run: the recipe's own run first (only its
    validation sets scored on their own), then each seed (a pipeline seed's Baseline before its models). With
    training ``overrides`` every seed is trained anew with them and the recipe's run is left out."""
    if overrides:
        out = Path("exp_seeds") / variant_name(overrides)
        return [(m, str(seed), out / m / f"seed{seed}", stage_commands(m, seed, out / m / f"seed{seed}",
                                                                         overrides=overrides))
                for seed in seeds for m in models]
    if pipeline:
        models = ["baseline", *models]
    steps = [(m, f"{config_seed(recipe / 'exp' / m)} (recipe)", Path("exp") / m, valid_score_commands(Path("exp") / m))
             for m in models]
    for seed in seeds:
        if pipeline:
            root = Path("exp_seeds") / "pipeline" / f"seed{seed}"
            steps += [(m, str(seed), root / m, cmds)
                      for m, cmds in pipeline_commands(models[1:], seed, root).items()]
        else:
            out = Path("exp_seeds")
            steps += [(m, str(seed), out / m / f"seed{seed}", stage_commands(m, seed, out / m / f"seed{seed}"))
                      for m in models]
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", type=Path, required=True, help="egs/mini directory of a finished run")
    parser.add_argument("--models", nargs="+", default=["con1"], help="mix-up models to retrain")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2], help="training seeds (besides the recipe's own)")
    parser.add_argument("--pipeline", action="store_true",
                        help="each seed also trains its own Baseline and teacher scores (the whole chain)")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="train every seed listed (0 too) with these config overrides instead of the recipe's "
                             "config (not with --pipeline)")
    args = parser.parse_args()
    if args.overrides and args.pipeline:
        parser.error("--set and --pipeline cannot be combined")
    recipe = args.recipe.resolve()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2"),
           "SQE_FEATURE_CACHE": str(recipe / "dump" / "feature_cache")}
    for model in (["baseline"] if args.pipeline else []) + args.models:
        own = recipe / "exp" / model
        if not (own / "results" / "mini_test_mixup" / "metrics.json").is_file():
            print(f"{own}: no results; run the recipe first (bench/mini_recipe.py --keep DIR)", file=sys.stderr)
            return 1
    runs: dict[str, dict[str, dict]] = {}
    for model, label, out, cmds in plan(args.models, args.seeds, args.pipeline, recipe, args.overrides):
        for cmd in cmds:
            print("+", " ".join(cmd[2:]), file=sys.stderr, flush=True)
            if subprocess.run(cmd, cwd=recipe, env=env).returncode != 0:
                print(f"failed: {' '.join(cmd[2:])} (log above)", file=sys.stderr)
                return 1
        runs.setdefault(model, {})[label] = read_results(recipe / out)
    summaries = [summarize(by_seed, model) for model, by_seed in runs.items()]
    text = [line for summary in summaries for line in markdown(summary)]
    dest = recipe / "exp_seeds"
    dest.mkdir(exist_ok=True)
    name = "summary_pipeline" if args.pipeline else "summary"
    if args.overrides:
        name = f"summary_{variant_name(args.overrides)}"
    write_text_atomic(dest / f"{name}.json", json.dumps(summaries, indent=2) + "\n")
    write_text_atomic(dest / f"{name}.md", "\n".join(text) + "\n")
    print("\n".join(text))
    return 0


def config_seed(exp: Path) -> str:
    """The training seed of a recipe model (its resolved config.yaml)."""
    return str(yaml.safe_load((exp / "config.yaml").read_text()).get("seed", "?"))


if __name__ == "__main__":
    sys.exit(main())
