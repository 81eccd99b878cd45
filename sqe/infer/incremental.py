"""X of a stream frame by frame for a torch model whose encoder is the frozen DistillMOS CNN with convolutional
context (sqe.monitor): each latent frame is computed once as its audio arrives (sqe.models.distillmos_stream)
and projected once; only the context convolutions look at neighbours, ``context`` frames each side.

Offline, the context convolutions pad zeros at both ends of the signal; here the start is the same (frames
before 0 do not exist) and ``finish`` marks the end, so a stream whose statistics do not change gives the
offline X (tested). A frame of X is ready once ``context`` latent frames after it are in.
"""
from __future__ import annotations

import numpy as np
import torch

from sqe.infer.latent_context import LatentContext
from sqe.models.distillmos_stream import StreamingFrontEnd
from sqe.models.encoders import DistillMOSEncoder


class IncrementalEncoder(LatentContext):
    def __init__(self, encoder: DistillMOSEncoder):
        self.encoder = encoder
        self.front = StreamingFrontEnd(encoder.frontend)
        self.context = sum(conv.kernel_size[0] // 2 for conv in encoder.convs)
        self.latents = torch.zeros(0, encoder.proj.out_features)  # projected latent frames [start, end)
        self.start = 0

    @torch.no_grad()
    def push(self, samples: np.ndarray, peak: float) -> None:
        """The next samples of the (input-normalised) stream; ``peak``: the level the encoder divides by."""
        self._add(self.front.push(samples / np.float32(peak + 1e-8)))

    @torch.no_grad()
    def finish(self) -> None:
        """The stream has ended: its last latent frames, against the end as offline."""
        self._add(self.front.finish())

    def _add(self, feats: torch.Tensor) -> None:
        if feats.shape[0]:
            self.latents = torch.cat([self.latents, self.encoder.project(feats)])

    @torch.no_grad()
    def _convolve(self, latents: torch.Tensor) -> np.ndarray:
        x = self.encoder.convolve(latents[None], torch.ones(1, latents.shape[0], dtype=torch.bool))[0]
        return x.float().numpy()
