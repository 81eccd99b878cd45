"""Checkpoints are self-contained (no pretrained file or download on load) and never unpickle code."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
import torch
from conftest import CodePayload

from sqe.models.lssqa import LSSQAModel, ModelConf
from sqe.models.checkpoint import FORMAT, load_model, read_checkpoint, save_checkpoint
from sqe.utils.errors import SqeError

TINY = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, conv_dim=[16] * 7,
            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, do_stable_layer_norm=True,
            feat_extract_norm="layer", conv_bias=True, layerdrop=0.0)


def same_outputs(a: LSSQAModel, b: LSSQAModel) -> bool:
    wav, lengths = torch.randn(2, 8000), torch.tensor([8000, 5000])
    with torch.no_grad():
        oa, ob = a.eval()(wav, lengths), b.eval()(wav, lengths)
    return torch.allclose(oa.q, ob.q, atol=1e-6) and torch.allclose(oa.z_mos, ob.z_mos, atol=1e-6)


def test_wav2vec2_checkpoint_loads_without_its_pretrained_directory(tmp_path):
    from transformers import Wav2Vec2Config, Wav2Vec2Model

    torch.manual_seed(0)
    Wav2Vec2Model(Wav2Vec2Config(**TINY)).save_pretrained(tmp_path / "pretrained")
    conf = ModelConf(encoder="wav2vec2", encoder_conf={"name_or_path": str(tmp_path / "pretrained")},
                     hidden=[8, 8], d_z=4)
    model = LSSQAModel(conf)
    save_checkpoint(tmp_path / "m.pt", model)
    for f in (tmp_path / "pretrained").iterdir():
        f.unlink()
    (tmp_path / "pretrained").rmdir()
    code = (f"import torch\nfrom sqe.models.checkpoint import load_model\n"
            f"m = load_model({str(tmp_path / 'm.pt')!r})\nprint(m.encoder.model.config.hidden_size)\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert res.returncode == 0 and res.stdout.strip() == "32", res.stderr
    assert same_outputs(model, load_model(tmp_path / "m.pt"))


def test_distillmos_checkpoint_loads_without_the_wheel(tmp_path, monkeypatch):
    conf = ModelConf(encoder="distillmos_cnn", encoder_conf={"proj_dim": 8, "channels": 8, "layers": 1},
                     input_norm="none", hidden=[8, 8], d_z=4)
    model = LSSQAModel(conf)
    save_checkpoint(tmp_path / "m.pt", model)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distillmos" else real(name, *a))
    loaded = load_model(tmp_path / "m.pt")
    assert torch.equal(loaded.encoder.frontend.cnn.convs[3].weight, model.encoder.frontend.cnn.convs[3].weight)
    assert same_outputs(model, loaded)
    with pytest.raises(SqeError, match="needs the distillmos package"):  # a new model still needs the wheel
        LSSQAModel(conf)


def test_a_checkpoint_that_would_run_code_is_refused_and_runs_nothing(tmp_path):
    target = tmp_path / "pwned"
    torch.save({"format": FORMAT, "model_conf": {}, "model": {}, "state": CodePayload(str(target))}, tmp_path / "bad.pt")
    with pytest.raises(SqeError, match="refusing checkpoint .*bad.pt: it holds objects other than tensors.*posix.mkdir"):
        read_checkpoint(tmp_path / "bad.pt")
    with pytest.raises(SqeError, match="refusing checkpoint"):
        load_model(tmp_path / "bad.pt")
    assert not target.exists()


def test_checkpoints_without_an_encoder_architecture_still_load(tmp_path):
    conf = ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 8, "layers": 1}, hidden=[8, 8], d_z=4)
    model = LSSQAModel(conf)
    save_checkpoint(tmp_path / "m.pt", model)
    payload = torch.load(tmp_path / "m.pt", weights_only=True)
    assert payload["encoder_architecture"] == {}
    del payload["encoder_architecture"]  # as written before this key existed
    torch.save(payload, tmp_path / "old.pt")
    assert same_outputs(model, load_model(tmp_path / "old.pt"))
