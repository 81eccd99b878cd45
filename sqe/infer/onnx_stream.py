"""X of a stream frame by frame on ONNX Runtime (numpy only): the torch-free counterpart of
sqe.infer.incremental for a package with ``model.stream.onnx`` and ``model.heads.onnx`` (sqe.models.onnx_parts).

Geometry (the DistillMOS front end, sqe.models.distillmos): spectrum column t covers signal samples
``[160 (t - 2), 160 t)`` (zeros before the signal); CNN frame f (latent frame f - 1; frame 0 lies before the
signal) is made from columns ``2 f - 6 .. 2 f + 6`` through six 3-wide convolutions, the last with time stride 2.
Each run asks the stream graph for the new CNN frames ``[f0, f1)`` from columns ``[2 f0 - 6, 2 f1 + 5)``, the
fewest that hold their receptive field: the overlap with the previous run is 11 columns at the input and two
fewer after each convolution (1 into the last, none out of it). The first run starts at column 0 with the
offline front end's zero column before every convolution, the last (``finish``) ends with the one after it and
the zeros and reflection the offline front end appends to the signal, so a stream whose level does not change
gives the offline latents (tested).

Level: samples are divided by the peak known when they arrive (the caller's running estimate) and kept so.
"""
from __future__ import annotations

import numpy as np

from sqe.infer.latent_context import LatentContext

COL = 160  # spectrum hop (samples)
FRAME = 2 * COL  # latent frame hop
RECEPTIVE = 6  # columns each side of a CNN frame's centre column 2 f
STREAM_GEOMETRY = "distillmos-v7-valid-1"  # model.stream.onnx's metadata: the graph this module drives


def _empty_pad() -> np.ndarray:
    return np.zeros((1, 1, 1, 0), dtype=np.float32)


class OnnxIncrementalEncoder(LatentContext):
    """``push(samples, peak)``, ``finish()``, ``frames(a, b, final)`` as sqe.infer.incremental.IncrementalEncoder;
    ``stream`` and ``heads``: ONNX Runtime sessions of the two part graphs; ``context``: frames each side the
    context convolutions see; ``dim``, ``latent_dim``: sizes of X and of the projected latents."""

    def __init__(self, stream, heads, context: int, dim: int, latent_dim: int):
        self.stream, self.heads, self.context, self.dim = stream, heads, context, dim
        self.buffer = np.zeros(0, dtype=np.float32)  # level-normalised samples from signal position `origin`
        self.origin = 0
        self.received = 0
        self.done = 0  # CNN frames computed
        self.latents = np.zeros((0, latent_dim), dtype=np.float32)  # projected latent frames [start, end)
        self.start = 0
        self._no_x = np.zeros((1, 1, dim), dtype=np.float32)

    def push(self, samples: np.ndarray, peak: float) -> None:
        """The next samples of the (input-normalised) stream; ``peak``: the level the encoder divides by."""
        x = np.asarray(samples, dtype=np.float32) / np.float32(peak + 1e-8)
        self.buffer = np.concatenate([self.buffer, x])
        self.received += x.size
        upto = (self.received // COL - 4) // 2  # CNN frame f needs column 2 f + 4, i.e. 160 (2 f + 4) samples
        # the first run reaches frame 3, whose columns start at 0: later runs never see the start's padding
        if upto > max(self.done, RECEPTIVE // 2 - 1):
            self._run(upto, last=False)

    def finish(self) -> None:
        """The stream has ended: its last latent frames, against the end as offline."""
        frames = -(-self.received // FRAME)
        if self.received and self.received % FRAME == 0:
            # offline, the padded signal ends with exactly 80 zeros, so its 80-sample reflection reaches back
            # to the last sample: it reappears 159 samples after the end
            tail = np.zeros(160, dtype=np.float32)
            tail[159] = self.buffer[self.received - 1 - self.origin]
            self.buffer = np.concatenate([self.buffer, tail])
        self._run(frames + 1, last=True)

    def _samples(self, a: int, b: int) -> np.ndarray:
        """Signal samples ``[a, b)`` (zeros before the signal and after what was received)."""
        out = np.zeros(b - a, dtype=np.float32)
        lo, hi = max(a, self.origin), min(b, self.origin + self.buffer.size)
        if hi > lo:
            out[lo - a:hi - a] = self.buffer[lo - self.origin:hi - self.origin]
        return out

    def _run(self, upto: int, last: bool) -> None:
        first = self.done
        c0 = 0 if first == 0 else 2 * first - RECEPTIVE
        c1 = 2 * upto if last else 2 * upto + RECEPTIVE - 1  # the end: the offline front end's 2 (L + 1) columns
        feeds = {"samples": self._samples(COL * (c0 - 2), COL * (c1 - 1))[None],  # columns [c0, c1)
                 "left": np.zeros((1, 1, 1, 1 if first == 0 else 0), dtype=np.float32),
                 "right": np.zeros((1, 1, 1, 1), dtype=np.float32) if last else _empty_pad()}
        (lat,) = self.stream.run(["latents"], feeds)
        lat = lat[0]
        if lat.shape[0] != upto - first:
            raise RuntimeError(f"stream graph gave {lat.shape[0]} frames for CNN frames [{first}, {upto})")
        if first == 0:
            lat = lat[1:]  # CNN frame 0 lies before the signal
        self.latents = np.concatenate([self.latents, lat.astype(np.float32, copy=False)])
        self.done = upto
        keep = COL * (2 * upto - RECEPTIVE - 2)  # the first sample the next run reads
        if keep > self.origin:
            self.buffer = self.buffer[min(keep - self.origin, self.buffer.size):]
            self.origin = keep

    def _convolve(self, latents: np.ndarray) -> np.ndarray:
        (x,) = self.heads.run(["x"], {"x_in": self._no_x, "lat_in": np.ascontiguousarray(latents)[None]})
        return x[0]
