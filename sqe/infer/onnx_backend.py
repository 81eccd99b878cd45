"""A package's ``model.onnx`` (sqe.bin.export_onnx) run by ONNX Runtime: a :class:`sqe.infer.framing.FrameBackend`
with numpy and onnxruntime only (no torch), so that ``sqe.bin.analyze --backend onnx`` installs with ``sqe[onnx]``.

The graph (sqe.models.onnx_graph) has two parts that run on their own: ``padded -> x`` (the encoder) and
``x_in -> q, z_*`` (the decoders); the input of the part not asked for gets a minimal placeholder. What the
torch model does around them (zero padding to the 50 Hz grid, the DistillMOS peak normalisation) is done here in
numpy, as the graph's metadata describes it.

ONNX Runtime runs the whole graph whatever is asked for, so decoding through ``model.onnx`` also encodes the
placeholder. Packages exported by this sqe carry part graphs (sqe.models.onnx_parts): ``model.heads.onnx``
decodes without the encoder, and ``model.stream.onnx`` gives streams an encoder that computes each frame's deep
layers once (sqe.infer.onnx_stream). Without them (packages exported earlier) the backend works as before.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from sqe.audio.grid import HOP, num_frames
from sqe.infer.framing import DECODER_CONTEXT, peak_of
from sqe.infer.onnx_stream import STREAM_GEOMETRY, OnnxIncrementalEncoder
from sqe.utils.errors import SqeError

ONNX_INSTALL_HINT = "pip install 'sqe[onnx]' (onnxruntime)"
# metadata keys of model.onnx that this backend reads (written by sqe.package.onnx_export)
META_KEYS = ("sqe_onnx_format", "pad_left", "pad_window", "input_norm", "output_norm", "level", "embeddings",
             "dim")
ONNX_FORMAT = "sqe-onnx-1"


def _session(model: bytes | str, threads: int):
    try:
        import onnxruntime as ort
    except ImportError:
        raise SqeError(f"the onnx backend needs onnxruntime, which is not installed: {ONNX_INSTALL_HINT}") from None
    opts = ort.SessionOptions()
    if threads > 0:
        opts.intra_op_num_threads = threads
    opts.log_severity_level = 3  # warnings of unused initialisers etc. are not the user's business
    return ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])


def read_metadata(meta: dict[str, str], where: str) -> dict[str, Any]:
    """The backend's settings from the graph's metadata; a graph made by another exporter is refused."""
    missing = [k for k in META_KEYS if k not in meta]
    if missing or meta.get("sqe_onnx_format") != ONNX_FORMAT:
        raise SqeError(f"{where}: not an sqe ONNX graph of format {ONNX_FORMAT!r} (metadata lacks "
                       f"{', '.join(missing) or 'the format'}); re-export it with this sqe's sqe.bin.export_onnx")
    context = meta.get("context_frames", "")  # absent in graphs of sqe before the monitor: unknown (whole input)
    return {"pad_left": int(meta["pad_left"]), "pad_window": int(meta["pad_window"]),
            "input_norm": meta["input_norm"], "output_norm": meta["output_norm"], "level": meta["level"],
            "embeddings": tuple(e for e in meta["embeddings"].split(",") if e), "dim": int(meta["dim"]),
            "context_frames": int(context) if context else None,
            "decoder_context": int(meta.get("decoder_context", DECODER_CONTEXT)), "model": meta.get("model")}


def _part(graph: bytes | str, name: str, where: str, threads: int, model: str | None, **expected: str):
    """A part graph's session; one made from another model than the main graph (``model``: its fingerprint,
    sqe.models.onnx_parts.fingerprint) or of another layout is refused."""
    session = _session(graph, threads)
    meta = session.get_modelmeta().custom_metadata_map
    wrong = sorted(k for k, v in {"sqe_onnx_part": name, "model": model, **expected}.items() if meta.get(k) != v)
    layout = [k for k in wrong if k in expected]
    if layout and meta.get("model") == model:
        raise SqeError(f"{where}: its {name} graph has another layout than this sqe drives ("
                       + ", ".join(f"{k} {meta.get(k)!r}, expected {expected[k]!r}" for k in layout)
                       + "): made by another version of sqe; export the package again with sqe.bin.export_onnx")
    if wrong:
        raise SqeError(f"{where}: its {name} graph does not belong to this model (metadata {', '.join(wrong)} "
                       f"differ); re-export the package with sqe.bin.export_onnx --overwrite")
    return session, meta


class OnnxBackend:
    """``OnnxBackend(model_onnx_bytes_or_path, where="model.onnx", threads=0, parts={"heads": graph, "stream":
    graph})`` (the part graphs as bytes or paths, either or both, or none)."""

    def __init__(self, model: bytes | str, where: str = "model.onnx", threads: int = 0,
                 parts: Mapping[str, bytes | str] | None = None):
        self.session = _session(model, threads)
        meta = read_metadata(self.session.get_modelmeta().custom_metadata_map, where)
        self.pad_left, self.pad_window, self.dim = meta["pad_left"], meta["pad_window"], meta["dim"]
        self.input_norm, self.output_norm, self.level = meta["input_norm"], meta["output_norm"], meta["level"]
        self.embeddings = meta["embeddings"]
        self.context_frames, self.decoder_context = meta["context_frames"], meta["decoder_context"]
        self._no_signal = np.zeros((1, self.pad_window), dtype=np.float32)
        self._no_x = np.zeros((1, 1, self.dim), dtype=np.float32)
        parts = parts or {}
        self.heads = self.stream = None
        self.conv_context: int | None = None  # frames each side the context convolutions see (heads graph)
        self.latent_dim = self.dim
        model = meta.get("model")  # the fingerprint (graphs of sqe before the parts have none, and no parts)
        if "heads" in parts:
            self.heads, hmeta = _part(parts["heads"], "heads", where, threads, model)
            self.conv_context = int(hmeta["conv_context"]) if hmeta.get("context") == "1" else None
            self.latent_dim = int(hmeta["latent_dim"])
            self._no_latent = np.zeros((1, 1, self.latent_dim), dtype=np.float32)
        if "stream" in parts:
            self.stream, _ = _part(parts["stream"], "stream", where, threads, model, geometry=STREAM_GEOMETRY)

    def padded(self, piece: np.ndarray, peak: float | None) -> np.ndarray:
        """The encoder's input: level-normalised samples after ``pad_left`` zeros, ``pad_window + 320 (L - 1)``
        samples in all (as the torch encoders pad)."""
        n = piece.size
        if self.level == "peak":
            piece = piece / np.float32((peak_of(piece) if peak is None else peak) + 1e-8)
        out = np.zeros((1, self.pad_window + HOP * (num_frames(n) - 1)), dtype=np.float32)
        width = min(n, out.shape[1] - self.pad_left)
        out[0, self.pad_left:self.pad_left + width] = piece[:width]
        return out

    def encode(self, piece: np.ndarray, peak: float | None) -> np.ndarray:
        (x,) = self.session.run(["x"], {"padded": self.padded(piece, peak), "x_in": self._no_x})
        return x[0]

    def incremental(self) -> OnnxIncrementalEncoder | None:
        """A stream encoder that computes each frame once (the package's stream and heads graphs); None: a
        stream re-encodes each step's receptive field with ``encode``."""
        if self.stream is None or self.heads is None or self.conv_context is None:
            return None
        return OnnxIncrementalEncoder(self.stream, self.heads, self.conv_context, self.dim, self.latent_dim)

    def decode(self, x: np.ndarray, names: Sequence[str]) -> dict[str, np.ndarray]:
        x_in = np.ascontiguousarray(x, dtype=np.float32)[None]
        if self.heads is not None:  # the decoders alone
            feeds = {"x_in": x_in, **({"lat_in": self._no_latent} if self.conv_context is not None else {})}
            outs = self.heads.run(list(names), feeds)
        else:
            outs = self.session.run(list(names), {"padded": self._no_signal, "x_in": x_in})
        return {name: out[0] for name, out in zip(names, outs)}
