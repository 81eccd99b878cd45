"""Pick the data of the paper's figures from the experiment tree and draw them."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sqe.audio.io import load_audio
from sqe.data.arks import read_arrays
from sqe.data.datadir import DataDir
from sqe.eval.evaluate import scored_medfilt_size
from sqe.eval.figures import figure2, figure3
from sqe.infer.enrollment import load_enrollment
from sqe.infer.scores import cosine_scores
from sqe.metrics.events import mask_to_events
from sqe.metrics.smoothing import median_filter
from sqe.utils.log import get_logger

log = get_logger(__name__)


def _scl_models(models: dict[str, dict[str, Any]]) -> list[str]:
    return [m for m, r in models.items() if "z_scl" in next(iter(r.values()))["detection"]]


def scored_tracks(q: np.ndarray, similarity: np.ndarray, medfilt_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame MOS and similarity as the scoring saw them: the detection scores -q and 1 - cos were
    median-filtered over ``medfilt_size`` frames before the thresholds were set, and a median filter commutes
    with these decreasing maps, so filtering the tracks themselves shows the crossings that were scored."""
    return median_filter(q, medfilt_size), median_filter(similarity, medfilt_size)


def draw_figures(models: dict[str, dict[str, Any]], sets: list[str], exp: Path, data: Path, out: Path,
                 figure_model: str | None) -> list[Path]:
    figures = []
    scl = _scl_models(models)
    model = figure_model or (scl[0] if scl else next(iter(models)))
    emb = "z_scl" if model in scl else "z_mos"
    first = next((s for s in sets if s in models.get(model, {})), None)
    if first is not None:
        metrics = models[model][first]
        infer, labels = exp / model / "infer" / first, read_arrays(data / first / "frame_cls.scp")
        q = read_arrays(infer / "q.scp")
        # the utterance with the most degraded segments (first in order on ties)
        utt = max(sorted(labels), key=lambda k: len(mask_to_events(labels[k] != 0)))
        z = read_arrays(infer / f"{emb}.scp")[utt].astype(np.float32)
        enrollment = load_enrollment(Path(metrics["inputs"]["enroll"]))[emb]
        sim = 1.0 - cosine_scores({utt: z}, enrollment)[utt]
        thr = metrics["thresholds"]
        wav = load_audio(DataDir.load(data / first)["wav.scp"][utt], utt)
        path = out / f"fig2_{model}_{first}.png"
        size = scored_medfilt_size(metrics)
        q_track, sim_track = scored_tracks(q[utt], sim, size)
        filtered = f"median-filtered over {size} frames as scored; " if size > 1 else ""
        figure2(path, wav, q_track, sim_track, labels[utt] != 0, -thr["mos"]["test_threshold"],
                1.0 - thr[emb]["test_threshold"], f"{model} on {first}: {utt} ({filtered}thresholds: best "
                "intersection-F1 on the test set)", emb)
        figures.append(path)
    for s in sets:
        rows = {f"{m} {e}": models[m][s]["segments"][e] for m in scl for e in ("z_scl", "z_tilde")
                if s in models[m] and e in models[m][s]["segments"]}
        if rows:
            path = out / f"fig3_{s}.png"
            figure3(path, rows, f"{s}: verification EER and retrieval accuracy by concurrent degradations")
            figures.append(path)
    log.info("figures: %s", ", ".join(p.name for p in figures))
    return figures
