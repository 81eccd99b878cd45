"""Windowed inference of long signals equals the unwindowed model on one continuous 50 Hz grid."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sqe.infer.windowed import WindowConf, frame_outputs
from sqe.models.lssqa import LSSQAModel, ModelConf, SCLConf, norm_to_mos

ENCODERS = {
    "logmel": ("logmel_cnn", {"channels": 16, "layers": 2}, "standardize"),
    "distillmos_fp32": ("distillmos_cnn", {"proj_dim": 8, "channels": 8, "layers": 2, "precision": "fp32"}, "none"),
    "distillmos_bf16": ("distillmos_cnn", {"proj_dim": 8, "channels": 8, "layers": 2}, "none"),
}


def model_of(kind: str) -> LSSQAModel:
    torch.manual_seed(0)
    encoder, conf, norm = ENCODERS[kind]
    return LSSQAModel(ModelConf(encoder=encoder, encoder_conf=conf, input_norm=norm, hidden=[8, 8], d_z=4,
                                scl=SCLConf(d_p=6))).eval()


def varying_signal(n: int) -> np.ndarray:
    """Noise whose level changes every 0.1 s over 30 dB: window-local statistics would differ from global ones."""
    rng = np.random.default_rng(0)
    gains = np.repeat(rng.uniform(0.01, 0.5, n // 1600 + 1), 1600)[:n]
    return (rng.standard_normal(n) * gains).astype(np.float32)


@pytest.mark.parametrize("kind", sorted(ENCODERS))
def test_windows_equal_the_whole_signal(kind):
    model = model_of(kind)
    wav = varying_signal(16000 * 7 + 123)
    with torch.no_grad():
        ref = model(torch.from_numpy(wav)[None], torch.tensor([wav.size]))
    whole = frame_outputs(model, wav, WindowConf(window_s=100))
    assert whole["q"].shape == (351,) == (ref.q.shape[1],)  # ceil(N / 320)
    np.testing.assert_allclose(whole["q"], norm_to_mos(ref.q[0]).numpy(), atol=1e-4)
    np.testing.assert_allclose(whole["z_tilde"], ref.z_tilde[0].numpy(), atol=1e-4)
    windowed = frame_outputs(model, wav, WindowConf(window_s=1.0, context_s=1.0))
    for name in ("q", "z_mos", "z_scl", "z_tilde"):
        assert windowed[name].shape == whole[name].shape
        np.testing.assert_allclose(windowed[name], whole[name], atol=1e-4, err_msg=name)


def test_too_little_context_is_visible():
    """The equality above comes from the context: without any, window edges differ (the check can fail)."""
    model = model_of("logmel")
    wav = varying_signal(16000 * 4)
    whole = frame_outputs(model, wav, WindowConf(window_s=100))
    bare = frame_outputs(model, wav, WindowConf(window_s=1.0, context_s=0.0))
    assert np.abs(bare["z_tilde"] - whole["z_tilde"]).max() > 1e-3


def test_embeddings_are_chosen_and_the_fixed_level_is_restored():
    model = model_of("distillmos_fp32")
    out = frame_outputs(model, varying_signal(32000), WindowConf(window_s=1.0), embeddings=("x",))
    assert sorted(out) == ["q", "x"] and out["x"].shape == (100, model.encoder.dim)
    assert model.encoder.frontend.fixed_peak is None and model.encoder.cache is not None
    with pytest.raises(ValueError, match="empty"):
        frame_outputs(model, np.zeros(0, np.float32))
