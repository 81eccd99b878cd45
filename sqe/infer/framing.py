"""Frame outputs of one signal of any length, in windows with bounded memory, on one continuous 50 Hz grid,
for any backend (torch: sqe.infer.windowed; ONNX Runtime: sqe.infer.onnx_backend). numpy only.

Every per-utterance statistic of the model is taken from the whole signal, not from a window: the input
standardisation, the peak of encoders that normalise it (DistillMOS), and the mean-L2 output normalisation of X.
Windows start on multiples of 320 samples, so a window's frame ``i`` is frame ``start + i`` of the signal; each
window is encoded with ``context_s`` of extra audio on both sides, which is dropped afterwards, and the decoders
run over X in windows with enough extra frames to cover their receptive field. For the convolutional encoders
(log-mel, DistillMOS), whose receptive field is far below the context, the windowed result equals the
unwindowed one to float rounding (tested: max abs difference < 1e-4). wav2vec2's transformer attends to the
whole window, so there the result depends on the window (use long windows).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np

from sqe.audio.grid import HOP, num_frames

DECODER_CONTEXT = 32  # frames; the decoders see 21 frames (kernels 11, 7, 5)


@dataclass
class WindowConf:
    window_s: float = 60.0  # audio per encoder window (the longer, the more memory)
    context_s: float = 3.0  # extra audio each side of a window, encoded and then dropped

    def __post_init__(self) -> None:
        if self.window_s < 1.0:
            raise ValueError("window_s must be at least 1 s")
        if self.context_s < 0.0:
            raise ValueError("context_s must not be negative")


class FrameBackend(Protocol):
    input_norm: str  # "standardize": zero mean, unit variance per signal before the encoder; "none"
    output_norm: str  # "mean_l2": X / ||mean_l X|| per signal between encoder and decoders; "none"
    level: str  # "peak": the encoder divides the signal by its peak (DistillMOS); "none"
    embeddings: tuple[str, ...]  # the embeddings decode can give
    context_frames: int | None  # frames each side a frame of X depends on (None: the whole input)
    decoder_context: int  # frames each side a decoder output depends on (half the decoders' receptive field)

    def encode(self, piece: np.ndarray, peak: float | None) -> np.ndarray:
        """X before output normalisation, ``(ceil(len / 320), D)`` float32; ``peak``: the level statistic of the
        whole signal (None: the piece is the whole signal, the encoder takes its own)."""

    def decode(self, x: np.ndarray, names: Sequence[str]) -> dict[str, np.ndarray]:
        """``{"q": frame MOS (w,), name: (w, ·)}`` of normalised X ``(w, D)``."""

    def incremental(self) -> Any:
        """A stream encoder that encodes each frame once (sqe.infer.incremental, sqe.infer.onnx_stream), or None:
        a stream re-encodes each step's receptive field with ``encode``."""


def mean_std(wav: np.ndarray, block: int = 1 << 22) -> tuple[float, float]:
    """Mean and standard deviation of a signal in float64 sums over blocks (no float64 copy of a long signal)."""
    n = wav.size
    mean = sum(float(wav[i:i + block].sum(dtype=np.float64)) for i in range(0, n, block)) / n
    sq = sum(float(((wav[i:i + block].astype(np.float64) - mean) ** 2).sum()) for i in range(0, n, block))
    return mean, max((sq / n) ** 0.5, 1e-8)


def standardized(wav: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance over the whole signal (as the model's per-utterance input_norm)."""
    mean, std = mean_std(wav)
    return (wav - np.float32(mean)) / np.float32(std)


def peak_of(wav: np.ndarray) -> float:
    return max(float(wav.max()), -float(wav.min()))  # no |wav| copy of a long signal


def frame_mean(x: np.ndarray, block: int = 1 << 14) -> np.ndarray:
    """Mean over frames of ``x`` (L, D) in float64, summed in blocks."""
    total = np.zeros(x.shape[1], dtype=np.float64)
    for i in range(0, x.shape[0], block):
        total += x[i:i + block].sum(0, dtype=np.float64)
    return total / x.shape[0]


def output_scale(x_mean: np.ndarray) -> np.float32:
    """The divisor of mean-L2 output normalisation for the frame mean of X."""
    return np.float32(np.float32(np.linalg.norm(x_mean)) + np.float32(1e-6))


def frame_outputs_of(backend: FrameBackend, wav: np.ndarray, conf: WindowConf | None = None,
                     embeddings: Sequence[str] = ("z_mos", "z_scl", "z_tilde")) -> dict[str, np.ndarray]:
    """``{"q": frame MOS (L,), name: (L, D) for each requested embedding the backend has}`` (``"x"``: the
    decoders' input) with ``L = ceil(N / 320)`` for a 16 kHz mono signal of N samples."""
    conf = conf or WindowConf()
    signal = np.ascontiguousarray(wav, dtype=np.float32)
    n = signal.size
    if n == 0:
        raise ValueError("empty signal")
    if backend.input_norm == "standardize":
        signal = standardized(signal)
    frames = num_frames(n)
    step = max(1, int(round(conf.window_s * 50)))
    ctx = int(round(conf.context_s * 50))
    # one window is the whole signal: the encoder takes its own statistics (and a feature cache can answer)
    peak = peak_of(signal) if frames > step and backend.level == "peak" else None
    x = None
    for a in range(0, frames, step):
        b = min(frames, a + step)
        s0, s1 = max(0, a - ctx) * HOP, min(n, (b + ctx) * HOP)
        h = backend.encode(signal[s0:s1], peak)
        if x is None:
            x = np.empty((frames, h.shape[1]), dtype=np.float32)
        off = a - s0 // HOP
        x[a:b] = h[off:off + b - a]
    assert x is not None
    if backend.output_norm == "mean_l2":
        x /= output_scale(frame_mean(x))
    want = ["q", *(e for e in embeddings if e in backend.embeddings)]
    result: dict[str, np.ndarray] = {}  # filled in place: no per-window list, no concatenated copy
    for a in range(0, frames, step):
        b = min(frames, a + step)
        c0, c1 = max(0, a - DECODER_CONTEXT), min(frames, b + DECODER_CONTEXT)
        out = backend.decode(x[c0:c1], want)
        for name in want:
            piece = out[name][a - c0:b - c0]
            if name not in result:
                result[name] = np.empty((frames, *piece.shape[1:]), dtype=np.float32)
            result[name][a:b] = piece
    if "x" in embeddings:  # the decoders' input (after output normalisation) is an embedding of its own
        result["x"] = x
    return result
