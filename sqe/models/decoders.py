"""The two CNN decoders of the paper (§6.1.2, Figure 1), with padding honoured everywhere.

MOS decoder: three [BN -> LeakyReLU -> Conv1d] blocks (channels 256, 256, D_Z; kernels 11, 7, 5) and a
final BN -> LeakyReLU giving z_MOS; then Linear(D_Z -> 1, no bias) -> tanh gives the frame scores q in
[-1, 1] (the normalised MOS domain). SCL decoder: the same blocks (slope 0.1, no trailing BN/activation by
default), output L2-normalised to z_scl; projection Linear(D_Z -> D_P, no bias), re-normalised to z~.
Batch-norm statistics use only valid frames, and every layer's output is zeroed at padding.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as Fn


class MaskedBatchNorm1d(nn.Module):
    """Batch norm over the valid ``(b, l)`` positions of ``(B, C, L)`` inputs; running stats as torch does."""

    def __init__(self, channels: int, momentum: float = 0.05, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.momentum, self.eps = momentum, eps

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.unsqueeze(1).to(x.dtype)  # (B, 1, L)
        if self.training:
            n = m.sum().clamp_min(1.0)
            mean = (x * m).sum(dim=(0, 2)) / n
            var = (((x - mean[None, :, None]) * m) ** 2).sum(dim=(0, 2)) / n
            with torch.no_grad():
                unbiased = var * n / (n - 1).clamp_min(1.0)
                self.running_mean.lerp_(mean.detach().to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_(unbiased.detach().to(self.running_var.dtype), self.momentum)
        else:
            mean, var = self.running_mean.to(x.dtype), self.running_var.to(x.dtype)
        y = (x - mean[None, :, None]) / torch.sqrt(var[None, :, None] + self.eps)
        return (y * self.weight[None, :, None] + self.bias[None, :, None]) * m


class CNNDecoder(nn.Module):
    """Pre-activation 1-D CNN: ``[BN -> LeakyReLU -> Conv]`` per layer, optionally a final BN -> LeakyReLU."""

    def __init__(self, dim_in: int, channels: Sequence[int] = (256, 256, 64), kernels: Sequence[int] = (11, 7, 5),
                 negative_slope: float = 0.01, final_norm_act: bool = True):
        super().__init__()
        if len(channels) != len(kernels):
            raise ValueError("channels and kernels need the same length")
        dims = [dim_in, *channels]
        self.norms = nn.ModuleList(MaskedBatchNorm1d(d) for d in dims[:-1])
        self.convs = nn.ModuleList(nn.Conv1d(a, b, k, padding=k // 2) for a, b, k in zip(dims, dims[1:], kernels))
        self.final_norm = MaskedBatchNorm1d(dims[-1]) if final_norm_act else None
        self.slope = negative_slope
        for conv in self.convs:
            nn.init.kaiming_uniform_(conv.weight, a=negative_slope, nonlinearity="leaky_relu")
            nn.init.zeros_(conv.bias)
        self.dim = dims[-1]

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``(B, L, D_in)`` -> ``(B, L, D_out)``."""
        m = mask.unsqueeze(1).to(x.dtype)
        h = x.transpose(1, 2) * m
        for norm, conv in zip(self.norms, self.convs):
            h = conv(Fn.leaky_relu(norm(h, mask), self.slope)) * m
        if self.final_norm is not None:
            h = Fn.leaky_relu(self.final_norm(h, mask), self.slope) * m
        return h.transpose(1, 2)


class MOSHead(nn.Module):
    """Dec~MOS + Proj_MOS: z_MOS and frame scores q (tanh, normalised MOS domain)."""

    def __init__(self, dim_in: int, channels: Sequence[int], kernels: Sequence[int], negative_slope: float = 0.01):
        super().__init__()
        self.decoder = CNNDecoder(dim_in, channels, kernels, negative_slope, final_norm_act=True)
        self.out = nn.Linear(self.decoder.dim, 1, bias=False)
        nn.init.xavier_uniform_(self.out.weight)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.decoder(x, mask)
        q = torch.tanh(self.out(z).squeeze(-1)) * mask.to(z.dtype)
        return q, z


class SCLHead(nn.Module):
    """Dec~scl + Proj_scl: z_scl and z~, both on the unit sphere (code variant: unit-norm weight rows)."""

    def __init__(self, dim_in: int, channels: Sequence[int], kernels: Sequence[int], d_p: int = 128,
                 negative_slope: float = 0.1, final_norm_act: bool = False, projection: str = "normalize_output"):
        super().__init__()
        self.decoder = CNNDecoder(dim_in, channels, kernels, negative_slope, final_norm_act)
        self.proj = nn.Linear(self.decoder.dim, d_p, bias=False)
        self.projection = projection

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z_scl = Fn.normalize(self.decoder(x, mask), dim=-1, eps=1e-6)
        if self.projection == "unit_row_weights":
            z_tilde = Fn.linear(z_scl, Fn.normalize(self.proj.weight, dim=1))
        else:
            z_tilde = Fn.normalize(self.proj(z_scl), dim=-1, eps=1e-6)
        valid = mask.unsqueeze(-1).to(z_scl.dtype)
        return z_scl * valid, z_tilde * valid
