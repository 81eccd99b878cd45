"""Adding ``model.onnx`` to a model package (``sqe.bin.export_onnx``), checked against the torch model.

The graph (sqe.models.onnx_graph) is exported with a dynamic time axis; its metadata tells the torch-free
backend (sqe.infer.onnx_backend) how to pad and normalise. The part graphs (sqe.models.onnx_parts:
``model.heads.onnx``, and ``model.stream.onnx`` for DistillMOS encoders) are exported beside it. Before the
package is changed, both backends analyse a probe signal (4 s of band-limited noise bursts with level steps,
longer than one analysis window so that the windowed path with a whole-signal peak is exercised) through the
same windowed driver, the ONNX side decoding with the heads graph, and a stream encodes it through the stream
graph; the largest differences of frame MOS and of the detection score (1 - cos to the package's enrollment)
from torch's must stay within ``tolerance``. ``package.json`` then lists the files' SHA-256 with the other payload
files and records the check in its ``onnx`` block; a sibling ``.zip`` of a directory package is rewritten.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sqe.audio.io import TARGET_SR
from sqe.infer.framing import WindowConf, frame_mean, frame_outputs_of, output_scale, peak_of, standardized
from sqe.infer.onnx_backend import ONNX_FORMAT, OnnxBackend
from sqe.infer.onnx_stream import STREAM_GEOMETRY
from sqe.infer.scores import cosine_scores
from sqe.package.format import (INFO_FILE, ONNX_FILE, ONNX_PARTS, extract_package, package_members, sha256,
                                zip_package)
from sqe.utils.atomic import atomic_path, write_text_atomic
from sqe.utils.errors import SqeError

PROBE_SEED = 20261206
PARTS_FORMAT = "sqe-onnx-parts-2"  # the part graphs' layout (sqe.models.onnx_parts)
STREAM_BLOCK = 1600  # samples per push when the probe is streamed (0.1 s, the monitor's default step)


@dataclass
class ExportConf:
    opset: int = 17
    tolerance: float = 1e-3  # largest allowed |torch - onnx| of frame MOS and detection scores on the probe
    probe_s: float = 4.0  # probe length; analysed in windows of probe_s / 2 (with the whole signal's statistics)

    def __post_init__(self) -> None:
        if not 13 <= self.opset <= 20:
            raise ValueError("opset must be in 13..20")
        if self.tolerance <= 0 or self.probe_s < 2.0:
            raise ValueError("tolerance must be positive and probe_s at least 2 s")


def probe_signal(seconds: float, rate: int = TARGET_SR) -> np.ndarray:
    """Deterministic test audio: noise bursts through a moving resonance, with level steps and a silent gap."""
    rng = np.random.default_rng(PROBE_SEED)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    noise = rng.standard_normal(n).astype(np.float32)
    tone = np.sin(2 * np.pi * (150 + 60 * np.sin(2 * np.pi * 0.7 * t)) * t).astype(np.float32)
    envelope = (0.5 + 0.5 * np.sin(2 * np.pi * 3.0 * t)) * np.where(t % 1.0 < 0.5, 1.0, 0.3)
    wav = (0.3 * tone + 0.05 * noise) * envelope.astype(np.float32)
    wav[int(0.45 * n):int(0.5 * n)] = 0.0
    return wav.astype(np.float32)


def _write_graph(graph, args: tuple, inputs: list[str], outputs: list[str], axes: dict[str, dict[int, str]],
                 meta: dict[str, str], path: Path, opset: int) -> None:
    """Trace ``graph`` (a module in eval mode) on ``args`` into an ONNX file at ``path`` with the metadata
    ``meta`` (its previous metadata dropped), checked by onnx.checker."""
    import onnx
    import torch

    with tempfile.TemporaryDirectory(prefix="sqe-onnx-") as tmp:
        raw = Path(tmp) / "raw.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            # the tracer's notes on shape-dependent Python values: the graphs are checked against torch
            warnings.simplefilter("ignore")
            torch.onnx.export(graph, args, str(raw), input_names=inputs, output_names=outputs,
                              dynamic_axes={k: v for k, v in axes.items() if k in (*inputs, *outputs)},
                              opset_version=opset, dynamo=False)
        proto = onnx.load(str(raw))
    del proto.metadata_props[:]
    for key, value in meta.items():
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    with atomic_path(path) as tmp_path:
        onnx.save(proto, str(tmp_path))


def export_graph(model, path: Path, opset: int, model_id: str | None = None) -> None:
    """``model.onnx`` of an LSSQAModel with its backend metadata, written to ``path``; ``model_id``: the model's
    fingerprint (sqe.models.onnx_parts.fingerprint), computed here if not given."""
    import torch

    from sqe.models.onnx_graph import ExportGraph, pad_layout
    from sqe.models.onnx_parts import fingerprint

    # the wrapper in eval mode too: the exporter restores the mode it found, recursively, into the model
    graph = ExportGraph(model.cpu().eval()).eval()
    left, window = pad_layout(model)
    frames = 60
    padded = torch.zeros(1, window + 320 * (frames - 1))
    x_in = torch.zeros(1, frames + 3, model.encoder.dim)
    names = graph.output_names()
    axes = {"padded": {1: "samples"}, "x_in": {1: "frames_in"}, "x": {1: "frames"},
            **{n: {1: "frames_in"} for n in names[1:]}}
    conf = model.conf
    meta = {"sqe_onnx_format": ONNX_FORMAT, "pad_left": str(left), "pad_window": str(window),
            "input_norm": conf.input_norm, "output_norm": conf.output_norm,
            "level": model.encoder.level,
            "context_frames": "" if model.encoder.context_frames is None else str(model.encoder.context_frames),
            "decoder_context": str(model.decoder_context),
            "embeddings": ",".join(model.embedding_names), "dim": str(model.encoder.dim),
            "model": model_id or fingerprint(model)}
    _write_graph(graph, (padded, x_in), ["padded", "x_in"], names, axes, meta, path, opset)


def streamed_outputs(backend: OnnxBackend, wav: np.ndarray, embedding: str) -> dict[str, np.ndarray] | None:
    """Frame outputs of ``wav`` encoded as a stream by the backend's stream graph (pushed in 0.1-s blocks, with
    the whole signal's statistics, frames taken as soon as they are ready), or None without one."""
    encoder = backend.incremental()
    if encoder is None:
        return None
    signal = standardized(wav) if backend.input_norm == "standardize" else wav
    peak, lag, frames = peak_of(signal), backend.context_frames or 0, -(-signal.size // 320)
    x = []
    for a in range(0, signal.size, STREAM_BLOCK):
        encoder.push(signal[a:a + STREAM_BLOCK], peak)
        ready = min(signal.size, a + STREAM_BLOCK) // 320 - lag
        if ready > len(x):
            x += list(encoder.frames(len(x), ready))
    encoder.finish()
    xs = np.concatenate([np.reshape(x, (-1, backend.dim)), encoder.frames(len(x), frames, final=True)])
    if backend.output_norm == "mean_l2":
        xs = xs / output_scale(frame_mean(xs))
    return backend.decode(xs, ["q", embedding])


def export_parts(model, directory: Path, opset: int, model_id: str | None = None) -> dict[str, str]:
    """Write the part graphs of ``model`` (sqe.models.onnx_parts) into ``directory``: ``{role: file name}``;
    ``model_id`` as for ``export_graph``."""
    import torch

    from sqe.models.encoders import DistillMOSEncoder
    from sqe.models.onnx_parts import HeadsGraph, StreamGraph, fingerprint

    model = model.cpu().eval()
    dim = model.encoder.dim
    heads = HeadsGraph(model).eval()  # eval: the exporter restores the wrapper's mode into the model
    latent_dim = model.encoder.convs[0].in_channels if heads.context else dim
    conv_context = sum(c.kernel_size[0] // 2 for c in model.encoder.convs) if heads.context else None
    jobs = [("heads", heads, (torch.zeros(1, 24, dim), torch.zeros(1, 24, latent_dim))[:len(heads.input_names())],
             heads.input_names(), heads.output_names(),
             {"x_in": {1: "frames_in"}, "lat_in": {1: "latents_in"}, "q": {1: "frames_in"},
              **{n: {1: "frames_in"} for n in model.embedding_names}, "x": {1: "latents_in"}},
             {"context": "1" if heads.context else "0",
              "conv_context": "" if conv_context is None else str(conv_context)})]
    if isinstance(model.encoder, DistillMOSEncoder):
        stream = StreamGraph(model.encoder).eval()
        shapes = stream.state_shapes()
        states = [f"state{i}" for i in range(len(shapes))]
        jobs.append(("stream", stream,
                     (torch.zeros(1, 160 * 32), torch.zeros(1, 1, 0, 1), *(torch.zeros(1, c, 2, f) for c, f in shapes)),
                     ["samples", "right", *states], ["latents", *(f"tail{i}" for i in range(len(shapes)))],
                     {"samples": {1: "samples"}, "right": {2: "pad_right"}, "latents": {1: "frames"},
                      **{name: {2: f"kept{i}"} for i, name in enumerate(states)}},
                     {"geometry": STREAM_GEOMETRY}))
    common = {"dim": str(dim), "latent_dim": str(latent_dim), "model": model_id or fingerprint(model)}
    for role, graph, args, inputs, outputs, axes, meta in jobs:
        _write_graph(graph, args, inputs, outputs, axes, {"sqe_onnx_part": role, **meta, **common},
                     Path(directory) / ONNX_PARTS[role], opset)
    return {job[0]: ONNX_PARTS[job[0]] for job in jobs}


def compare_backends(model, onnx_path: Path, enrollment: dict[str, np.ndarray], embedding: str,
                     conf: ExportConf, parts: dict[str, str] | None = None) -> dict[str, float]:
    """Largest |torch - onnx| of frame MOS ``q`` and of the detection score on the probe signal, offline and, with
    a stream graph among ``parts`` (role -> path), streamed (``stream_q``, ``stream_score``)."""
    from sqe.infer.windowed import TorchBackend

    wav = probe_signal(conf.probe_s)
    window = WindowConf(window_s=conf.probe_s / 2, context_s=0.5)
    torch_out = frame_outputs_of(TorchBackend(model), wav, window, (embedding,))
    backend = OnnxBackend(str(onnx_path), str(onnx_path), parts=parts)
    outs = {"": frame_outputs_of(backend, wav, window, (embedding,))}
    streamed = streamed_outputs(backend, wav, embedding)
    if streamed is not None:
        outs["stream_"] = streamed
    ref = cosine_scores({"p": torch_out[embedding]}, enrollment[embedding])["p"]
    diffs = {}
    for prefix, out in outs.items():
        score = cosine_scores({"p": out[embedding]}, enrollment[embedding])["p"]
        diffs[f"{prefix}q"] = float(np.abs(torch_out["q"] - out["q"]).max())
        diffs[f"{prefix}score"] = float(np.abs(ref - score).max())
    return diffs


def up_to_date(info: dict[str, Any], conf: ExportConf) -> bool:
    """The package already has a checked model.onnx of this model, format and opset."""
    block, files = info.get("onnx") or {}, info.get("files") or {}
    return (ONNX_FILE in files and block.get("format") == ONNX_FORMAT and block.get("parts_format") == PARTS_FORMAT
            and all(part in files for part in block.get("parts", [])) and block.get("opset") == conf.opset
            and block.get("model.pt") == files.get("model.pt"))


def add_onnx_to_dir(root: Path, where: str, conf: ExportConf, log) -> dict[str, Any]:
    """Export, check and register ``model.onnx`` in the package directory ``root``."""
    import onnxruntime

    from sqe.models.onnx_parts import fingerprint
    from sqe.package.load import load_package

    package = load_package(root)
    with tempfile.TemporaryDirectory(prefix="sqe-onnx-") as tmp:
        candidate = Path(tmp) / ONNX_FILE
        model_id = fingerprint(package.model)  # one hash of the weights for all graphs
        export_graph(package.model, candidate, conf.opset, model_id)
        roles = export_parts(package.model, Path(tmp), conf.opset, model_id)
        parts = sorted(roles.values())
        diffs = compare_backends(package.model, candidate, package.enrollment, package.embedding, conf,
                                 {role: str(Path(tmp) / name) for role, name in roles.items()})
        log.info("%s: onnx vs torch on the probe signal: %s", where,
                 ", ".join(f"max |d {k}| {v:.2e}" for k, v in diffs.items()))
        worst = max(diffs.values())
        if worst > conf.tolerance:
            raise SqeError(f"{where}: the exported graphs differ from the torch model by {worst:.2e} on the probe "
                           f"signal (tolerance {conf.tolerance:g}); the package is left unchanged")
        for name in (ONNX_FILE, *parts):
            with atomic_path(root / name) as dest:
                shutil.copyfile(Path(tmp) / name, dest)
    info = package.info
    for name in (ONNX_FILE, *parts):
        info["files"][name] = sha256(root / name)
    info["onnx"] = {"format": ONNX_FORMAT, "parts_format": PARTS_FORMAT, "parts": parts, "opset": conf.opset,
                    "model.pt": info["files"]["model.pt"], "onnxruntime": onnxruntime.__version__,
                    "probe_max_abs_diff": diffs, "tolerance": conf.tolerance}
    write_text_atomic(root / INFO_FILE, json.dumps(info, indent=2, sort_keys=True) + "\n")
    return info


def add_onnx(path: Path, conf: ExportConf, log, overwrite: bool = False) -> dict[str, Any] | None:
    """Add ``model.onnx`` to the package at ``path`` (a directory, then also its sibling ``.zip`` if there is
    one, or a ``.zip``); None when it is already up to date."""
    from sqe.package.load import load_package

    info = load_package(path, backend="none").info  # verified, no model loaded
    if up_to_date(info, conf) and not overwrite:
        log.info("%s already has a checked %s (opset %d): skipping (use --overwrite to redo)", path, ONNX_FILE,
                 conf.opset)
        return None
    if path.is_dir():
        info = add_onnx_to_dir(path, str(path), conf, log)
        sibling = path.with_name(path.name + ".zip")
        if sibling.is_file():
            zip_package(path, sibling)
        return info
    with tempfile.TemporaryDirectory(prefix="sqe-package-") as tmp:
        root = Path(tmp)
        extract_package(path, root, package_members(info))
        info = add_onnx_to_dir(root, str(path), conf, log)
        zip_package(root, path)
    return info
