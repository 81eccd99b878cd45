"""Experiment roots side by side (e.g. the same recipe with two encoders): one table per test set with each
model's detection and verification numbers from every root, rows of one model next to each other.

The embedding of each row is fixed in advance, not chosen on the test set: z_MOS for models without an SCL
branch, z_scl and z~ for the contrastive ones.

    >>> runs = {"A": {"con1": {"t": _demo(0.05, 0.9)}}, "B": {"con1": {"t": _demo(0.2, 0.3)}}}
    >>> print("\\n".join(comparison_tables(runs, ["t"])[4:]))
    | con1 | A | z_scl | 5.00 | 0.50 | 0.90 | 10.00 | 0.40 | 8.00 |
    | con1 | A | z~ | 5.00 | 0.50 | 0.90 | 10.00 | 0.40 | 8.00 |
    | con1 | B | z_scl | 20.00 | 0.50 | 0.30 | 10.00 | 0.40 | 8.00 |
    | con1 | B | z~ | 20.00 | 0.50 | 0.30 | 10.00 | 0.40 | 8.00 |
"""
from __future__ import annotations

from typing import Any

from sqe.eval.report import MODEL_ORDER, NAMES, fmt, fmt_pct

Runs = dict[str, dict[str, dict[str, Any]]]  # label -> model -> set -> metrics.json


def _embeddings(metrics: dict[str, Any]) -> list[str]:
    return ["z_scl", "z_tilde"] if "z_scl" in metrics["detection"] else ["z_mos"]


def comparison_tables(runs: dict[str, Runs], sets: list[str]) -> list[str]:
    models = sorted({m for r in runs.values() for m in r},
                    key=lambda m: (MODEL_ORDER.index(m) if m in MODEL_ORDER else len(MODEL_ORDER), m))
    lines: list[str] = []
    for s in sets:
        rows = []
        for model in models:
            for label, run in runs.items():
                metrics = run.get(model, {}).get(s)
                if metrics is None:
                    continue
                det, seg = metrics["detection"], metrics.get("segments", {})
                for emb in _embeddings(metrics):
                    single = seg.get(emb, {}).get("max1", {})
                    rows.append(f"| {model} | {label} | {NAMES[emb]} | {fmt_pct(det[emb]['frame_eer'])} | "
                                f"{fmt(det[emb]['frame_min_dcf'])} | {fmt(det[emb]['i_auc'])} | "
                                f"{fmt_pct(det['mos']['frame_eer'])} | {fmt(det['mos']['i_auc'])} | "
                                f"{fmt_pct(single.get('eer'))} |")
        if rows:
            lines += [f"`{s}`:", "", "| Model | Encoder | Embedding | EER [%] | minDCF | I-AUC | MOS EER [%] | "
                      "MOS I-AUC | Verification EER, single [%] |", "|---|---|---|---|---|---|---|---|---|", *rows, ""]
    return lines


def _demo(eer: float, i_auc: float) -> dict[str, Any]:
    emb = {"frame_eer": eer, "frame_min_dcf": 0.5, "i_auc": i_auc}
    return {"detection": {"z_scl": emb, "z_tilde": emb, "mos": {"frame_eer": 0.1, "frame_min_dcf": 0.9, "i_auc": 0.4}},
            "segments": {"z_scl": {"max1": {"eer": 0.08}}, "z_tilde": {"max1": {"eer": 0.08}}}}
