"""One training step's losses: eq. 1 (+ eq. 2), eq. 5 when pseudo-targets are given, eq. 8 when frame
class labels are given. Returns the weighted total and every unweighted part for logging."""
from __future__ import annotations

import torch

from sqe.losses.consistency import draw_slices, slice_consistency
from sqe.losses.framesup import frame_l1
from sqe.losses.ssqa import clipped_l1, mos_contrastive
from sqe.losses.supcon import supcon_loss
from sqe.models.lssqa import LSSQAModel
from sqe.train.conf import LossConf


def loss_keys(model: LSSQAModel, conf: LossConf) -> list[str]:
    """The parts a step reports under this config (the same on every rank, whatever its batch holds)."""
    w = conf.weights
    keys = ["reg", "mos_con"]
    if w.cons_emb > 0 or w.cons_scores > 0:
        keys += ["cons_emb", "cons_scores"]
    if w.frame > 0:
        keys.append("frame")
    if w.scl > 0 and model.scl is not None:
        keys.append("scl")
    return keys + ["total"]


def compute_losses(model: LSSQAModel, batch: dict[str, torch.Tensor], conf: LossConf,
                   generator: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
    w = conf.weights
    use_cons = w.cons_emb > 0 or w.cons_scores > 0
    out = model(batch["wav"], batch["lengths"], keep_latents=use_cons, mix_ref=batch.get("mix_ref"),
                mix_mask=batch.get("mix_mask"))
    y = batch["y"].to(out.y_hat.dtype)
    parts: dict[str, torch.Tensor] = {
        "reg": clipped_l1(out.y_hat.float(), y.float(), conf.delta, conf.reg_form),
        "mos_con": mos_contrastive(out.y_hat.float(), y.float(), conf.mos_con_margin),
    }
    total = w.reg * parts["reg"] + w.mos_con * parts["mos_con"]
    if use_cons:
        starts, sizes, usable = draw_slices(out.mask.sum(1), conf.cons_min_frames, conf.cons_max_frames, generator,
                                            conf.cons_placement, conf.cons_short)
        if bool(usable.any()):
            xs, qs, ms = model.forward_slices(out.latents, starts, sizes)
            emb, score = slice_consistency(out.x.float(), out.q.float(), xs.float(), qs.float(), starts, ms, usable,
                                           1.0, 1.0, conf.cons_emb_reduction)
            parts["cons_emb"], parts["cons_scores"] = emb, score
            total = total + w.cons_emb * emb + w.cons_scores * score
    if w.frame > 0 and "q_pseudo" in batch:
        parts["frame"] = frame_l1(out.q.float(), batch["q_pseudo"].float(), out.mask, batch["supervised"],
                                  conf.frame_reduction)
        total = total + w.frame * parts["frame"]
    if w.scl > 0 and "frame_labels" in batch and out.z_tilde is not None:
        parts["scl"], stats = supcon_loss(out.z_tilde, batch["frame_labels"], out.mask, conf.scl)
        total = total + w.scl * parts["scl"]
    logged = {k: 0.0 for k in loss_keys(model, conf)}  # parts a batch did not produce (no usable slice...) are 0
    logged.update({k: float(v.detach()) for k, v in parts.items()})
    logged["total"] = float(total.detach())
    return total, logged
