"""The DistillMOS front end (sqe.models.distillmos) computed as samples arrive: every spectrum column and every
convolution output once, so a stream pays for each frame of audio once instead of re-encoding its context.

Offline, the front end pads 240 zeros before the signal and zeros after it, so spectrum column t (hop 160,
Hann window 320) covers samples ``[160 (t - 2), 160 t)`` of the signal with zeros outside it, and each of the
six convolutions pads one zero column on both sides in time. Here column t is computed once ``160 t`` samples
are in, and each convolution keeps the last input columns its next outputs need: output column j (time
stride s) needs input columns ``s j - 1 .. s j + 1``. The end of the stream (``finish``) appends the zeros
after the signal and each convolution's right padding column. The result equals the offline front end on the
whole signal (tested), up to the float order of the convolutions (bf16 autocast: a rounding step apart).

Level: offline, the whole signal is divided by its peak; a stream divides each block by the peak known when
it arrives (the caller's running estimate), so columns already computed keep the level they were computed at.
"""
from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as Fn

from sqe.models import frames as F
from sqe.models.distillmos import DIM, HOP, WIN, DistillMOSFrontEnd, RoundedWeights, compress, rounded_bf16_conv


class _StreamConv:
    """One of the CNN's convolutions (with its activation) over input columns that arrive in blocks."""

    def __init__(self, conv: torch.nn.Conv2d, rounded: RoundedWeights | None, bf16_input: bool):
        self.conv, self.rounded, self.bf16_input = conv, rounded, bf16_input  # bf16_input: a previous layer's output
        self.stride = conv.stride  # (frequency, time)
        self.kept: torch.Tensor | None = None  # input columns [first, first + kept width)
        self.first = -1  # index of the first kept column (-1: the zero padding column before the input)
        self.inputs = 0  # input columns received
        self.outputs = 0  # output columns given

    def push(self, cols: torch.Tensor, last: bool = False) -> torch.Tensor:
        """Input columns ``(1, C, F, n)`` (the next ones) -> the output columns they complete."""
        self.inputs += cols.shape[-1]
        if self.kept is None:  # the left padding column
            self.kept = cols.new_zeros(*cols.shape[:-1], 1)
        h = torch.cat([self.kept, cols], dim=-1)
        if last:  # the right padding column
            h = torch.cat([h, cols.new_zeros(*cols.shape[:-1], 1)], dim=-1)
        st = self.stride[1]
        end = self.first + h.shape[-1]  # columns [first, end) are in h
        # output j is complete once column s j + 1 is in; at the end, every j with s j < inputs
        upto = (self.inputs - 1) // st + 1 if last else max(self.outputs, (end - 2) // st + 1)
        a, b = st * self.outputs - 1, st * (upto - 1) + 2  # the input columns of outputs [outputs, upto)
        if upto > self.outputs:
            cols = h[..., a - self.first:b - self.first]
            if self.rounded is None:
                out = Fn.leaky_relu(Fn.conv2d(cols, self.conv.weight, self.conv.bias, self.stride), 0.1)
            else:
                out = rounded_bf16_conv(self.conv, cols, self.rounded, padding=(0, 0), bf16_input=self.bf16_input)
        else:  # nothing complete yet: no columns, with the shape the next convolution expects
            bins = (h.shape[-2] - self.conv.kernel_size[0]) // self.stride[0] + 1
            out = h.new_zeros(h.shape[0], self.conv.out_channels, bins, 0)
        keep = st * upto - 1  # the first column the next output needs
        self.kept, self.first = h[..., keep - self.first:], keep
        self.outputs = upto
        return out


class StreamingFrontEnd:
    """``push(samples)`` (already divided by the level), ``finish()`` -> the new latent frames ``(n, 1024)``
    each time, in order: frames ``0 .. ceil(N / 320) - 1`` in all, as the offline front end gives them."""

    def __init__(self, frontend: DistillMOSFrontEnd):
        self.mode = frontend.bf16_mode(torch.device("cpu"))
        rounded = frontend.rounded if self.mode == "rounded" else None
        self.convs = [_StreamConv(conv, rounded, bf16_input=i > 0) for i, conv in enumerate(frontend.cnn.convs)]
        self.window = torch.hann_window(WIN)
        self.tail = torch.zeros(2 * HOP)  # samples [160 (t - 2), received): before 0 the leading zeros
        self.received = 0
        self.columns = 0  # spectrum columns computed
        self.dropped = False  # CNN frame 0 lies before the signal and is not a frame of it

    @torch.no_grad()
    def push(self, samples: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32))
        self.received += x.numel()
        self.tail = torch.cat([self.tail, x])
        return self._columns(self.received // HOP + 1 - self.columns, last=False)  # column t: 160 t samples in

    @torch.no_grad()
    def finish(self) -> torch.Tensor:
        total = 2 * (F.num_frames(self.received) + 1)  # the offline spectrum's columns
        origin = HOP * (self.columns - 2)  # the signal position of tail[0]
        zeros = torch.zeros(HOP * (total + 1) - self.received)
        if self.received and self.received % F.HOP == 0:
            # offline, the padded signal ends with exactly 80 zeros here, so its 80-sample reflection reaches
            # back to the last sample: it reappears 159 samples after the end
            zeros[159] = self.tail[self.received - 1 - origin]
        self.tail = torch.cat([self.tail, zeros])
        return self._columns(total - self.columns, last=True)

    def _columns(self, n: int, last: bool) -> torch.Tensor:
        if n <= 0 and not last:
            return torch.zeros(0, DIM)
        frames = self.tail[:HOP * (n + 1)].unfold(0, WIN, HOP)  # (n, 320): columns [columns, columns + n)
        self.tail = self.tail[HOP * n:]
        self.columns += n
        spec = compress(torch.view_as_real(torch.fft.rfft(frames * self.window, dim=-1)))  # (n, 161, 2)
        h = spec.permute(2, 1, 0)[None]  # (1, 2, 161, n)
        with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=self.mode == "autocast"):
            for conv in self.convs:
                h = conv.push(h, last)
        feats = h.flatten(1, 2).transpose(1, 2)[0].float()  # (m, 1024), channel-major as offline
        if not self.dropped and feats.shape[0]:
            feats, self.dropped = feats[1:], True
        return feats
