"""The incremental stream encoder gives the offline X of a DistillMOS encoder, frame by frame, once each."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sqe.infer.incremental import IncrementalEncoder
from sqe.models.encoders import build_encoder


@pytest.fixture(scope="module")
def encoder():
    torch.manual_seed(0)
    return build_encoder("distillmos_cnn", {"precision": "fp32", "proj_dim": 8, "channels": 8, "layers": 2,
                                            "dropout": 0.0}).eval()


def test_frames_asked_for_as_they_become_ready_are_the_offline_ones(encoder):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(16000 * 2 + 123).astype(np.float32)
    peak = float(np.abs(x).max())
    with torch.no_grad():
        wav = torch.from_numpy(x)[None]
        offline = encoder.contextualize(*encoder.features(wav, torch.tensor([x.size])))[0].numpy()
    inc, got, fed = IncrementalEncoder(encoder), [], 0
    assert encoder.context_frames == 3 + inc.context  # the front end's 3 frames, then the convolutions
    while fed < x.size:
        k = int(rng.integers(50, 3000))
        inc.push(x[fed:fed + k], peak)
        fed = min(x.size, fed + k)
        ready = fed // 320 - encoder.context_frames  # what sqe.monitor asks for before the end
        if ready > len(got):
            got += list(inc.frames(len(got), ready))
    inc.finish()
    got += list(inc.frames(len(got), -(-x.size // 320), final=True))
    np.testing.assert_allclose(np.stack(got), offline, rtol=1e-4, atol=1e-5)


def test_frames_already_dropped_are_refused(encoder):
    inc = IncrementalEncoder(encoder)
    inc.push(np.ones(16000, np.float32), 1.0)
    inc.frames(0, 20)
    with pytest.raises(IndexError, match=r"X frames \[5, 10\) need latent frames"):
        inc.frames(5, 10)
