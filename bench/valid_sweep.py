#!/usr/bin/env python3
"""Benchmark: the settings egs/mini reports as "chosen on validation", swept and scored on the validation sets.

Every trial is scored on the two validation mix-up sets only (in domain: data/mini_val_mixup with the
mini_val references as enrollment; out of domain: data/mini_val_ood_mixup with mini_enroll_ood); test sets are
never read. The rule that picks a value is printed with the table (RULES): for CON1 (detection) the lowest mean frame EER
of its z~ over the two validation sets; for CON2, whose job is typing, the lowest verification EER of
single-degradation segments on the in-domain validation set (--rule overrides). Gaps smaller than about one
training-seed standard deviation are ties, decided by a second metric and then by the recipe's value.

Kinds of sweep (--sweep NAME, see SWEEPS):
- scoring (medfilt): the recipe's models rescored with each score-filter size;
- enrollment: the out-of-domain validation set scored with each candidate clean enrollment;
- training (scl_weight, scl_tau, anchor_stride, monitor, d_p, hidden, d_z, lr, batch, per_class, mixup_dur, epochs,
  average_best): the model retrained with `sqe.bin.train --set KEY=VALUE` (a dict value: one KEY=VALUE per
  dotted key) on the recipe's data, into sweeps/<name>/<value>/;
- corpus (frame_loss, noise_floor): stages 1-7 of the recipe (`--models <model>`) in their own tree
  sweeps/<name>/<value>/egs/mini with conf/data.yaml changed, so each value has its own corpus, teacher and
  validation sets (the recipe's evaluation-set rules).

Usage (from the repository root, environment active, on a finished run of bench/mini_recipe.py --keep DIR):
    python bench/valid_sweep.py --recipe DIR/egs/mini --sweep medfilt
    python bench/valid_sweep.py --recipe DIR/egs/mini --sweep scl_weight --model con1
    python bench/valid_sweep.py --recipe DIR/egs/mini --sweep anchor_stride --model con2 --seeds 0 1 2
    python bench/valid_sweep.py --recipe DIR/egs/mini --sweep scl_weight --model con2 --values 2.0 4.0
Writes DIR/egs/mini/sweeps/<name>/<model>/summary.{json,md} (with --seeds: summary_seeds.{json,md}, the means
over the seeds and the seeds' standard deviation of the rule's metric; other seeds train into
sweeps/<name>/<value>/seed<K>/) and prints the Markdown. Idempotent: finished trials are skipped (the stages say
"up to date"), and a training trial whose resolved config equals a finished one of another training sweep (the lr
sweep's 1e-3 is the d_z sweep's 32) is scored there instead of retrained.
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

from sqe.utils.atomic import write_text_atomic  # before test/ joins the path: its sqe/ would shadow the package
from sqe.utils.cli import DONE_FILE

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "test"))
from conftest import recipe_tree  # noqa: E402  (the recipe copy the tests run in)

VALID = {"mini_val_mixup": "mini_val_ref", "mini_val_ood_mixup": "mini_enroll_ood"}  # set -> enrollment
ENROLL_SOURCES = {"mini_val_ref": ("data/mini_val", "ref.scp"), "mini_enroll_ood": ("data/mini_enroll_ood", "wav.scp")}
EMB = "z_tilde"
# name -> (kind, config key, values); the recipe's value is marked in the table
SWEEPS = {
    # a median filter of 2k+1 frames erases runs of <= k frames: beyond 9 it would erase regions that
    # sqe.bin.analyze reports (min_region_s 0.1 s = 5 frames), so larger sizes are not candidates
    "medfilt": ("score", "medfilt_size", [1, 3, 5, 7, 9]),
    "enrollment": ("enroll", None, ["mini_enroll_ood", "mini_val_ref"]),
    "scl_weight": ("train", "loss.weights.scl", [0.5, 1.0, 2.0, 4.0]),
    "epochs": ("train", "optim.epochs", [6, 8, 10]),
    "average_best": ("train", "average_best", [1, 3]),
    "scl_tau": ("train", "loss.scl.tau", [0.05, 0.1, 0.2]),
    "anchor_stride": ("train", "loss.scl.anchor_stride", [3, 6]),
    # the embedding the checkpoint monitor (scl_EER) verifies with: the authors' z_scl, or z~, which CON1 detects
    # with; it decides which epochs best.pt averages
    "monitor": ("train", "scl_eer_embedding", ["z_scl", "z_tilde"]),
    # the embedding's capacity (paper: D_P 128, decoders 256 wide; the recipe keeps them small for CPU)
    "d_p": ("train", "model.scl.d_p", [32, 64, 128]),
    "hidden": ("train", "model.hidden", [[64, 64], [128, 128]]),
    "d_z": ("train", "model.d_z", [32, 64]),  # the decoders' output size (z_MOS, z_scl; paper: 64)
    "lr": ("train", "optim.lr", [5e-4, 1e-3, 2e-3]),  # Adam's peak rate (linear decay to min_lr)
    # the batch of the contrastive loss (every frame of a batch contrasts with every other): twice the audio
    # per batch, half the steps; max_audio_s is what fills a batch (about 20 utterances of 6 s at 120 s)
    "batch": ("train", "batch.max_audio_s, batch.max_utts", [{"batch.max_audio_s": 120.0, "batch.max_utts": 32},
                                                            {"batch.max_audio_s": 240.0, "batch.max_utts": 64}]),
    # utterances of one class batched together in groups of up to this many (P x K sampling), so that contrastive
    # anchors find positives in other utterances (with 1 only 40 % of the single-degradation utterances of
    # mini_train meet another of their class in their batch)
    "per_class": ("train", "batch.per_class", [1, 2, 4]),
    # durations of the on-the-fly training segments: the paper's 0.2-1.0 s against the 0.4-2.0 s of the evaluation
    # sets (conf/mixup_set.yaml), whose segments the verification averages
    "mixup_dur": ("train", "mixup.min_dur, mixup.max_dur", [{"mixup.min_dur": 0.2, "mixup.max_dur": 1.0},
                                                           {"mixup.min_dur": 0.4, "mixup.max_dur": 2.0}]),
    # corpus sweeps: each value sets dotted keys of conf/data.yaml (a dict value is merged into the recipe's)
    "frame_loss": ("data", "degrade.ranges", [
        {"degrade.ranges": {"tclip": {"fer": [0.05, 0.15]}, "plc": {"fer": [0.08, 0.2]}}},
        {"degrade.ranges": {"tclip": {"fer": [0.1, 0.25]}, "plc": {"fer": [0.1, 0.25]}}},
        {"degrade.ranges": {"tclip": {"fer": [0.15, 0.35]}, "plc": {"fer": [0.15, 0.3]}}}]),
    "noise_floor": ("data", "speech.noise_floor_db", [{"speech.noise_floor_db": None},
                                                      {"speech.noise_floor_db": [40, 65]}]),
    "real_conditions": ("data", "degrade.per_utt_real, speech.splits.train.utts", [
        {"degrade.per_utt_real": 2, "speech.splits.train.utts": 240},
        {"degrade.per_utt_real": 4, "speech.splits.train.utts": 180},
        {"degrade.per_utt_real": 4, "speech.splits.train.utts": 150}]),
}


def get_path(conf: dict, dotted: str):
    for part in dotted.split("."):
        conf = conf.get(part) if isinstance(conf, dict) else None
    return conf


def set_path(conf: dict, dotted: str, value) -> None:
    *parents, leaf = dotted.split(".")
    for part in parents:
        conf = conf.setdefault(part, {})
    old = conf.get(leaf)
    conf[leaf] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
    print("+", " ".join(cmd), file=sys.stderr, flush=True)
    if subprocess.run(cmd, cwd=cwd, env=env).returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)} (log above)")


def sqe(verb: str, *args: str) -> list[str]:
    return [sys.executable, "-m", f"sqe.bin.{verb}", *map(str, args)]


def score_valid(recipe: Path, exp: Path, env: dict[str, str], tag: str = "", conf: list[str] = (),
                enroll_for: dict[str, str] | None = None) -> dict[str, dict]:
    """Enroll, infer and score the validation sets with ``exp``'s best checkpoint; metrics.json by set."""
    ckpt = exp / "checkpoints" / "best.pt"
    out = {}
    for s, enroll in (enroll_for or VALID).items():
        data, source = ENROLL_SOURCES[enroll]
        run(sqe("enroll", "--model", ckpt, "--data", data, "--source", source, "--out", exp / "enroll" / enroll),
            recipe, env)
        run(sqe("infer", "--model", ckpt, "--data", f"data/{s}", "--out", exp / "infer" / s), recipe, env)
        res = exp / "valid_results" / f"{s}{tag}"
        run(sqe("score", "--conf", "conf/score.yaml", *conf, "--test_infer", exp / "infer" / s, "--test_data",
                f"data/{s}", "--enroll", exp / "enroll" / enroll, "--out", res), recipe, env)
        out[s] = json.loads((res / "metrics.json").read_text())
    return out


def row(by_set: dict[str, dict]) -> dict[str, float]:
    r = {}
    for s, m in by_set.items():
        emb = EMB if EMB in m["detection"] else "z_mos"
        r[f"{s} EER [%]"] = 100 * m["detection"][emb]["frame_eer"]
        r[f"{s} I-AUC"] = m["detection"][emb]["i_auc"]
        verification = m["segments"].get(emb, {}).get("max1", {}).get("eer")
        r[f"{s} verif. single [%]"] = float("nan") if verification is None else 100 * verification
    for what, tail in (("mean EER [%]", " EER [%]"), ("mean I-AUC", " I-AUC"), ("mean verif. single [%]",
                                                                              " verif. single [%]")):
        r[what] = statistics.fmean(v for k, v in list(r.items()) if k.endswith(tail) and not k.startswith("mean"))
    return r


def label_of(value) -> str:
    return json.dumps(value, separators=(",", ":")).replace('"', "")


def sweep_values(name: str, labels: list[str] | None) -> list:
    """The values of sweep ``name`` to try: all, or those whose labels (as the tables print them) are given."""
    values = SWEEPS[name][2]
    if labels is None:
        return values
    known = {label_of(v): v for v in values}
    unknown = [x for x in labels if x not in known]
    if unknown:
        raise SystemExit(f"--values: {', '.join(unknown)} not in sweep '{name}' (its values: {', '.join(known)})")
    return [known[x] for x in labels]


def set_args(key: str, value) -> list[str]:
    """``sqe.bin.train --set`` arguments of a training trial: one per dotted key of a dict value."""
    items = value.items() if isinstance(value, dict) else [(key, value)]
    return [f"{k}={label_of(v)}" for k, v in items]


def trial(name: str, value, recipe: Path, model: str, env: dict[str, str], seed: int | None = None
          ) -> dict[str, float]:
    """One value's validation row; ``seed`` (training sweeps): trained with that seed instead of the config's."""
    kind, key, _ = SWEEPS[name]
    label = label_of(value)
    slug = "".join(c if c.isalnum() or c in ".-" else "_" for c in label)
    seeded = seed is not None and seed != recipe_seed(recipe, model)
    if kind in ("train", "data") and not seeded and made_with(name, value, recipe, model):
        return row(score_valid(recipe, recipe / "exp" / model, env))  # the recipe's own run is this trial
    if kind == "score":
        exp = recipe / "exp" / model
        return row(score_valid(recipe, exp, env, tag=f".medfilt{value}", conf=["--medfilt_size", str(value)]))
    if kind == "enroll":
        exp = recipe / "exp" / model
        s = "mini_val_ood_mixup"
        return row(score_valid(recipe, exp, env, tag=f".enroll_{value}", enroll_for={s: value}))
    if kind == "train":  # other seeds than the config's train apart, in seed<K>/
        exp = recipe / "sweeps" / name / slug / (f"seed{seed}" if seeded else "") / model
        overrides = [*set_args(key, value), *([f"seed={seed}"] if seeded else [])]
        exp = trained_alike(recipe, model, overrides, exp) or train(recipe, model, overrides, exp, env)
        return row(score_valid(recipe, exp, env))
    tree = recipe_tree(recipe / "sweeps" / name / slug, "mini")
    conf = yaml.safe_load((recipe / "conf" / "data.yaml").read_text())
    for dotted, v in value.items():
        set_path(conf, dotted, v)
    if not (tree / "data.yaml").is_file() or yaml.safe_load((tree / "data.yaml").read_text()) != conf:
        write_text_atomic(tree / "data.yaml", yaml.safe_dump(conf))
    cache = {**env, "SQE_FEATURE_CACHE": str(recipe / "dump" / "feature_cache")}
    run(["./run.sh", "--stop_stage", "7", "--models", model, "--data_conf", "data.yaml"], tree, cache)
    return row(score_valid(tree, tree / "exp" / model, cache))


def train(recipe: Path, model: str, overrides: list[str], exp: Path, env: dict[str, str]) -> Path:
    run(sqe("launch", "--ngpu", "0", "--", "sqe.bin.train", "--conf", f"conf/{model}.yaml", "--set", *overrides,
            *TRAIN_INPUTS, "--out", exp), recipe, env)
    return exp


def trained_alike(recipe: Path, model: str, overrides: list[str], exp: Path) -> Path | None:
    """A finished training trial of another sweep (or of this one, ``exp`` itself) whose resolved config is this
    trial's: the same model, as training is deterministic on one machine (egs/mini/README.md), so it is scored
    instead of retrained. Only the training sweeps' trees count (sweeps/<name>/<value>/[seed<K>/]<model>): a
    corpus sweep's models learned from another corpus."""
    from sqe.train.conf import TrainConf
    from sqe.utils.config import load_config

    wanted = load_config(TrainConf, recipe / "conf" / f"{model}.yaml", overrides)
    for pattern in (f"*/*/{model}/config.yaml", f"*/*/seed*/{model}/config.yaml"):
        for config in sorted((recipe / "sweeps").glob(pattern)):
            found = config.parent
            if finished(found) and load_config(TrainConf, config) == wanted:
                if found != exp:
                    print(f"{exp}: the same training as {found} (resolved configs equal): scoring that",
                          file=sys.stderr)
                return found
    return None


def finished(exp: Path) -> bool:
    """Whether the training in ``exp`` ran to its end: the stage's done-record, which sqe.bin.train writes last
    (best.pt alone is no sign: the trainer rewrites it after every improving epoch, so a killed run has one)."""
    return (exp / DONE_FILE).is_file()


TRAIN_INPUTS = ("--train_data", "data/mini_train", "--valid_data", "data/mini_val", "--train_scores",
                "dump/teacher/mini_train", "--train_vad", "dump/vad/mini_train", "--valid_mixup", "data/mini_val_mixup")


def recipe_seed(recipe: Path, model: str) -> int:
    return int(yaml.safe_load((recipe / "conf" / f"{model}.yaml").read_text()).get("seed", 0))


def over_seeds(rows: list[dict[str, float]], rule: str) -> dict[str, float]:
    """The mean of each column over training seeds, and the seeds' standard deviation of the rule's primary
    metric (the scale on which the rule's tie margin is set)."""
    out = {k: statistics.fmean(r[k] for r in rows) for k in rows[0]}
    primary = RULES[rule][0]
    out[f"sd {primary}"] = statistics.stdev(r[primary] for r in rows)
    return out


def recipe_value(name: str, recipe: Path, model: str, made: bool = False):
    """The recipe's setting (its conf/), or with ``made`` the one its own run was made with (the resolved config
    written next to the model or the corpus): the conf may have changed since the run, and then the run is not
    the trial of the conf's value."""
    kind, key, values = SWEEPS[name]
    if kind == "score":
        return yaml.safe_load((recipe / "conf" / "score.yaml").read_text()).get(key, 1)
    if kind == "enroll":
        return "mini_enroll_ood"
    if kind == "train":  # resolved, so a key the YAML leaves at its default has its value
        from sqe.train.conf import TrainConf
        from sqe.utils.config import load_config, to_dict

        source = recipe / "exp" / model / "config.yaml" if made else recipe / "conf" / f"{model}.yaml"
        conf = to_dict(load_config(TrainConf, source))
        return {k: get_path(conf, k) for k in values[0]} if isinstance(values[0], dict) else get_path(conf, key)
    source = recipe / "data" / "local" / "mini_corpus" / "config.yaml" if made else recipe / "conf" / "data.yaml"
    conf = yaml.safe_load(source.read_text())
    out = {}
    for dotted, v in values[0].items():
        found = get_path(conf, dotted)
        if dotted == "degrade.per_utt_real" and found is None:
            found = get_path(conf, "degrade.per_utt")  # null: as many as the TTS references
        out[dotted] = {t: found.get(t) for t in v} if isinstance(v, dict) and isinstance(found, dict) else found
    return out


# rule -> (primary column (lower is better), margin in its unit below which values tie, tie-breaker column,
# whether the tie-breaker is better high, its margin, description). The margins are about one training-seed
# standard deviation of each metric (bench/mini_seeds.py, egs/mini/README.md): a smaller gap is seed luck, or
# float order between machines (the lr sweep's tie-breaker gap of 0.57 points picked 2e-3 on an AVX2 CPU and
# 1e-3 on an AVX-512 one when it had no margin), so values that tie on both metrics keep the recipe's value.
RULES = {
    "detection": ("mean EER [%]", 0.5, "mean I-AUC", True, 0.01,
                  "lowest mean frame EER of z~ over the validation sets; values within 0.5 points of it tie and "
                  "the highest mean I-AUC wins, values within 0.01 of it tying again, then the recipe's value"),
    "verification": ("mini_val_mixup verif. single [%]", 1.0, "mean EER [%]", False, 0.72,
                     "lowest verification EER of single-degradation segments on the in-domain validation set (the "
                     "degradation types CON2 is trained to tell apart); values within 1 point of it tie and the "
                     "lowest mean frame EER wins, values within 0.72 points of it (its SD over training seeds, "
                     "CON1's) tying again, then the recipe's value"),
}


def run_value(name: str, recipe: Path, model: str):
    return recipe_value(name, recipe, model, made=True)


def made_with(name: str, value, recipe: Path, model: str) -> bool:
    """Whether the recipe's own model is this trial: made with ``value`` and, for a training sweep, with the
    recipe's current config in every other key too (its resolved config.yaml against conf/<model>.yaml)."""
    if not same(value, run_value(name, recipe, model)):
        return False
    if SWEEPS[name][0] != "train":
        return True
    from sqe.train.conf import TrainConf
    from sqe.utils.config import load_config

    made = load_config(TrainConf, recipe / "exp" / model / "config.yaml")
    wanted = load_config(TrainConf, recipe / "conf" / f"{model}.yaml", set_args(SWEEPS[name][1], value))
    return made == wanted


def same(a, b) -> bool:
    """Equal settings, numbers compared as numbers (a resolved config writes 40 as 40.0)."""
    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
    return plain(a) == plain(b)


def choose(rows: dict[str, dict[str, float]], rule: str, recipe: str | None = None) -> str:
    """The value ``rule`` picks: ties on the primary metric go to the tie-breaker, ties on both to ``recipe``
    (else to the best primary among them)."""
    primary, margin, second, high, second_margin, _ = RULES[rule]
    best = min(r[primary] for r in rows.values())
    tied = [k for k, r in rows.items() if r[primary] <= best + margin]
    sign = -1 if high else 1
    top = min(sign * rows[k][second] for k in tied)
    tied = [k for k in tied if sign * rows[k][second] <= top + second_margin + 1e-9]
    return recipe if recipe in tied else min(tied, key=lambda k: rows[k][primary])


def markdown(name: str, rows: dict[str, dict[str, float]], chosen: str, mine: str, rule: str, seeds: str = ""
             ) -> list[str]:
    heads = list(next(iter(rows.values())))
    lines = [f"Sweep `{name}`, validation sets only{seeds}:", "",
             "| value | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for value, r in rows.items():
        marks = (" (recipe)" if value == mine else "") + (" **chosen**" if value == chosen else "")
        lines.append(f"| {value}{marks} | " + " | ".join(f"{v:.2f}" for v in r.values()) + " |")
    return lines + ["", f"Rule: {RULES[rule][-1]}.", ""]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", type=Path, required=True, help="egs/mini directory of a finished run")
    parser.add_argument("--sweep", required=True, choices=sorted(SWEEPS))
    parser.add_argument("--model", default="con1")
    parser.add_argument("--seeds", nargs="+", type=int, default=None,
                        help="training sweeps: train every value with each of these seeds and choose by the means "
                             "(the config's seed reuses the recipe's run or the single-seed trial)")
    parser.add_argument("--values", nargs="+", default=None,
                        help="only these of the sweep's values, as its table labels them (e.g. --values 1.0 2.0 "
                             "4.0: a re-sweep that leaves out values an earlier sweep already ruled out)")
    parser.add_argument("--rule", choices=sorted(RULES), default=None,
                        help="what picks the value (default: verification for con2, whose job is typing; else "
                             "detection)")
    args = parser.parse_args()
    recipe = args.recipe.resolve()
    if not finished(recipe / "exp" / args.model):
        print(f"{recipe}/exp/{args.model}: no trained model; run the recipe first", file=sys.stderr)
        return 1
    if args.seeds and SWEEPS[args.sweep][0] != "train":
        parser.error(f"--seeds: only training sweeps retrain a model; '{args.sweep}' is a {SWEEPS[args.sweep][0]} sweep")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SQE_FEATURE_CACHE": str(recipe / "dump" / "feature_cache")}
    rule = args.rule or ("verification" if args.model == "con2" else "detection")
    rows, per_seed = {}, {}
    for value in sweep_values(args.sweep, args.values):
        label = label_of(value)
        if len(args.seeds or []) > 1:
            per_seed[label] = {k: trial(args.sweep, value, recipe, args.model, env, k) for k in args.seeds}
            rows[label] = over_seeds(list(per_seed[label].values()), rule)
        else:
            rows[label] = trial(args.sweep, value, recipe, args.model, env, (args.seeds or [None])[0])
    mine = label_of(recipe_value(args.sweep, recipe, args.model))
    chosen = choose(rows, rule, mine)
    seeds = f", means over training seeds {' '.join(map(str, args.seeds))}" if per_seed else ""
    text = markdown(f"{args.sweep}` of `{args.model}", rows, chosen, mine, rule, seeds)
    dest = recipe / "sweeps" / args.sweep / args.model
    dest.mkdir(parents=True, exist_ok=True)
    name = "summary_seeds" if per_seed else "summary"
    write_text_atomic(dest / f"{name}.json", json.dumps({"rows": rows, "chosen": chosen, "recipe": mine,
                                                         "rule": RULES[rule][-1], "seeds": args.seeds,
                                                         "values": args.values, "per_seed": per_seed}, indent=2))
    write_text_atomic(dest / f"{name}.md", "\n".join(text) + "\n")
    print("\n".join(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
