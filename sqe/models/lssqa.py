"""The LSSQA model (paper Figure 1): encoder -> X -> MOS head (q, z_MOS) and, for CON models, SCL head
(z_scl, z~). Scores live in the normalised domain [-1, 1]: ``mos_to_norm`` / ``norm_to_mos`` convert.

    >>> round(float(norm_to_mos(mos_to_norm(torch.tensor(3.7)))), 6)
    3.7
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from sqe.data.ratings import mos_to_norm, norm_to_mos  # noqa: F401  (part of this module's API)
from sqe.models import frames as F
from sqe.models.decoders import MOSHead, SCLHead
from sqe.models.encoders import build_encoder


def standardize_batch(wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Zero mean and unit variance over each item's valid samples; padding stays zero."""
    valid = F.lengths_to_mask(lengths, wav.shape[1]).to(wav.dtype)
    n = valid.sum(1, keepdim=True)
    mean = (wav * valid).sum(1, keepdim=True) / n
    var = (((wav - mean) * valid) ** 2).sum(1, keepdim=True) / n
    return (wav - mean) / torch.sqrt(var).clamp_min(1e-8) * valid


@dataclass
class SCLConf:
    d_p: int = 128  # projection size D_P
    negative_slope: float = 0.1  # LeakyReLU slope (authors' code; the paper does not say)
    final_norm_act: bool = False  # BN + activation after the last conv (code: none)
    projection: Literal["normalize_output", "unit_row_weights"] = "normalize_output"  # paper / code variant


@dataclass
class ModelConf:
    encoder: Literal["wav2vec2", "logmel_cnn", "distillmos_cnn"] = "wav2vec2"
    # wav2vec2: name_or_path (hub name or local dir) or config (dict, random init), freeze_feature_encoder,
    # layerdrop (null: the checkpoint's), activation_checkpointing. logmel_cnn: n_mels, channels, layers, kernel.
    # distillmos_cnn: weights (null: the distillmos wheel's file), precision (bf16/fp32), proj_dim, channels, layers,
    # kernel, dropout; it peak-normalises each utterance itself (use input_norm: none).
    encoder_conf: dict[str, Any] = field(default_factory=lambda: {"name_or_path": "facebook/wav2vec2-large-robust"})
    input_norm: Literal["standardize", "none"] = "standardize"  # zero mean, unit variance per utterance (code)
    output_norm: Literal["mean_l2", "none"] = "mean_l2"  # X <- X / ||mean_l X|| per utterance (code)
    hidden: list[int] = field(default_factory=lambda: [256, 256])  # decoder hidden channels
    kernels: list[int] = field(default_factory=lambda: [11, 7, 5])  # receptive field 21 frames
    d_z: int = 64  # bottleneck D_Z (paper; code: 128)
    negative_slope: float = 0.01  # MOS decoder LeakyReLU slope
    scl: SCLConf | None = None  # the SCL branch (CON1/CON2); null for Baseline/SUP

    def __post_init__(self) -> None:
        if len(self.kernels) != len(self.hidden) + 1:
            raise ValueError("kernels needs one entry more than hidden (the last layer outputs d_z)")


@dataclass
class Output:
    q: torch.Tensor  # (B, L) frame scores, normalised domain
    y_hat: torch.Tensor  # (B,) mean of q over valid frames
    x: torch.Tensor  # (B, L, D) encoder embeddings (after output_norm)
    z_mos: torch.Tensor  # (B, L, D_Z)
    mask: torch.Tensor  # (B, L) valid frames
    z_scl: torch.Tensor | None = None  # (B, L, D_Z), unit norm
    z_tilde: torch.Tensor | None = None  # (B, L, D_P), unit norm
    latents: torch.Tensor | None = None  # (B, L, C) encoder latents (for slice consistency)

    def embeddings(self) -> dict[str, torch.Tensor]:
        out = {"x": self.x, "z_mos": self.z_mos}
        if self.z_scl is not None:
            out.update(z_scl=self.z_scl, z_tilde=self.z_tilde)
        return out


class LSSQAModel(nn.Module):
    def __init__(self, conf: ModelConf, encoder_architecture: dict[str, Any] | None = None):
        """``encoder_architecture`` (a checkpoint's): build the encoder without pretrained weights, which the
        checkpoint's state dict then provides."""
        super().__init__()
        self.conf = conf
        self.encoder = build_encoder(conf.encoder, dict(conf.encoder_conf), encoder_architecture)
        channels = [*conf.hidden, conf.d_z]
        self.mos = MOSHead(self.encoder.dim, channels, conf.kernels, conf.negative_slope)
        self.scl = None
        if conf.scl is not None:
            s = conf.scl
            self.scl = SCLHead(self.encoder.dim, channels, conf.kernels, s.d_p, s.negative_slope, s.final_norm_act,
                               s.projection)

    @property
    def embedding_names(self) -> tuple[str, ...]:
        """The frame embeddings the decoders give: z_MOS, and z_scl and z~ with the SCL decoder."""
        return ("z_mos", *(("z_scl", "z_tilde") if self.scl is not None else ()))

    @property
    def decoder_context(self) -> int:
        """Frames each side that a decoder output depends on (half the decoders' receptive field)."""
        return sum(k // 2 for k in self.conf.kernels)

    def _input(self, wav: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return standardize_batch(wav, lengths) if self.conf.input_norm == "standardize" else wav

    def _splice_latents(self, latents: torch.Tensor, ref: torch.Tensor, lengths: torch.Tensor,
                        frame_mask: torch.Tensor) -> torch.Tensor:
        rows = torch.nonzero(frame_mask.any(1)).flatten()
        if rows.numel() == 0:
            return latents
        ref_latents, _ = self.encoder.features(self._input(ref[rows], lengths[rows]), lengths[rows])
        out = latents.clone()
        width = ref_latents.shape[1]
        keep = frame_mask[rows, :width].unsqueeze(-1)
        out[rows, :width] = torch.where(keep, latents[rows, :width], ref_latents)
        return out

    def _normalize(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.conf.output_norm == "none":
            return x
        scale = F.masked_mean(x, mask).norm(dim=-1).detach() + 1e-6  # keeps losses low at initialisation
        return x / scale[:, None, None]

    def heads(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        q, z = self.mos(x, mask)
        return q, z

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor, keep_latents: bool = False,
                mix_ref: torch.Tensor | None = None, mix_mask: torch.Tensor | None = None) -> Output:
        """``wav`` (B, N) at 16 kHz with ``lengths`` (B,) samples. Latent-domain partial mix-up: where
        ``mix_mask`` (B, L) is False, frame latents come from the parallel reference ``mix_ref`` (B, N) instead."""
        if int(lengths.min()) < 1:
            raise ValueError("an utterance in the batch has no samples")
        latents, mask = self.encoder.features(self._input(wav, lengths), lengths)
        if mix_mask is not None and mix_ref is not None:
            latents = self._splice_latents(latents, mix_ref, lengths, mix_mask)
        x = self._normalize(self.encoder.contextualize(latents, mask), mask)
        q, z_mos = self.heads(x, mask)
        out = Output(q=q, y_hat=F.masked_mean(q, mask), x=x, z_mos=z_mos, mask=mask,
                     latents=latents if keep_latents else None)
        if self.scl is not None:
            out.z_scl, out.z_tilde = self.scl(x, mask)
        return out

    def forward_slices(self, latents: torch.Tensor, starts: torch.Tensor, sizes: torch.Tensor
                       ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Re-encode latent slices ``[start, start + size)`` without their context (eq. 2); returns the slices'
        x ``(B, S, D)``, q ``(B, S)`` and mask ``(B, S)``, position 0 = frame ``start``."""
        width = int(sizes.max())
        idx = starts[:, None] + torch.arange(width, device=latents.device)[None, :]
        mask = F.lengths_to_mask(sizes, width)
        idx = torch.where(mask, idx, torch.zeros_like(idx))
        sliced = torch.gather(latents, 1, idx.unsqueeze(-1).expand(-1, -1, latents.shape[-1]))
        sliced = sliced * mask.unsqueeze(-1).to(sliced.dtype)
        x = self._normalize(self.encoder.contextualize(sliced, mask), mask)
        q, _ = self.heads(x, mask)
        return x, q, mask
