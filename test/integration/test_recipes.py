"""egs/nisqa and egs/libriaugmented on miniature corpora in the real layouts, and the recipe conventions."""
from __future__ import annotations

import filecmp
import os
import re
import subprocess

import pytest
from conftest import REPO, recipe_tree
from corpus_factories import write_bvcc, write_nisqa

from sqe.data import DataDir
from sqe.data.validate import ValidateOptions, validate_data_dir

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


@pytest.mark.slow
def test_nisqa_stages_1_to_3_and_parallel_stage_5(tmp_path):
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    d = recipe_tree(tmp_path / "repo", "nisqa")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQE_")}
    env.update(NISQA=str(write_nisqa(tmp_path / "NISQA_Corpus")), BVCC=str(write_bvcc(tmp_path / "bvcc" / "main")))
    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                         conv_dim=[16] * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                         do_stable_layer_norm=True, feat_extract_norm="layer", conv_bias=True)
    Wav2Vec2Model(cfg).save_pretrained(tmp_path / "tiny_w2v2")  # the encoder as a local directory
    res = run(d, "--stop_stage", "3", "--nj", "2", "--ngpu", "0", "--encoder", str(tmp_path / "tiny_w2v2"),
              "--loader_workers", "1", "--train_args", "--set optim.epochs=1 model.hidden=[8,8] model.d_z=4", env=env)
    assert res.returncode == 0, res.stderr
    assert "num_workers: 1" in (d / "exp" / "baseline" / "config.yaml").read_text()  # batches made by a worker
    for name in ("nisqa_train_sim", "nisqa_val_sim", "nisqa_test_sim", "bvcc_train", "bvcc_val"):
        assert validate_data_dir(d / "data" / name, ValidateOptions(progress=False)).ok, name
    assert (d / "exp" / "baseline" / "checkpoints" / "best.pt").is_file()
    assert "tiny_w2v2" in (d / "exp" / "baseline" / "config.yaml").read_text()
    # stage 5 with two jobs at once: every set's teacher scores exist when run.sh returns (it waited for all)
    res = run(d, "--stage", "5", "--stop_stage", "5", "--ngpu", "0", "--max_jobs", "2", env=env)
    assert res.returncode == 0, res.stderr
    for name in ("nisqa_train_sim", "nisqa_val_sim", "nisqa_test_sim"):
        assert (d / "dump" / "teacher" / name / "qdeg.scp").is_file(), name
    (d / "data" / "nisqa_val_sim" / "ref.scp").unlink()
    res = run(d, "--stage", "4", "--stop_stage", "4", "--nj", "2", env=env)
    assert res.returncode == 1 and "stage 4 needs data/nisqa_val_sim/ref.scp" in res.stderr
    assert "stage 1 (NISQA corpus -> data/nisqa_*) makes it; run: ./run.sh --stage 1 --stop_stage 4" in res.stderr
    res = run(d, "--stage", "1", "--stop_stage", "1", env={**env, "NISQA": ""})
    assert res.returncode == 1 and "set NISQA in db.sh" in res.stderr


@pytest.mark.slow
def test_libriaugmented_stages_1_to_5(tmp_path):
    import numpy as np
    import soundfile as sf

    corpora = tmp_path / "corpora"
    for subset in ("dev-clean", "test-clean"):
        for spk in (84, 174):
            chap = corpora / "LibriSpeech" / subset / str(spk) / "10"
            chap.mkdir(parents=True)
            lines = []
            for u in range(2):
                utt = f"{spk}-10-{u:04d}"
                t = np.arange(32000) / 16000
                x = 0.1 * np.sin(2 * np.pi * (150 + spk) * t) * (1 + np.sin(2 * np.pi * 3 * t))
                sf.write(chap / f"{utt}.flac", x.astype(np.float32), 16000, format="FLAC")
                lines.append(f"{utt} SOME WORDS\n")
            (chap / f"{spk}-10.trans.txt").write_text("".join(lines))
    chap = corpora / "LibriTTS" / "dev-clean" / "1272" / "1"
    chap.mkdir(parents=True)
    sf.write(chap / "1272_1_000001_000000.wav", np.zeros(24000, np.float32) + 0.01, 24000)
    (chap / "1272_1_000001_000000.normalized.txt").write_text("Text.")
    bgd = corpora / "CHiME3" / "data" / "audio" / "16kHz" / "backgrounds"
    bgd.mkdir(parents=True)
    sf.write(bgd / "BGD_150203_010_CAF.CH1.wav", 0.1 * np.random.default_rng(0).standard_normal(64000), 16000)
    d = recipe_tree(tmp_path / "repo", "libriaugmented")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQE_")}
    env.update(LIBRISPEECH=str(corpora), LIBRITTS=str(corpora), CHIME3=str(corpora / "CHiME3"))
    res = run(d, "--stop_stage", "5", "--nj", "2", env=env)
    assert res.returncode == 0, res.stderr
    for split in ("dev_clean", "test_clean"):
        la = DataDir.load(d / "data" / f"libriaug_{split}")
        assert len(la) == 8 and sum(u.endswith("-d") for u in la.utts) == 4
        assert (d / "dump" / "vad" / f"libriaug_{split}" / "vad_segments").is_file()
        assert (d / "data" / f"libriaug_{split}" / "log" / "part.2.log").is_file()  # the JOB array ran
    res = run(d, "--stage", "6", "--stop_stage", "6", env=env)
    assert res.returncode == 1 and "../nisqa/run.sh stage 3 (the Baseline) makes it" in res.stderr


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
