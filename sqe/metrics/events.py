"""Frame masks <-> events and the intersection-based detection metrics of sed_scores_eval.

I-AUC is the single-class intersection-based PSDS of the event class ``degraded``; frame scores are
"higher = more degraded". Frame ``l`` covers ``[0.02 l, 0.02 (l + 1))`` s. sed_scores_eval is heavy
(≈ 1.5 s import) and optional, so it is imported only inside the functions that need it.

    >>> import numpy as np
    >>> mask_to_events(np.array([0, 1, 1, 0, 0, 1], dtype=bool))
    [(0.02, 0.06, 'degraded'), (0.1, 0.12, 'degraded')]
    >>> events_to_mask([(0.02, 0.06, 'degraded')], 4).tolist()
    [False, True, True, False]
    >>> df = to_sed_scores({"u1": np.array([0.1, 0.9])})["u1"]
    >>> list(df.columns), str(df["degraded"].dtype), float(df["offset"].iloc[-1])
    (['onset', 'offset', 'degraded'], 'float32', 0.04)
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from sqe.utils.errors import SqeError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

FRAME_SHIFT = 0.02
EVENT = "degraded"
_DECIMALS = 6  # sed_scores_eval's default time_decimals

Event = tuple[float, float, str]


def _sed_scores_eval():
    """The lazily imported package; its chain sed_eval -> dcase_util imports pkg_resources, which warns on
    setuptools 81."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import sed_scores_eval
    return sed_scores_eval


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, end) frame indices (end exclusive) of the runs of True in a 1-D mask."""
    padded = np.r_[False, np.asarray(mask, dtype=bool).ravel(), False]
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges[0::2], edges[1::2]


def mask_to_events(mask: np.ndarray, frame_shift: float = FRAME_SHIFT, label: str = EVENT) -> list[Event]:
    """One event per run of True frames; touching segments are one run, as sed_scores_eval requires."""
    mask = np.asarray(mask)
    if mask.ndim != 1:
        raise SqeError(f"frame mask must be 1-D, got shape {mask.shape}")
    first, end = _runs(mask.astype(bool))
    onsets = np.round(first * frame_shift, _DECIMALS)
    offsets = np.round(end * frame_shift, _DECIMALS)
    return [(float(a), float(b), label) for a, b in zip(onsets, offsets)]


def events_to_mask(events: Sequence[Sequence], n_frames: int, frame_shift: float = FRAME_SHIFT) -> np.ndarray:
    """Frame mask of ``n_frames`` with True inside any event (onset/offset rounded to the nearest frame edge).

    Events may overlap; parts beyond ``n_frames`` are dropped. Labels are ignored.
    """
    mask = np.zeros(n_frames, dtype=bool)
    if len(events) == 0 or n_frames == 0:
        return mask
    times = np.array([(float(e[0]), float(e[1])) for e in events], dtype=np.float64)
    bounds = np.clip(np.rint(times / frame_shift).astype(np.int64), 0, n_frames)
    # +1 at every onset, -1 at every offset: frames with a positive running sum are inside an event
    delta = np.zeros(n_frames + 1, dtype=np.int64)
    np.add.at(delta, bounds[:, 0], 1)
    np.add.at(delta, bounds[:, 1], -1)
    return np.cumsum(delta[:-1]) > 0


def to_sed_scores(frame_scores: Mapping[str, np.ndarray], frame_shift: float = FRAME_SHIFT,
                  label: str = EVENT) -> dict[str, "pd.DataFrame"]:
    """sed_scores_eval score DataFrames (``onset, offset, <label>``), one row per frame.

    The score column is float32: that forces a writeable copy, which sed_scores_eval's Cython code needs
    under pandas copy-on-write.
    """
    create_score_dataframe = _sed_scores_eval().base_modules.scores.create_score_dataframe
    bad_shape = [k for k, v in frame_scores.items() if np.ndim(v) != 1 or np.size(v) == 0]
    if bad_shape:
        raise SqeError(f"frame scores must be non-empty 1-D arrays; not so for: {', '.join(bad_shape[:10])}")
    bad_value = [k for k, v in frame_scores.items() if not np.all(np.isfinite(v))]
    if bad_value:
        raise SqeError(f"non-finite frame scores in: {', '.join(bad_value[:10])}")
    out = {}
    for utt, s in frame_scores.items():
        s = np.array(s, dtype=np.float32).reshape(-1, 1)
        stamps = np.round(np.arange(len(s) + 1) * frame_shift, _DECIMALS)
        df = create_score_dataframe(s, stamps, [label])  # concatenates with the times -> float64
        df[label] = df[label].astype(np.float32)
        out[utt] = df
    return out


@dataclass
class IAUCSettings:
    """Settings of the intersection-based PSDS; written into the results next to the number."""

    dtc_threshold: float = 0.7
    gtc_threshold: float = 0.7
    alpha_ct: float = 0.0
    alpha_st: float = 0.0
    unit_of_time: str = "hour"
    max_efpr: float = 100.0

    def __post_init__(self) -> None:
        for name in ("dtc_threshold", "gtc_threshold"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise SqeError(f"IAUCSettings.{name} must be in (0, 1], got {getattr(self, name)}")
        if self.max_efpr <= 0:
            raise SqeError(f"IAUCSettings.max_efpr must be positive, got {self.max_efpr}")


def _check_ids(**dicts: Mapping) -> None:
    """All dicts must have the same, non-empty key set; the message names the ids that differ."""
    names = list(dicts)
    keys = {n: set(d) for n, d in dicts.items()}
    union = set().union(*keys.values())
    if not union:
        raise SqeError(f"no utterances in {', '.join(names)}")
    problems = []
    for n in names:
        missing = sorted(union - keys[n])
        if missing:
            problems.append(f"{n} lacks {len(missing)} id(s): {', '.join(map(str, missing[:10]))}")
    if problems:
        raise SqeError("utterance ids differ: " + "; ".join(problems))


def _clean_ground_truth(ground_truth: Mapping[str, Sequence[Sequence]], label: str) -> dict[str, list[Event]]:
    """Plain (onset, offset, label) tuples; foreign labels and touching/overlapping events are user errors."""
    out, foreign, connected = {}, [], []
    for utt, events in ground_truth.items():
        evs = sorted((float(e[0]), float(e[1]), str(e[2])) for e in events)
        if any(e[2] != label for e in evs):
            foreign.append(utt)
        if any(b[0] <= a[1] for a, b in zip(evs[:-1], evs[1:])):
            connected.append(utt)
        out[utt] = evs
    if foreign:
        raise SqeError(f"ground truth labels other than {label!r} in: {', '.join(map(str, foreign[:10]))}")
    if connected:
        raise SqeError("touching or overlapping ground-truth events (merge them, e.g. with mask_to_events) in: "
                       + ", ".join(map(str, connected[:10])))
    return out


def intersection_auc(frame_scores: Mapping[str, np.ndarray], ground_truth: Mapping[str, Sequence[Sequence]],
                     durations: Mapping[str, float], settings: IAUCSettings | None = None, *,
                     frame_shift: float = FRAME_SHIFT) -> float:
    """I-AUC: single-class intersection-based PSDS of ``degraded`` in [0, 1] (higher is better).

    Needs enough audio: with D hours one false positive costs 1/D per hour, so tiny sets can only score the
    true-positive rate reached before the first false positive.
    """
    settings = settings or IAUCSettings()
    _check_ids(frame_scores=frame_scores, ground_truth=ground_truth, durations=durations)
    ib = _sed_scores_eval().intersection_based
    _, per_class, _, _ = ib.psds(
        to_sed_scores(frame_scores, frame_shift), _clean_ground_truth(ground_truth, EVENT),
        {k: float(v) for k, v in durations.items()},
        dtc_threshold=settings.dtc_threshold, gtc_threshold=settings.gtc_threshold,
        alpha_ct=settings.alpha_ct, alpha_st=settings.alpha_st, unit_of_time=settings.unit_of_time,
        max_efpr=settings.max_efpr, time_decimals=_DECIMALS, num_jobs=1,
    )
    return float(per_class[EVENT])


def best_intersection_f1(frame_scores: Mapping[str, np.ndarray], ground_truth: Mapping[str, Sequence[Sequence]],
                         settings: IAUCSettings | None = None, *,
                         frame_shift: float = FRAME_SHIFT) -> tuple[float, float]:
    """(F1, threshold) of the best intersection-based F1 (DTC/GTC from ``settings``); detect ``score >= thr``.

    The threshold is always finite: where detecting every frame scores best, sed_scores_eval answers -inf, which
    here is the lowest score (every frame still reaches it); +inf (detecting nothing) becomes just above the
    highest. A threshold goes into JSON files (metrics, model packages) that must stay valid JSON."""
    settings = settings or IAUCSettings()
    _check_ids(frame_scores=frame_scores, ground_truth=ground_truth)
    ib = _sed_scores_eval().intersection_based
    f1, _, _, thr, _ = ib.best_fscore(
        to_sed_scores(frame_scores, frame_shift), _clean_ground_truth(ground_truth, EVENT),
        dtc_threshold=settings.dtc_threshold, gtc_threshold=settings.gtc_threshold,
        time_decimals=_DECIMALS, num_jobs=1,
    )
    threshold = float(thr[EVENT])
    if not np.isfinite(threshold):
        values = np.concatenate([np.asarray(s, dtype=np.float64).ravel() for s in frame_scores.values()])
        threshold = float(values.min()) if threshold < 0 else float(np.nextafter(values.max(), np.inf))
    return float(f1[EVENT]), threshold
