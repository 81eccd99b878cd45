"""sqe.bin.export_onnx: model.onnx in a package, checked against the torch model, listed with its checksum."""
from __future__ import annotations

import json
import logging
import shutil
import zipfile

import numpy as np
import pytest
import torch
from conftest import StageRun

from sqe.models.lssqa import LSSQAModel, ModelConf, SCLConf
from sqe.package import load_package
from sqe.package.onnx_export import ExportConf, compare_backends, export_graph, export_parts
from sqe.utils.errors import SqeError

LOG = logging.getLogger("test")
W2V = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, conv_dim=[16] * 7,
           num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, do_stable_layer_norm=True,
           feat_extract_norm="layer", conv_bias=True, layerdrop=0.0, hidden_dropout=0.0, attention_dropout=0.0,
           activation_dropout=0.0, feat_proj_dropout=0.0)
ENCODERS = {
    "wav2vec2": ("wav2vec2", {"config": W2V}, "standardize"),
    "distillmos_bf16": ("distillmos_cnn", {"proj_dim": 16, "channels": 16, "layers": 2, "dropout": 0.0}, "none"),
    "distillmos_fp32": ("distillmos_cnn", {"proj_dim": 16, "channels": 16, "layers": 2, "dropout": 0.0,
                                           "precision": "fp32"}, "none"),
}


@pytest.fixture
def package(tiny_package, tmp_path):
    shutil.copytree(tiny_package, tmp_path / "tiny.sqe")
    return tmp_path / "tiny.sqe"


@pytest.fixture
def export():
    return lambda *args: StageRun("export_onnx", args)


def test_the_graph_is_added_with_its_checksum_and_the_rerun_skips(package, export):
    run = export("--model", package)
    assert run.returncode == 0, run.stderr
    info = json.loads((package / "package.json").read_text())
    assert "model.onnx" in info["files"] and info["onnx"]["opset"] == 17
    assert info["onnx"]["parts"] == ["model.heads.onnx"]  # a log-mel model: no stream graph
    assert "model.heads.onnx" in info["files"] and "model.stream.onnx" not in info["files"]
    assert max(info["onnx"]["probe_max_abs_diff"].values()) < 1e-4  # logmel: float rounding only
    loaded = load_package(package, backend="onnx")
    assert loaded.model is None and loaded.onnx == (package / "model.onnx").read_bytes()
    assert loaded.onnx_parts == {"heads": (package / "model.heads.onnx").read_bytes()}
    again = export("--model", package)
    assert again.returncode == 0 and "skipping" in again.stderr
    assert json.loads((package / "package.json").read_text()) == info


def test_a_damaged_graph_is_refused(package, export):
    assert export("--model", package).returncode == 0
    (package / "model.onnx").write_bytes(b"not a graph")
    with pytest.raises(SqeError, match="model.onnx does not match its SHA-256"):
        load_package(package, backend="onnx")


def test_the_sibling_zip_and_a_zip_package_get_the_graph(package, tmp_path, export):
    zipped = package.with_name("tiny.sqe.zip")
    with zipfile.ZipFile(zipped, "w") as z:
        for f in package.iterdir():
            z.write(f, f.name)
    lone = tmp_path / "lone.sqe.zip"
    shutil.copy(zipped, lone)
    assert export("--model", package).returncode == 0
    assert "model.onnx" in zipfile.ZipFile(zipped).namelist()
    assert export("--model", lone).returncode == 0
    assert sorted(zipfile.ZipFile(lone).namelist()) == sorted(zipfile.ZipFile(zipped).namelist())
    assert load_package(lone, backend="onnx").onnx == load_package(zipped, backend="onnx").onnx


def test_a_package_without_the_graph_names_the_export_command(package):
    with pytest.raises(SqeError, match="no model.onnx.*sqe.bin.export_onnx"):
        load_package(package, backend="onnx")


def test_a_graph_beyond_the_tolerance_leaves_the_package_unchanged(package, export):
    before = (package / "package.json").read_text()
    run = export("--model", package, "--tolerance", "1e-12")
    assert run.returncode == 1 and "left unchanged" in run.stderr
    assert (package / "package.json").read_text() == before and not list(package.glob("*.onnx"))


@pytest.mark.parametrize("kind", sorted(ENCODERS))
@pytest.mark.parametrize("seconds", [2.0, 5.3])
def test_every_encoder_exports_and_agrees_with_torch(kind, seconds, tmp_path):
    torch.manual_seed(0)
    encoder, conf, norm = ENCODERS[kind]
    model = LSSQAModel(ModelConf(encoder=encoder, encoder_conf=conf, input_norm=norm, hidden=[16, 16], d_z=8,
                                 scl=SCLConf(d_p=8))).eval()
    export_graph(model, tmp_path / "m.onnx", 17)
    parts = {role: str(tmp_path / name) for role, name in export_parts(model, tmp_path, 17).items()}
    assert sorted(parts) == ["heads", *(["stream"] if encoder == "distillmos_cnn" else [])]
    enrollment = {"z_tilde": np.random.default_rng(0).standard_normal(8).astype(np.float32)}
    diffs = compare_backends(model, tmp_path / "m.onnx", enrollment, "z_tilde", ExportConf(probe_s=seconds), parts)
    # offline (decoded by the heads graph) and, for DistillMOS, streamed through the stream graph
    assert set(diffs) == {"q", "score", *({"stream_q", "stream_score"} if "stream" in parts else ())}
    # fp32 graphs agree to float rounding (DistillMOS: a DFT by convolution instead of an FFT before the
    # magnitude compression); the bf16 front end is emulated by rounding, whose ties can fall the other way
    limit = 2e-3 if kind == "distillmos_bf16" else 1e-3 if kind.startswith("distillmos") else 1e-5
    assert max(diffs.values()) < limit, diffs
    if seconds == 2.0:  # the stream's look-ahead travels with the graph
        from sqe.infer.onnx_backend import OnnxBackend

        backend = OnnxBackend(str(tmp_path / "m.onnx"))
        assert (backend.context_frames, backend.decoder_context) == (model.encoder.context_frames, 10)
        assert backend.embeddings == model.embedding_names == ("z_mos", "z_scl", "z_tilde")
