"""The ONNX Runtime backend: padding as the torch encoders pad, its metadata, analysis equal to torch's."""
from __future__ import annotations

import numpy as np
import pytest

from sqe.infer.framing import DECODER_CONTEXT
from sqe.infer.onnx_backend import OnnxBackend, read_metadata
from sqe.utils.errors import SqeError


def bare_backend(pad_left: int, pad_window: int, level: str) -> OnnxBackend:
    backend = OnnxBackend.__new__(OnnxBackend)  # padding needs no session
    backend.pad_left, backend.pad_window, backend.level = pad_left, pad_window, level
    return backend


@pytest.mark.parametrize("n", [1, 320, 321, 16000])
def test_padding_gives_one_window_per_frame(n):
    piece = np.arange(1, n + 1, dtype=np.float32)
    padded = bare_backend(40, 400, "none").padded(piece, None)[0]
    frames = -(-n // 320)
    assert padded.size == 400 + 320 * (frames - 1)
    assert not padded[:40].any() and np.array_equal(padded[40:40 + n], piece) and not padded[40 + n:].any()


def test_peak_level_uses_the_given_peak_or_the_pieces_own():
    piece = np.array([0.5, -0.25, 0.1], dtype=np.float32)
    backend = bare_backend(240, 640, "peak")
    assert backend.padded(piece, None)[0, 240] == pytest.approx(1.0)
    assert backend.padded(piece, 2.0)[0, 240] == pytest.approx(0.25)
    assert backend.padded(piece, None).shape == (1, 640)


def test_a_foreign_graph_is_refused():
    with pytest.raises(SqeError, match="not an sqe ONNX graph.*pad_left"):
        read_metadata({"sqe_onnx_format": "sqe-onnx-1"}, "other.onnx")
    with pytest.raises(SqeError, match="the format"):
        read_metadata({k: "1" for k in ("pad_left", "pad_window", "input_norm", "output_norm", "level",
                                         "embeddings", "dim")} | {"sqe_onnx_format": "x"}, "other.onnx")


def test_the_receptive_field_keys_are_read_and_older_graphs_fall_back():
    base = {k: "1" for k in ("pad_left", "pad_window", "dim")} | {"sqe_onnx_format": "sqe-onnx-1", "input_norm": "none",
                                                                   "output_norm": "none", "level": "none",
                                                                   "embeddings": "z_mos"}
    older = read_metadata(base, "old.onnx")  # exported before the monitor: the encoder's reach unknown
    assert older["context_frames"] is None and older["decoder_context"] == DECODER_CONTEXT
    newer = read_metadata(base | {"context_frames": "7", "decoder_context": "10"}, "new.onnx")
    assert (newer["context_frames"], newer["decoder_context"]) == (7, 10)
    wav2vec2 = read_metadata(base | {"context_frames": "", "decoder_context": "10"}, "w2v.onnx")
    assert wav2vec2["context_frames"] is None
