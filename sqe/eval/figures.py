"""The paper's figures: Figure 2 (one utterance: spectrogram, MOS-based and embedding-based detection with
their thresholds and the ground-truth regions) and Figure 3 (verification EER and retrieval accuracy against
the maximum number of concurrent degradations)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sqe.audio.io import TARGET_SR
from sqe.metrics.events import FRAME_SHIFT
from sqe.utils.atomic import atomic_path


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)


def figure2(path: Path, wav: np.ndarray, q: np.ndarray, similarity: np.ndarray, degraded: np.ndarray,
            mos_threshold: float, sim_threshold: float, title: str, embedding: str) -> None:
    """Frame MOS and cosine similarity to the enrollment over time; degraded where below the thresholds."""
    plt = _plt()
    t = (np.arange(q.size) + 0.5) * FRAME_SHIFT
    fig, axes = plt.subplots(3, 1, figsize=(10, 6.5), sharex=True, gridspec_kw={"height_ratios": [1.2, 1, 1]})
    axes[0].specgram(wav, NFFT=512, Fs=TARGET_SR, noverlap=352, cmap="magma", scale="dB")
    axes[0].set_ylabel("Hz")
    axes[0].set_title(title, fontsize=10)
    for ax, values, thr, label in ((axes[1], q, mos_threshold, "frame MOS"),
                                   (axes[2], similarity, sim_threshold, f"cos(enrollment, {embedding})")):
        edges = np.diff(np.concatenate([[0], degraded.astype(int), [0]]))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
            ax.axvspan(a * FRAME_SHIFT, b * FRAME_SHIFT, color="tab:red", alpha=0.15, lw=0)
        ax.plot(t, values, color="tab:blue", lw=1.2)
        ax.axhline(thr, color="black", ls="--", lw=1, label=f"threshold {thr:.2f}")
        ax.fill_between(t, values, thr, where=values < thr, color="tab:orange", alpha=0.4, label="detected")
        ax.set_ylabel(label)
        ax.legend(loc="lower right", fontsize=8)
    axes[2].set_xlabel("time [s] (red: degraded segments, ground truth)")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def figure3(path: Path, rows: dict[str, dict[str, Any]], title: str) -> None:
    """``rows``: ``{"con1 z_scl": segments-metrics {max1, max2, max3, all}}``."""
    plt = _plt()
    keys = ["max1", "max2", "max3", "all"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for name, seg in rows.items():
        present = [k for k in keys if k in seg]
        xs = list(range(len(present)))
        ax1.plot(xs, [100 * (seg[k].get("eer") or np.nan) for k in present], marker="o", label=name)
        ax2.plot(xs, [100 * (seg[k].get("accuracy") or np.nan) for k in present], marker="o", label=name)
    labels = ["1", "2", "3", "all"]
    for ax, ylabel in ((ax1, "verification EER [%]"), (ax2, "retrieval accuracy [%]")):
        ax.set_xticks(range(4), labels)
        ax.set_xlabel("max. concurrent degradations")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)
