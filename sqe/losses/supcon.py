"""Frame-level supervised contrastive loss (eqs. 6-9), vectorised and computed in blocks of anchor rows so
that 12,800 frames need well under 2 GB (each block optionally recomputed in the backward pass).

For anchor a with similarities ``s_ak = z~_a . z~_k / tau``:
``l_a = logsumexp_{k in A(a)} s_ak - mean_{k in P(a)} s_ak``, where A(a) are the contrast frames that are not
"near" a (same utterance and ``|l_a - l_k| < lam``; ``<=`` with ``window='inclusive'``) and P(a) those of A(a)
with a's class. Anchors: labelled frames not in ``exclude_anchor_classes`` with at least one positive (CON2
excludes clean, eq. 9: excluded frames stay in the denominators). Unlabelled frames (label -100) are never
anchors or positives; they enter denominators only with ``unlabelled_in_denominator``. The sum of l_a is
divided by the number of valid frames (``frames``, eq. 6's B*L), of labelled anchors, or of anchors with
positives. Similarities are computed in float32 (fp16 would overflow e^10 sums). ``anchor_stride`` k keeps every
k-th anchor (CPU recipes); with ``normalize: frames`` the sum is then divided by frames / k.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import torch
from torch.utils.checkpoint import checkpoint

from sqe.data.labels import IGNORE  # noqa: F401  (the loss's ignore label, re-exported)


@dataclass
class SupConConf:
    tau: float = 0.1  # temperature
    lam: int = 10  # self-contrast window in frames (half the decoder's receptive field)
    window: Literal["strict", "inclusive"] = "strict"  # |dl| < lam (paper) or <= lam (code)
    normalize: Literal["frames", "labelled_anchors", "anchors_with_positives"] = "frames"
    exclude_anchor_classes: list[int] = field(default_factory=list)  # class ids never used as anchors (CON2: [0])
    unlabelled_in_denominator: bool = False
    block_rows: int = 2048
    checkpoint_blocks: bool = True
    anchor_stride: int = 1  # speed knob: every k-th eligible frame is an anchor (all frames stay contrasts)

    def __post_init__(self) -> None:
        if self.anchor_stride < 1:
            raise ValueError("anchor_stride must be >= 1")


@dataclass
class SupConStats:
    anchors: int
    anchors_with_positives: int


def _flatten(z: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor):
    b, length = mask.shape
    utt = torch.arange(b, device=z.device)[:, None].expand(b, length)
    pos = torch.arange(length, device=z.device)[None, :].expand(b, length)
    return z[mask].float(), labels[mask], utt[mask], pos[mask]


def supcon_loss(z: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor, conf: SupConConf | None = None
                ) -> tuple[torch.Tensor, SupConStats]:
    """``z`` (B, L, D) unit-norm projections, ``labels`` (B, L) class ids (IGNORE: unlabelled), ``mask`` (B, L)."""
    conf = conf or SupConConf()
    with torch.autocast(device_type=z.device.type, enabled=False):
        zf, c, utt, pos = _flatten(z, labels, mask)
        labelled = c != IGNORE
        may_contrast = labelled | torch.tensor(conf.unlabelled_in_denominator, device=z.device)
        may_anchor = labelled.clone()
        for cls in conf.exclude_anchor_classes:
            may_anchor &= c != cls
        anchors = torch.nonzero(may_anchor).squeeze(1)[:: conf.anchor_stride]

        def block(zf_: torch.Tensor, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            s = zf_[rows] @ zf_.T / conf.tau
            dist = (pos[rows, None] - pos[None, :]).abs()
            near = (utt[rows, None] == utt[None, :]) & ((dist <= conf.lam) if conf.window == "inclusive"
                                                         else (dist < conf.lam))
            den = may_contrast[None, :] & ~near
            posm = den & labelled[None, :] & (c[rows, None] == c[None, :])
            lse = torch.logsumexp(s.masked_fill(~den, float("-inf")), dim=1)
            npos = posm.sum(1)
            keep = npos > 0
            mean_pos = s.masked_fill(~posm, 0.0).sum(1) / npos.clamp_min(1)
            per_anchor = torch.where(keep, lse - mean_pos, torch.zeros_like(lse))
            return per_anchor.sum(), keep.sum()

        total = zf.new_zeros(())
        with_pos = torch.zeros((), dtype=torch.long, device=z.device)
        for start in range(0, anchors.numel(), conf.block_rows):
            rows = anchors[start:start + conf.block_rows]
            if conf.checkpoint_blocks and zf.requires_grad:
                part, n = checkpoint(block, zf, rows, use_reentrant=False)
            else:
                part, n = block(zf, rows)
            total = total + part
            with_pos = with_pos + n
        if conf.normalize == "frames":  # with a stride: an unbiased estimate of the mean over all frames
            denom = float(zf.shape[0]) / conf.anchor_stride
        elif conf.normalize == "labelled_anchors":
            denom = float(anchors.numel())
        else:
            denom = float(with_pos)
        loss = total / max(denom, 1.0)
    return loss, SupConStats(int(anchors.numel()), int(with_pos))
