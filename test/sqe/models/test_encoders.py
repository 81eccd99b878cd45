"""Encoders on the 50 Hz grid: frame counts, padding, the submodule path, frozen CNN, clear errors."""
from __future__ import annotations

import pytest
import torch

from sqe.models import frames as F
from sqe.models.encoders import LogMelEncoder, Wav2Vec2Encoder, build_encoder
from sqe.utils.errors import SqeError

TINY = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, conv_dim=[32] * 7,
            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, do_stable_layer_norm=True,
            feat_extract_norm="layer", conv_bias=True, layerdrop=0.0, hidden_dropout=0.0, attention_dropout=0.0,
            activation_dropout=0.0, feat_proj_dropout=0.0)


@pytest.fixture(scope="module")
def w2v():
    torch.manual_seed(0)
    return Wav2Vec2Encoder(config=TINY).eval()


@pytest.mark.parametrize("enc", ["w2v", "logmel"])
def test_frame_count_is_ceil_n_over_320(enc, w2v):
    model = w2v if enc == "w2v" else LogMelEncoder(channels=16, layers=2).eval()
    for n in (1, 319, 320, 321, 16000, 64000):
        latents, mask = model.features(torch.randn(1, n), torch.tensor([n]))
        assert latents.shape[1] == mask.shape[1] == F.num_frames(n) == -(-n // 320)


@pytest.mark.parametrize("enc", ["w2v", "logmel"])
def test_padded_batch_equals_single_items(enc, w2v):
    model = w2v if enc == "w2v" else LogMelEncoder(channels=16, layers=2).eval()
    wav = torch.randn(3, 16001)
    lengths = torch.tensor([16001, 9000, 500])
    lat, mask = model.features(wav, lengths)
    x = model.contextualize(lat, mask)
    for b in range(3):
        n = int(lengths[b])
        lat1, mask1 = model.features(wav[b:b + 1, :n], lengths[b:b + 1])
        x1 = model.contextualize(lat1, mask1)
        frames = F.num_frames(n)
        assert torch.allclose(x[b, :frames], x1[0], atol=1e-4)
        assert torch.all(x[b, frames:] == 0)


def test_submodule_path_equals_the_hf_forward(w2v):
    n = 12345
    wav = torch.randn(1, n)
    padded, _ = F.pad_for_windows(wav, torch.tensor([n]))
    full = w2v.model(padded).last_hidden_state
    lat, mask = w2v.features(wav, torch.tensor([n]))
    assert full.shape[1] == F.num_frames(n)
    assert torch.allclose(w2v.contextualize(lat, mask), full, atol=1e-5)


def test_cnn_is_frozen_and_train_mode_is_deterministic(w2v):
    w2v.train()
    wav, lengths = torch.randn(2, 8000), torch.tensor([8000, 6000])
    x1 = w2v.contextualize(*w2v.features(wav, lengths))
    x2 = w2v.contextualize(*w2v.features(wav, lengths))
    assert torch.equal(x1, x2)  # no SpecAugment, dropouts 0
    x1.sum().backward()
    assert all(p.grad is None for p in w2v.model.feature_extractor.parameters())
    assert any(p.grad is not None for p in w2v.model.encoder.parameters())
    w2v.eval()


def test_local_directory_round_trip(tmp_path, w2v):
    w2v.model.save_pretrained(tmp_path / "tiny")
    loaded = Wav2Vec2Encoder(name_or_path=str(tmp_path / "tiny")).eval()
    wav, lengths = torch.randn(1, 4000), torch.tensor([4000])
    assert torch.allclose(loaded.contextualize(*loaded.features(wav, lengths)),
                          w2v.contextualize(*w2v.features(wav, lengths)), atol=1e-6)


def test_errors_name_the_cause(tmp_path):
    with pytest.raises(SqeError, match="unknown encoder 'hubert'"):
        build_encoder("hubert", {})
    with pytest.raises(SqeError, match="bad encoder_conf"):
        build_encoder("logmel_cnn", {"n_melz": 3})
    with pytest.raises(SqeError, match="set model.encoder_conf.name_or_path to DIR"):
        Wav2Vec2Encoder(name_or_path=str(tmp_path / "no-such-model"))
    with pytest.raises(SqeError, match="exactly one of"):
        Wav2Vec2Encoder()
