"""Utterance-level validation: MOS predictions of a data dir and their agreement with utt2mos."""
from __future__ import annotations

import numpy as np
import torch
from scipy import stats

from sqe.models.lssqa import LSSQAModel, norm_to_mos
from sqe.train.data import UtteranceSet, bucket_batches, collate


@torch.no_grad()
def predict_utterances(model: LSSQAModel, data: UtteranceSet, device: torch.device, max_audio_s: float = 180.0,
                       max_utts: int = 64, autocast: bool = False) -> np.ndarray:
    """Predicted utterance MOS, in the order of ``data.items``."""
    was_training = model.training
    model.eval()
    preds = np.zeros(len(data))
    batches = bucket_batches(data.seconds(), max_utts, max_audio_s, 1.0, 0.0, np.random.default_rng(0))
    for idx in batches:
        batch = collate([(data.load(i), data.items[i].mos) for i in idx])
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=autocast):
            out = model(batch["wav"].to(device), batch["lengths"].to(device))
        preds[idx] = norm_to_mos(out.y_hat.float()).cpu().numpy()
    model.train(was_training)
    return preds


def utterance_metrics(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """SRCC, LCC and MSE (MOS units)."""
    if np.std(pred) == 0 or np.std(target) == 0:
        srcc = lcc = 0.0
    else:
        srcc = float(stats.spearmanr(pred, target).statistic)
        lcc = float(stats.pearsonr(pred, target).statistic)
    return {"srcc": srcc, "lcc": lcc, "mse": float(np.mean((pred - target) ** 2))}
