"""Detected regions as a user sees them, and the figures a user asks of them: how often a region is raised
on clean speech (false regions per minute of clean speech) and how many labelled segments a region finds.

A region is a run of frames whose score reaches the threshold on speech frames, gaps of at most
``merge_gap`` frames filled and runs shorter than ``min_len`` frames dropped (as ``sqe.bin.analyze`` reports
them). A region that overlaps no degraded frame is a false region; a labelled segment (a run of degraded
frames) is found when a region overlaps it.

    >>> runs(np.array([0, 1, 1, 0, 0, 1, 0, 1, 1, 1], bool), merge_gap=1, min_len=2)
    [(1, 3), (5, 10)]
    >>> deg = np.array([0, 0, 0, 0, 1, 1, 1, 0, 0, 0], bool)
    >>> score = np.array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0], float)
    >>> r = region_figures({"u": score}, {"u": deg}, {"u": np.ones(10, bool)}, 0.5, frame_s=6.0)
    >>> r["regions"], r["false_regions"], r["clean_speech_min"], r["false_regions_per_min"], r["segments_found"]
    (2, 1, 0.7, 1.4286, 1)
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from sqe.metrics.events import FRAME_SHIFT, _runs

MERGE_GAP_S = 0.1  # degraded runs closer than this are one region
MIN_REGION_S = 0.1  # shorter regions are dropped


def runs(mask: np.ndarray, merge_gap: int = 0, min_len: int = 1) -> list[tuple[int, int]]:
    """``[start, end)`` runs of True, gaps of at most ``merge_gap`` frames filled, runs shorter than ``min_len``
    dropped."""
    first, end = _runs(mask)
    merged: list[list[int]] = []
    for s, e in zip(first.tolist(), end.tolist()):
        if merged and s - merged[-1][1] <= merge_gap:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged if e - s >= min_len]


def region_figures(scores: Mapping[str, np.ndarray], degraded: Mapping[str, np.ndarray],
                   speech: Mapping[str, np.ndarray], threshold: float, merge_gap_s: float = MERGE_GAP_S,
                   min_region_s: float = MIN_REGION_S, frame_s: float = FRAME_SHIFT) -> dict[str, Any]:
    """Regions at ``threshold`` over a set of utterances: counts, false regions per minute of clean speech
    (speech frames outside every labelled segment) and the share of labelled segments a region overlaps."""
    merge_gap = int(round(merge_gap_s / frame_s))
    min_len = max(1, int(round(min_region_s / frame_s)))
    regions = false = segments = found = 0
    clean_frames = 0
    for key, score in scores.items():
        deg = np.asarray(degraded[key], dtype=bool)
        n = min(score.size, deg.size, speech[key].size)
        deg, sp = deg[:n], np.asarray(speech[key][:n], dtype=bool)
        spans = runs((score[:n] >= threshold) & sp, merge_gap, min_len)
        regions += len(spans)
        false += sum(not deg[a:b].any() for a, b in spans)
        hit = np.zeros(n, dtype=bool)
        for a, b in spans:
            hit[a:b] = True
        labelled = runs(deg)
        segments += len(labelled)
        found += sum(bool(hit[a:b].any()) for a, b in labelled)
        clean_frames += int((sp & ~deg).sum())
    minutes = clean_frames * frame_s / 60.0
    return {"threshold": float(threshold), "regions": regions, "false_regions": false,
            "clean_speech_min": round(minutes, 4),
            "false_regions_per_min": round(false / minutes, 4) if minutes > 0 else None,
            "segments": segments, "segments_found": found,
            "segments_found_share": round(found / segments, 4) if segments else None,
            "merge_gap_s": merge_gap_s, "min_region_s": min_region_s}
