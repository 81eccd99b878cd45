"""The 50 Hz frame grid in samples, below everything that frames audio (speech flags, models, arks, masks).

Frame ``l`` covers samples ``[320 l, 320 l + 320)`` (centre of a 400-sample wav2vec2 window after a
40-sample left pad), so an utterance of N samples has ``L = ceil(N / 320)`` frames.

    >>> [num_frames(n) for n in (1, 319, 320, 321, 16000, 64000)]
    [1, 1, 1, 2, 50, 200]
"""
from __future__ import annotations

HOP = 320
WINDOW = 400
LEFT_PAD = 40
FRAME_RATE = 50


def num_frames(num_samples: int) -> int:
    return -(-int(num_samples) // HOP)
