"""Teacher frame scores (paper §3): q_deg and q_ref of every pair of a parallel data dir from a trained
frame-level model (the project's Baseline), median-filtered, in MOS units, as ``qdeg``/``qref`` arks."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from sqe.data.arks import write_arrays
from sqe.data.datadir import DataDir
from sqe.data.tables import DataError
from sqe.infer.runner import AudioItem, check_frame_rate, choose_device, run_model, use_bf16
from sqe.metrics.smoothing import check_size, median_filter
from sqe.models.frames import num_frames
from sqe.models.checkpoint import load_model
from sqe.utils.log import get_logger

log = get_logger(__name__)


@dataclass
class TeacherConf:
    medfilt_size: int = 3  # median filter over each utterance's frame scores (1: none)
    medfilt_edge: Literal["nearest", "zero"] = "nearest"  # zero: scipy.signal.medfilt, the authors' code
    device: Literal["auto", "cpu", "cuda"] = "auto"
    max_audio_s: float = 120.0  # audio per inference batch
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # bf16 autocast on GPU, as test inference and enrollment
    num_workers: int = 0  # processes reading the audio ahead of the model

    def __post_init__(self) -> None:
        check_size(self.medfilt_size)


def parallel_items(dd: DataDir, path: Path) -> tuple[list[AudioItem], list[AudioItem], dict[str, str]]:
    """Degraded items per utterance, reference items per distinct reference, and utt -> reference key."""
    if "ref.scp" not in dd:
        raise DataError(f"{path} has no ref.scp: teacher scores need a parallel (reference, degraded) data dir")
    if "segments" in dd:
        raise DataError(f"{path}: parallel data dirs with segments are not supported")
    n = dd.get("utt2num_samples") or {}
    deg = [AudioItem(u, dd["wav.scp"][u], n.get(u, 0)) for u in dd.utts]
    ref_key: dict[str, str] = {}
    refs: dict[str, AudioItem] = {}
    for u in dd.utts:
        entry = dd["ref.scp"][u]
        key = refs[entry].key if entry in refs else u
        refs.setdefault(entry, AudioItem(key, entry, n.get(u, 0)))
        ref_key[u] = key
    return deg, list(refs.values()), ref_key


def dump_frame_scores(checkpoint: Path, data: Path, out: Path, conf: TeacherConf) -> dict[str, int]:
    device = choose_device(conf.device)
    model = load_model(checkpoint, device)
    check_frame_rate(model, device)
    dd = DataDir.load(data)
    deg, refs, ref_key = parallel_items(dd, data)
    bf16 = use_bf16(conf.precision, device)
    q_deg = {k: median_filter(v["q"], conf.medfilt_size, conf.medfilt_edge)
             for k, v in run_model(model, deg, device, conf.max_audio_s, autocast=bf16, desc="q_deg",
                                   num_workers=conf.num_workers)}
    q_ref_unique = {k: median_filter(v["q"], conf.medfilt_size, conf.medfilt_edge)
                    for k, v in run_model(model, refs, device, conf.max_audio_s, autocast=bf16, desc="q_ref",
                                          num_workers=conf.num_workers)}
    q_ref = {u: q_ref_unique[ref_key[u]] for u in dd.utts}
    mismatched = [u for u in dd.utts if q_ref[u].size != q_deg[u].size]
    for u in dd.utts:
        if "utt2num_samples" in dd and q_deg[u].size != num_frames(dd["utt2num_samples"][u]):
            raise DataError(f"{data}: '{u}': the teacher gave {q_deg[u].size} frames for "
                            f"{dd['utt2num_samples'][u]} samples")
    write_arrays(out, "qdeg", q_deg)
    write_arrays(out, "qref", q_ref)
    means = np.array([[q_ref[u].mean(), q_deg[u].mean()] for u in dd.utts])
    log.info("%s: %d pairs; mean teacher MOS ref %.2f, deg %.2f; %d pair(s) of unequal length", data, len(dd),
             means[:, 0].mean(), means[:, 1].mean(), len(mismatched))
    return {"pairs": len(dd), "length_mismatch": len(mismatched)}
