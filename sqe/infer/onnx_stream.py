"""X of a stream frame by frame on ONNX Runtime (numpy only): the torch-free counterpart of
sqe.infer.incremental for a package with ``model.stream.onnx`` and ``model.heads.onnx`` (sqe.models.onnx_parts).

Geometry (the DistillMOS front end, sqe.models.distillmos): spectrum column t covers signal samples
``[160 (t - 2), 160 t)`` (zeros before the signal), so it is complete once ``160 t`` samples are in. Six 3-wide
convolutions follow, the last with time stride 2: output column c of each of the first five needs its input
column c + 1, so with C spectrum columns in, the fifth has given C - 5 columns and the last the CNN frames
``[0, (C - 5) // 2)`` (CNN frame f is latent frame f - 1; frame 0 lies before the signal). Each run sends the
stream graph the new spectrum columns and each convolution's state, the input columns its next outputs need
(two; one or two for the strided last, by the parity of C), so every column of every layer is computed once, as
sqe.models.distillmos_stream does on torch. At the start every state is the offline front end's zero column; the
last run (``finish``) ends with the zero column after every convolution's input and the zeros and reflection the
offline front end appends to the signal, so a stream whose level does not change gives the offline latents
(tested). ONNX Runtime refuses a convolution without outputs, so a run waits until it completes a CNN frame:
then every layer has new columns.

Level: samples are divided by the peak known when they arrive (the caller's running estimate) and kept so.
"""
from __future__ import annotations

import numpy as np

from sqe.infer.latent_context import LatentContext

COL = 160  # spectrum hop (samples)
FRAME = 2 * COL  # latent frame hop
AHEAD = 5  # stride-1 convolutions before the strided last one, each needing one input column after its output
STREAM_GEOMETRY = "distillmos-v7-state-1"  # model.stream.onnx's metadata: the graph this module drives


class OnnxIncrementalEncoder(LatentContext):
    """``push(samples, peak)``, ``finish()``, ``frames(a, b, final)`` as sqe.infer.incremental.IncrementalEncoder;
    ``stream`` and ``heads``: ONNX Runtime sessions of the two part graphs; ``context``: frames each side the
    context convolutions see; ``dim``, ``latent_dim``: sizes of X and of the projected latents."""

    def __init__(self, stream, heads, context: int, dim: int, latent_dim: int):
        self.stream, self.heads, self.context, self.dim = stream, heads, context, dim
        # each convolution's kept input columns, (1, C, k, F): at first the zero column before the signal
        self.states = {i.name: np.zeros((1, i.shape[1], 1, i.shape[3]), dtype=np.float32)
                       for i in stream.get_inputs() if i.name.startswith("state")}
        self.outputs = ["latents", *(f"tail{i}" for i in range(len(self.states)))]
        self.tail = np.zeros(2 * COL, dtype=np.float32)  # level-normalised samples [160 (columns - 2), received)
        self.received = 0
        self.columns = 0  # spectrum columns sent to the graph
        self.done = 0  # CNN frames computed
        self.latents = np.zeros((0, latent_dim), dtype=np.float32)  # projected latent frames [start, end)
        self.start = 0
        self._no_x = np.zeros((1, 1, dim), dtype=np.float32)

    def push(self, samples: np.ndarray, peak: float) -> None:
        """The next samples of the (input-normalised) stream; ``peak``: the level the encoder divides by."""
        x = np.asarray(samples, dtype=np.float32) / np.float32(peak + 1e-8)
        self.tail = np.concatenate([self.tail, x])
        self.received += x.size
        columns = self.received // COL + 1  # column t is complete with 160 t samples
        if (columns - AHEAD) // 2 > self.done:
            self._run(columns - self.columns, (columns - AHEAD) // 2, last=False)

    def finish(self) -> None:
        """The stream has ended: its last latent frames, against the end as offline."""
        frames = -(-self.received // FRAME)
        total = 2 * (frames + 1)  # the offline spectrum's columns
        zeros = np.zeros(COL * (total - 1) - self.received, dtype=np.float32)  # up to the last column's end
        if self.received and self.received % FRAME == 0:
            # offline, the padded signal ends with exactly 80 zeros, so its 80-sample reflection reaches back
            # to the last sample: it reappears 159 samples after the end
            zeros[159] = self.tail[-1]
        self.tail = np.concatenate([self.tail, zeros])
        self._run(total - self.columns, frames + 1, last=True)

    def _run(self, n: int, upto: int, last: bool) -> None:
        """Send spectrum columns ``[columns, columns + n)``, which complete CNN frames ``[done, upto)``."""
        feeds = {"samples": self.tail[None, :COL * (n + 1)],
                 "right": np.zeros((1, 1, 1 if last else 0, 1), dtype=np.float32), **self.states}
        lat, *tails = self.stream.run(self.outputs, feeds)
        if lat.shape[1] != upto - self.done:
            raise RuntimeError(f"stream graph gave {lat.shape[1]} frames for CNN frames [{self.done}, {upto})")
        self.tail = self.tail[COL * n:]
        self.columns += n
        lat = lat[0, 1:] if self.done == 0 else lat[0]  # CNN frame 0 lies before the signal
        self.latents = np.concatenate([self.latents, lat.astype(np.float32, copy=False)])
        self.done = upto
        if not last:  # the last convolution's next output 2 upto needs its input columns from 2 upto - 1 on
            keeps = [2] * (len(tails) - 1) + [self.columns - AHEAD - (2 * upto - 1)]
            self.states = {name: np.ascontiguousarray(t[:, :, t.shape[2] - k:])
                           for name, t, k in zip(self.states, tails, keeps)}

    def _convolve(self, latents: np.ndarray) -> np.ndarray:
        (x,) = self.heads.run(["x"], {"x_in": self._no_x, "lat_in": np.ascontiguousarray(latents)[None]})
        return x[0]
