"""Shared test factories: synthetic audio and data dirs written into tmp_path (no binary fixtures)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
# Tests never download anything; the variables must be set before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def sine(freq: float = 440.0, seconds: float = 1.0, sr: int = 16000, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def noise(seconds: float = 1.0, sr: int = 16000, amp: float = 0.1, seed: int = 0) -> np.ndarray:
    return (amp * np.random.default_rng(seed).standard_normal(int(round(seconds * sr)))).astype(np.float32)


def write_audio(path: Path, x: np.ndarray, sr: int = 16000, subtype: str = "PCM_16") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), x, sr, subtype=subtype)
    return path


def make_data_dir(root: Path, n: int = 4, *, sr: int = 16000, seconds: float = 1.0, with_ref: bool = True,
                  name: str = "data") -> Path:
    """A valid parallel data dir with ``n`` utterances ``utt1..uttN`` (deg = ref + noise)."""
    d = root / name
    d.mkdir(parents=True)
    wav, ref, mos, cls, nsamp = [], [], [], [], []
    for i in range(1, n + 1):
        utt = f"utt{i}"
        clean = sine(200.0 * i, seconds, sr)
        write_audio(root / "wav" / f"{utt}_ref.wav", clean, sr)
        write_audio(root / "wav" / f"{utt}.wav", clean + noise(seconds, sr, seed=i), sr)
        wav.append(f"{utt} {root / 'wav' / f'{utt}.wav'}\n")
        ref.append(f"{utt} {root / 'wav' / f'{utt}_ref.wav'}\n")
        mos.append(f"{utt} {1.0 + 0.5 * i}\n")
        cls.append(f"{utt} {'clean' if i == 1 else 'wbgn'}\n")
        nsamp.append(f"{utt} {int(round(seconds * 16000))}\n")
    (d / "wav.scp").write_text("".join(wav))
    if with_ref:
        (d / "ref.scp").write_text("".join(ref))
    (d / "utt2mos").write_text("".join(mos))
    (d / "utt2cls").write_text("".join(cls))
    (d / "utt2num_samples").write_text("".join(nsamp))
    return d


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return make_data_dir(tmp_path)
