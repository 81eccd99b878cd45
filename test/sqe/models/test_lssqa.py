"""Decoders and the full model: masked batch norm, padding everywhere, output shapes and norms."""
from __future__ import annotations

import pytest
import torch
from test_encoders import TINY

from sqe.models.decoders import CNNDecoder, MaskedBatchNorm1d
from sqe.models.lssqa import LSSQAModel, ModelConf, SCLConf, mos_to_norm, norm_to_mos


def test_masked_batch_norm_matches_batch_norm_on_valid_frames():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 10)
    mask = torch.tensor([[1] * 10, [1] * 6 + [0] * 4, [1] * 2 + [0] * 8], dtype=torch.bool)
    ours, ref = MaskedBatchNorm1d(4), torch.nn.BatchNorm1d(4, momentum=0.05)
    y = ours(x, mask)
    valid = x.permute(0, 2, 1)[mask]  # (frames, C)
    expected = ref(valid)
    assert torch.allclose(y.permute(0, 2, 1)[mask], expected, atol=1e-5)
    assert torch.all(y.permute(0, 2, 1)[~mask] == 0)
    assert torch.allclose(ours.running_mean, ref.running_mean, atol=1e-6)
    assert torch.allclose(ours.running_var, ref.running_var, atol=1e-5)


def test_decoder_output_ignores_padding_content():
    torch.manual_seed(0)
    dec = CNNDecoder(8, (6, 6, 4), (11, 7, 5))
    x = torch.randn(2, 30, 8)
    mask = torch.ones(2, 30, dtype=torch.bool)
    mask[1, 12:] = False
    y = dec(x, mask)
    x2 = x.clone()
    x2[1, 12:] = 100.0  # garbage in the padding
    assert torch.allclose(dec(x2, mask)[1], y[1], atol=1e-6)
    assert torch.all(y[1, 12:] == 0)


@pytest.mark.parametrize("encoder, conf", [("logmel_cnn", {"channels": 16, "layers": 2}), ("wav2vec2", {"config": TINY})])
def test_model_outputs(encoder, conf):
    torch.manual_seed(0)
    model = LSSQAModel(ModelConf(encoder=encoder, encoder_conf=conf, hidden=[16, 16], d_z=8, scl=SCLConf(d_p=6))).eval()
    wav, lengths = torch.randn(2, 8000), torch.tensor([8000, 3300])
    out = model(wav, lengths)
    assert out.q.shape == (2, 25) and out.mask.sum(1).tolist() == [25, 11]
    assert torch.all(out.q.abs() <= 1) and torch.all(out.q[1, 11:] == 0)
    assert torch.allclose(out.y_hat[1], out.q[1, :11].mean())
    for z in (out.z_scl, out.z_tilde):
        norms = z.norm(dim=-1)
        assert torch.allclose(norms[out.mask], torch.ones(36), atol=1e-5) and torch.all(norms[~out.mask] == 0)
    assert out.z_mos.shape == (2, 25, 8) and out.z_tilde.shape == (2, 25, 6)
    single = model(wav[1:, :3300], lengths[1:])
    assert torch.allclose(single.q[0], out.q[1, :11], atol=1e-4)
    with pytest.raises(ValueError, match="no samples"):
        model(wav, torch.tensor([8000, 0]))


def test_slices_without_context_match_full_forward_on_a_slice_of_audio():
    torch.manual_seed(0)
    model = LSSQAModel(ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 16, "layers": 2}, hidden=[8, 8],
                                 d_z=4, input_norm="none")).eval()
    wav = torch.randn(1, 320 * 40)
    out = model(wav, torch.tensor([wav.shape[1]]), keep_latents=True)
    xs, qs, ms = model.forward_slices(out.latents, torch.tensor([10]), torch.tensor([15]))
    assert xs.shape[1] == 15 and ms.all()
    # latents see only their own 400-sample window: those of cut audio equal the full utterance's (except at
    # the cut's edges, where the window reaches into the padding), so a slice really loses only its context
    body = wav[:, 320 * 10: 320 * 25]
    lat, _ = model.encoder.features(body, torch.tensor([body.shape[1]]))
    assert torch.allclose(lat[0, 1:14], out.latents[0, 11:24], atol=1e-5)
    assert not torch.allclose(xs[0], out.x[0, 10:25], atol=1e-3)  # the context is gone
    # and what forward_slices computes is exactly the contextualiser, normalisation and heads run on the latent
    # slice alone (issue 14 item 8)
    piece = out.latents[:, 10:25]
    mask = torch.ones(1, 15, dtype=torch.bool)
    x = model._normalize(model.encoder.contextualize(piece, mask), mask)
    q, _ = model.heads(x, mask)
    assert torch.allclose(xs, x, atol=1e-6) and torch.allclose(qs, q, atol=1e-6)
    # a batch of slices of different sizes: each equals its own run (padding does not leak in)
    xs2, qs2, ms2 = model.forward_slices(out.latents.repeat(2, 1, 1), torch.tensor([10, 3]), torch.tensor([15, 6]))
    assert ms2[1].sum() == 6 and torch.allclose(xs2[0], x[0], atol=1e-5)
    short = out.latents[:, 3:9]
    m6 = torch.ones(1, 6, dtype=torch.bool)
    x6 = model._normalize(model.encoder.contextualize(short, m6), m6)
    assert torch.allclose(xs2[1, :6], x6[0], atol=1e-5) and torch.allclose(qs2[1, :6], model.heads(x6, m6)[0][0],
                                                                            atol=1e-5)


def test_rating_normalisation():
    y = torch.tensor([1.0, 3.0, 5.0])
    assert torch.equal(mos_to_norm(y), torch.tensor([-1.0, 0.0, 1.0]))
    assert torch.equal(norm_to_mos(mos_to_norm(y)), y)


def test_input_standardisation_makes_the_model_level_invariant():
    torch.manual_seed(0)
    model = LSSQAModel(ModelConf(encoder="logmel_cnn", encoder_conf={"channels": 16, "layers": 2}, hidden=[8, 8],
                                 d_z=4)).eval()
    wav, lengths = torch.randn(2, 6000), torch.tensor([6000, 4000])
    a = model(wav, lengths)
    b = model(wav * 7.0 + 0.3, lengths)
    assert torch.allclose(a.q, b.q, atol=1e-4)
