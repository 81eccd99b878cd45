"""egs/nisqa and egs/libriaugmented, every stage, on stand-ins of their corpora in the real layouts
(test/corpus_layouts.py: the vendored LibriSpeech speech through the simulator) with a tiny random wav2vec2.

What this covers: each stage's command line, inputs and outputs as a user runs them, the corpus preparation
on the real folder and CSV layouts, one training stage with 2 gloo processes (torchrun), stages 5-6 of
egs/nisqa through the Slurm backend, RESULTS.md with every table, model packages that sqe.bin.analyze loads.
What it does not: the numbers. One epoch of a random 32-d wav2vec2 on 40 files detects nothing; the
evaluation sets are placed by the signals (`constraints_from: signal`), since such a teacher passes no pair
under the paper's constraints. Reduced sizes: NISQA 40/12/8+8 files, BVCC 16/4/4, LibriSpeech 9 per subset.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import recipe_tree
from corpus_layouts import CorpusSizes, plan_nisqa, write_paper_corpora

from sqe.data import DataDir
from sqe.data.validate import ValidateOptions, validate_data_dir

pytestmark = pytest.mark.slow
MODELS = "con1 con2"  # the Baseline is always trained; SUP1/SUP2 train as CON1 without the SCL decoder
# (test/sqe/mixup/test_dataset.py) and go through stages 8-10 as the Baseline does
MIXUP_SIGNAL = """seed: 0
constraints_from: signal
min_distance_db: 1.0
mixup: {p: 1.0, min_segments: 1, max_segments: 3, min_dur: 0.4, max_dur: 2.0, constrained: true,
        max_mos_deg: 4.0, use_vad: true, dilation_s: 0.1}
"""
TRAIN_ARGS = "--set optim.epochs=1 model.hidden=[8,8] model.d_z=4"
TABLES = ("Local degradation detection (Tables 2/3)", "Degradation verification and retrieval (Tables 4/5)",
          "Table 6")


@pytest.fixture(scope="module")
def paper(tmp_path_factory):
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    root = tmp_path_factory.mktemp("paper")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQE_")}
    env.update({k: str(v) for k, v in write_paper_corpora(root / "corpora", CorpusSizes()).items()})
    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                         conv_dim=[16] * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                         do_stable_layer_norm=True, feat_extract_norm="layer", conv_bias=True)
    Wav2Vec2Model(cfg).save_pretrained(root / "tiny_w2v2")  # the encoder as a local directory
    (root / "mixup_signal.yaml").write_text(MIXUP_SIGNAL)
    return SimpleNamespace(env=env, encoder=root / "tiny_w2v2", nisqa=recipe_tree(root / "repo", "nisqa"),
                           libriaug=recipe_tree(root / "repo", "libriaugmented"),
                           common=["--nj", "2", "--max_jobs", "2", "--mixup_set_conf", str(root / "mixup_signal.yaml")],
                           train=["--ngpu", "0", "--encoder", str(root / "tiny_w2v2"), "--loader_workers", "1",
                                  "--models", MODELS, "--train_args", TRAIN_ARGS])


def run(recipe_dir, *args, env):
    return subprocess.run(["./run.sh", *map(str, args)], cwd=recipe_dir, capture_output=True, text=True, env=env,
                          timeout=900)


def check_scored(exp, models, test_set):
    for model in models:
        metrics = json.loads((exp / model / "results" / test_set / "metrics.json").read_text())
        assert {"detection", "regions", "segments", "clustering"} <= set(metrics), model
        assert 0 <= metrics["detection"]["mos"]["frame_eer"] <= 1, model
    text = (exp / "RESULTS.md").read_text()
    for table in TABLES:
        assert table in text, table


def check_packages(exp, models, data):
    """Each package loads (format, checksums) and analyses a file of the test set as a user would."""
    from sqe.analyze import AnalyzeConf, Analyzer
    from sqe.audio.io import load_audio

    dd = DataDir.load(data)
    utt = dd.utts[0]
    wav = load_audio(dd["wav.scp"][utt], utt)
    for model in models:
        analyzer = Analyzer.from_package(exp / model / "package" / f"{model}.sqe.zip", AnalyzeConf())
        result = analyzer.analyze(wav, 16000, utt)
        assert result.q.size == result.score.size > 0 and np.isfinite(result.score).all(), model


def test_nisqa_every_stage(paper):
    d, env = paper.nisqa, paper.env
    res = run(d, "--stage", "1", "--stop_stage", "1", env={**env, "NISQA": ""})
    assert res.returncode == 1 and "set NISQA in db.sh" in res.stderr

    res = run(d, "--stop_stage", "6", *paper.common, *paper.train, env=env)
    assert res.returncode == 0, res.stderr
    for name in ("nisqa_train_sim", "nisqa_val_sim", "nisqa_test_sim", "bvcc_train", "bvcc_val",
                 "nisqa_val_sim_mixup", "nisqa_test_sim_mixup"):
        report = validate_data_dir(d / "data" / name, ValidateOptions(progress=False))
        assert report.ok, (name, report.problems[:3])
    # the classes of the written corpus, as the class parser derives them from its CSVs
    sizes = CorpusSizes()
    plan = plan_nisqa(sizes.nisqa_train, sizes.nisqa_val, sizes.nisqa_test, sizes.nisqa_live, 0)
    for subset, name in (("NISQA_TRAIN_SIM", "nisqa_train_sim"), ("NISQA_VAL_SIM", "nisqa_val_sim")):
        applied = Counter(r.applied_class for r in plan if r.subset == subset)
        assert Counter(DataDir.load(d / "data" / name)["utt2cls"].values()) == applied, subset
    baseline = (d / "exp" / "baseline" / "config.yaml").read_text()
    assert "num_workers: 1" in baseline and str(paper.encoder) in baseline  # a worker's batches, the --encoder
    for name in ("nisqa_train_sim", "nisqa_val_sim", "nisqa_test_sim"):
        assert (d / "dump" / "teacher" / name / "qdeg.scp").is_file(), name  # stage 5's parallel jobs all ran

    # stage 7: CON1 with two gloo processes (torchrun through sqe.bin.launch), as on 2 GPUs; the others in one
    res = run(d, "--stage", "7", "--stop_stage", "7", *paper.common, *paper.train, "--models", "con1",
              env={**env, "SQE_DDP_CPU_PROCS": "2"})
    assert res.returncode == 0, res.stderr
    assert re.search(r"2 processes: .*torch\.distributed\.run", (d / "exp" / "con1" / "log" / "train.log").read_text())
    res = run(d, "--stage", "7", "--stop_stage", "7", *paper.common, *paper.train, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("Stage 7: outputs up to date") == 1  # con1: the same training, in 2 processes or 1
    for model in MODELS.split():
        assert (d / "exp" / model / "checkpoints" / "best.pt").is_file(), model

    res = run(d, "--stage", "8", *paper.common, *paper.train, env=env)
    assert res.returncode == 0, res.stderr
    check_scored(d / "exp", ["baseline", *MODELS.split()], "nisqa_test_sim_mixup")
    check_packages(d / "exp", ["con1", "con2"], d / "data" / "nisqa_test_sim_mixup")
    again = run(d, "--stage", "9", "--stop_stage", "11", *paper.common, *paper.train, env=env)
    assert again.returncode == 0 and "nothing rerun" in again.stderr and "Running" not in again.stderr

    ref = d / "data" / "nisqa_val_sim" / "ref.scp"
    kept = ref.read_text()
    ref.unlink()
    res = run(d, "--stage", "4", "--stop_stage", "4", "--nj", "2", env=env)
    ref.write_text(kept)
    assert res.returncode == 1 and "stage 4 needs data/nisqa_val_sim/ref.scp" in res.stderr
    assert "stage 1 (NISQA corpus -> data/nisqa_*) makes it; run: ./run.sh --stage 1 --stop_stage 4" in res.stderr


@pytest.mark.slurm
def test_nisqa_teacher_and_mixup_stages_through_slurm(paper, cluster):
    """Stages 5-6 (the wav2vec2 teacher with a GPU request, the mix-up sets) through sbatch; training and the rVAD
    JOB arrays through Slurm are test_slurm.py's egs/mini run (the same cmd.sh and utils/run.py)."""
    d = paper.nisqa
    env = {**{k: v for k, v in cluster.env.items() if k != "SQE_CMD_BACKEND"}, **paper.env}
    if not (d / "exp" / "baseline" / "checkpoints" / "best.pt").is_file():  # run alone: stages 1-4 first, here
        assert run(d, "--stop_stage", "4", *paper.common, *paper.train, env=env).returncode == 0
    res = run(d, "--stage", "5", "--stop_stage", "6", "--cmd_backend", "slurm", "--overwrite", "true",
              *paper.common, "--ngpu", "1", "--encoder", paper.encoder, env=env)
    assert res.returncode == 0, res.stderr
    record = json.loads((d / "dump" / "teacher" / "nisqa_test_sim" / "env.json").read_text())
    assert "SLURM_JOB_ID" in record["env"] and record["env"]["CUDA_VISIBLE_DEVICES"] == "0"
    for log in ("dump/teacher/nisqa_train_sim/log/dump_frame_scores.log",
                "dump/teacher/nisqa_test_sim/log/dump_frame_scores.log",
                "data/nisqa_test_sim_mixup/log/make_mixup_set.log"):
        assert "slurm_job=" in (d / log).read_text(), log  # every stage's job went through sbatch


def test_libriaugmented_every_stage(paper):
    d, env = paper.libriaug, paper.env
    res = run(d, "--stage", "6", "--stop_stage", "6", "--model_dir", "../nowhere", *paper.common, env=env)
    assert res.returncode == 1 and "stage 6 needs ../nowhere/baseline/checkpoints/best.pt" in res.stderr
    assert "../nisqa/run.sh stage 3 (the Baseline) makes it" in res.stderr
    if not (paper.nisqa / "exp" / "con2" / "checkpoints" / "best.pt").is_file():  # run alone: egs/nisqa's models
        res = run(paper.nisqa, "--stop_stage", "7", *paper.common, *paper.train, env=paper.env)
        assert res.returncode == 0, res.stderr
    models = ["baseline", *MODELS.split()]
    res = run(d, "--ngpu", "0", "--models", " ".join(models), *paper.common, env=env)
    assert res.returncode == 0, res.stderr
    for split in ("dev_clean", "test_clean"):
        name = f"libriaug_{split}"
        la = DataDir.load(d / "data" / name)
        sizes = CorpusSizes()
        assert len(la) == 2 * sizes.librispeech  # every utterance once with a single, once with a double
        assert sum("+" in c for c in la["utt2cls"].values()) == sizes.librispeech
        assert (d / "data" / name / "log" / "part.2.log").is_file()  # the JOB array ran
        for n in (name, f"{name}_mixup"):
            report = validate_data_dir(d / "data" / n, ValidateOptions(progress=False))
            assert report.ok, (n, report.problems[:3])
    check_scored(d / "exp", models, "libriaug_test_clean_mixup")
    check_packages(d / "exp", ["con1", "con2"], d / "data" / "libriaug_test_clean_mixup")
