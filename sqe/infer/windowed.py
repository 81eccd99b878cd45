"""Frame outputs of a torch model for one signal of any length (the windowed driver of sqe.infer.framing with
the model as its backend)."""
from __future__ import annotations

import contextlib
from typing import Sequence

import numpy as np
import torch

from sqe.infer.framing import DECODER_CONTEXT, WindowConf, frame_outputs_of  # noqa: F401  (this module's API)
from sqe.models.lssqa import LSSQAModel, norm_to_mos


class TorchBackend:
    """A :class:`sqe.infer.framing.FrameBackend` running an :class:`LSSQAModel` on ``device``."""

    def __init__(self, model: LSSQAModel, device: torch.device | str = "cpu", autocast: bool = False):
        self.model = model.eval()
        self.device = torch.device(device)
        self.autocast = autocast
        self.input_norm = model.conf.input_norm
        self.output_norm = model.conf.output_norm
        self.level = model.encoder.level
        self.context_frames = model.encoder.context_frames
        self.decoder_context = model.decoder_context
        self.embeddings = model.embedding_names

    def _autocast(self):
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=self.autocast)

    @torch.no_grad()
    def encode(self, piece: np.ndarray, peak: float | None) -> np.ndarray:
        encoder = self.model.encoder
        level = contextlib.nullcontext() if peak is None else encoder.fixed_level(peak)
        wav = torch.from_numpy(np.ascontiguousarray(piece)).to(self.device)[None]
        with level, self._autocast():
            latents, mask = encoder.features(wav, torch.tensor([wav.shape[1]], device=self.device))
            return encoder.contextualize(latents, mask)[0].float().cpu().numpy()

    def incremental(self):
        """A stream encoder that computes each frame once (sqe.infer.incremental), where the encoder allows it;
        None: a stream re-encodes windows with ``encode``."""
        from sqe.models.encoders import DistillMOSEncoder

        if not isinstance(self.model.encoder, DistillMOSEncoder) or self.device.type != "cpu" or self.autocast:
            return None
        from sqe.infer.incremental import IncrementalEncoder

        return IncrementalEncoder(self.model.encoder)

    @torch.no_grad()
    def decode(self, x: np.ndarray, names: Sequence[str]) -> dict[str, np.ndarray]:
        xw = torch.from_numpy(np.ascontiguousarray(x)).to(self.device)[None]
        mask = torch.ones(1, xw.shape[1], dtype=torch.bool, device=self.device)
        with self._autocast():
            q, z_mos = self.model.heads(xw, mask)
            out = {"q": norm_to_mos(q.float()), "z_mos": z_mos}
            if self.model.scl is not None and ({"z_scl", "z_tilde"} & set(names)):
                out["z_scl"], out["z_tilde"] = self.model.scl(xw, mask)
        return {k: out[k][0].float().cpu().numpy() for k in names}


def frame_outputs(model: LSSQAModel, wav: np.ndarray, conf: WindowConf | None = None,
                  device: torch.device | str = "cpu", embeddings: tuple[str, ...] = ("z_mos", "z_scl", "z_tilde"),
                  autocast: bool = False) -> dict[str, np.ndarray]:
    """``{"q": frame MOS (L,), name: (L, D) for each requested embedding the model has}`` with
    ``L = ceil(N / 320)`` for a 16 kHz mono signal of N samples (sqe.infer.framing.frame_outputs_of)."""
    return frame_outputs_of(TorchBackend(model, device, autocast), wav, conf, embeddings)
