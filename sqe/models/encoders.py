"""Encoders on the 50 Hz grid, chosen in YAML by name (``encoder: wav2vec2`` + ``encoder_conf: {...}``).

Every encoder is split in two so the slice-consistency loss (eq. 2) can re-encode a slice without its
context: ``features(wav, lengths)`` gives frame latents that see only their own window, ``contextualize``
turns latents into the contextual frame embeddings X.

- ``wav2vec2``: HF ``Wav2Vec2Model`` (hub name, local directory, or a config dict for random init);
  latents = the frozen CNN feature encoder, context = feature projection + transformer (last_hidden_state).
- ``logmel_cnn``: a light encoder trained from scratch for CPU recipes; latents = log-mel frames
  (400-sample windows, 320 hop), context = a stack of 1-D convolutions.
- ``distillmos_cnn``: the frozen, pretrained CNN of DistillMOS (MOS-supervised, offline; models/distillmos.py);
  latents = its 1024-d features every 20 ms, context = a trainable projection and the same convolutions.
"""
from __future__ import annotations

import contextlib
from typing import Any

import torch
from torch import nn

from sqe.audio.io import TARGET_SR
from sqe.audio.mel import mel_filter_bank
from sqe.models import frames as F
from sqe.utils.errors import SqeError


class Encoder(nn.Module):
    dim: int
    level: str = "none"  # "peak": features divide each signal by its peak (fixed_level overrides it)
    # frames each side of a frame of X that its value depends on (None: the whole input, wav2vec2's attention);
    # a stream needs this much audio after a frame before the frame is final (sqe.monitor)
    context_frames: int | None = None

    def architecture(self) -> dict[str, Any]:
        """What a checkpoint needs besides the state dict to rebuild this encoder with no download or pretrained
        file (passed back to the constructor as ``architecture``)."""
        return {}

    def features(self, wav: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents ``(B, L, C)`` and the frame mask ``(B, L)``."""
        raise NotImplementedError

    def contextualize(self, latents: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Contextual embeddings X ``(B, L, D)`` (padding positions are zeroed)."""
        raise NotImplementedError

    def heavy_modules(self) -> list[nn.Module]:
        """The modules worth compiling with torch.compile (train.accel.compile_encoder); none by default."""
        return []

    def fixed_level(self, peak: float) -> contextlib.AbstractContextManager:
        """While active, ``features`` use ``peak`` (the level statistic of a whole signal, or a running one)
        instead of each piece's own (windowed analysis of long files, streams); encoders without one: no-op."""
        return contextlib.nullcontext()


class Wav2Vec2Encoder(Encoder):
    def __init__(self, name_or_path: str | None = None, config: dict[str, Any] | None = None,
                 freeze_feature_encoder: bool = True, layerdrop: float | None = None,
                 activation_checkpointing: bool = False, architecture: dict[str, Any] | None = None,
                 attn_implementation: str | None = None):
        super().__init__()
        from transformers import Wav2Vec2Config, Wav2Vec2Model

        overrides: dict[str, Any] = {"apply_spec_augment": False, "mask_time_prob": 0.0}
        if attn_implementation is not None:  # "sdpa" (transformers' default), "eager", "flash_attention_2"
            overrides["attn_implementation"] = attn_implementation
        if layerdrop is not None:
            overrides["layerdrop"] = layerdrop
        if (name_or_path is None) == (config is None):
            raise SqeError("wav2vec2 encoder: give exactly one of name_or_path (hub name or local dir) and config")
        if architecture is not None:  # a checkpoint's own config: the weights come from its state dict
            self.model = Wav2Vec2Model(Wav2Vec2Config.from_dict({**architecture["hf_config"], **overrides}))
        elif config is not None:
            self.model = Wav2Vec2Model(Wav2Vec2Config(**{**config, **overrides}))
        else:
            try:
                self.model = Wav2Vec2Model.from_pretrained(name_or_path, **overrides)
            except OSError as err:
                raise SqeError(
                    f"cannot load the pretrained encoder '{name_or_path}': {err.__class__.__name__}. Offline "
                    "(HF_HUB_OFFLINE=1), download it once elsewhere with save_pretrained(DIR), copy DIR here and "
                    "set model.encoder_conf.name_or_path to DIR"
                ) from None
        cfg = self.model.config
        if tuple(cfg.conv_stride) != (5, 2, 2, 2, 2, 2, 2) or tuple(cfg.conv_kernel) != (10, 3, 3, 3, 3, 2, 2):
            raise SqeError("wav2vec2 encoder: only the standard CNN (50 Hz frames, 400-sample window) is supported")
        if freeze_feature_encoder:
            self.model.freeze_feature_encoder()
        self.frozen_cnn = freeze_feature_encoder
        if activation_checkpointing:  # the method was renamed in transformers 5.x
            if hasattr(self.model, "activation_checkpointing_enable"):
                self.model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
            else:
                self.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        self.dim = cfg.hidden_size

    def architecture(self) -> dict[str, Any]:
        return {"hf_config": self.model.config.to_dict()}

    def heavy_modules(self) -> list[nn.Module]:
        return [self.model.feature_extractor, self.model.encoder]

    def features(self, wav, lengths):
        padded, _ = F.pad_for_windows(wav, lengths)
        mask = F.lengths_to_mask(F.frame_lengths(lengths))
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen_cnn):
            latents = self.model.feature_extractor(padded).transpose(1, 2)
        return latents[:, : mask.shape[1]], mask

    def contextualize(self, latents, mask):
        hidden, _ = self.model.feature_projection(latents)
        out = self.model.encoder(hidden, attention_mask=mask).last_hidden_state
        return out * mask.unsqueeze(-1).to(out.dtype)


class ConvContextEncoder(Encoder):
    """Frame latents -> optional per-frame projection -> a stack of 1-D convolutions (residual from the second
    layer on): the light contextualiser of the CPU encoders."""

    def _build_context(self, dim_in: int, channels: int, layers: int, kernel: int, dropout: float) -> None:
        self.convs = nn.ModuleList(nn.Conv1d(dim_in if i == 0 else channels, channels, kernel, padding=kernel // 2)
                                   for i in range(layers))
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)
        self.dim = channels

    frontend_context = 1  # frames each side whose audio one latent frame sees (log-mel: its 400-sample window)

    @property
    def context_frames(self) -> int:  # type: ignore[override]
        return self.frontend_context + sum(conv.kernel_size[0] // 2 for conv in self.convs)

    def project(self, latents: torch.Tensor) -> torch.Tensor:
        return latents

    def contextualize(self, latents, mask):
        return self.convolve(self.project(latents), mask)

    def convolve(self, projected: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The convolutional context over projected latents ``(B, L, C)`` (a stream projects each latent once)."""
        m = mask.unsqueeze(1).to(projected.dtype)
        h = projected.transpose(1, 2) * m
        for i, conv in enumerate(self.convs):
            y = self.drop(self.act(conv(h))) * m
            h = y + h if i > 0 else y
        return h.transpose(1, 2)


class LogMelEncoder(ConvContextEncoder):
    def __init__(self, n_mels: int = 64, channels: int = 256, layers: int = 4, kernel: int = 5,
                 dropout: float = 0.1, architecture: dict[str, Any] | None = None):
        super().__init__()
        fb = mel_filter_bank(257, n_mels, 20.0, 8000.0, TARGET_SR)
        self.register_buffer("mel", torch.tensor(fb, dtype=torch.float32), persistent=False)
        self.register_buffer("window", torch.hann_window(F.WINDOW), persistent=False)
        self.norm = nn.LayerNorm(n_mels)
        self._build_context(n_mels, channels, layers, kernel, dropout)

    def features(self, wav, lengths):
        padded, _ = F.pad_for_windows(wav, lengths)
        mask = F.lengths_to_mask(F.frame_lengths(lengths))
        frames = padded.unfold(1, F.WINDOW, F.HOP)[:, : mask.shape[1]]  # (B, L, 400)
        spec = torch.fft.rfft(frames * self.window, n=512).abs().pow(2)
        logmel = torch.log(spec @ self.mel + 1e-6)
        return self.norm(logmel), mask


class DistillMOSEncoder(ConvContextEncoder):
    """The frozen DistillMOS CNN (sqe.models.distillmos) as latents; a trainable linear projection with layer
    norm and the convolutional context on top. Features are computed one utterance at a time (exact, and
    cacheable by content: sqe.models.feature_cache)."""

    level = "peak"
    frontend_context = 3  # the CNN sees 2,240 samples centred on a frame: [320 l - 960, 320 l + 1280)

    def __init__(self, weights: str | None = None, precision: str = "bf16", proj_dim: int = 256,
                 channels: int = 256, layers: int = 4, kernel: int = 5, dropout: float = 0.1,
                 architecture: dict[str, Any] | None = None):
        super().__init__()
        from sqe.models.distillmos import DIM, FRONTEND_TAG, DistillMOSFrontEnd
        from sqe.models.feature_cache import FeatureCache

        # from a checkpoint (architecture given) the frozen weights come with its state dict: no wheel needed
        self.frontend = DistillMOSFrontEnd(weights, precision, pretrained=architecture is None)
        self.cache = FeatureCache.from_env(f"{FRONTEND_TAG}-{precision}")
        self.proj = nn.Linear(DIM, proj_dim)
        self.proj_norm = nn.LayerNorm(proj_dim)
        self._build_context(proj_dim, channels, layers, kernel, dropout)

    def features(self, wav, lengths):
        frames = F.frame_lengths(lengths)
        mask = F.lengths_to_mask(frames)
        out = wav.new_zeros(wav.shape[0], mask.shape[1], self.proj.in_features)
        for b, n in enumerate(lengths.tolist()):
            samples = wav[b, :n]
            key = self.cache.key_of(samples) if self.cache is not None else None
            feats = self.cache.get(key) if key is not None else None
            if feats is None:
                feats = self.frontend(samples).cpu()
                if key is not None:
                    self.cache.put(key, feats)
            out[b, : feats.shape[0]] = feats.to(out.device, out.dtype)
        return out, mask

    def project(self, latents):
        return self.proj_norm(self.proj(latents))

    @contextlib.contextmanager
    def fixed_level(self, peak):
        cache, self.cache = self.cache, None  # features of pieces are not worth caching
        self.frontend.fixed_peak = float(peak)
        try:
            yield
        finally:
            self.cache, self.frontend.fixed_peak = cache, None


ENCODERS: dict[str, type[Encoder]] = {"wav2vec2": Wav2Vec2Encoder, "logmel_cnn": LogMelEncoder,
                                      "distillmos_cnn": DistillMOSEncoder}


def build_encoder(name: str, conf: dict[str, Any], architecture: dict[str, Any] | None = None) -> Encoder:
    """The encoder of a config; with ``architecture`` (from a checkpoint) its weights are left to the checkpoint's
    state dict, so nothing is downloaded or read from a pretrained file."""
    if name not in ENCODERS:
        raise SqeError(f"unknown encoder '{name}' (known: {', '.join(ENCODERS)})")
    if architecture is not None:
        conf = {**conf, "architecture": architecture}
    try:
        return ENCODERS[name](**conf)
    except TypeError as err:
        raise SqeError(f"encoder '{name}': bad encoder_conf: {err}") from None
