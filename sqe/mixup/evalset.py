"""Fixed partial-mix-up evaluation sets (paper §6.1.1): each source pair mixed once with longer segments
(0.4-2.0 s) and, by default, the contrastive constraints; rendered to audio so every model sees the same set.

Output data dir: ``wav.scp`` (float WAV of the spliced, normalised signal), ``mix2src``, ``mix_segments``
(onset, offset, class of each degraded segment), ``utt2mos`` (mean pseudo-target), ``utt2cls`` (the source's
class), ``utt2num_samples``, ``cls2id`` (clean 0 and the classes of this set), ``frame_cls`` and ``qpseudo``
arks, and ``ground_truth.tsv`` / ``durations.tsv`` in the sed_scores_eval format (event label ``degraded``).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from sqe.audio.distance import frame_distance
from sqe.audio.io import TARGET_SR, load_audio, write_wav
from sqe.audio.speech import regions_from_frames
from sqe.data.arks import check_frames, mismatched_frames, read_arrays, write_arrays
from sqe.data.datadir import DataDir
from sqe.data.tables import DataError, LabelledRegion
from sqe.mixup.masks import MixupConf, allowed_region, allowed_where, sample_mask, skip_reason
from sqe.mixup.splice import CLEAN, mix
from sqe.mixup.vad import read_speech_frames
from sqe.models.frames import FRAME_RATE, num_frames
from sqe.utils.atomic import write_text_atomic
from sqe.utils.log import get_logger
from sqe.utils.progress import progress

log = get_logger(__name__)
UNKNOWN = "unknown"
EVENT = "degraded"


def _eval_mixup() -> MixupConf:
    return MixupConf(p=1.0, min_segments=1, max_segments=3, min_dur=0.4, max_dur=2.0, constrained=True)


@dataclass
class MixupSetConf:
    seed: int = 0
    mixup: MixupConf = field(default_factory=_eval_mixup)  # p is ignored: every pair is mixed once if it can be
    # What the constraints read (with mixup.constrained). teacher: the teacher's frame scores, as the paper
    # (min_mos_ref, max_mos_deg and diff_threshold on q_ref and q_deg). signal: the audio and the corpus labels,
    # so the set does not depend on a trained model and is the same on every machine and for every seed: a
    # pair is skipped when its utt2mos label is above max_mos_deg, and segments go where the degraded signal's
    # log-spectral distance from its reference (sqe.audio.distance) exceeds min_distance_db (dilated by
    # dilation_s, cut by the speech regions). min_mos_ref and diff_threshold are then not used (a reference
    # has no label of its own in a data dir). The teacher still gives the pseudo-targets (qpseudo, utt2mos).
    # Such sets also hold what the teacher does not hear as worse: a different, harder test than the paper's
    # (egs/mini/README.md, "Other machines"); used where no trained teacher can be trusted (tiny corpora, CI).
    constraints_from: Literal["teacher", "signal"] = "teacher"
    min_distance_db: float = 1.0

    def __post_init__(self) -> None:
        if self.mixup.domain != "waveform":
            raise ValueError("mixup.domain: evaluation sets are spliced waveforms (domain: waveform)")
        if self.min_distance_db < 0:
            raise ValueError("min_distance_db must be >= 0")


def _seed(seed: int, key: str) -> list[int]:
    import zlib

    return [seed, zlib.crc32(key.encode())]


def signal_region(ref: np.ndarray, deg: np.ndarray, speech: np.ndarray | None, conf: MixupSetConf) -> np.ndarray:
    """Frames where the pair differs by more than min_distance_db (dilated), inside the speech regions."""
    return allowed_where(frame_distance(ref, deg) > conf.min_distance_db, speech, conf.mixup)


def make_mixup_set(data: Path, scores: Path, vad: Path | None, out: Path, conf: MixupSetConf) -> Counter:
    dd = DataDir.load(data)
    if "ref.scp" not in dd:
        raise DataError(f"{data} has no ref.scp: a mix-up set needs a parallel (reference, degraded) data dir")
    frames = {u: num_frames(dd["utt2num_samples"][u]) for u in dd.utts}
    q_ref, q_deg = read_arrays(scores / "qref.scp"), read_arrays(scores / "qdeg.scp")
    check_frames(q_deg, frames, f"{scores}/qdeg.scp")
    unequal = mismatched_frames(q_ref, frames, f"{scores}/qref.scp")  # skipped below, counted in the log
    speech: dict[str, np.ndarray] = {}
    if conf.mixup.constrained and conf.mixup.use_vad:
        if vad is None:
            raise DataError("mixup.use_vad needs the speech regions of the data dir (--vad, from sqe.bin.compute_vad)")
        speech = read_speech_frames(vad, frames)
    # without utt2cls every degraded segment is of one class, 'unknown' (degraded, type not known)
    by_signal = conf.mixup.constrained and conf.constraints_from == "signal"
    if by_signal and "utt2mos" not in dd:
        raise DataError(f"{data} has no utt2mos: constraints_from: signal skips pairs by their labels "
                        "(mixup.max_mos_deg)")
    classes = sorted({dd["utt2cls"][u] for u in dd.utts} - {"clean"}) if "utt2cls" in dd else [UNKNOWN]
    cls2id = {"clean": CLEAN, **{c: i + 1 for i, c in enumerate(classes)}}
    stats: Counter = Counter()
    tables: dict[str, dict] = {n: {} for n in ("wav.scp", "mix2src", "mix_segments", "utt2mos", "utt2cls",
                                                 "utt2num_samples")}
    q_pseudo, frame_cls, truth, durations = {}, {}, [], []
    for utt in progress(dd.utts, desc=f"mix-up set of {data}", unit="utt"):
        rng = np.random.default_rng(_seed(conf.seed, utt))
        if utt in unequal:
            stats["skipped: length mismatch"] += 1
            continue
        ref = load_audio(dd["ref.scp"][utt], utt)
        deg = load_audio(dd["wav.scp"][utt], utt)
        cls = dd["utt2cls"][utt] if "utt2cls" in dd else UNKNOWN
        if ref.size != deg.size:
            reason = "length mismatch"
        elif cls == "clean":
            reason = "clean source"
        elif by_signal:
            reason = "label above max_mos_deg" if dd["utt2mos"][utt] > conf.mixup.max_mos_deg else None
        else:
            reason = skip_reason(q_ref[utt], q_deg[utt], conf.mixup)
        if reason is None:
            if by_signal:
                allowed = signal_region(ref, deg, speech.get(utt), conf)
            else:
                allowed = allowed_region(q_ref[utt], q_deg[utt], speech.get(utt), conf.mixup) \
                    if conf.mixup.constrained else None
            mask = sample_mask(frames[utt], conf.mixup, rng, allowed)
            reason = None if mask.any() else "no allowed region"
        if reason is not None:
            stats[f"skipped: {reason}"] += 1
            continue
        m = mix(ref, deg, mask, q_ref[utt], q_deg[utt], cls2id.get(cls, CLEAN))
        key = f"{utt}-mix"
        path = (out / "wav" / f"{key}.wav").resolve()
        write_wav(path, m.wav, TARGET_SR, subtype="FLOAT")
        segments = [(a / FRAME_RATE, b / FRAME_RATE) for a, b in regions_from_frames(m.frame_mask)]
        tables["wav.scp"][key] = str(path)
        tables["mix2src"][key] = utt
        tables["mix_segments"][key] = [LabelledRegion(a, b, cls) for a, b in segments]
        tables["utt2mos"][key] = round(m.y, 4)
        tables["utt2cls"][key] = cls
        tables["utt2num_samples"][key] = int(m.wav.size)
        q_pseudo[key] = m.q_pseudo.astype(np.float32)
        frame_cls[key] = m.labels.astype(np.int32)
        truth += [f"{key}.wav\t{a:.3f}\t{b:.3f}\t{EVENT}" for a, b in segments]
        durations.append(f"{key}.wav\t{m.wav.size / TARGET_SR:.5f}")
        stats["mixed"] += 1
    if not stats["mixed"]:
        if by_signal:
            hint = "; no degraded signal differs from its reference by min_distance_db inside the speech regions"
        elif conf.mixup.constrained:
            hint = ("; the teacher's scores fail the contrastive constraints (mixup.min_mos_ref, max_mos_deg, "
                    "diff_threshold): an under-trained teacher needs looser ones, constraints_from: signal, or "
                    "mixup.constrained: false")
        else:
            hint = ""
        raise DataError(f"{data}: no pair could be mixed ({dict(stats)}){hint}")
    tables["cls2id"] = cls2id
    DataDir(tables).save(out)
    write_arrays(out, "qpseudo", q_pseudo)
    write_arrays(out, "frame_cls", frame_cls)
    write_text_atomic(out / "ground_truth.tsv", "filename\tonset\toffset\tevent_label\n" + "\n".join(truth) + "\n")
    write_text_atomic(out / "durations.tsv", "filename\tduration\n" + "\n".join(sorted(durations)) + "\n")
    used = sorted({c for c in tables["utt2cls"].values()})
    log.info("%s: %d mixed, %s; K=%d classes (%d single)", out, stats["mixed"],
             ", ".join(f"{k} {v}" for k, v in sorted(stats.items()) if k != "mixed") or "none skipped",
             len(used), sum("+" not in c for c in used))
    return stats
