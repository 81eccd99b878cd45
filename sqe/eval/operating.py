"""Operating points: the detection threshold of each detector, and the regions a user sees at it.

A threshold is tuned on a validation set: the best intersection-F1 (DTC/GTC of the I-AUC settings), raised,
if ``max_false_per_min`` is given, to the lowest candidate at which the validation set's clean speech raises
at most that many false regions per minute (regions as ``sqe.bin.analyze`` reports them). The candidates
are quantiles of the clean frames' scores; the false-region rate falls as the threshold rises, so the scan
goes down from the highest candidate and stops at the first that allows more.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sqe.audio.speech import SPEECH_FLOOR_DB
from sqe.data.datadir import DataDir
from sqe.metrics.events import IAUCSettings, best_intersection_f1
from sqe.metrics.regions import MERGE_GAP_S, MIN_REGION_S, region_figures

CANDIDATE_QUANTILES = np.linspace(0.5, 1.0, 401)[:-1]  # of the clean frames' scores


@dataclass
class RegionConf:
    """Regions as sqe.bin.analyze reports them (its defaults), for the false-region figures of scoring."""
    speech_floor_db: float = SPEECH_FLOOR_DB  # frames this far below a file's loud frames are silence
    merge_gap_s: float = MERGE_GAP_S  # degraded runs closer than this are one region
    min_region_s: float = MIN_REGION_S  # shorter regions are dropped

    def __post_init__(self) -> None:
        if self.speech_floor_db <= 0 or self.merge_gap_s < 0 or self.min_region_s < 0:
            raise ValueError("speech_floor_db must be positive, merge_gap_s and min_region_s not negative")


def speech_flags(data: Path, frames: dict[str, int], floor_db: float) -> dict[str, np.ndarray]:
    """Per utterance of ``data/wav.scp``, the analysis's speech frames (energy rule), ``frames[utt]`` long."""
    from sqe.audio.io import load_audio
    from sqe.audio.speech import energy_speech

    wavs = DataDir.load(data)["wav.scp"]
    out = {}
    for key, n in frames.items():
        flags = energy_speech(load_audio(wavs[key], key=key), floor_db)[:n]
        out[key] = np.pad(flags, (0, n - flags.size))
    return out


def operating_threshold(entry: dict[str, Any]) -> tuple[float | None, str]:
    """The detection threshold for hard decisions: tuned on the validation set where one was given, else on the
    test set itself (an optimistic operating point, named as such in the report)."""
    if entry.get("threshold") is not None:
        return entry["threshold"], "validation"
    return entry.get("test_threshold"), "test"


def tune_threshold(scores: dict[str, np.ndarray], truth: dict[str, list], degraded: dict[str, np.ndarray],
                   speech: dict[str, np.ndarray] | None, i_auc: IAUCSettings, regions: RegionConf,
                   max_false_per_min: float | None) -> dict[str, Any]:
    """The validation entry of a detector: ``threshold``, ``validation_best_f1`` and, with a false-region
    limit, ``f1_threshold`` and ``validation_false_per_min`` at the chosen threshold."""
    f1, thr = best_intersection_f1(scores, truth, i_auc)
    out: dict[str, Any] = {"validation_best_f1": f1, "threshold": thr}
    if max_false_per_min is None:
        return out

    def rate(t: float) -> float:
        r = region_figures(scores, degraded, speech, t, regions.merge_gap_s, regions.min_region_s)
        return r["false_regions_per_min"] or 0.0

    clean = np.concatenate([s[~np.asarray(degraded[k], bool)] for k, s in scores.items()])
    floor = None
    for t in np.unique(np.quantile(clean, CANDIDATE_QUANTILES))[::-1]:
        if rate(float(t)) > max_false_per_min:
            break
        floor = float(t)
    if floor is None:  # even the highest candidate allows more: the maximum clean score raises nothing
        floor = float(np.nextafter(clean.max(), np.inf))
    out.update(f1_threshold=thr, threshold=max(thr, floor), max_false_per_min=max_false_per_min)
    out["validation_false_per_min"] = rate(out["threshold"])
    return out


def region_alarms(scores: dict[str, dict[str, np.ndarray]], degraded: dict[str, np.ndarray],
                  speech: dict[str, np.ndarray], thresholds: dict[str, dict[str, Any]], conf: RegionConf
                  ) -> dict[str, Any]:
    """Per detector, the user's view at its operating threshold (validation where one was tuned): regions,
    false regions per minute of clean speech, share of labelled segments found."""
    out = {}
    for name, per_utt in scores.items():
        threshold, source = operating_threshold(thresholds.get(name, {}))
        if threshold is None:
            continue
        out[name] = {**region_figures(per_utt, degraded, speech, threshold, conf.merge_gap_s, conf.min_region_s),
                     "threshold_source": source}
    return out
