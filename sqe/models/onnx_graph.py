"""The model as one ONNX-exportable module: the encoder and the decoders as two independent parts of one graph.

Offline analysis takes the output normalisation of X (``X / ||mean_l X||``) over the whole file, between the
encoder and the decoders, so one pass through "encoder + decoders" cannot serve it. The exported graph therefore
has two disconnected parts, each run on its own:

- ``padded`` (1, M) -> ``x`` (1, L, D): the encoder on a signal the caller has level-normalised and padded
  (``pad_layout``: ``left`` zeros before the samples, ``window + 320 (L - 1)`` samples in all), before the
  output normalisation;
- ``x_in`` (1, L, D), already normalised -> ``q`` (1, L) frame MOS, ``z_mos`` and, for CON models, ``z_scl``
  and ``z_tilde``.

Every operation is plain ONNX (no complex numbers, no ``unfold``): spectra are convolutions with a windowed
DFT basis, which equal ``torch.stft`` / ``torch.fft.rfft`` to float rounding. A DistillMOS front end that the
torch model runs in bf16 autocast is emulated: inputs, weights and outputs of each convolution are rounded to
bf16 (a Cast pair), the accumulation is fp32, as oneDNN's bf16 convolution does.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as Fn

from sqe.data.ratings import norm_to_mos
from sqe.models import frames as F
from sqe.models.encoders import DistillMOSEncoder, LogMelEncoder, Wav2Vec2Encoder
from sqe.models.lssqa import LSSQAModel
from sqe.utils.errors import SqeError


def pad_layout(model: LSSQAModel) -> tuple[int, int]:
    """(zeros before the signal, samples of the first frame's window): the padded signal of L frames has
    ``window + 320 (L - 1)`` samples."""
    if isinstance(model.encoder, DistillMOSEncoder):
        from sqe.models.distillmos import PREFIX

        return PREFIX, 2 * F.HOP  # 320 (L + 1) samples: L + 1 CNN frames, the first one dropped
    return F.LEFT_PAD, F.WINDOW


def dft_basis(n_fft: int, length: int, window: torch.Tensor, bins: int) -> torch.Tensor:
    """``(2 * bins, 1, length)`` convolution kernels: real parts of bins 0..bins-1, then imaginary parts, of the
    ``n_fft``-point DFT of a ``window``-weighted frame of ``length`` samples (zero-padded to ``n_fft``)."""
    n = torch.arange(length, dtype=torch.float64)
    k = torch.arange(bins, dtype=torch.float64)
    angle = 2 * math.pi * k[:, None] * n[None, :] / n_fft
    w = window.double()[None, :]
    return torch.cat([torch.cos(angle) * w, -torch.sin(angle) * w]).float().unsqueeze(1)


def _bf16(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.bfloat16).float()


class _LogMelPart(nn.Module):
    def __init__(self, encoder: LogMelEncoder):
        super().__init__()
        self.encoder = encoder
        self.register_buffer("basis", dft_basis(512, F.WINDOW, encoder.window, 257), persistent=False)

    def forward(self, padded: torch.Tensor) -> torch.Tensor:
        spec = Fn.conv1d(padded[:, None], self.basis, stride=F.HOP)  # (1, 514, L)
        power = (spec[:, :257] ** 2 + spec[:, 257:] ** 2).transpose(1, 2)
        return self.encoder.norm(torch.log(power @ self.encoder.mel + 1e-6))


class DistillMOSPart(nn.Module):
    """The DistillMOS front end of a whole padded signal; its spectrum and layers also serve the stream graph
    (sqe.models.onnx_parts.StreamGraph)."""

    def __init__(self, encoder: DistillMOSEncoder):
        super().__init__()
        from sqe.models.distillmos import COMPRESS, HOP, WIN

        self.encoder, self.hop, self.compress = encoder, HOP, COMPRESS
        self.bf16 = encoder.frontend.precision == "bf16"
        self.register_buffer("basis", dft_basis(WIN, WIN, torch.hann_window(WIN), WIN // 2 + 1), persistent=False)

    def spectrum(self, x: torch.Tensor) -> torch.Tensor:
        """``(1, 1, 160 (n + 1))`` samples (no padding added) -> ``(1, 2, 161, n)`` compressed spectrum columns."""
        half = self.basis.shape[0] // 2
        spec = Fn.conv1d(x, self.basis, stride=self.hop)  # (1, 2 * 161, n)
        re, im = spec[:, :half], spec[:, half:]
        gain = (re ** 2 + im ** 2).sqrt().clamp_min(1e-12).pow(self.compress - 1.0)
        return torch.stack([re * gain, im * gain], dim=1)

    def layer(self, conv: nn.Conv2d, h: torch.Tensor, padding, bf16_input: bool,
              time_major: bool = False) -> torch.Tensor:
        """``leaky_relu(conv(h))`` with ``padding``, bf16 emulated by rounding for a bf16 front end;
        ``bf16_input``: ``h`` is a previous layer's (rounded) output, not rounded again (a Cast pair less);
        ``time_major``: ``h`` is (B, C, time, frequency), the kernel transposed to match."""
        w, b, stride = conv.weight, conv.bias, conv.stride
        if time_major:
            w, stride, padding = w.transpose(2, 3), stride[::-1], padding[::-1]
        if self.bf16:
            h = h if bf16_input else _bf16(h)
            h = _bf16(Fn.conv2d(h, _bf16(w), _bf16(b), stride, padding))
            return _bf16(Fn.leaky_relu(h, 0.1))
        return Fn.leaky_relu(Fn.conv2d(h, w, b, stride, padding), 0.1)

    def forward(self, padded: torch.Tensor) -> torch.Tensor:
        x = Fn.pad(padded[:, None], ((self.basis.shape[-1] - self.hop) // 2,) * 2, mode="reflect")
        h = self.spectrum(x)  # (1, 2, 161, T)
        for i, conv in enumerate(self.encoder.frontend.cnn.convs):
            h = self.layer(conv, h, conv.padding, bf16_input=i > 0)
        return h.flatten(1, 2).transpose(1, 2)[:, 1:]  # (1, L, 1024): CNN frame 0 lies before the signal


class _Wav2Vec2Part(nn.Module):
    def __init__(self, encoder: Wav2Vec2Encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, padded: torch.Tensor) -> torch.Tensor:
        return self.encoder.model.feature_extractor(padded).transpose(1, 2)


def decoder_outputs(model: LSSQAModel, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """``(q as MOS, z_mos[, z_scl, z_tilde])`` of normalised X ``(1, L, D)``: the graphs' decoder outputs."""
    mask = torch.ones_like(x[..., 0], dtype=torch.bool)
    q, z_mos = model.heads(x, mask)
    out = (norm_to_mos(q), z_mos)
    if model.scl is not None:
        out += tuple(model.scl(x, mask))
    return out


class ExportGraph(nn.Module):
    """``forward(padded, x_in) -> (x, q, z_mos[, z_scl, z_tilde])``: the two parts side by side."""

    def __init__(self, model: LSSQAModel):
        super().__init__()
        enc = model.encoder
        if isinstance(enc, DistillMOSEncoder):
            self.latents = DistillMOSPart(enc)
        elif isinstance(enc, LogMelEncoder):
            self.latents = _LogMelPart(enc)
        elif isinstance(enc, Wav2Vec2Encoder):
            self.latents = _Wav2Vec2Part(enc)
        else:
            raise SqeError(f"no ONNX export for the {type(enc).__name__} encoder")
        self.model = model.eval()

    def encode(self, padded: torch.Tensor) -> torch.Tensor:
        latents = self.latents(padded)
        mask = torch.ones_like(latents[..., 0], dtype=torch.bool)
        return self.model.encoder.contextualize(latents, mask)

    def decode(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return decoder_outputs(self.model, x)

    def forward(self, padded: torch.Tensor, x_in: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return (self.encode(padded), *self.decode(x_in))

    def output_names(self) -> list[str]:
        return ["x", "q", *self.model.embedding_names]
