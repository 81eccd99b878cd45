"""Slice consistency (eq. 2): embeddings and scores of a slice encoded without its context should match
those of the full utterance.

``L = w_emb * mean_b mean_{l in slice} red_d (x_l - x^slice_l)^2 + w_q * mean_b mean_{l in slice} |q_l - q^slice_l|``
with ``red_d`` the mean over dimensions (default, authors' code with w_emb = 10) or the sum (paper-literal).
"""
from __future__ import annotations

import torch


PLACEMENTS = ("own", "batch_longest")
SHORT = ("drop", "cap")


def draw_slices(frame_lengths: torch.Tensor, min_frames: int, max_frames: int, generator: torch.Generator,
                placement: str = "own", short: str = "drop") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One slice per utterance; returns (starts, sizes, usable).

    Size ~ U{min_frames, ..., max_frames}, capped at L_b - 1. ``placement``: ``own`` draws each slice's stop
    uniformly in [size, L_b) and starts the slice there minus its own size; ``batch_longest`` (the authors'
    code) draws the stop in [M, L_b) for the batch's longest slice M and starts every slice at max(stop - M, 0),
    so every slice starts before L_b - M: slices shorter than M lie nearer the utterance start and never reach
    its end. ``short``: ``drop`` leaves utterances shorter than
    min_frames + 1 unused (the paper's U{min, max} cannot be drawn there); ``cap`` (the code) keeps every
    utterance of at least 2 frames with its slice capped at L_b - 1."""
    if placement not in PLACEMENTS or short not in SHORT:
        raise ValueError(f"placement must be one of {PLACEMENTS}, short one of {SHORT}")
    lengths = frame_lengths.cpu()
    u1 = torch.rand(lengths.shape[0], generator=generator)
    u2 = torch.rand(lengths.shape[0], generator=generator)
    usable = lengths >= (min_frames + 1 if short == "drop" else 2)
    size = (min_frames + (u1 * (max_frames - min_frames + 1)).floor().long()).minimum((lengths - 1).clamp_min(1))
    size = torch.where(usable, size, torch.ones_like(size))
    if placement == "own":
        stop = size + (u2 * (lengths - size).clamp_min(1)).floor().long()
        starts = stop - size
    else:
        longest = size[usable].max() if bool(usable.any()) else torch.tensor(1)
        stop = longest + (u2 * (lengths - longest).clamp_min(1)).floor().long()
        starts = (stop - longest).clamp_min(0)
    starts = torch.where(usable, starts, torch.zeros_like(starts))
    device = frame_lengths.device
    return starts.to(device), size.to(device), usable.to(device)


def slice_consistency(x: torch.Tensor, q: torch.Tensor, x_slice: torch.Tensor, q_slice: torch.Tensor,
                      starts: torch.Tensor, slice_mask: torch.Tensor, usable: torch.Tensor,
                      emb_weight: float = 10.0, score_weight: float = 1.0, emb_reduction: str = "mean"
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (embedding term, score term), each already weighted; zero when no utterance is usable."""
    width = x_slice.shape[1]
    idx = starts[:, None] + torch.arange(width, device=x.device)[None, :]
    idx = torch.where(slice_mask, idx, torch.zeros_like(idx))
    x_full = torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
    q_full = torch.gather(q, 1, idx)
    sq = (x_full - x_slice).pow(2)
    emb = sq.mean(-1) if emb_reduction == "mean" else sq.sum(-1)
    m = (slice_mask & usable[:, None]).to(x.dtype)
    per_utt = m.sum(1).clamp_min(1.0)
    n_utts = usable.to(x.dtype).sum().clamp_min(1.0)
    emb_term = ((emb * m).sum(1) / per_utt).sum() / n_utts
    score_term = (((q_full - q_slice).abs() * m).sum(1) / per_utt).sum() / n_utts
    return emb_weight * emb_term, score_weight * score_term
