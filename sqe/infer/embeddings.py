"""Inference over a data dir (frame MOS and every embedding to arks) and clean enrollment embeddings.

Arks in ``out``: ``q`` (frame MOS, MOS units) and, per embedding type, ``x``, ``z_mos``, ``z_scl``,
``z_tilde`` (``(L, D)`` float32, or float16 with ``float16: true``). The enrollment of a model and embedding
type (paper §6.2) is the mean over a clean set of each utterance's mean frame embedding.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from sqe.audio.io import TARGET_SR
from sqe.data.arks import write_arrays
from sqe.data.datadir import DataDir
from sqe.data.tables import DataError
from sqe.infer.enrollment import ENROLLMENT_FILE
from sqe.infer.runner import AudioItem, check_frame_rate, choose_device, run_model, use_bf16
from sqe.models.checkpoint import load_model
from sqe.utils.atomic import write_text_atomic
from sqe.utils.log import get_logger

log = get_logger(__name__)
EMBEDDINGS = ("x", "z_mos", "z_scl", "z_tilde")


@dataclass
class InferConf:
    embeddings: list[str] = field(default_factory=lambda: list(EMBEDDINGS))  # those the model has are written
    float16: bool = False  # store embeddings as float16 (half the disk)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    max_audio_s: float = 120.0  # audio per batch
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # bf16 autocast on GPU (inference and enrollment alike)
    num_workers: int = 0  # processes reading the audio ahead of the model

    def __post_init__(self) -> None:
        bad = [e for e in self.embeddings if e not in EMBEDDINGS]
        if bad:
            raise ValueError(f"unknown embedding(s) {bad} (known: {', '.join(EMBEDDINGS)})")


def items_of(dd: DataDir, source: str = "wav.scp", unique: bool = False) -> list[AudioItem]:
    """Audio items of a data dir (``source``: wav.scp or ref.scp; ``unique``: each audio entry once)."""
    if source not in dd:
        raise DataError(f"{dd.path}: no {source}")
    seen: set[str] = set()
    items = []
    n = dd.get("utt2num_samples") or {}
    for utt in dd.utts:
        entry, start, end = dd.audio_entry(utt, source)
        if unique and entry in seen:
            continue
        seen.add(entry)
        items.append(AudioItem(utt, entry, n.get(utt, TARGET_SR), start, end))
    return items


def infer_dir(checkpoint: Path, data: Path, out: Path, conf: InferConf) -> dict[str, int]:
    device = choose_device(conf.device)
    model = load_model(checkpoint, device)
    check_frame_rate(model, device)
    dd = DataDir.load(data)
    items = items_of(dd)
    if not items:
        raise DataError(f"{data}: empty data dir")
    results = dict(run_model(model, items, device, conf.max_audio_s, embeddings=True,
                             autocast=use_bf16(conf.precision, device), desc=f"infer {data}",
                             num_workers=conf.num_workers))
    write_arrays(out, "q", {k: v["q"] for k, v in results.items()})
    dtype = np.float16 if conf.float16 else np.float32
    written = []
    for name in conf.embeddings:
        if name in next(iter(results.values())):
            write_arrays(out, name, {k: v[name].astype(dtype) for k, v in results.items()})
            written.append(name)
    log.info("%s: %d utterances -> %s (q, %s)", data, len(results), out, ", ".join(written))
    return {"utterances": len(results)}


def enroll_dir(checkpoint: Path, data: Path, source: str, out: Path, conf: InferConf) -> dict[str, np.ndarray]:
    """Enrollment embeddings from the clean audio ``source`` (ref.scp or wav.scp) of a data dir."""
    device = choose_device(conf.device)
    model = load_model(checkpoint, device)
    dd = DataDir.load(data)
    items = items_of(dd, source, unique=True)
    sums: dict[str, np.ndarray] = {}
    count = 0
    for _, res in run_model(model, items, device, conf.max_audio_s, embeddings=True,
                            autocast=use_bf16(conf.precision, device), desc=f"enroll {data}",
                            num_workers=conf.num_workers):
        for name in EMBEDDINGS:
            if name in res:
                sums[name] = sums.get(name, 0) + res[name].astype(np.float64).mean(0)
        count += 1
    enrollment = {k: (v / count).astype(np.float32) for k, v in sums.items()}
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / ENROLLMENT_FILE, **enrollment)
    write_text_atomic(out / "enrollment.json", json.dumps(
        {"data": str(data), "source": source, "utterances": count, "embeddings": sorted(enrollment)}, indent=2) + "\n")
    log.info("enrollment from %d clean utterances of %s/%s: %s", count, data, source, ", ".join(sorted(enrollment)))
    return enrollment
