"""The frozen convolutional front end of DistillMOS (Stahl and Gamper, "Distillation and Pruning for Scalable
Self-Supervised Representation-Based Speech Quality Assessment", ICASSP 2025) as a pretrained offline encoder.

The PyPI wheel ``distillmos==0.9.1`` (MIT code and MIT weights, 16.9 MB) carries ``distill_mos_v7.pt``. Its
front end: the STFT of the peak-normalised waveform (Hann window 320, hop 160, 80 samples of reflection on
both sides), every bin's magnitude compressed to the power 0.3 with its phase kept, real and imaginary parts
as two channels; six 3x3 Conv2d layers with LeakyReLU(0.1) (channels 64, 64, 128, 256, 256, 256; frequency
stride 2 from the second layer, time stride 2 in the last) give 256 channels x 4 bins = 1024 features every
20 ms with a receptive field of 13 STFT frames (140 ms). The package imports torchaudio at import time, so
sqe never imports it: it finds the wheel's weights file and loads the CNN's state dict (``cnn.cnn.*``) into
its own module, with the file's SHA-256 checked.

Alignment with sqe's grid. For an input padded only at the end, output frame j is centred on sample
320 j + 80, while sqe frame l is centred on 320 l + 160 (models/frames.py): 80 samples (5 ms) earlier.
sqe prepends 240 zeros (= 320 - 80), so output frame j + 1 is centred on 320 j + 160 exactly, pads the end to
320 (L + 1) samples and drops output frame 0: an utterance of N samples gives L = ceil(N / 320) frames, each
centred on its sqe frame. The padding is zeros and the receptive field is 2,240 samples, so the first and
last three frames see zeros beyond the signal, as wav2vec2's edge frames do.

Level. The input is peak-normalised per utterance, so a constant gain of the whole utterance is invisible
to this encoder. In sqe's partial-mix-up sets every signal is also loudness-normalised before splicing
(mixup/splice.py), so a constant gain is erased there before any encoder sees it; no level channel is added.

Deviation from the paper: these features are supervised on MOS (distilled from an XLS-R quality model), not
self-supervised like wav2vec2; they are frozen, and a trainable projection and convolutional context sit on
top (sqe.models.encoders.DistillMOSEncoder).
"""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as Fn

from sqe.models import frames as F
from sqe.utils.errors import SqeError

PACKAGE, VERSION = "distillmos", "0.9.1"
WEIGHTS_FILE = "distill_mos_v7.pt"
WEIGHTS_SHA256 = "b18b3ac60227267cfb91e5d00ce22cc7b73716fd92f269484da1446e27031a40"
INSTALL_HINT = (f"install the wheel without its dependencies (it would pull torchaudio): "
                f"`pip install --no-deps {PACKAGE}=={VERSION}` (tools/install.sh does this), or set "
                f"model.encoder_conf.weights to a copy of its {WEIGHTS_FILE}")
WIN, HOP, COMPRESS = 320, 160, 0.3
CHANNELS = (64, 64, 128, 256, 256, 256)
DIM = 1024  # 256 channels x 4 frequency bins
PREFIX = F.HOP - 80  # zeros before the signal: output frame j + 1 is centred on sample 320 j + 160
FRONTEND_TAG = "distillmos_v7-a240-1"  # names cached features; change it whenever the front end computes otherwise


def locate_weights(path: str | None = None) -> Path:
    """The weights file: ``path`` if given, else the one inside the installed wheel (found without importing
    the package, whose import needs torchaudio)."""
    if path is not None:
        found = Path(path)
        if not found.is_file():
            raise SqeError(f"DistillMOS weights file {found} does not exist; {INSTALL_HINT}")
        return found
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise SqeError(f"the distillmos_cnn encoder needs the {PACKAGE} package, which is not installed: "
                       f"{INSTALL_HINT}")
    found = Path(list(spec.submodule_search_locations)[0]) / "weights" / WEIGHTS_FILE
    if not found.is_file():
        raise SqeError(f"the installed {PACKAGE} package has no {found.name} ({found}); reinstall it: {INSTALL_HINT}")
    return found


def load_cnn_state(path: Path) -> dict[str, torch.Tensor]:
    """The six convolutions' weights from a DistillMOS v7 checkpoint, keyed as :class:`SpectralCNN` names them."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise SqeError(f"{path} is not the DistillMOS v7 weights file of {PACKAGE} {VERSION} (SHA-256 {digest[:16]}..., "
                       f"expected {WEIGHTS_SHA256[:16]}...)")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    state = payload["model"]
    return {f"convs.{i}.{kind}": state[f"cnn.cnn.{2 * i}.{kind}"]
            for i in range(len(CHANNELS)) for kind in ("weight", "bias")}


def compressed_spectrum(x: torch.Tensor) -> torch.Tensor:
    """``(B, N)`` waveforms -> ``(B, 2, 161, N // 160)``: real and imaginary parts with magnitudes ** 0.3."""
    pad = (WIN - HOP) // 2
    padded = Fn.pad(x.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(padded, n_fft=WIN, hop_length=HOP, win_length=WIN, center=False, return_complex=True,
                      window=torch.hann_window(WIN, device=x.device))
    return compress(torch.view_as_real(spec)).permute(0, 3, 1, 2)


def compress(parts: torch.Tensor) -> torch.Tensor:
    """Real and imaginary parts ``(..., 2)`` with their magnitude raised to 0.3, the phase kept."""
    mag = parts.pow(2).sum(-1, keepdim=True).sqrt().clamp_min(1e-12)
    return parts * mag.pow(COMPRESS - 1.0)


def native_bf16(device: torch.device) -> bool:
    """Whether torch runs bf16 convolutions natively here: on a GPU, or on a CPU whose oneDNN has bf16 kernels
    (AVX-512 BF16, AMX; AVX-512 emulates them fast). Elsewhere (AVX2) torch's bf16 convolutions are about 4.5
    times slower than rounding to bf16 around fp32 ones, which gives the same numbers up to a rounding step."""
    return device.type != "cpu" or bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def to_bf16(x: torch.Tensor) -> torch.Tensor:
    """Rounded to bf16, kept in float32."""
    return x.to(torch.bfloat16).float()


class RoundedWeights:
    """A convolution's weight and bias rounded to bf16 once (frozen weights), again only if they change."""

    def __init__(self) -> None:
        self.cache: dict[int, tuple[tuple[int, int], torch.Tensor, torch.Tensor]] = {}

    def __call__(self, conv: nn.Conv2d) -> tuple[torch.Tensor, torch.Tensor]:
        version = (conv.weight._version, conv.bias._version)
        hit = self.cache.get(id(conv))
        if hit is None or hit[0] != version:
            hit = (version, to_bf16(conv.weight.detach()), to_bf16(conv.bias.detach()))
            self.cache[id(conv)] = hit
        return hit[1], hit[2]


def rounded_bf16_conv(conv: nn.Conv2d, h: torch.Tensor, weights: RoundedWeights, padding=None,
                      bf16_input: bool = False) -> torch.Tensor:
    """``leaky_relu(conv(h))`` as a bf16 convolution computes it (bf16 inputs and weights, float32 sums, bf16
    output), in float32 arithmetic: for CPUs without native bf16 (``native_bf16``) and the ONNX graph.
    ``bf16_input``: ``h`` holds bf16 values already (a previous layer's output, zero padding), so rounding it
    again would change nothing and is skipped."""
    w, b = weights(conv)
    h = h if bf16_input else to_bf16(h)
    y = to_bf16(Fn.conv2d(h, w, b, conv.stride, conv.padding if padding is None else padding))
    return to_bf16(Fn.leaky_relu(y, 0.1))


class SpectralCNN(nn.Module):
    """The six frozen convolutions: ``(B, 2, 161, T)`` -> ``(B, T', 1024)`` with T' = ceil(T / 2)."""

    def __init__(self) -> None:
        super().__init__()
        layers, dim_in = [], 2
        for i, ch in enumerate(CHANNELS):
            stride = (2 if i >= 1 else 1, 2 if i == len(CHANNELS) - 1 else 1)  # (frequency, time)
            layers.append(nn.Conv2d(dim_in, ch, (3, 3), stride=stride, padding=(0, 1)))
            dim_in = ch
        self.convs = nn.ModuleList(layers)

    def forward(self, spec: torch.Tensor, rounded: RoundedWeights | None = None) -> torch.Tensor:
        """``rounded``: bf16 by rounding around float32 convolutions (else as autocast, if active, runs them)."""
        h = spec
        for i, conv in enumerate(self.convs):
            h = Fn.leaky_relu(conv(h), 0.1) if rounded is None else rounded_bf16_conv(conv, h, rounded,
                                                                                     bf16_input=i > 0)
        return h.flatten(1, 2).transpose(1, 2)  # channel-major, as the package flattens


class DistillMOSFrontEnd(nn.Module):
    """Peak normalisation, grid alignment, spectrum and frozen CNN for one utterance at a time."""

    def __init__(self, weights: str | None = None, precision: str = "bf16", pretrained: bool = True):
        super().__init__()
        if precision not in ("bf16", "fp32"):
            raise SqeError(f"distillmos_cnn: precision must be bf16 or fp32, got {precision!r}")
        self.cnn = SpectralCNN()
        if pretrained:  # else the caller loads a state dict that holds these weights (a checkpoint)
            self.cnn.load_state_dict(load_cnn_state(locate_weights(weights)))
        self.cnn.requires_grad_(False)
        self.precision = precision
        self.fixed_peak: float | None = None  # set: normalise by this peak (of the whole signal) instead
        self.rounded = RoundedWeights()  # bf16 where torch has no native bf16 convolutions (native_bf16)

    def bf16_mode(self, device: torch.device) -> str:
        """How bf16 runs on ``device``: "autocast" (native) or "rounded"; "fp32" for an fp32 front end."""
        if self.precision != "bf16":
            return "fp32"
        return "autocast" if native_bf16(device) else "rounded"

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N,)`` samples -> ``(ceil(N / 320), 1024)`` features (bf16 or fp32 as configured)."""
        frames = F.num_frames(x.numel())
        total = F.HOP * (frames + 1)
        x = x.float()
        x = x / ((x.abs().max() if self.fixed_peak is None else self.fixed_peak) + 1e-8)
        padded = Fn.pad(x, (PREFIX, total - PREFIX - x.numel()))[None]
        spec = compressed_spectrum(padded)
        mode = self.bf16_mode(x.device)
        with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16, enabled=mode == "autocast"):
            feats = self.cnn(spec.contiguous(memory_format=torch.channels_last),
                             self.rounded if mode == "rounded" else None)
        if mode == "rounded":  # bf16 values either way (the feature cache stores them in 2 bytes)
            feats = feats.to(torch.bfloat16)
        return feats[0, 1:frames + 1].contiguous()
