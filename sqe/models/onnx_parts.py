"""The part graphs a package carries beside ``model.onnx`` (sqe.bin.export_onnx, written by
sqe.package.onnx_export.export_parts), each run by a session of its own.

ONNX Runtime runs every node of a graph whatever outputs are asked for, so ``model.onnx``'s decoders cost one
placeholder pass of the encoder each time (for egs/mini's CON1 on one AVX2 core 2.9 ms per decode of 25 frames,
0.44 ms without it: a real-time factor of 0.025 at a monitor step of 0.1 s). Two part graphs avoid that:

- ``model.heads.onnx``: ``x_in`` (1, L, D), normalised -> ``q``, ``z_*`` (the decoders, as in ``model.onnx``)
  and, for the convolutional-context encoders, ``lat_in`` (1, K, D) projected latents -> ``x`` (1, K, D) (the
  context convolutions, zero padding at both ends of the given frames). Both placeholders are one frame.
- ``model.stream.onnx`` (DistillMOS encoders): ``samples`` (1, 160 (n + 1)) -> ``latents`` (1, m, D), projected
  latents of CNN frames from n spectrum columns, every convolution without padding in time. ``left`` and
  ``right`` (1, 1, 1, p) with p = 1 put one zero column before / after every convolution's input, as the offline
  front end pads at the start and the end of a signal; p = 0 computes interior frames only. A stream
  (sqe.infer.onnx_stream) gives each step the spectrum columns of its new frames and their receptive field; the
  overlap between steps shrinks by two columns per convolution, so the deep (costly) layers recompute little.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as Fn

from sqe.data.ratings import norm_to_mos
from sqe.models.encoders import ConvContextEncoder, DistillMOSEncoder
from sqe.models.lssqa import LSSQAModel
from sqe.models.onnx_graph import dft_basis


def _bf16(x: torch.Tensor) -> torch.Tensor:
    return x.to(torch.bfloat16).float()


class HeadsGraph(nn.Module):
    """``forward(x_in[, lat_in]) -> (q, z_mos[, z_scl, z_tilde][, x])``."""

    def __init__(self, model: LSSQAModel):
        super().__init__()
        self.model = model.eval()
        self.context = isinstance(model.encoder, ConvContextEncoder)

    def forward(self, x_in: torch.Tensor, lat_in: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        mask = torch.ones_like(x_in[..., 0], dtype=torch.bool)
        q, z_mos = self.model.heads(x_in, mask)
        out: tuple[torch.Tensor, ...] = (norm_to_mos(q), z_mos)
        if self.model.scl is not None:
            out += tuple(self.model.scl(x_in, mask))
        if self.context:
            assert lat_in is not None
            out += (self.model.encoder.convolve(lat_in, torch.ones_like(lat_in[..., 0], dtype=torch.bool)),)
        return out

    def input_names(self) -> list[str]:
        return ["x_in", "lat_in"] if self.context else ["x_in"]

    def output_names(self) -> list[str]:
        return ["q", *self.model.embedding_names, *(["x"] if self.context else [])]


class StreamGraph(nn.Module):
    """``forward(samples, left, right) -> latents``: DistillMOS CNN frames of a run of spectrum columns."""

    def __init__(self, encoder: DistillMOSEncoder):
        super().__init__()
        from sqe.models.distillmos import COMPRESS, HOP, WIN

        self.encoder, self.hop, self.compress = encoder, HOP, COMPRESS
        self.bf16 = encoder.frontend.precision == "bf16"
        self.register_buffer("basis", dft_basis(WIN, WIN, torch.hann_window(WIN), WIN // 2 + 1), persistent=False)

    def forward(self, samples: torch.Tensor, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        half = self.basis.shape[0] // 2
        spec = Fn.conv1d(samples[:, None], self.basis, stride=self.hop)  # (1, 2 * 161, n): no padding
        re, im = spec[:, :half], spec[:, half:]
        gain = (re ** 2 + im ** 2).sqrt().clamp_min(1e-12).pow(self.compress - 1.0)
        h = torch.stack([re * gain, im * gain], dim=1)  # (1, 2, 161, n)
        for conv in self.encoder.frontend.cnn.convs:
            edge = torch.zeros_like(h[..., :1])  # (1, C, F, 1) + (1, 1, 1, p): p zero columns
            h = torch.cat([edge + left, h, edge + right], dim=-1)
            if self.bf16:
                h = _bf16(Fn.conv2d(_bf16(h), _bf16(conv.weight), _bf16(conv.bias), conv.stride))
                h = _bf16(Fn.leaky_relu(h, 0.1))
            else:
                h = Fn.leaky_relu(Fn.conv2d(h, conv.weight, conv.bias, conv.stride), 0.1)
        return self.encoder.project(h.flatten(1, 2).transpose(1, 2))  # (1, m, D)


def fingerprint(model: LSSQAModel) -> str:
    """SHA-256 of the model's parameters and buffers (names, shapes, values): written into every graph of an
    export, so that the backend never pairs the parts of one model with the main graph of another."""
    import hashlib

    h = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        h.update(f"{name}:{tuple(value.shape)}:{value.dtype}".encode())
        h.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
