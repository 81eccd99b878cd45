"""egs/mini/run.sh as a user runs it, in an isolated copy of the recipe (the tiny corpus config)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
from conftest import REPO, recipe_tree
from test_readme_commands import BLOCK

from sqe.data.validate import ValidateOptions, validate_data_dir


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    return recipe_tree(tmp_path_factory.mktemp("repo"), "mini")


def run(recipe, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQE_")}
    return subprocess.run(["./run.sh", *args], cwd=recipe, capture_output=True, text=True, env=env, timeout=900)


def test_help_and_unknown_option(recipe):
    res = run(recipe, "--help")
    assert res.returncode == 0 and "Usage: ./run.sh" in res.stdout and "2  corpus:" in res.stdout
    res = run(recipe, "--stop-stage", "2", "--bogus", "1")
    assert res.returncode == 1 and "invalid option --bogus" in res.stderr


@pytest.mark.slow
def test_stages_end_to_end(recipe):
    res = run(recipe, "--stop_stage", "3", "--data_conf", "conf/data_tiny.yaml")
    assert res.returncode == 0, res.stderr
    for split in ("train", "val", "test", "test_real", "val_ood", "test_ood", "enroll_ood"):
        report = validate_data_dir(recipe / "data" / f"mini_{split}", ValidateOptions(progress=False))
        assert report.ok, (split, report.problems[:3])
    log = (recipe / "data" / "local" / "mini_corpus" / "log" / "make_mini_corpus.log").read_text()
    assert re.search(r"mini_train: \d+ utterances, K=\d+ classes", log) and "# Ended (code 0)" in log
    assert (recipe / "data" / "local" / "mini_corpus" / "log" / "make_mini_corpus.cmd").is_file()
    exp = recipe / "exp" / "baseline"
    assert (exp / "checkpoints" / "best.pt").is_file() and (exp / "curves.png").is_file()
    rows = (exp / "train_log.csv").read_text().splitlines()
    assert len(rows) == 1 + 1 + 8  # header, before training, 8 epochs

    again = run(recipe, "--stop_stage", "3", "--data_conf", "conf/data_tiny.yaml")
    assert again.returncode == 0 and again.stderr.count("outputs up to date, nothing rerun") == 3

    mixup = run(recipe, "--stage", "4", "--stop_stage", "7", "--models", "con1", "--data_conf", "conf/data_tiny.yaml",
                "--mixup_set_conf", "conf/mixup_set_tiny.yaml")
    assert mixup.returncode == 0, mixup.stderr
    for set_ in ("mini_val", "mini_test", "mini_test_real", "mini_val_ood", "mini_test_ood"):
        report = validate_data_dir(recipe / "data" / f"{set_}_mixup", ValidateOptions(progress=False))
        assert report.ok, (set_, report.problems[:3])
    con1 = (recipe / "exp" / "con1" / "train_log.csv").read_text()
    assert "train_scl" in con1 and "valid_scl_eer" in con1

    report = run(recipe, "--stage", "8", "--stop_stage", "10", "--models", "con1", "--data_conf", "conf/data_tiny.yaml")
    assert report.returncode == 0, report.stderr
    for model in ("baseline", "con1"):
        for set_ in ("mini_test_mixup", "mini_test_real_mixup", "mini_test_ood_mixup"):
            assert (recipe / "exp" / model / "results" / set_ / "metrics.json").is_file()
    results = (recipe / "exp" / "RESULTS.md").read_text()
    for heading in ("## Environment", "Tables 2/3", "Tables 4/5", "Table 6", "| baseline |", "| con1 |",
                    "median-filtered over 9 frames (180 ms)"):  # conf/score.yaml
        assert heading in results
    scored = json.loads((recipe / "exp" / "con1" / "results" / "mini_test_mixup" / "metrics.json").read_text())
    assert scored["settings"]["medfilt_size"] == 9 and set(scored["detection_unfiltered"]) == set(scored["detection"])
    ood = json.loads((recipe / "exp" / "con1" / "results" / "mini_test_ood_mixup" / "metrics.json").read_text())
    assert ood["inputs"]["valid_data"] == "data/mini_val_ood_mixup"  # out-of-domain thresholds from validation
    assert ood["regions"]["z_tilde"]["threshold_source"] == "validation"
    assert "False regions / min clean speech" in results and "## Local degradation detection (Tables 2/3): " \
        "`mini_test_real_mixup`" in results
    figures = sorted(p.name for p in (recipe / "exp" / "report" / "figures").glob("*.png"))
    assert figures == ["fig2_con1_mini_test_mixup.png", "fig3_mini_test_mixup.png", "fig3_mini_test_ood_mixup.png",
                       "fig3_mini_test_real_mixup.png"]
    assert "Encoders side by side" not in results

    packed = run(recipe, "--stage", "11", "--models", "con1", "--data_conf", "conf/data_tiny.yaml")
    assert packed.returncode == 0, packed.stderr
    package = recipe / "exp" / "con1" / "package" / "con1.sqe"
    assert (package / "package.json").is_file() and package.with_name("con1.sqe.zip").is_file()
    assert "| mini_test_ood_mixup | z~ |" in (package / "MODEL_CARD.md").read_text()
    assert json.loads((package / "package.json").read_text())["medfilt_size"] == 9  # as stage 9 scored
    analysis = recipe / "exp" / "con1" / "analysis" / "mini_test_real_mixup"  # the real recordings
    summary = json.loads((analysis / "summary.json").read_text())
    n_test = len((recipe / "data" / "mini_test_real_mixup" / "wav.scp").read_text().splitlines())
    assert summary["failed"] == 0 and len(summary["files"]) == n_test
    assert len(list((analysis / "plots").glob("*.png"))) == min(8, n_test)
    assert len(list((analysis / "files").glob("*.json"))) == n_test
    page = (analysis / "report.html").read_text()  # the report: every file's regions, assets of the first 8
    assert page.count('class="region-row"') == len((analysis / "regions.tsv").read_text().splitlines()) - 1
    assert len(list((analysis / "report_files").glob("*.flac"))) == min(8, n_test)
    agreement = json.loads((analysis / "agreement.json").read_text())  # against the spliced segments
    n_segments = len((recipe / "data" / "mini_test_real_mixup" / "mix_segments").read_text().splitlines())
    assert (agreement["files"], agreement["labelled_files"], agreement["segments"]) == (n_test, n_test, n_segments)
    assert agreement["regions"] == page.count('class="region-row"')

    documented_analysis_runs_as_written(recipe)

    cache = recipe / "dump" / "feature_cache"
    assert len(list(cache.rglob("*.npy"))) > 0  # DistillMOS features, computed once and shared by the stages

    # the log-mel encoder (its Baseline only, to keep CI short; its teacher, stage 5, feeds only the stage 7 not run
    # here): its own exp/logmel, the same evaluation sets (stage 6 finds them up to date), one report with both
    logmel = run(recipe, "--stage", "3", "--skip_stages", "4 5", "--encoder", "logmel", "--models", "",
                 "--mixup_set_conf", "conf/mixup_set_tiny.yaml", "--train_args", "--set optim.epochs=2")
    assert logmel.returncode == 0, logmel.stderr
    assert re.search(r"Stage 6: outputs up to date, nothing rerun", logmel.stderr)
    assert (recipe / "exp" / "logmel" / "baseline" / "results" / "mini_test_ood_mixup" / "metrics.json").is_file()
    assert not (recipe / "exp" / "logmel" / "con1").exists()
    assert len((recipe / "exp" / "logmel" / "baseline" / "train_log.csv").read_text().splitlines()) == 1 + 1 + 2
    results = (recipe / "exp" / "RESULTS.md").read_text()
    side = results[results.index("## Encoders side by side"):results.index("## Local degradation detection")]
    assert "| baseline | DistillMOS CNN | z_MOS |" in side and "| baseline | log-mel CNN | z_MOS |" in side
    assert "| con1 | DistillMOS CNN | z~ |" in side and "`mini_test_ood_mixup`:" in side

    shutil.rmtree(recipe / "data" / "local" / "mini_speech" / "test_ood")
    missing = run(recipe, "--stage", "2", "--stop_stage", "2", "--data_conf", "conf/data_tiny.yaml")
    assert missing.returncode == 1
    assert "stage 2 needs data/local/mini_speech/test_ood/wav.scp" in missing.stderr
    assert "run: ./run.sh --stage 1 --stop_stage 2" in missing.stderr


@pytest.mark.slow
@pytest.mark.slurm
def test_stages_3_and_4_through_slurm(recipe, cluster):
    """On the end-to-end test's corpus (stages 1-2 here when run alone): a Baseline's training with a GPU request
    and the rVAD JOB arrays through a real Slurm cluster. The log-mel Baseline: the fake GPU is no CUDA device and
    what goes through sbatch does not depend on the encoder."""
    env = {k: v for k, v in cluster.env.items() if k != "SQE_CMD_BACKEND"}
    env["SQE_DDP_CPU_PROCS"] = "1"  # the fake GPU is no CUDA device: train in one CPU process
    if not (recipe / "data" / "mini_test_ood" / "utt2cls").is_file():
        local = subprocess.run(["./run.sh", "--stop_stage", "2", "--data_conf", "conf/data_tiny.yaml"], cwd=recipe,
                               env=env, capture_output=True, text=True, timeout=600)
        assert local.returncode == 0, local.stderr
    slurm = subprocess.run(["./run.sh", "--stage", "3", "--stop_stage", "4", "--ngpu", "1", "--cmd_backend", "slurm",
                            "--encoder", "logmel", "--overwrite", "true", "--train_args", "--set optim.epochs=1"],
                           cwd=recipe, env=env, capture_output=True, text=True, timeout=900)
    exp = recipe / "exp" / "logmel" / "baseline"
    assert slurm.returncode == 0, slurm.stderr + "\n".join(p.read_text()[-1500:] for p in (exp / "log").glob("*.log"))
    assert len((exp / "train_log.csv").read_text().splitlines()) == 1 + 1 + 1  # --train_args
    record = json.loads((exp / "env.json").read_text())
    assert record["env"]["CUDA_VISIBLE_DEVICES"] == "0" and "SLURM_JOB_ID" in record["env"]
    part = (recipe / "dump" / "vad" / "mini_train" / "log" / "compute_vad.2.log").read_text()
    assert "slurm_job=" in part and "# Ended (code 0)" in part
    assert (recipe / "dump" / "vad" / "mini_train" / "vad_segments").stat().st_size > 0
    assert os.path.isdir(recipe / "dump" / "vad" / "mini_train" / "parts" / "degraded" / "part1")


def documented_analysis_runs_as_written(recipe):
    """The READMEs' analysis blocks (README.md's worked example, egs/mini/README.md's own recordings), copied into
    a fresh shell in egs/mini as a reader would: only PATH and HOME set, no environment active."""
    mine = recipe / "my_recordings"
    mine.mkdir(exist_ok=True)
    for line in (recipe / "data" / "mini_test_real_mixup" / "wav.scp").read_text().splitlines()[:2]:
        path = line.split(maxsplit=1)[1]
        shutil.copy(recipe / path if not os.path.isabs(path) else path, mine)
    blocks = [b for doc in ("README.md", "egs/mini/README.md") for b in BLOCK.findall((REPO / doc).read_text())
              if "sqe.bin.analyze" in b and ("mini_test_real_mixup" in b or "my_recordings/" in b)]
    assert len(blocks) == 2, blocks
    venv = os.environ.get("VIRTUAL_ENV")
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (venv and p.startswith(venv)))
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/root")}
    for block in blocks:
        res = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=recipe, capture_output=True, text=True,
                             env=env, timeout=300)
        assert res.returncode == 0, (block, res.stderr[-2000:])
    worked = recipe / "exp" / "con1" / "analysis" / "mini_test_real_mixup"
    assert (worked / "report.html").is_file()
    own = json.loads((recipe / "exp" / "con1" / "analysis" / "mine" / "summary.json").read_text())
    assert [r["status"] for r in own["files"]] == ["ok", "ok"]
    assert (recipe / "exp" / "con1" / "analysis" / "mine" / "report.html").is_file()
