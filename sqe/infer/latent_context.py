"""What both incremental encoders share (sqe.infer.incremental on torch, sqe.infer.onnx_stream on ONNX Runtime):
the projected latent frames ``[start, end)`` still needed, and X of frames ``[a, b)`` through the context
convolutions, which see ``context`` latent frames each side (zero padding at the signal's ends). numpy only.
"""
from __future__ import annotations

from typing import Any

import numpy as np


class LatentContext:
    """Subclasses set ``context``, ``latents`` (an ``(n, D)`` torch tensor or numpy array) and ``start``, append
    latent frames as they are computed, and implement ``_convolve``."""

    context: int
    latents: Any
    start: int

    @property
    def end(self) -> int:
        return self.start + self.latents.shape[0]

    def frames(self, a: int, b: int, final: bool = False) -> np.ndarray:
        """X frames ``[a, b)`` before output normalisation; frames before ``a`` are not asked for again."""
        c0, c1 = max(self.start, a - self.context), self.end if final else b + self.context
        if c1 > self.end or max(0, a - self.context) < self.start:
            raise IndexError(f"X frames [{a}, {b}) need latent frames [{a - self.context}, {c1}), "
                             f"have [{self.start}, {self.end})")
        x = self._convolve(self.latents[c0 - self.start:c1 - self.start])[a - c0:b - c0]
        keep = max(self.start, b - self.context)
        self.latents, self.start = self.latents[keep - self.start:], keep
        return x

    def _convolve(self, latents: Any) -> np.ndarray:
        """X ``(n, dim)`` of ``n`` consecutive latent frames, zero padding at both ends."""
        raise NotImplementedError
