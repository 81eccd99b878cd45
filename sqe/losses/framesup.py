"""Frame-level pseudo-target loss (eq. 5): L1 between frame scores and pseudo-targets of mixed examples.

    >>> import torch
    >>> q = torch.tensor([[0.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    >>> t = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> mask = torch.tensor([[True, True, True], [True, True, False]])
    >>> sup = torch.tensor([True, True])
    >>> round(float(frame_l1(q, t, mask, sup)), 4)        # utt_mean: (1/3 + 1/2) / 2
    0.4167
    >>> round(float(frame_l1(q, t, mask, sup, "frame_mean")), 4)   # 2 / 5 frames
    0.4
"""
from __future__ import annotations

import torch


def frame_l1(q: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, supervised: torch.Tensor,
             reduction: str = "utt_mean") -> torch.Tensor:
    """Mean |q - target| over the valid frames of ``supervised`` utterances (zero if there are none)."""
    m = (mask & supervised[:, None]).to(q.dtype)
    err = (q - target).abs() * m
    if reduction == "frame_mean":
        return err.sum() / m.sum().clamp_min(1.0)
    if reduction != "utt_mean":
        raise ValueError(f"unknown reduction '{reduction}' (utt_mean or frame_mean)")
    per_utt = err.sum(1) / m.sum(1).clamp_min(1.0)
    return per_utt.sum() / supervised.to(q.dtype).sum().clamp_min(1.0)
