"""Building a model package (``sqe.bin.pack_model``) from an experiment directory.

Contents (format ``sqe-model-package-1``): ``model.pt`` (the self-contained checkpoint without optimiser state),
``enrollment.npz`` (the clean enrollment, one vector per embedding), ``prototypes.npz`` (per embedding the
class names and the normalised mean embedding of each class's oracle segments in the validation mix-up set),
``MODEL_CARD.md`` and ``package.json`` (what the files are, detection thresholds, the open-set similarity,
the median filter of the detection scores, provenance and the SHA-256 of every file).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sqe.audio.io import TARGET_SR
from sqe.eval.evaluate import SetArrays, detection_scores, ground_truth, load_set, package_embedding
from sqe.infer.enrollment import load_enrollment
from sqe.metrics.embedding import class_prototypes, l2_normalize, segment_embeddings
from sqe.eval.operating import RegionConf, speech_flags, tune_threshold
from sqe.metrics.events import IAUCSettings
from sqe.metrics.smoothing import check_size, smooth_scores
from sqe.package.card import model_card
from sqe.package.format import FORMAT, INFO_FILE, OPTIONAL, PAYLOAD, sha256, zip_package
from sqe.models.lssqa import LSSQAModel
from sqe.models.checkpoint import load_model, read_checkpoint
from sqe.utils.atomic import atomic_path, write_text_atomic
from sqe.utils.errors import SqeError
from sqe.utils.provenance import environment_record

@dataclass
class PackConf:
    embedding: str | None = None  # detection and type embedding; null: the best on validation (intersection F1)
    open_set_quantile: float = 0.01  # a region less similar to its nearest prototype than this share of the
    # validation segments to their own class prototype is reported as type 'unknown'
    zip: bool = False  # also write OUT.zip (the same files)
    name: str | None = None  # package name; null: the experiment directory's name
    # median filter (frames) over detection scores before the threshold, in packing and in sqe.bin.analyze;
    # null: the medfilt_size the --results sets were scored with (they must agree)
    medfilt_size: int | None = None
    # false regions per minute of the validation set's clean speech that the threshold may allow (see
    # sqe.eval.operating); null: the value the --results sets were scored with (they must agree)
    max_false_per_min: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.open_set_quantile < 1.0:
            raise ValueError("open_set_quantile must be in [0, 1)")
        if self.medfilt_size is not None:
            check_size(self.medfilt_size)
        if self.max_false_per_min is not None and self.max_false_per_min < 0:
            raise ValueError("max_false_per_min must not be negative")


def _scored_setting(results: dict[str, Any], key: str, default: Any) -> Any:
    """A scoring setting every results set agrees on (``default`` for results written before it existed)."""
    values = {s: m.get("settings", {}).get(key, default) for s, m in results.items()}
    if len({json.dumps(v) for v in values.values()}) > 1:
        raise SqeError(f"the results were scored with different {key} {values}; give --{key}")
    return next(iter(values.values()), default)


def _medfilt_size(conf: PackConf, results: dict[str, Any]) -> int:
    """The configured size, else the one every results set was scored with (1 for results without it)."""
    if conf.medfilt_size is not None:
        return conf.medfilt_size
    return int(_scored_setting(results, "medfilt_size", 1))


def _results(exp: Path, sets: list[str]) -> dict[str, Any]:
    out = {}
    for s in sets:
        path = exp / "results" / s / "metrics.json"
        if not path.is_file():
            raise SqeError(f"{path} does not exist (made by sqe.bin.score)")
        out[s] = json.loads(path.read_text())
    return out


def _check_dimensions(model: LSSQAModel, enrollment: dict[str, np.ndarray], valid: SetArrays, path: Path) -> None:
    """Enrollment and validation embeddings must come from this model: compare their sizes with its outputs."""
    with torch.no_grad():
        dims = {k: v.shape[-1] for k, v in model(torch.zeros(1, TARGET_SR), torch.tensor([TARGET_SR])).embeddings().items()}
    for source, arrays in (("enrollment", enrollment), ("validation inference", {
            k: next(iter(v.values())) for k, v in valid.embeddings.items() if v})):
        for name, arr in arrays.items():
            if name in dims and arr.shape[-1] != dims[name]:
                raise SqeError(f"the {source} has {name} of size {arr.shape[-1]}, the model {path} gives "
                               f"{dims[name]}: they come from different models")


def write_package(checkpoint: Path, enrollment: dict[str, np.ndarray], valid: SetArrays, out: Path,
                  conf: PackConf, results: dict[str, Any], sources: dict[str, str],
                  valid_speech: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Write the package files into ``out`` (package.json last: a package without it is incomplete). The
    training run is the checkpoint's experiment dir (``<exp>/checkpoints/<name>.pt``)."""
    train_dir = checkpoint.resolve().parent.parent
    payload = read_checkpoint(checkpoint)
    _check_dimensions(load_model(checkpoint), enrollment, valid, checkpoint)
    medfilt = _medfilt_size(conf, results)
    scores = smooth_scores(detection_scores(valid, enrollment), medfilt)
    truth = ground_truth(valid)[0]
    limit = conf.max_false_per_min
    if limit is None:
        limit = _scored_setting(results, "max_false_per_min", None)
    if limit is not None and valid_speech is None:
        raise SqeError("max_false_per_min needs the validation set's speech flags")
    thresholds = {}
    for name, per_utt in scores.items():
        thresholds[name] = {k: float(v) for k, v in tune_threshold(
            per_utt, truth, valid.degraded, valid_speech, IAUCSettings(), RegionConf(), limit).items()}
    emb = package_embedding(thresholds, conf.embedding)
    out.mkdir(parents=True, exist_ok=True)
    for stale in (INFO_FILE, *OPTIONAL):  # an ONNX graph of an earlier model must not outlive it
        (out / stale).unlink(missing_ok=True)

    lean = {k: payload[k] for k in ("format", "model_conf", "model", "encoder_architecture") if k in payload}
    with atomic_path(out / "model.pt") as tmp:
        torch.save(lean, tmp)
    with atomic_path(out / "enrollment.npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **enrollment)

    protos: dict[str, np.ndarray] = {}
    open_set = None
    for name, frames in valid.embeddings.items():
        seg, labels, _ = segment_embeddings(frames, valid.classes)
        if len(seg) == 0:
            raise SqeError(f"{sources.get('validation_set')}: no degraded segments to make prototypes from")
        classes, vectors = class_prototypes(seg, labels)
        protos[f"{name}/classes"], protos[f"{name}/vectors"] = classes.astype(str), vectors.astype(np.float32)
        if name == emb:  # similarity of each validation segment to its own class prototype
            own = (l2_normalize(seg) * vectors[np.searchsorted(classes, labels)]).sum(1)
            open_set = float(np.quantile(own, conf.open_set_quantile))
    with atomic_path(out / "prototypes.npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **protos)

    env = environment_record()
    info: dict[str, Any] = {
        "format": FORMAT, "name": conf.name or train_dir.name, "embedding": emb,
        "score": "1 - cos(enrollment, frame embedding); MOS-based: -q (higher = more degraded)",
        "thresholds": thresholds, "medfilt_size": medfilt, "open_set_similarity": open_set, "open_set_quantile": conf.open_set_quantile,
        "frame_rate_hz": 50, "sample_rate_hz": TARGET_SR,
        "model_conf": payload["model_conf"], "classes": int(len(protos[f"{emb}/classes"])),
        "provenance": {"sqe": env["packages"].get("sqe"), "git": env["git"], "created": env["time"],
                       "checkpoint": str(checkpoint.resolve()), **sources},
    }
    train_env = train_dir / "env.json"
    card = model_card(info, results, json.loads(train_env.read_text()) if train_env.is_file() else {})
    write_text_atomic(out / "MODEL_CARD.md", card)
    info["files"] = {f: sha256(out / f) for f in PAYLOAD}
    write_text_atomic(out / INFO_FILE, json.dumps(info, indent=2, sort_keys=True) + "\n")
    if conf.zip:
        zip_package(out, out.with_name(out.name + ".zip"))
    return info


def build_package(exp: Path, valid_infer: Path, valid_data: Path, enroll: Path, results: list[str], out: Path,
                  conf: PackConf, checkpoint: Path | None = None) -> dict[str, Any]:
    """The package of the model evaluated in ``exp`` from the recipe's outputs: validation inference and mix-up
    set, enrollment, metrics of the test sets; ``checkpoint`` defaults to ``exp/checkpoints/best.pt``."""
    valid = load_set(valid_infer, valid_data)
    speech = speech_flags(valid_data, {k: v.size for k, v in valid.degraded.items()}, RegionConf().speech_floor_db)
    return write_package(checkpoint or exp / "checkpoints" / "best.pt", load_enrollment(enroll), valid, out, conf,
                         _results(exp, results), {"experiment": str(exp.resolve()), "validation_set": str(valid_data),
                                                  "enrollment": str(enroll)}, speech)
