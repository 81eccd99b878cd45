"""The 50 Hz frame convention shared by every model, ark and mask.

Frame ``l`` covers samples ``[320 l, 320 l + 320)`` (centre of a 400-sample wav2vec2 window after a
40-sample left pad), so an utterance of N samples has ``L = ceil(N / 320)`` frames.

    >>> [num_frames(n) for n in (1, 319, 320, 321, 16000, 64000)]
    [1, 1, 1, 2, 50, 200]

The integer arithmetic needs no torch; the tensor helpers import it when called, so that data stages which
only count frames (rVAD, mix-up sets) start without loading torch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

HOP = 320
WINDOW = 400
LEFT_PAD = 40
FRAME_RATE = 50


def num_frames(num_samples: int) -> int:
    return -(-int(num_samples) // HOP)


def frame_lengths(sample_lengths: torch.Tensor) -> torch.Tensor:
    import torch

    return torch.div(sample_lengths + HOP - 1, HOP, rounding_mode="floor")


def lengths_to_mask(lengths: torch.Tensor, max_len: int | None = None) -> torch.Tensor:
    """Bool mask ``(B, T)``: True at valid positions."""
    import torch

    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def pad_for_windows(wav: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-pad 40 zeros and fill each item to ``400 + 320 (L_i - 1)`` samples, so a 400/320 framing yields
    exactly ``L_i = ceil(N_i / 320)`` frames; returns the padded batch and the padded lengths."""
    import torch

    frames = frame_lengths(lengths)
    padded_lengths = WINDOW + HOP * (frames - 1)
    total = int(padded_lengths.max())
    out = wav.new_zeros(wav.shape[0], total)
    valid = lengths_to_mask(lengths, wav.shape[1])
    body = torch.where(valid, wav, torch.zeros_like(wav))
    width = min(wav.shape[1], total - LEFT_PAD)
    out[:, LEFT_PAD:LEFT_PAD + width] = body[:, :width]
    return out, padded_lengths


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """Mean over ``dim`` of the positions where ``mask`` is True (``x`` is ``(B, T, ...)``)."""
    m = mask.to(x.dtype)
    while m.dim() < x.dim():
        m = m.unsqueeze(-1)
    return (x * m).sum(dim) / m.sum(dim).clamp_min(1.0)
