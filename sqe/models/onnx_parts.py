"""The part graphs a package carries beside ``model.onnx`` (sqe.bin.export_onnx, written by
sqe.package.onnx_export.export_parts), each run by a session of its own.

ONNX Runtime runs every node of a graph whatever outputs are asked for, so ``model.onnx``'s decoders cost one
placeholder pass of the encoder each time (for egs/mini's CON1 on one AVX2 core 2.9 ms per decode of 25 frames,
0.44 ms without it: a real-time factor of 0.025 at a monitor step of 0.1 s). Two part graphs avoid that:

- ``model.heads.onnx``: ``x_in`` (1, L, D), normalised -> ``q``, ``z_*`` (the decoders, as in ``model.onnx``)
  and, for the convolutional-context encoders, ``lat_in`` (1, K, D) projected latents -> ``x`` (1, K, D) (the
  context convolutions, zero padding at both ends of the given frames). Both placeholders are one frame.
- ``model.stream.onnx`` (DistillMOS encoders): ``samples`` (1, 160 (n + 1)) -> ``latents`` (1, m, D), projected
  latents of the CNN frames that n new spectrum columns complete. The graph is stateless; the caller carries each
  convolution's state: ``state0`` .. ``state5`` (1, C, k, F), time before frequency, are the input columns each
  convolution kept from the previous run (at the start one zero column, the offline front end's padding), put
  before the new columns; every convolution runs unpadded in time, so each column of each layer is computed
  once. ``tail0`` .. ``tail5`` are the last two input columns of each convolution, from which the caller takes
  the next states (2 columns; 1 or 2 for the last convolution, whose time stride is 2). ``right`` (1, 1, p, 1)
  with p = 1 puts one zero column after every convolution's input, as the offline front end pads the end of a
  signal (sqe.infer.onnx_stream).
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
    """``StreamGraph(encoder)``, ``forward(samples, right, *states) -> (latents, *tails)``: DistillMOS CNN frames
    completed by a run of new spectrum columns, each convolution continuing from its state."""

    def forward(self, samples: torch.Tensor, right: torch.Tensor, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        # time-major (1, C, time, frequency): a state's columns and a tail are contiguous blocks, which ONNX
        # Runtime concatenates and slices far faster than single columns of the time-last layout
        h = self.spectrum(samples[:, None]).transpose(2, 3)  # (1, 2, n, 161): no padding
        tails = []
        for i, (conv, state) in enumerate(zip(self.encoder.frontend.cnn.convs, states)):
            edge = right.expand(1, h.shape[1], -1, h.shape[3])  # (1, C, p, F): p zero columns
            h = torch.cat([state, h, edge], dim=2)
            tails.append(h[:, :, -2:])
            h = self.layer(conv, h, (0, 0), bf16_input=i > 0, time_major=True)
        return (self.encoder.project(h.transpose(2, 3).flatten(1, 2).transpose(1, 2)), *tails)  # (1, m, D)

    def state_shapes(self) -> list[tuple[int, int]]:
        """(channels, frequency bins) of each convolution's input."""
        shapes, bins = [], self.basis.shape[0] // 2
        for conv in self.encoder.frontend.cnn.convs:
            shapes.append((conv.in_channels, bins))
            bins = (bins - conv.kernel_size[0]) // conv.stride[0] + 1
        return shapes


def fingerprint(model: LSSQAModel) -> str:
    """SHA-256 of the model's parameters and buffers (names, shapes, values): written into every graph of an
    export, so that the backend never pairs the parts of one model with the main graph of another."""
    import hashlib

    h = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        h.update(f"{name}:{tuple(value.shape)}:{value.dtype}".encode())
        h.update(value.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
