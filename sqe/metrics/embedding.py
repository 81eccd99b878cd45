"""Segment embeddings, degradation verification EER and prototype retrieval accuracy.

A segment is a run of consecutive frames (same non-clean label for oracle segmentation, detected frames
otherwise); its embedding is the L2-normalised mean of its frame embeddings. Verification scores all pairs
i < j by cosine similarity, target = same class.

    >>> import numpy as np
    >>> embs = {"u1": np.array([[1., 0.], [1., 0.], [0., 1.], [0., 2.]])}
    >>> labs = {"u1": np.array(["clean", "wbgn", "wbgn", "wbgn+clip"])}
    >>> emb, lab, index = segment_embeddings(embs, labs)
    >>> lab.tolist(), index
    (['wbgn', 'wbgn+clip'], [('u1', 1, 2), ('u1', 3, 1)])
    >>> np.round(emb, 3).tolist()
    [[0.707, 0.707], [0.0, 1.0]]
    >>> verification_eer(np.array([[1., 0.], [1., .1], [0., 1.], [.1, 1.]]), np.array(["a", "a", "b", "b"]))
    0.0
    >>> n_concurrent("clean"), n_concurrent("clip+wbgn")
    (0, 2)
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from sqe.metrics.detection import eer
from sqe.utils.errors import SqeError

Index = list[tuple[str, int, int]]


def l2_normalize(x: np.ndarray, axis: int = -1, eps: float = 1e-12) -> np.ndarray:
    """``x / max(||x||, eps)`` along ``axis`` (zero vectors stay zero)."""
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=axis, keepdims=True), eps)


def n_concurrent(label: str) -> int:
    """Number of simultaneous degradations of a class string (``'+'``-joined tokens); ``clean`` is 0."""
    if label == "clean":
        return 0
    if not label:
        raise SqeError("empty class label")
    return label.count("+") + 1


def select_by_concurrency(labels: Sequence[str] | np.ndarray, max_n: int) -> np.ndarray:
    """Mask of the items with at most ``max_n`` simultaneous degradations (clean items always pass)."""
    labels = np.asarray(labels, dtype=str)
    n = np.char.count(labels, "+") + 1
    n[labels == "clean"] = 0
    return n <= max_n


def _check_utts(frame_embs: Mapping[str, np.ndarray], **per_frame: Mapping[str, np.ndarray]) -> None:
    """Same ids everywhere, (L, D) embeddings with one common D, per-frame arrays of length L."""
    if not frame_embs:
        raise SqeError("no utterances")
    for name, d in per_frame.items():
        missing, extra = sorted(set(frame_embs) - set(d)), sorted(set(d) - set(frame_embs))
        if missing or extra:
            raise SqeError(f"{name} ids differ from the embeddings: missing {missing[:10]}, extra {extra[:10]}")
    bad = [u for u, e in frame_embs.items() if np.ndim(e) != 2]
    if bad:
        raise SqeError(f"frame embeddings must be (frames, dim) arrays; not so for: {', '.join(bad[:10])}")
    dims = {np.shape(e)[1] for e in frame_embs.values()}
    if len(dims) > 1:
        raise SqeError(f"frame embeddings have different dimensions {sorted(dims)}")
    for name, d in per_frame.items():
        bad = [u for u, e in frame_embs.items() if np.shape(d[u]) != (len(e),)]
        if bad:
            raise SqeError(f"{name} length differs from the number of embedding frames for: {', '.join(bad[:10])}")


def segment_vector(frames: np.ndarray) -> np.ndarray:
    """The embedding of one segment (an oracle segment, a detected region): the L2-normalised mean of its raw
    frame embeddings, exactly as ``segment_embeddings`` computes each row; prototypes are made from these."""
    return l2_normalize(_run_means(frames, np.zeros(1, dtype=np.int64))[0])


def _run_means(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Means of ``x`` over the row ranges that begin at ``starts`` (the last one ends at len(x))."""
    sums = np.add.reduceat(np.asarray(x, dtype=np.float64), starts, axis=0)
    return sums / np.diff(np.r_[starts, len(x)])[:, None]


def _finish(embs: list[np.ndarray], labels: list[np.ndarray], dim: int) -> tuple[np.ndarray, np.ndarray]:
    emb = np.concatenate(embs) if embs else np.zeros((0, dim))
    lab = np.concatenate(labels) if labels else np.zeros(0, dtype=str)
    return l2_normalize(emb), lab.astype(str)


def segment_embeddings(frame_embs: Mapping[str, np.ndarray], frame_labels: Mapping[str, np.ndarray],
                       clean_label: str = "clean") -> tuple[np.ndarray, np.ndarray, Index]:
    """Oracle segments: runs of consecutive frames with the same label other than ``clean_label``.

    ``frame_labels[utt]`` holds one class per frame (strings, or ints compared as strings with
    ``str(clean_label)``). Returns (emb [S, D] unit rows, labels [S] str, [(utt, first_frame, n_frames)]).
    """
    _check_utts(frame_embs, frame_labels=frame_labels)
    clean = str(clean_label)
    embs, labels, index = [], [], []
    for utt, e in frame_embs.items():
        lab = np.asarray(frame_labels[utt]).astype(str)
        if lab.size == 0:
            continue
        starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
        keep = lab[starts] != clean
        lengths = np.diff(np.r_[starts, lab.size])
        embs.append(_run_means(e, starts)[keep])
        labels.append(lab[starts][keep])
        index += [(utt, int(a), int(n)) for a, n in zip(starts[keep], lengths[keep])]
    emb, lab = _finish(embs, labels, np.shape(next(iter(frame_embs.values())))[1])
    return emb, lab, index


def _majority(lab: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Most frequent label per run; ties go to the label that occurs first in the run."""
    classes, code = np.unique(lab, return_inverse=True)
    run_of = np.repeat(np.arange(starts.size), lengths)
    # frame indices of all runs, concatenated: position within the run + the run's first frame
    frames = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + starts[run_of]
    counts = np.zeros((starts.size, classes.size), dtype=np.int64)
    np.add.at(counts, (run_of, code[frames]), 1)
    first = np.full(counts.shape, np.iinfo(np.int64).max)
    np.minimum.at(first, (run_of, code[frames]), frames)
    winners = np.where(counts == counts.max(axis=1, keepdims=True), first, np.iinfo(np.int64).max)
    return classes[winners.argmin(axis=1)]


def segments_from_detection(frame_embs: Mapping[str, np.ndarray], detected_mask: Mapping[str, np.ndarray],
                            frame_labels: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, Index]:
    """Detected segments: runs of True in ``detected_mask``; true label = majority frame label of the run.

    A false-positive run therefore gets the clean label. Same outputs as :func:`segment_embeddings`.
    """
    _check_utts(frame_embs, detected_mask=detected_mask, frame_labels=frame_labels)
    embs, labels, index = [], [], []
    for utt, e in frame_embs.items():
        det = np.asarray(detected_mask[utt], dtype=bool)
        if not det.any():
            continue
        starts = np.flatnonzero(np.r_[True, det[1:] != det[:-1]])
        keep = det[starts]
        lengths = np.diff(np.r_[starts, det.size])
        embs.append(_run_means(e, starts)[keep])
        labels.append(_majority(np.asarray(frame_labels[utt]).astype(str), starts[keep], lengths[keep]))
        index += [(utt, int(a), int(n)) for a, n in zip(starts[keep], lengths[keep])]
    emb, lab = _finish(embs, labels, np.shape(next(iter(frame_embs.values())))[1])
    return emb, lab, index


def _eer_from_histograms(tgt: np.ndarray, non: np.ndarray) -> float:
    """EER treating every bin as one tied score (the §2 curve on counts; bins in ascending score order)."""
    tp, fp = np.cumsum(tgt[::-1]), np.cumsum(non[::-1])
    p_miss = np.r_[1.0, 1.0 - tp / tp[-1]]
    p_fa = np.r_[0.0, fp / fp[-1]]
    d = p_miss - p_fa
    i = int(np.flatnonzero(d > 0)[-1])
    if i + 1 >= d.size:
        return float(p_fa[i])
    w = d[i] / (d[i] - d[i + 1])
    return float(p_fa[i] + w * (p_fa[i + 1] - p_fa[i]))


def verification_eer(emb: np.ndarray, labels: Sequence[str] | np.ndarray, method: str = "auto",
                     exact_max_n: int = 4000, n_bins: int = 2 ** 16, block: int = 1024,
                     center: bool = False) -> float:
    """EER (fraction) over all pairs i < j: score = cosine similarity, target = same label.

    ``method='auto'`` is exact up to ``exact_max_n`` items, else a ``n_bins`` histogram of the cosines (error
    ≤ 4e-4 percentage points at 2**16 bins). Pairs are scored ``block`` rows at a time, so memory
    stays O(block · N). ``center`` subtracts the mean unit embedding before the cosine (the authors' monitor).
    """
    emb = np.asarray(emb, dtype=np.float64)
    labels = np.asarray(labels).astype(str)
    if emb.ndim != 2 or labels.shape != (len(emb),):
        raise SqeError(f"need (N, D) embeddings and N labels, got {emb.shape} and {labels.shape}")
    if method not in ("auto", "exact", "histogram"):
        raise SqeError(f"unknown verification EER method {method!r} (auto, exact, histogram)")
    n = len(emb)
    _, counts = np.unique(labels, return_counts=True)
    n_tar = int((counts * (counts - 1) // 2).sum())
    n_non = n * (n - 1) // 2 - n_tar
    if n_tar == 0 or n_non == 0:
        raise SqeError(f"verification EER needs target and non-target pairs: {n} items, {counts.size} classes, "
                       f"{n_tar} target and {n_non} non-target pairs")
    e = l2_normalize(emb)
    if center:
        e = l2_normalize(e - e.mean(axis=0))
    exact = method == "exact" or (method == "auto" and n <= exact_max_n)
    if not exact:
        e = e.astype(np.float32)  # bins are far coarser than float32 rounding; halves the block memory
    _, code = np.unique(labels, return_inverse=True)
    scores, targets = [], []
    tgt_hist = np.zeros(n_bins, dtype=np.int64)
    non_hist = np.zeros(n_bins, dtype=np.int64)
    for i0 in range(0, n - 1, block):
        i1 = min(i0 + block, n)
        s = e[i0:i1] @ e[i0:].T
        upper = np.arange(i0, n)[None, :] > np.arange(i0, i1)[:, None]  # j > i: no self pairs, no duplicates
        same = (code[i0:i1, None] == code[None, i0:])[upper]
        s = s[upper]
        if exact:
            scores.append(s)
            targets.append(same)
        else:
            b = np.clip(np.floor((s + 1.0) * (n_bins / 2.0)).astype(np.int64), 0, n_bins - 1)
            tgt_hist += np.bincount(b[same], minlength=n_bins)
            non_hist += np.bincount(b[~same], minlength=n_bins)
    if exact:
        return eer(np.concatenate(scores), np.concatenate(targets))
    return _eer_from_histograms(tgt_hist, non_hist)


def class_prototypes(emb: np.ndarray, labels: Sequence[str] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted classes [K], prototypes [K, D]): normalised mean of the normalised embeddings of each class."""
    emb = np.asarray(emb, dtype=np.float64)
    labels = np.asarray(labels).astype(str)
    if emb.ndim != 2 or labels.shape != (len(emb),) or len(emb) == 0:
        raise SqeError(f"need (N, D) embeddings with N >= 1 and N labels, got {emb.shape} and {labels.shape}")
    classes, code = np.unique(labels, return_inverse=True)
    sums = np.zeros((classes.size, emb.shape[1]))
    np.add.at(sums, code, l2_normalize(emb))
    return classes, l2_normalize(sums)


def prototype_accuracy(emb: np.ndarray, labels: Sequence[str] | np.ndarray, classes: Sequence[str] | np.ndarray,
                       prototypes: np.ndarray, block: int = 4096) -> tuple[float, int]:
    """(share of items whose nearest prototype by cosine is their class, #items whose class has no prototype).

    Items without a prototype of their class count as errors.
    """
    emb = np.asarray(emb, dtype=np.float64)
    labels = np.asarray(labels).astype(str)
    classes = np.asarray(classes).astype(str)
    prototypes = np.asarray(prototypes, dtype=np.float64)
    if emb.ndim != 2 or labels.shape != (len(emb),) or len(emb) == 0:
        raise SqeError(f"need (N, D) test embeddings with N >= 1 and N labels, got {emb.shape} and {labels.shape}")
    if prototypes.ndim != 2 or prototypes.shape != (classes.size, emb.shape[1]) or classes.size == 0:
        raise SqeError(f"need ({classes.size}, {emb.shape[1]}) prototypes for {classes.size} classes, "
                       f"got {prototypes.shape}")
    e, p = l2_normalize(emb), l2_normalize(prototypes)
    pred = np.concatenate([(e[i:i + block] @ p.T).argmax(axis=1) for i in range(0, len(e), block)])
    correct = classes[pred] == labels
    return float(correct.mean()), int((~np.isin(labels, classes)).sum())
