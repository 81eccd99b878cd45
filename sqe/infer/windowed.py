"""Frame outputs of a model for one signal of any length, in windows with bounded memory, on one continuous
50 Hz grid.

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

import contextlib
from dataclasses import dataclass

import numpy as np
import torch

from sqe.models.frames import HOP, num_frames
from sqe.models.lssqa import LSSQAModel, norm_to_mos

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


def _standardized(wav: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit variance over the whole signal (as the model's per-utterance input_norm), in float64
    sums over blocks so a long signal needs no float64 copy."""
    total, sq, n = 0.0, 0.0, wav.numel()
    for block in wav.split(1 << 22):
        b = block.double()
        total += float(b.sum())
    mean = total / n
    for block in wav.split(1 << 22):
        sq += float(((block.double() - mean) ** 2).sum())
    std = max((sq / n) ** 0.5, 1e-8)
    return (wav - mean) / std


def _frame_mean(x: torch.Tensor, block: int = 1 << 14) -> torch.Tensor:
    """Mean over frames of ``x`` (L, D) in float64, summed in blocks: no float64 copy of a long signal's X."""
    total = torch.zeros(x.shape[1], dtype=torch.float64)
    for part in x.split(block):
        total += part.double().sum(0)
    return total / x.shape[0]


@torch.no_grad()
def frame_outputs(model: LSSQAModel, wav: np.ndarray, conf: WindowConf | None = None,
                  device: torch.device | str = "cpu", embeddings: tuple[str, ...] = ("z_mos", "z_scl", "z_tilde"),
                  autocast: bool = False) -> dict[str, np.ndarray]:
    """``{"q": frame MOS (L,), name: (L, D) for each requested embedding the model has}`` with
    ``L = ceil(N / 320)`` for a 16 kHz mono signal of N samples."""
    conf = conf or WindowConf()
    model.eval()
    signal = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32))
    n = signal.numel()
    if n == 0:
        raise ValueError("empty signal")
    if model.conf.input_norm == "standardize":
        signal = _standardized(signal)
    frames = num_frames(n)
    step = max(1, int(round(conf.window_s * 50)))
    ctx = int(round(conf.context_s * 50))
    encoder = model.encoder
    x = None
    # one window is the whole signal: the encoder's own statistics are the whole signal's (and its feature
    # cache, keyed by the samples, can answer)
    level = contextlib.nullcontext() if frames <= step else encoder.whole_signal_level(signal)
    with level, torch.autocast(device_type=torch.device(device).type,
                                                            dtype=torch.bfloat16, enabled=autocast):
        for a in range(0, frames, step):
            b = min(frames, a + step)
            s0, s1 = max(0, a - ctx) * HOP, min(n, (b + ctx) * HOP)
            piece = signal[s0:s1].to(device)[None]
            lengths = torch.tensor([piece.shape[1]], device=device)
            latents, mask = encoder.features(piece, lengths)
            h = encoder.contextualize(latents, mask)[0].float().cpu()
            if x is None:
                x = torch.empty(frames, h.shape[1])
            off = a - s0 // HOP
            x[a:b] = h[off:off + b - a]
        assert x is not None
        if model.conf.output_norm == "mean_l2":  # the model's _normalize, over the whole signal
            x /= _frame_mean(x).norm().float() + 1e-6
        want = ("q", *embeddings)
        # each output is filled in place: no per-window list and no concatenated copy (long files)
        result: dict[str, np.ndarray] = {}
        for a in range(0, frames, step):
            b = min(frames, a + step)
            c0, c1 = max(0, a - DECODER_CONTEXT), min(frames, b + DECODER_CONTEXT)
            xw = x[c0:c1].to(device)[None]
            mask = torch.ones(1, c1 - c0, dtype=torch.bool, device=device)
            q, z_mos = model.heads(xw, mask)
            out = {"q": norm_to_mos(q.float()), "z_mos": z_mos, "x": xw}
            if model.scl is not None:
                out["z_scl"], out["z_tilde"] = model.scl(xw, mask)
            for name in want:
                if name in out:
                    piece = out[name][0, a - c0:b - c0].float().cpu().numpy()
                    if name not in result:
                        result[name] = np.empty((frames, *piece.shape[1:]), dtype=np.float32)
                    result[name][a:b] = piece
    return result
