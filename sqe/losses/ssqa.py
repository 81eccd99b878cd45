"""Utterance-level SSQA loss (eq. 1): clipped L1 regression plus the MOS contrastive loss.

    >>> import torch
    >>> y, y_hat = torch.tensor([0.0, 0.5]), torch.tensor([0.3, 0.55])
    >>> round(float(clipped_l1(y_hat, y, delta=0.1)), 4)   # mean(max(|e| - 0.1, 0)) = (0.2 + 0) / 2
    0.1
    >>> round(float(clipped_l1(y_hat, y, delta=0.1, form="code")), 4)   # mean |e| over |e| > 0.1 only
    0.3
"""
from __future__ import annotations

import torch


def clipped_l1(y_hat: torch.Tensor, y: torch.Tensor, delta: float = 0.1, form: str = "paper") -> torch.Tensor:
    """Paper: ``mean_b max(|y_b - y_hat_b| - delta, 0)``. Code variant: mean of ``|e_b|`` over the examples
    with ``|e_b| > delta`` (hard threshold)."""
    err = y_hat - y
    if form == "paper":
        return torch.relu(err.abs() - delta).mean()
    if form == "code":
        m = (err.abs() > delta).to(err.dtype)
        return (err.abs() * m).sum() / (m.sum() + 1e-6)
    raise ValueError(f"unknown clipped_l1 form '{form}' (paper or code)")


def mos_contrastive(y_hat: torch.Tensor, y: torch.Tensor, margin: float = 0.1) -> torch.Tensor:
    """UTMOS-style pairwise loss: ``sum_{i<=j} relu(|(y_i - y_j) - (y_hat_i - y_hat_j)| - margin)`` divided by
    the B(B+1)/2 pairs of the upper triangle including the diagonal (authors' code)."""
    b = y.shape[0]
    diff = (y[:, None] - y[None, :]) - (y_hat[:, None] - y_hat[None, :])
    upper = torch.triu(torch.ones(b, b, dtype=torch.bool, device=y.device))
    return torch.relu(diff.abs() - margin)[upper].sum() / (b * (b + 1) / 2)
