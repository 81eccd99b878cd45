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

from sqe.models.encoders import ConvContextEncoder, DistillMOSEncoder
from sqe.models.lssqa import LSSQAModel
from sqe.models.onnx_graph import DistillMOSPart, decoder_outputs


class HeadsGraph(nn.Module):
    """``forward(x_in[, lat_in]) -> (q, z_mos[, z_scl, z_tilde][, x])``."""

    def __init__(self, model: LSSQAModel):
        super().__init__()
        self.model = model.eval()
        self.context = isinstance(model.encoder, ConvContextEncoder)

    def forward(self, x_in: torch.Tensor, lat_in: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        out = decoder_outputs(self.model, x_in)
        if self.context:
            assert lat_in is not None
            out += (self.model.encoder.convolve(lat_in, torch.ones_like(lat_in[..., 0], dtype=torch.bool)),)
        return out

    def input_names(self) -> list[str]:
        return ["x_in", "lat_in"] if self.context else ["x_in"]

    def output_names(self) -> list[str]:
        return ["q", *self.model.embedding_names, *(["x"] if self.context else [])]


class StreamGraph(DistillMOSPart):
    """``StreamGraph(encoder)``, ``forward(samples, left, right) -> latents``: DistillMOS CNN frames of a run of
    spectrum columns."""

    def forward(self, samples: torch.Tensor, left: torch.Tensor, right: torch.Tensor) -> torch.Tensor:
        h = self.spectrum(samples[:, None])  # (1, 2, 161, n): no padding
        for i, conv in enumerate(self.encoder.frontend.cnn.convs):
            edge = torch.zeros_like(h[..., :1])  # (1, C, F, 1) + (1, 1, 1, p): p zero columns
            h = self.layer(conv, torch.cat([edge + left, h, edge + right], dim=-1), (0, 0), bf16_input=i > 0)
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
