"""Encoder.context_frames is true: a frame of X depends on no audio further than that many frames away, which
is all the look-ahead a stream needs (sqe.monitor): frame ``c`` sees samples ``[320 (c - C), 320 (c + C + 1))``
only. A piece holding them gives frame ``c`` as the whole signal does; one frame less changes it."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sqe.models.encoders import DistillMOSEncoder, LogMelEncoder


def frames_of(encoder, wav: np.ndarray, peak: float) -> np.ndarray:
    x = torch.from_numpy(wav)[None]
    with torch.no_grad(), encoder.fixed_level(peak):
        latents, mask = encoder.features(x, torch.tensor([x.shape[1]]))
        return encoder.contextualize(latents, mask)[0].numpy()


@pytest.mark.parametrize("make", [lambda: LogMelEncoder(n_mels=16, channels=8, layers=2, kernel=5, dropout=0.0),
                                  lambda: DistillMOSEncoder(precision="fp32", proj_dim=8, channels=8, layers=2,
                                                            dropout=0.0)],
                         ids=["logmel", "distillmos"])
def test_a_frame_depends_on_context_frames_of_audio_each_side(make):
    torch.manual_seed(0)
    encoder = make().eval()
    ctx = encoder.context_frames
    assert ctx == encoder.frontend_context + 2 * 2
    wav = (np.random.default_rng(0).standard_normal(16000) * 0.1).astype(np.float32)
    peak = float(np.abs(wav).max())
    whole = frames_of(encoder, wav, peak)
    c = 20  # the last frame asked for
    cut = frames_of(encoder, wav[:(c + ctx + 1) * 320], peak)
    np.testing.assert_allclose(cut[:c + 1], whole[:c + 1], atol=1e-5)
    short = frames_of(encoder, wav[:(c + ctx) * 320], peak)
    assert np.abs(short[c] - whole[c]).max() > 1e-4  # the bound is tight: one frame less differs
    left = frames_of(encoder, wav[(40 - ctx) * 320:], peak)  # the same on the left
    np.testing.assert_allclose(left[ctx:ctx + 10], whole[40:50], atol=1e-5)
    later = frames_of(encoder, wav[(41 - ctx) * 320:], peak)
    assert np.abs(later[ctx - 1] - whole[40]).max() > 1e-6  # (log-mel: 40 samples under the window edge)
