"""The 50 Hz frame convention shared by every model, ark and mask: the grid of sqe/audio/grid.py (HOP,
WINDOW, LEFT_PAD, FRAME_RATE, num_frames, defined there so that speech flags below the models use it too) and
its tensor helpers, which import torch when called, so that data stages which only count frames (rVAD, mix-up
sets) start without loading torch.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqe.audio.grid import FRAME_RATE, HOP, LEFT_PAD, WINDOW, num_frames

if TYPE_CHECKING:
    import torch

__all__ = ["FRAME_RATE", "HOP", "LEFT_PAD", "WINDOW", "num_frames", "frame_lengths", "lengths_to_mask",
           "pad_for_windows", "masked_mean"]


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
