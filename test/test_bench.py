"""bench/mini_recipe.py: stage timing from the recipe's log and the recipe copy it runs in; bench/mini_seeds.py:
the seed table and the stage arguments it reuses (the runs themselves are the benchmarks, not tests)."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys

import pytest
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


def _metrics(eer, dcf, iauc, verif):
    emb = {"frame_eer": eer, "frame_min_dcf": dcf, "i_auc": iauc}
    return {"detection": {"z_scl": emb, "z_tilde": emb, "mos": emb}, "segments": {"z_tilde": {"max1": {"eer": verif}}}}


def test_seed_summary_tables_every_seed_with_mean_and_sd():
    bench = load("mini_seeds")
    runs = {"0 (recipe)": {"mini_test_mixup": _metrics(0.05, 0.4, 0.8, 0.10)},
            "1": {"mini_test_mixup": _metrics(0.07, 0.2, 0.9, 0.12)}}
    summary = bench.summarize(runs, "con1")
    eer = summary["sets"]["mini_test_mixup"]["frame EER [%]"]
    assert eer["values"] == pytest.approx({"0 (recipe)": 5.0, "1": 7.0})
    assert eer["mean"] == pytest.approx(6.0) and eer["sd"] == pytest.approx(2 ** 0.5)
    assert summary["sets"]["mini_test_mixup"]["verification EER single [%]"]["mean"] == pytest.approx(11.0)
    assert summary["sets"]["mini_test_ood_mixup"] == {}  # no run scored it
    md = bench.markdown(summary)
    assert "| Metric | seed 0 (recipe) | seed 1 | mean | SD |" in md
    assert "| I-AUC | 0.80 | 0.90 | 0.85 | 0.07 |" in md


def test_seed_runs_use_the_recipe_stage_arguments():
    bench = load("mini_seeds")
    recipe = (REPO / "egs" / "mini" / "run.sh").read_text().replace('"${teacher_dir}', "dump/teacher")
    recipe = " ".join(recipe.replace('"', "").replace("\\\n", " ").split())
    cmds = bench.stage_commands("con1", 3, bench.Path("exp_seeds/con1/seed3"))
    train = cmds[0][cmds[0].index("sqe.bin.train") + 1:]
    assert train[train.index("--seed") + 1] == "3"
    for flag in ("--train_data", "--valid_data", "--train_scores", "--train_vad", "--valid_mixup"):
        assert f"{flag} {train[train.index(flag) + 1]}" in recipe, flag  # the same inputs as stage 7
    score = cmds[-1][cmds[-1].index("sqe.bin.score") + 1:]
    assert f"sqe.bin.score --conf {score[score.index('--conf') + 1]}" in recipe  # stage 9's scoring config
    verbs = [c[c.index("-m") + 1] for c in cmds]
    assert verbs == ["sqe.bin.train", "sqe.bin.enroll", "sqe.bin.enroll"] + ["sqe.bin.infer"] * 5 + ["sqe.bin.score"] * 5
    for c in cmds[-5:-2]:  # every test set with its validation set, as stage 9
        assert "--valid_data" in c
    assert all("--valid_data" not in c and c[-1].endswith(".valid") for c in cmds[-2:])  # validation on its own


def test_a_variant_trains_every_seed_with_its_overrides_and_leaves_the_recipe_run_out(tmp_path):
    bench = load("mini_seeds")
    steps = bench.plan(["con2"], [0, 1], False, tmp_path, ["model.scl.d_p=128"])
    out = bench.Path("exp_seeds/set_model.scl.d_p=128/con2")
    assert [(m, label, o) for m, label, o, _ in steps] == [("con2", "0", out / "seed0"), ("con2", "1", out / "seed1")]
    train = steps[0][3][0]
    assert train[train.index("--seed") + 1] == "0" and train[-2:] == ["--set", "model.scl.d_p=128"]
    assert all("--set" not in c for c in steps[0][3][1:])  # only training takes the overrides
    assert bench.variant_name(["model.hidden=[128, 128]"]) == "set_model.hidden=_128__128_"


def test_a_pipeline_seed_trains_its_own_teacher_first_and_its_models_learn_from_it(tmp_path):
    bench = load("mini_seeds")
    recipe = (REPO / "egs" / "mini" / "run.sh").read_text()
    recipe = " ".join(recipe.replace('"', "").replace("\\\n", " ").split())
    for model in ("baseline", "con1"):
        (tmp_path / "exp" / model).mkdir(parents=True)
        (tmp_path / "exp" / model / "config.yaml").write_text("seed: 0\n")
    steps = bench.plan(["con1"], [4], True, tmp_path)
    assert [(m, label) for m, label, _, _ in steps] == [("baseline", "0 (recipe)"), ("con1", "0 (recipe)"),
                                                         ("baseline", "4"), ("con1", "4")]
    root = bench.Path("exp_seeds/pipeline/seed4")
    base, con1 = steps[2][3], steps[3][3]
    verbs = [c[c.index("-m") + 1] for c in base[:3]]
    assert verbs == ["sqe.bin.train", "sqe.bin.dump_frame_scores", "sqe.bin.enroll"]
    train = base[0][base[0].index("sqe.bin.train") + 1:]
    assert train[train.index("--seed") + 1] == "4" and "--train_scores" not in train  # stage 3's inputs
    assert "--conf ${conf_dir}/baseline.yaml --train_data data/mini_train --valid_data data/mini_val" in recipe
    teacher = base[1]
    assert teacher[teacher.index("--model") + 1] == str(root / "baseline" / "checkpoints" / "best.pt")
    assert teacher[teacher.index("--out") + 1] == str(root / "teacher" / "mini_train")
    con1_train = con1[0]
    assert con1_train[con1_train.index("--train_scores") + 1] == teacher[teacher.index("--out") + 1]
    assert con1_train[con1_train.index("--out") + 1] == str(root / "con1")
    assert all("data/mini_test_mixup" in " ".join(c) for c in (base[-5], con1[-5]))  # the recipe's sets
    det = {"mos": {"frame_eer": 0.3}, "z_mos": {"frame_eer": 0.2}}  # a Baseline has no z~
    summary = bench.summarize({"0": {"mini_test_mixup": {"detection": det}}}, "baseline")
    assert summary["sets"]["mini_test_mixup"]["frame EER [%]"]["mean"] == pytest.approx(30.0)  # by its MOS


def test_compare_runs_finds_equal_tables_and_the_first_diverging_epoch(tmp_path):
    bench = load("compare_runs")
    (tmp_path / "a").write_text("u1 2.5\nu2 3.0\n")
    (tmp_path / "b").write_text("u1 2.5\nu2 3.25\n")
    assert bench.table_diff(tmp_path / "a", tmp_path / "a") == (True, 0.0)
    assert bench.table_diff(tmp_path / "a", tmp_path / "b") == (False, 0.25)
    head = "epoch,valid_srcc,seconds\n"
    (tmp_path / "la.csv").write_text(head + "0,0.1,\n1,0.5,10\n2,0.6,10\n")
    (tmp_path / "lb.csv").write_text(head + "0,0.1,\n1,0.5,12\n2,0.61,10\n")  # seconds do not count
    assert bench.first_divergence(tmp_path / "la.csv", tmp_path / "lb.csv") == "epoch 2"
    assert bench.first_divergence(tmp_path / "la.csv", tmp_path / "la.csv") == "none"


def test_the_avx2_cap_switches_every_library_dispatch():
    bench = load("mini_recipe")
    assert set(bench.ISA_ENV["avx2"]) == {"ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS",
                                          "NPY_DISABLE_CPU_FEATURES"}
    res = subprocess.run([sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
                         capture_output=True, text=True, env={**__import__("os").environ, **bench.ISA_ENV["avx2"]})
    assert res.stdout.strip() in ("AVX2", "DEFAULT")  # never AVX512 under the cap


def test_valid_sweep_reuses_the_recipe_run_only_for_the_value_it_was_made_with(tmp_path):
    sweep = load("valid_sweep")
    (tmp_path / "conf").mkdir()
    (tmp_path / "exp" / "con2").mkdir(parents=True)
    (tmp_path / "data" / "local" / "mini_corpus").mkdir(parents=True)
    (tmp_path / "conf" / "con2.yaml").write_text("loss:\n  weights: {scl: 2.0}\n")  # changed after the run
    (tmp_path / "exp" / "con2" / "config.yaml").write_text("loss:\n  weights: {scl: 1.0}\n")
    assert sweep.recipe_value("scl_weight", tmp_path, "con2") == 2.0
    assert sweep.run_value("scl_weight", tmp_path, "con2") == 1.0
    (tmp_path / "conf" / "data.yaml").write_text("speech: {noise_floor_db: [40, 65]}\n")
    (tmp_path / "data" / "local" / "mini_corpus" / "config.yaml").write_text("speech: {noise_floor_db: [40.0, 65.0]}\n")
    made = sweep.run_value("noise_floor", tmp_path, "con1")
    assert sweep.same(made, {"speech.noise_floor_db": [40, 65]})  # the resolved config writes floats
    assert not sweep.same(made, {"speech.noise_floor_db": None}) and not sweep.same(1.0, 2.0)
    # a training sweep reuses the recipe's model only when every other key matches the recipe's conf too
    (tmp_path / "conf" / "con2.yaml").write_text("loss:\n  weights: {scl: 2.0}\noptim: {epochs: 8}\n")
    (tmp_path / "exp" / "con2" / "config.yaml").write_text("loss:\n  weights: {scl: 1.0}\noptim: {epochs: 8}\n")
    assert sweep.same(sweep.run_value("epochs", tmp_path, "con2"), 8)
    assert not sweep.made_with("epochs", 8, tmp_path, "con2")  # trained with another loss weight
    (tmp_path / "exp" / "con2" / "config.yaml").write_text("loss:\n  weights: {scl: 2.0}\noptim: {epochs: 8}\n")
    assert sweep.made_with("epochs", 8, tmp_path, "con2") and not sweep.made_with("epochs", 10, tmp_path, "con2")


def test_valid_sweep_tries_a_subset_of_values_by_their_labels():
    sweep = load("valid_sweep")
    assert sweep.sweep_values("scl_weight", None) == [0.5, 1.0, 2.0, 4.0]
    assert sweep.sweep_values("scl_weight", ["4.0", "1.0"]) == [4.0, 1.0]
    assert sweep.sweep_values("hidden", ["[128,128]"]) == [[128, 128]]
    with pytest.raises(SystemExit, match="3.0 not in sweep 'scl_weight'.*0.5, 1.0, 2.0, 4.0"):
        sweep.sweep_values("scl_weight", ["3.0"])


def test_valid_sweep_trains_other_seeds_apart_and_averages_them(tmp_path, monkeypatch):
    sweep = load("valid_sweep")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "con2.yaml").write_text("seed: 0\nloss:\n  scl: {anchor_stride: 6}\n")
    (tmp_path / "exp" / "con2").mkdir(parents=True)
    shutil.copy(tmp_path / "conf" / "con2.yaml", tmp_path / "exp" / "con2" / "config.yaml")  # the recipe's run
    calls = []
    monkeypatch.setattr(sweep, "run", lambda cmd, cwd, env: calls.append(cmd))
    monkeypatch.setattr(sweep, "score_valid", lambda recipe, exp, env, **kw: {"set": exp})
    monkeypatch.setattr(sweep, "row", lambda by_set: {"exp": by_set["set"]})
    assert sweep.trial("anchor_stride", 3, tmp_path, "con2", {}, seed=2)["exp"] == \
        tmp_path / "sweeps" / "anchor_stride" / "3" / "seed2" / "con2"
    assert "loss.scl.anchor_stride=3" in calls[0] and "seed=2" in calls[0]
    assert sweep.trial("anchor_stride", 3, tmp_path, "con2", {}, seed=0)["exp"] == \
        tmp_path / "sweeps" / "anchor_stride" / "3" / "con2"  # the config's seed: the single-seed trial
    assert "seed=0" not in calls[1]
    # a sweep of several keys at once: one --set per key, the recipe's value read key by key
    (tmp_path / "conf" / "con2.yaml").write_text("seed: 0\nbatch: {max_audio_s: 120.0, max_utts: 32}\n")
    big = {"batch.max_audio_s": 240.0, "batch.max_utts": 64}
    assert sweep.recipe_value("batch", tmp_path, "con2") == {"batch.max_audio_s": 120.0, "batch.max_utts": 32}
    sweep.trial("batch", big, tmp_path, "con2", {}, seed=1)
    assert {"batch.max_audio_s=240.0", "batch.max_utts=64", "seed=1"} <= set(calls[2])
    assert "seed1" in str(calls[2][calls[2].index("--out") + 1])
    rows = [{"mini_val_mixup verif. single [%]": v, "mean EER [%]": e} for v, e in ((10.0, 4.0), (12.0, 5.0),
                                                                                   (14.0, 9.0))]
    mean = sweep.over_seeds(rows, "verification")
    assert mean == {"mini_val_mixup verif. single [%]": 12.0, "mean EER [%]": 6.0,
                    "sd mini_val_mixup verif. single [%]": 2.0}


def test_valid_sweep_scores_an_identical_training_of_another_sweep_instead_of_retraining(tmp_path, monkeypatch):
    sweep = load("valid_sweep")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "con2.yaml").write_text("seed: 0\nloss:\n  scl: {anchor_stride: 6}\n")
    calls = []
    monkeypatch.setattr(sweep, "run", lambda cmd, cwd, env: calls.append(cmd))
    monkeypatch.setattr(sweep, "score_valid", lambda recipe, exp, env, **kw: {"set": exp})
    monkeypatch.setattr(sweep, "row", lambda by_set: {"exp": by_set["set"]})

    def finished(exp: Path, config: str) -> Path:
        (exp / "checkpoints").mkdir(parents=True)
        (exp / "checkpoints" / "best.pt").write_bytes(b"")
        (exp / "config.yaml").write_text(config)
        (exp / sweep.DONE_FILE).write_text("{}")  # the stage's done-record, written when sqe.bin.train ends
        return exp

    same = "seed: 2\nloss:\n  scl: {anchor_stride: 3}\n"
    # a corpus sweep's model with the same training config learned from another corpus: not reused
    finished(tmp_path / "sweeps" / "frame_loss" / "v" / "egs" / "mini" / "exp" / "con2", same)
    own = tmp_path / "sweeps" / "anchor_stride" / "3" / "seed2" / "con2"
    assert sweep.trial("anchor_stride", 3, tmp_path, "con2", {}, seed=2)["exp"] == own and len(calls) == 1
    other = finished(tmp_path / "sweeps" / "lr" / "0.001" / "seed2" / "con2", same)
    finished(tmp_path / "sweeps" / "lr" / "0.002" / "seed2" / "con2", same.replace("seed: 2", "seed: 1"))
    assert sweep.trial("anchor_stride", 3, tmp_path, "con2", {}, seed=2)["exp"] == other and len(calls) == 1
    (other / sweep.DONE_FILE).unlink()  # killed: best.pt of an epoch is there, but an unfinished training is not a trial
    assert sweep.trial("anchor_stride", 3, tmp_path, "con2", {}, seed=2)["exp"] == own and len(calls) == 2
    finished(own, same)
    (own / sweep.DONE_FILE).unlink()  # this trial's own killed run is trained again (sqe.bin.train resumes it)
    assert sweep.trial("anchor_stride", 3, tmp_path, "con2", {}, seed=2)["exp"] == own and len(calls) == 3
    (own / sweep.DONE_FILE).write_text("{}")
    assert sweep.trial("anchor_stride", 3, tmp_path, "con2", {}, seed=2)["exp"] == own and len(calls) == 3


def test_valid_sweep_rules_and_recipe_values():
    sweep = load("valid_sweep")
    rows = {"a": {"mean EER [%]": 5.0, "mean I-AUC": 0.7, "mini_val_mixup verif. single [%]": 20.0},
            "b": {"mean EER [%]": 5.4, "mean I-AUC": 0.8, "mini_val_mixup verif. single [%]": 15.0},
            "c": {"mean EER [%]": 6.0, "mean I-AUC": 0.9, "mini_val_mixup verif. single [%]": 15.5}}
    assert sweep.choose(rows, "detection") == "b"  # within 0.5 points of the best EER: the higher I-AUC
    # b and c tie on verification and on the frame EER (0.6 points apart, within 0.72): the recipe's value, else
    # the better verification
    assert sweep.choose(rows, "verification", "c") == "c" and sweep.choose(rows, "verification") == "b"
    rows["c"]["mean EER [%]"] = 6.2
    assert sweep.choose(rows, "verification", "c") == "b"  # 0.8 points: the second metric decides before the recipe
    rows["b"]["mean I-AUC"] = 0.7
    assert sweep.choose(rows, "detection", "b") == "b" and sweep.choose(rows, "detection") == "a"
    rows["b"]["mean I-AUC"] = 0.709  # within 0.01 of a's: a tie on both, the recipe's value
    assert sweep.choose(rows, "detection", "b") == "b" and sweep.choose(rows, "detection", "a") == "a"
    rows["b"]["mean I-AUC"] = 0.711
    assert sweep.choose(rows, "detection", "a") == "b"
    conf = {"degrade": {"ranges": {"wbgn": {"snr_db": [15, 30]}}}}
    sweep.set_path(conf, "degrade.ranges", {"tclip": {"fer": [0.1, 0.2]}})
    assert conf["degrade"]["ranges"] == {"wbgn": {"snr_db": [15, 30]}, "tclip": {"fer": [0.1, 0.2]}}  # merged
    sweep.set_path(conf, "speech.splits.train.utts", 180)
    assert sweep.get_path(conf, "speech.splits.train.utts") == 180
    mini = REPO / "egs" / "mini"
    for name, (kind, _, values) in sweep.SWEEPS.items():
        mine = sweep.label_of(sweep.recipe_value(name, mini, "con1"))
        if kind in ("train", "data", "score"):  # the recipe's own setting is one of the values swept
            assert mine in {sweep.label_of(v) for v in values}, name


def test_paper_corpora_bench_writes_the_trees_and_prints_the_db_variables(tmp_path, capsys):
    bench = load("make_paper_corpora")
    args = bench.parse_args(["--out", str(tmp_path / "c"), "--nisqa_train", "2", "--nisqa_val", "1", "--nisqa_test",
                             "1", "--nisqa_live", "0", "--bvcc", "1", "1", "1", "--librispeech", "1", "--libritts",
                             "1", "--chime3_seconds", "1", "--quiet"])
    assert bench.sizes_of(args) == bench.CorpusSizes(2, 1, 1, 0, (1, 1, 1), 1, 1, 1.0)
    assert bench.sizes_of(bench.parse_args(["--out", "x"])) == bench.CorpusSizes()  # flags default to the writers'
    assert bench.main(["--out", str(tmp_path / "c"), "--nisqa_train", "2", "--nisqa_val", "1", "--nisqa_test", "1",
                       "--nisqa_live", "0", "--bvcc", "1", "1", "1", "--librispeech", "1", "--libritts", "1",
                       "--chime3_seconds", "1", "--quiet"]) == 0
    root = (tmp_path / "c").resolve()
    assert capsys.readouterr().out.splitlines() == [
        f"export NISQA={root / 'NISQA_Corpus'}", f"export BVCC={root / 'bvcc' / 'main'}", f"export LIBRISPEECH={root}",
        f"export LIBRITTS={root}", f"export CHIME3={root / 'CHiME3'}"]
    assert (root / "NISQA_Corpus" / "NISQA_TEST_P501" / "NISQA_TEST_P501_file.csv").is_file()
    assert (root / "LibriSpeech" / "test-clean").is_dir() and (root / "LibriTTS" / "dev-clean").is_dir()
    assert bench.main(["--out", str(tmp_path / "c")]) == 1  # an existing folder is never written into
    assert bench.main(["--out", str(tmp_path / "d"), "--librispeech", "13"]) == 1
    assert "librispeech_dev has 12 excerpts" in capsys.readouterr().err and not (tmp_path / "d").exists()


def test_the_monitor_bench_compares_stream_and_offline_and_times_regions(tiny_package, tmp_path):
    import json

    import numpy as np
    from conftest import write_audio
    from model_factories import speech_like, spliced

    rng = np.random.default_rng(5)
    lines = []
    for i, kind in enumerate(["clip", "lpf"]):
        x = np.concatenate([speech_like(2.0, rng), spliced(4.0, kind, 1.0, 2.5, rng)[0]])  # region 3.0-4.5 s
        lines.append(f"u{i} {write_audio(tmp_path / f'u{i}.wav', x)}\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "wav.scp").write_text("".join(lines))
    res = subprocess.run([sys.executable, str(REPO / "bench" / "monitor_stream.py"), "--model", str(tiny_package),
                          "--data", str(tmp_path / "data"), "--latency_s", "6", "--json", str(tmp_path / "r.json"),
                          "--set", "warmup_s=1.0"], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
    assert res.returncode == 0, res.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["utterances"] == 2 and result["audio_s"] == 12.0 and result["conf"] == {"warmup_s": 1.0}
    assert result["regions"] == {"offline": 2, "stream": 2, "stream_lines": 2} and result["region_f1"]["min"] >= 0.9
    assert result["score_corr_after_warmup"]["pooled"] > 0.95 and 0 < result["rtf_cpu"] < 1
    lat = result["latency"]  # one utterance streamed at real time: its region closes before the stream ends
    assert lat["regions_timed"] == 1 and lat["exit_status"] == 0 and lat["stream_s"] == 6.0
    assert lat["revision_lines"] == 0  # the look-ahead (0.32 s for the tiny model) and at most one 0.2-s step:
    assert 0.32 <= lat["audio_wait_median_s"] <= 0.53 and lat["audio_wait_median_s"] - 0.1 < lat["median_s"] < 3.0


def test_the_stream_package_has_con1s_architecture_and_generated_utterances(tmp_path):
    res = subprocess.run([sys.executable, str(REPO / "bench" / "stream_package.py"), "--out", str(tmp_path),
                          "--utterances", "2", "--precision", "fp32"], capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"})
    assert res.returncode == 0, res.stderr
    import yaml

    from sqe.package.load import load_package

    package = load_package(tmp_path / "con1like.sqe")
    con1 = yaml.safe_load((REPO / "egs/mini/conf/con1.yaml").read_text())["model"]
    assert package.model.conf.encoder == "distillmos_cnn" and package.model.conf.hidden == con1["hidden"]
    assert package.model.encoder.frontend.precision == "fp32" and package.medfilt_size == 9
    assert package.model.encoder.context_frames == 7  # the look-ahead the monitor figures assume
    scp = (tmp_path / "data" / "wav.scp").read_text().splitlines()
    assert [line.split()[0] for line in scp] == ["u000", "u001"]
    import soundfile as sf

    assert sf.info(scp[0].split()[1]).duration == 6.0
