"""Evaluate one model on one partial-mix-up set (paper §6): detection (Tables 2, 3), degradation
verification and prototype retrieval (Tables 4, 5, Fig. 3), clustering (Table 6).

Inputs are the arks of ``sqe.bin.infer`` for the test set (and, for prototypes and the operating threshold,
for the validation set), the model's clean enrollment, and the mix-up set's ``frame_cls`` ark and ``cls2id``.
Detection scores are "higher = more degraded": ``-q`` (MOS-based) and ``1 - cos(enrollment, z)``.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sqe.data.arks import read_arrays
from sqe.data.datadir import DataDir
from sqe.data.tables import DataError
from sqe.eval.operating import RegionConf, operating_threshold, region_alarms, tune_threshold
from sqe.infer.scores import cosine_scores
from sqe.metrics.clustering import agglomerative_cluster, clustering_scores
from sqe.metrics.detection import eer_and_min_dcf
from sqe.metrics.embedding import (class_prototypes, n_concurrent, prototype_accuracy, segment_embeddings,
                                   segments_from_detection, select_by_concurrency, verification_eer)
from sqe.metrics.events import FRAME_SHIFT, IAUCSettings, best_intersection_f1, intersection_auc, mask_to_events
from sqe.metrics.smoothing import check_size, smooth_scores
from sqe.utils.log import get_logger

log = get_logger(__name__)
MOS = "mos"


@dataclass
class ScoreConf:
    i_auc: IAUCSettings = field(default_factory=IAUCSettings)  # intersection-based PSDS settings (paper: 0.7/0.7)
    p_target: float = 0.01  # minDCF prior of a degraded frame
    concurrency: list[int] = field(default_factory=lambda: [1, 2, 3])  # Fig. 3 breakdown: at most n tokens, + all
    cluster_max_concurrent: int = 2  # Table 6: regions with more simultaneous degradations are omitted
    cluster_embedding: str = "z_scl"  # the embedding clustered and used for the model's own detection
    max_cluster_items: int = 20000
    # median filter over each utterance's detection scores, in frames (odd; 1: none, as the paper). It feeds
    # every detection metric, threshold and clustering of detections; with > 1 metrics.json keeps the
    # unfiltered detection metrics as "detection_unfiltered", and sqe.bin.pack_model carries the size into the
    # model package so sqe.bin.analyze filters the same way
    medfilt_size: int = 1
    regions: RegionConf = field(default_factory=RegionConf)  # regions as sqe.bin.analyze reports them
    # operating threshold of each detector: the best intersection-F1 on the validation set, raised where needed
    # until the validation set's clean speech raises at most this many false regions per minute (null: the F1
    # optimum alone, as the paper); sqe.bin.pack_model takes the value the results were scored with
    max_false_per_min: float | None = None

    def __post_init__(self) -> None:
        check_size(self.medfilt_size)
        if self.max_false_per_min is not None and self.max_false_per_min < 0:
            raise ValueError("max_false_per_min must not be negative")


@dataclass
class SetArrays:
    """Frame scores, embeddings and labels of one mix-up set."""

    q: dict[str, np.ndarray]
    embeddings: dict[str, dict[str, np.ndarray]]
    degraded: dict[str, np.ndarray]  # bool per frame
    classes: dict[str, np.ndarray]  # class string per frame ('clean' outside the mask)


def load_set(infer_dir: Path, data: Path) -> SetArrays:
    dd = DataDir.load(data)
    if "cls2id" not in dd or not (data / "frame_cls.scp").is_file():
        raise DataError(f"{data} is not a mix-up set (needs cls2id and frame_cls.scp; sqe.bin.make_mixup_set)")
    id2cls = {v: k for k, v in dd["cls2id"].items()}
    labels = read_arrays(data / "frame_cls.scp")
    if not labels:
        raise DataError(f"{data}: the test set is empty")
    q = read_arrays(infer_dir / "q.scp")
    if set(q) != set(labels):
        diff = sorted(set(q) ^ set(labels))
        raise DataError(f"{infer_dir}/q.scp and {data}/frame_cls.scp have different keys, e.g. {', '.join(diff[:5])}")
    for key in labels:
        if labels[key].shape[0] != q[key].shape[0]:
            raise DataError(f"'{key}': {q[key].shape[0]} frames of scores but {labels[key].shape[0]} frame labels")
    embeddings = {}
    for name in ("x", "z_mos", "z_scl", "z_tilde"):
        if (infer_dir / f"{name}.scp").is_file():
            embeddings[name] = {k: v.astype(np.float32) for k, v in read_arrays(infer_dir / f"{name}.scp").items()}
    classes = {k: np.array([id2cls.get(int(i), "unknown") for i in v]) for k, v in labels.items()}
    return SetArrays(q, embeddings, {k: v != 0 for k, v in labels.items()}, classes)


def detection_scores(s: SetArrays, enrollment: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    scores = {MOS: {k: -v for k, v in s.q.items()}}
    for name, frames in s.embeddings.items():
        if name in enrollment:
            dims = {z.shape[1] for z in frames.values()}
            if dims != {enrollment[name].shape[0]}:
                raise DataError(f"the {name} embeddings have dimension {sorted(dims)}, the enrollment "
                                f"{enrollment[name].shape[0]}: they come from different models")
            scores[name] = cosine_scores(frames, enrollment[name])
    return scores


def ground_truth(s: SetArrays) -> tuple[dict[str, list], dict[str, float]]:
    truth = {k: mask_to_events(m) for k, m in s.degraded.items()}
    durations = {k: round(m.size * FRAME_SHIFT, 6) for k, m in s.degraded.items()}
    return truth, durations


def detection_metrics(scores: dict[str, dict[str, np.ndarray]], s: SetArrays, conf: ScoreConf) -> dict[str, Any]:
    truth, durations = ground_truth(s)
    keys = sorted(s.degraded)
    target = np.concatenate([s.degraded[k] for k in keys])
    out = {}
    for name, per_utt in scores.items():
        flat = np.concatenate([per_utt[k] for k in keys])
        frame_eer, frame_min_dcf = eer_and_min_dcf(flat, target, conf.p_target)
        out[name] = {"frame_eer": frame_eer, "frame_min_dcf": frame_min_dcf,
                     "i_auc": intersection_auc(per_utt, truth, durations, conf.i_auc)}
    return out


def segment_analysis(test: SetArrays, valid: SetArrays | None, conf: ScoreConf) -> dict[str, Any]:
    """Verification EER and prototype accuracy of oracle segments, by maximum number of concurrent tokens."""
    out: dict[str, Any] = {}
    for name, frames in test.embeddings.items():
        emb, labels, _ = segment_embeddings(frames, test.classes)
        protos = None
        if valid is not None and name in valid.embeddings:
            v_emb, v_labels, _ = segment_embeddings(valid.embeddings[name], valid.classes)
            protos = class_prototypes(v_emb, v_labels)
        rows = {}
        for n_max in [*conf.concurrency, None]:
            keep = select_by_concurrency(labels, n_max) if n_max is not None else np.ones(len(labels), bool)
            key = "all" if n_max is None else f"max{n_max}"
            row: dict[str, Any] = {"segments": int(keep.sum()), "K": int(len(set(labels[keep])))}
            try:
                row["eer"] = verification_eer(emb[keep], labels[keep])
            except Exception as err:  # too few classes at this concurrency: reported, not fatal
                row["eer"], row["note"] = None, str(err)
            if protos is not None and keep.any():
                acc, missing = prototype_accuracy(emb[keep], labels[keep], *protos)
                row["accuracy"], row["without_prototype"] = acc, missing
            rows[key] = row
        out[name] = rows
    return out


def _cluster_detected(frames: dict[str, np.ndarray], classes: dict[str, np.ndarray], det: dict[str, np.ndarray],
                      threshold: float, conf: ScoreConf) -> dict[str, Any] | None:
    detected = {k: det[k] >= threshold for k in frames}
    emb, labels, _ = segments_from_detection(frames, detected, classes)
    keep = np.array([n_concurrent(c) <= conf.cluster_max_concurrent for c in labels], dtype=bool)
    k = len(set(labels[keep]))
    if k < 2 or keep.sum() <= k:
        return None
    pred = agglomerative_cluster(emb[keep], k, max_n=conf.max_cluster_items)
    return {**clustering_scores(labels[keep], pred), "threshold": threshold, "segments": int(keep.sum())}


def clustering_metrics(test: SetArrays, scores: dict[str, dict[str, np.ndarray]], threshold: float | None,
                       conf: ScoreConf, detector: tuple[str, dict[str, np.ndarray], float] | None = None
                       ) -> dict[str, Any]:
    """Table 6: agglomerative clustering of oracle segments, of the model's own detections and, with
    ``detector = (name, scores, threshold)``, of another model's detections."""
    name = conf.cluster_embedding
    if name not in test.embeddings:
        return {}
    frames = test.embeddings[name]
    out: dict[str, Any] = {}
    emb, labels, _ = segment_embeddings(frames, test.classes)
    keep = select_by_concurrency(labels, conf.cluster_max_concurrent)
    if len(set(labels[keep])) >= 2:
        pred = agglomerative_cluster(emb[keep], len(set(labels[keep])), max_n=conf.max_cluster_items)
        out["oracle"] = clustering_scores(labels[keep], pred)
    if name in scores and threshold is not None:
        own = _cluster_detected(frames, test.classes, scores[name], threshold, conf)
        if own:
            out["detected"] = own
    if detector is not None:
        other = _cluster_detected(frames, test.classes, detector[1], detector[2], conf)
        if other:
            out["cross"] = {**other, "detector": detector[0]}
    return out


def package_embedding(thresholds: dict[str, dict[str, Any]], requested: str | None = None) -> str:
    """The embedding a model package detects and types with: ``requested``, else the one with the best
    intersection-F1 on the validation set (``thresholds`` as in metrics.json or package.json)."""
    from sqe.utils.errors import SqeError

    if requested is not None:
        if requested not in thresholds:
            raise SqeError(f"embedding '{requested}': the model or its enrollment has none (have "
                           f"{sorted(k for k in thresholds if k != MOS)})")
        return requested
    candidates = [k for k in thresholds if k != MOS and "validation_best_f1" in thresholds[k]]
    if not candidates:
        raise SqeError("no embedding with an enrollment and a validation set to detect and type degradations with")
    return max(candidates, key=lambda k: (thresholds[k]["validation_best_f1"], k))


def scored_medfilt_size(metrics: dict[str, Any]) -> int:
    """The score filter a metrics.json was made with (1 for those written before the option existed)."""
    return int(metrics.get("settings", {}).get("medfilt_size", 1))


def evaluate(test: SetArrays, valid: SetArrays | None, enrollment: dict[str, np.ndarray], conf: ScoreConf,
             detector: tuple[str, dict[str, np.ndarray], float] | None = None,
             speech: dict[str, np.ndarray] | None = None, valid_speech: dict[str, np.ndarray] | None = None
             ) -> tuple[dict[str, Any], dict[str, dict[str, np.ndarray]]]:
    """All metrics of one test set; with ``speech`` (speech flags per utterance) also the regions a user would
    see at each detector's operating threshold ("regions"); ``valid_speech`` (the validation set's) is needed
    for ``conf.max_false_per_min``."""
    if conf.max_false_per_min is not None and valid is not None and valid_speech is None:
        raise ValueError("max_false_per_min needs the validation set's speech flags")
    raw = detection_scores(test, enrollment)
    scores = smooth_scores(raw, conf.medfilt_size)
    metrics: dict[str, Any] = {"detection": detection_metrics(scores, test, conf)}
    if conf.medfilt_size > 1:  # the paper's (unfiltered) numbers stay comparable
        metrics["detection_unfiltered"] = detection_metrics(raw, test, conf)
    truth, _ = ground_truth(test)
    thresholds = {}
    v_scores, v_truth = {}, {}
    if valid is not None:
        v_scores = smooth_scores(detection_scores(valid, enrollment), conf.medfilt_size)
        v_truth = ground_truth(valid)[0]
    for name, per_utt in scores.items():  # operating points for hard decisions
        f1_test, thr_test = best_intersection_f1(per_utt, truth, conf.i_auc)
        entry = {"test_best_f1": f1_test, "test_threshold": thr_test}
        if name in v_scores:
            entry.update(tune_threshold(v_scores[name], v_truth, valid.degraded, valid_speech, conf.i_auc,
                                        conf.regions, conf.max_false_per_min))
        thresholds[name] = entry
    metrics["thresholds"] = thresholds
    if speech is not None:
        metrics["regions"] = region_alarms(scores, test.degraded, speech, thresholds, conf.regions)
    metrics["segments"] = segment_analysis(test, valid, conf)
    own, source = operating_threshold(thresholds.get(conf.cluster_embedding, {}))
    metrics["clustering"] = clustering_metrics(test, scores, own, conf, detector)
    if "detected" in metrics["clustering"]:
        metrics["clustering"]["detected"]["threshold_source"] = source
    metrics["settings"] = {"i_auc": asdict(conf.i_auc), "min_dcf": {"p_target": conf.p_target, "c_miss": 1.0,
                                                                     "c_fa": 1.0},
                           "medfilt_size": conf.medfilt_size, "max_false_per_min": conf.max_false_per_min,
                           "frames": int(sum(m.size for m in test.degraded.values())),
                           "degraded_share": float(np.mean(np.concatenate(list(test.degraded.values()))))}
    return metrics, scores
