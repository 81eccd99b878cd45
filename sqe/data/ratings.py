"""Ratings between the MOS scale and the model's normalised score domain.

    >>> import torch
    >>> mos_to_norm(torch.tensor([1.0, 3.0, 5.0])).tolist()
    [-1.0, 0.0, 1.0]
    >>> round(float(norm_to_mos(mos_to_norm(torch.tensor(3.7)))), 6)
    3.7
"""
from __future__ import annotations

import torch


def mos_to_norm(y: torch.Tensor) -> torch.Tensor:
    """MOS [1, 5] -> [-1, 1] (the tanh range of the frame scores)."""
    return (y - 1.0) / 2.0 - 1.0


def norm_to_mos(q: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> MOS [1, 5]."""
    return 2.0 * (q + 1.0) + 1.0
