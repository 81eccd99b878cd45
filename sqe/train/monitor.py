"""What training monitors on the validation data: utterance MOS predictions and their agreement with utt2mos
(SRCC, LCC, MSE), and the authors' contrastive monitor (scl_eer) on a fixed mix-up set."""
from __future__ import annotations

import numpy as np
import torch
from scipy import stats

from sqe.data.batching import UtteranceSet
from sqe.data.labels import CLEAN
from sqe.infer.runner import AudioItem, run_model
from sqe.models.lssqa import LSSQAModel


def predict_utterances(model: LSSQAModel, data: UtteranceSet, device: torch.device, max_audio_s: float = 180.0,
                       max_utts: int = 64, autocast: bool = False) -> np.ndarray:
    """Predicted utterance MOS, in the order of ``data.items``: the inference runner over the set's audio cache."""
    items = [AudioItem(str(i), it.entry, it.num_samples, it.start, it.end) for i, it in enumerate(data.items)]
    preds = np.zeros(len(items))
    for key, out in run_model(model, items, device, max_audio_s, autocast=autocast, desc="validate",
                              max_utts=max_utts, read=lambda it: data.load(int(it.key))):
        preds[int(key)] = float(out["y_hat"])
    return preds


def utterance_metrics(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """SRCC, LCC and MSE (MOS units)."""
    if np.std(pred) == 0 or np.std(target) == 0:
        srcc = lcc = 0.0
    else:
        srcc = float(stats.spearmanr(pred, target).statistic)
        lcc = float(stats.pearsonr(pred, target).statistic)
    return {"srcc": srcc, "lcc": lcc, "mse": float(np.mean((pred - target) ** 2))}


def scl_eer(model: LSSQAModel, mixup_dir, device: torch.device, embedding: str = "z_scl", ignore_clean: bool = False,
            max_frames: int = 6000, max_classes: int = 20, seed: int = 0, autocast: bool = False) -> float:
    """The authors' contrastive monitor: frame embeddings (``embedding``: z_scl, or z~) of a fixed mix-up set
    (labelled by its frame_cls ark; clean frames left out with ``ignore_clean``), L2-normalised and centred; up to
    ``max_classes`` random classes; pairs (i, perm(i)) of up to ``max_frames`` frames scored by cosine
    similarity; EER of "same class" (a fraction, lower is better)."""
    from pathlib import Path

    from sqe.data.arks import read_arrays
    from sqe.data.datadir import DataDir
    from sqe.metrics.detection import eer

    mixup_dir = Path(mixup_dir)
    dd = DataDir.load(mixup_dir)
    labels = read_arrays(mixup_dir / "frame_cls.scp")
    items = [AudioItem(u, dd["wav.scp"][u], dd["utt2num_samples"][u]) for u in dd.utts]
    zs, cs = [], []
    for key, out in run_model(model, items, device, embeddings=True, autocast=autocast, desc="scl_eer"):
        zs.append(out[embedding])
        cs.append(labels[key][: out[embedding].shape[0]])
    z, c = np.concatenate(zs), np.concatenate(cs)
    if ignore_clean:
        z, c = z[c != CLEAN], c[c != CLEAN]
    z = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)
    z = z - z.mean(0)
    rng = np.random.default_rng(seed)
    kept = rng.permutation(np.unique(c))[:max_classes]
    idx = np.flatnonzero(np.isin(c, kept))
    idx = rng.permutation(idx)[:max_frames]
    pair = rng.permutation(idx)
    a, b = z[idx], z[pair]
    sims = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-9)
    same = c[idx] == c[pair]
    if same.all() or not same.any():
        return 0.5
    return eer(sims, same)
