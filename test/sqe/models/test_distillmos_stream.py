"""The streaming DistillMOS front end gives the offline front end's frames, however the samples arrive."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sqe.models import distillmos
from sqe.models.distillmos import DistillMOSFrontEnd
from sqe.models.distillmos_stream import StreamingFrontEnd


def _frontend(precision):
    torch.manual_seed(0)
    return DistillMOSFrontEnd(precision=precision, pretrained=False)


def _streamed(frontend, x, rng, largest=2000):
    stream, parts, i = StreamingFrontEnd(frontend), [], 0
    while i < x.size:
        k = int(rng.integers(1, largest))
        parts.append(stream.push(x[i:i + k]))
        i += k
    parts.append(stream.finish())
    return torch.cat(parts).numpy(), [p.shape[0] for p in parts]


# lengths: a multiple of 320 (the end's reflection reaches the last sample), one sample more and less, short
@pytest.mark.parametrize("n", [320 * 40, 320 * 40 + 1, 320 * 40 - 1, 321, 7777])
def test_streamed_frames_equal_the_offline_front_end_in_fp32(n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * np.linspace(0.1, 1, n)).astype(np.float32)
    x /= np.abs(x).max()
    frontend = _frontend("fp32")
    offline = frontend(torch.from_numpy(x)).numpy()
    streamed, sizes = _streamed(frontend, x, rng)
    assert streamed.shape == offline.shape == (-(-n // 320), 1024)
    np.testing.assert_allclose(streamed, offline, rtol=1e-4, atol=1e-5)
    assert sum(sizes[:-1]) >= offline.shape[0] - 4  # all but the last 3 frames came before the end


def test_a_frame_comes_once_the_audio_of_its_receptive_field_is_in():
    frontend, x = _frontend("fp32"), np.random.default_rng(1).standard_normal(320 * 20).astype(np.float32)
    stream = StreamingFrontEnd(frontend)
    for k in range(1, 21):  # after 320 k samples, frames up to k - 4: frame l needs samples < 320 (l + 4)
        got = stream.push(x[320 * (k - 1):320 * k])
        assert got.shape[0] == (1 if k >= 4 else 0)


@pytest.mark.parametrize("native", [True, False], ids=["autocast", "rounded"])
def test_bf16_streamed_frames_are_within_a_rounding_step_of_offline(monkeypatch, native):
    monkeypatch.setattr(distillmos, "native_bf16", lambda device: native)  # both ways of bf16, on any CPU
    rng = np.random.default_rng(2)
    x = rng.standard_normal(16000 + 4321).astype(np.float32)
    frontend = _frontend("bf16")
    offline = frontend(torch.from_numpy(x / np.abs(x).max())).float().numpy()
    streamed, _ = _streamed(frontend, x / np.abs(x).max(), rng)
    rel = np.linalg.norm(streamed - offline) / np.linalg.norm(offline)
    assert rel < 2e-3
