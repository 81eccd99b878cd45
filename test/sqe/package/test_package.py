"""Model packages: what pack_model writes, and what load_package accepts and refuses."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch
from conftest import REPO, CodePayload, StageRun, make_data_dir, teacher_arks
from model_factories import validation_set

from sqe.infer.embeddings import InferConf, enroll_dir, infer_dir
from sqe.mixup.evalset import MixupSetConf, make_mixup_set
from sqe.package import load_package
from sqe.package.build import PackConf, write_package
from sqe.package.format import FORMAT, INFO_FILE
from sqe.models.checkpoint import load_model
from sqe.utils.errors import SqeError


def copy_of(package, tmp_path):
    return shutil.copytree(package, tmp_path / "copy.sqe")


def test_a_package_holds_model_enrollment_prototypes_and_thresholds(tiny_package):
    pkg = load_package(tiny_package)
    info = json.loads((tiny_package / INFO_FILE).read_text())
    assert info["format"] == FORMAT and pkg.embedding == info["embedding"]
    assert set(info["thresholds"]) == {"mos", "z_mos", "z_scl", "z_tilde"}
    assert all(t["validation_best_f1"] > 0.9 for t in info["thresholds"].values())  # the tiny model separates
    classes, vectors = pkg.prototypes[pkg.embedding]
    assert list(classes) == ["clip", "lpf", "wbgn"] and vectors.shape == (3, 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert pkg.nearest_types(vectors[1])[0] == ("lpf", pytest.approx(1.0, abs=1e-5))
    assert 0.0 < pkg.open_set_similarity <= 1.0
    original = load_model(tiny_package.parent / "exp" / "checkpoints" / "best.pt")
    wav = torch.randn(1, 8000)
    with torch.no_grad():
        a, b = pkg.model(wav, torch.tensor([8000])), original(wav, torch.tensor([8000]))
    assert torch.equal(a.z_tilde, b.z_tilde)
    card = (tiny_package / "MODEL_CARD.md").read_text()
    for text in ("# Model card: tiny", "encoder: `logmel_cnn`", "trained from scratch", "packed by sqe",
                 info["provenance"]["git"]["revision"] or "unknown", "`unknown`"):
        assert text in card


def test_zip_package_loads_like_the_directory(tiny_package, tmp_path):
    model = load_model(tiny_package.parent / "exp" / "checkpoints" / "best.pt")
    valid, enrollment = validation_set(model, n=6)
    info = write_package(tiny_package.parent / "exp" / "checkpoints" / "best.pt", enrollment, valid, tmp_path / "p.sqe",
                         PackConf(zip=True, embedding="z_scl"), {}, {})
    assert info["embedding"] == "z_scl"
    with zipfile.ZipFile(tmp_path / "p.sqe.zip") as z:
        assert sorted(z.namelist()) == ["MODEL_CARD.md", "enrollment.npz", "model.pt", "package.json",
                                        "prototypes.npz"]
    zipped, plain = load_package(tmp_path / "p.sqe.zip"), load_package(tmp_path / "p.sqe")
    assert zipped.info == plain.info and zipped.embedding == "z_scl"
    np.testing.assert_array_equal(zipped.enrollment["z_scl"], plain.enrollment["z_scl"])


def test_damaged_or_foreign_packages_are_refused(tiny_package, tmp_path):
    pkg = copy_of(tiny_package, tmp_path)
    with open(pkg / "MODEL_CARD.md", "a") as f:
        f.write("edited\n")
    with pytest.raises(SqeError, match="MODEL_CARD.md does not match its SHA-256"):
        load_package(pkg)
    shutil.copy(tiny_package / "MODEL_CARD.md", pkg / "MODEL_CARD.md")
    info = json.loads((pkg / INFO_FILE).read_text())
    (pkg / INFO_FILE).write_text(json.dumps({**info, "format": "sqe-model-package-0"}))
    with pytest.raises(SqeError, match="format 'sqe-model-package-0'; this sqe reads 'sqe-model-package-1'"):
        load_package(pkg)
    (pkg / INFO_FILE).unlink()
    with pytest.raises(SqeError, match="not an sqe model package: no package.json"):
        load_package(pkg)
    with pytest.raises(SqeError, match="does not exist"):
        load_package(tmp_path / "nothing.sqe")
    (tmp_path / "bad.zip").write_text("not a zip")
    with pytest.raises(SqeError, match="neither a package directory nor a zip"):
        load_package(tmp_path / "bad.zip")


def test_a_model_that_would_run_code_is_refused_even_with_matching_checksums(tiny_package, tmp_path):
    from sqe.package.format import sha256

    pkg = copy_of(tiny_package, tmp_path)
    target = tmp_path / "pwned"
    payload = torch.load(pkg / "model.pt", weights_only=True)
    torch.save({**payload, "extra": CodePayload(str(target))}, pkg / "model.pt")
    info = json.loads((pkg / INFO_FILE).read_text())
    info["files"]["model.pt"] = sha256(pkg / "model.pt")
    (pkg / INFO_FILE).write_text(json.dumps(info))
    with pytest.raises(SqeError, match="refusing checkpoint"):
        load_package(pkg)
    assert not target.exists()


def test_embeddings_of_another_model_are_refused(tiny_package, tmp_path):
    model = load_model(tiny_package.parent / "exp" / "checkpoints" / "best.pt")
    valid, enrollment = validation_set(model, n=3)
    enrollment["z_scl"] = np.ones(8, np.float32)
    with pytest.raises(SqeError, match="enrollment has z_scl of size 8, the model .* gives 16"):
        write_package(tiny_package.parent / "exp" / "checkpoints" / "best.pt", enrollment, valid, tmp_path / "p",
                      PackConf(), {}, {})
    assert not (tmp_path / "p" / INFO_FILE).exists()


def test_the_packages_median_filter_follows_the_results_it_was_scored_with(tiny_package, tmp_path):
    from sqe.eval.evaluate import detection_scores, ground_truth
    from sqe.metrics.events import IAUCSettings, best_intersection_f1
    from sqe.metrics.smoothing import smooth_scores

    ckpt = tiny_package.parent / "exp" / "checkpoints" / "best.pt"
    valid, enrollment = validation_set(load_model(ckpt))
    scored = {"a": {"settings": {"medfilt_size": 5}}, "b": {"settings": {"medfilt_size": 5}}}
    info = write_package(ckpt, enrollment, valid, tmp_path / "p", PackConf(), scored, {})
    assert info["medfilt_size"] == 5 and load_package(tmp_path / "p").medfilt_size == 5
    smooth = smooth_scores(detection_scores(valid, enrollment), 5)[info["embedding"]]
    f1, thr = best_intersection_f1(smooth, ground_truth(valid)[0], IAUCSettings())
    assert info["thresholds"][info["embedding"]] == {"threshold": thr, "validation_best_f1": f1}
    assert "scores median-filtered over 5 frames" in (tmp_path / "p" / "MODEL_CARD.md").read_text()
    scored["b"]["settings"]["medfilt_size"] = 3
    with pytest.raises(SqeError, match="scored with different medfilt_size .*give --medfilt_size"):
        write_package(ckpt, enrollment, valid, tmp_path / "q", PackConf(), scored, {})
    assert write_package(ckpt, enrollment, valid, tmp_path / "q", PackConf(medfilt_size=3), scored,
                         {})["medfilt_size"] == 3
    assert json.loads((tiny_package / INFO_FILE).read_text())["medfilt_size"] == 1  # no results: none


def test_the_packages_threshold_follows_the_false_region_limit_it_was_scored_with(tiny_package, tmp_path):
    ckpt = tiny_package.parent / "exp" / "checkpoints" / "best.pt"
    valid, enrollment = validation_set(load_model(ckpt))
    speech = {k: np.ones(v.size, bool) for k, v in valid.degraded.items()}
    scored = {"a": {"settings": {"max_false_per_min": 0.0}}}
    with pytest.raises(SqeError, match="needs the validation set's speech flags"):
        write_package(ckpt, enrollment, valid, tmp_path / "p", PackConf(), scored, {})
    info = write_package(ckpt, enrollment, valid, tmp_path / "p", PackConf(), scored, {}, speech)
    thr = info["thresholds"][info["embedding"]]
    assert thr["max_false_per_min"] == 0.0 and thr["validation_false_per_min"] == 0.0
    assert thr["threshold"] >= thr["f1_threshold"]
    free = write_package(ckpt, enrollment, valid, tmp_path / "q", PackConf(), {}, {}, speech)
    assert set(free["thresholds"][free["embedding"]]) == {"threshold", "validation_best_f1"}


def test_pack_model_cli_from_recipe_outputs(tiny_package, tmp_path):
    """The recipe's way: a validation mix-up set, the model's inference and enrollment, test metrics."""
    d = make_data_dir(tmp_path, n=8, seconds=3.0)
    (d / "utt2cls").write_text("".join(f"utt{i} {['wbgn', 'lpf'][i % 2]}\n" for i in sorted(range(1, 9), key=str)))
    teacher_arks(d, tmp_path / "t")
    make_mixup_set(d, tmp_path / "t", tmp_path / "t" / "vad", tmp_path / "mix", MixupSetConf(seed=1))
    exp = tmp_path / "exp" / "con1"
    shutil.copytree(tiny_package.parent / "exp", exp)
    ckpt = exp / "checkpoints" / "best.pt"
    infer_dir(ckpt, tmp_path / "mix", exp / "infer" / "val", InferConf())
    enroll_dir(ckpt, d, "ref.scp", exp / "enroll", InferConf())
    (exp / "results" / "test").mkdir(parents=True)
    (exp / "results" / "test" / "metrics.json").write_text(json.dumps(
        {"detection": {"z_tilde": {"frame_eer": 0.0549, "frame_min_dcf": 0.24, "i_auc": 0.88}}}))
    args = ["--exp", exp, "--valid_infer", exp / "infer" / "val", "--valid_data", tmp_path / "mix", "--enroll",
            exp / "enroll", "--results", "test", "--zip", "--out", tmp_path / "con1.sqe"]
    run = [sys.executable, "-m", "sqe.bin.pack_model", *map(str, args)]
    res = subprocess.run(run, capture_output=True, text=True, cwd=REPO)
    assert res.returncode == 0, res.stderr
    assert "packed" in res.stderr and "degradation classes" in res.stderr
    pkg = load_package(tmp_path / "con1.sqe.zip")
    assert list(pkg.prototypes[pkg.embedding][0]) == ["lpf", "wbgn"]
    assert "| test | z~ | 5.49 | 0.240 | 0.880 |" in (tmp_path / "con1.sqe" / "MODEL_CARD.md").read_text()
    again = StageRun("pack_model", args)
    assert again.returncode == 0 and "up to date" in again.stderr
    missing = StageRun("pack_model", args[:-4] + ["--results", "nope", "--out", tmp_path / "x"])
    assert missing.returncode == 1 and "results/nope/metrics.json" in missing.stderr
