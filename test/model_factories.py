"""A tiny contrastive model trained in a few seconds on generated speech-like audio with spliced degradations,
packed like sqe.bin.pack_model does: the fixture of the package, analysis and search tests.

Clean "speech" is a harmonic complex with a moving pitch and syllable-rate envelope; three degradation types with
distinct spectral signatures (white noise at 0 dB SNR, a 1 kHz low-pass, hard clipping) are spliced into it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from scipy.signal import butter, sosfilt

from sqe.eval.evaluate import SetArrays
from sqe.infer.windowed import frame_outputs
from sqe.losses.supcon import SupConConf, supcon_loss
from sqe.models.lssqa import LSSQAModel, ModelConf, SCLConf
from sqe.package.build import PackConf, write_package
from sqe.models.checkpoint import save_checkpoint

SR = 16000
TYPES = ("clean", "wbgn", "lpf", "clip")
_LPF = butter(8, 1000, btype="low", fs=SR, output="sos")


def speech_like(seconds: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * SR)
    t = np.arange(n) / SR
    f0 = rng.uniform(100, 220) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.3, 1.0) * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    # harmonics below Nyquist, sum of sin(k phase) / k, as Im(z^k) / k with z = exp(i phase): one complex product
    # per harmonic instead of a sine (the sines took 40 % of the tiny model's training time)
    z = np.exp(1j * phase)
    zk, x = np.ones_like(z), np.zeros(n)
    for k in range(1, 30):
        zk *= z
        if k * f0.max() < SR / 2:
            x += zk.imag / k
    envelope = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t + rng.uniform(0, 6)), 0.05, None) ** 0.5
    return (0.2 * x * envelope / np.abs(x).max()).astype(np.float32)


def degrade(x: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "wbgn":
        return x + rng.standard_normal(x.size).astype(np.float32) * np.sqrt(np.mean(x ** 2))
    if kind == "lpf":
        return sosfilt(_LPF, x).astype(np.float32)
    if kind == "clip":
        limit = 0.1 * np.abs(x).max()
        return np.clip(x, -limit, limit) * 3
    return x


def spliced(seconds: float, kind: str, onset: float, offset: float, rng: np.random.Generator
            ) -> tuple[np.ndarray, np.ndarray]:
    """Clean speech with ``kind`` in ``[onset, offset)`` seconds; returns audio and 50 Hz frame class ids."""
    x = speech_like(seconds, rng)
    a, b = int(onset * 50) * 320, int(offset * 50) * 320
    x[a:b] = degrade(x[a:b], kind, rng)
    labels = np.zeros(-(-x.size // 320), dtype=np.int64)
    labels[a // 320:b // 320] = TYPES.index(kind)
    return x, labels


def _example(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    kind = TYPES[1 + rng.integers(3)]
    onset = rng.uniform(0.3, 1.0)
    return spliced(2.4, kind, onset, onset + rng.uniform(0.5, 1.0), rng)


def train_tiny_model(steps: int = 120, seed: int = 0) -> LSSQAModel:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a model this small trains faster in one thread (25 s against 36 s with two here)
    try:
        return _train(steps, seed)
    finally:
        torch.set_num_threads(threads)


def _train(steps: int, seed: int) -> LSSQAModel:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    conf = ModelConf(encoder="logmel_cnn", encoder_conf={"n_mels": 32, "channels": 32, "layers": 2, "dropout": 0.0},
                     hidden=[32, 32], d_z=16, scl=SCLConf(d_p=16))
    model = LSSQAModel(conf)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sup = SupConConf(lam=5, checkpoint_blocks=False)
    for _ in range(steps):
        batch = [_example(rng) for _ in range(6)]
        wav = torch.from_numpy(np.stack([b[0] for b in batch]))
        labels = torch.from_numpy(np.stack([b[1] for b in batch]))
        out = model.train()(wav, torch.full((len(batch),), wav.shape[1]))
        target = torch.where(labels == 0, 0.8, -0.8)  # normalised MOS domain: clean high, degraded low
        loss = supcon_loss(out.z_tilde, labels, out.mask, sup)[0] + (out.q - target).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def validation_set(model: LSSQAModel, n: int = 24, seed: int = 1) -> tuple[SetArrays, dict[str, np.ndarray]]:
    """The model's outputs on generated spliced clips (each type equally often) and its clean enrollment."""
    rng = np.random.default_rng(seed)
    q, embs, degraded, classes = {}, {"z_mos": {}, "z_scl": {}, "z_tilde": {}}, {}, {}
    sums = {k: 0.0 for k in embs}
    for i in range(n):
        x, labels = spliced(3.0, TYPES[1 + i % 3], 1.0, 2.0, rng)
        out = frame_outputs(model, x, embeddings=tuple(embs))
        key = f"val{i:03d}"
        q[key] = out["q"]
        for k in embs:
            embs[k][key] = out[k]
        degraded[key] = labels != 0
        classes[key] = np.array(TYPES)[labels]
        clean = frame_outputs(model, speech_like(3.0, rng), embeddings=tuple(embs))
        for k in embs:
            sums[k] = sums[k] + clean[k].astype(np.float64).mean(0)
    enrollment = {k: (v / n).astype(np.float32) for k, v in sums.items()}
    return SetArrays(q, embs, degraded, classes), enrollment


def tiny_package(root: Path) -> Path:
    """Train, save and pack the tiny model under ``root``; returns the package directory."""
    model = train_tiny_model()
    save_checkpoint(root / "exp" / "checkpoints" / "best.pt", model)
    valid, enrollment = validation_set(model)
    out = root / "tiny.sqe"
    write_package(root / "exp" / "checkpoints" / "best.pt", enrollment, valid, out, PackConf(name="tiny"),
                  results={}, sources={"validation_set": "generated", "enrollment": "generated"})
    return out
