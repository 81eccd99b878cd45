"""Class inventory of a degraded data dir: tokens, singles and combinations, K, MOS statistics per class.

    >>> from sqe.data.datadir import DataDir
    >>> dd = DataDir({"wav.scp": {"a": "x", "b": "y", "c": "z"}, "utt2cls": {"a": "lpf", "b": "bgn+lpf", "c": "lpf"},
    ...               "utt2mos": {"a": 2.0, "b": 1.0, "c": 3.0}})
    >>> inv = inventory(dd)
    >>> inv["K"], inv["singles"], inv["by_num_tokens"], inv["classes"]["lpf"]["mos_mean"]
    (2, 2, {'1': 2, '2': 1}, 2.5)
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from sqe.data.datadir import DataDir
from sqe.utils.log import get_logger

log = get_logger(__name__)


def _stats(values: list[float]) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    return {"mos_mean": round(float(v.mean()), 4), "mos_std": round(float(v.std()), 4),
            "mos_min": round(float(v.min()), 4), "mos_max": round(float(v.max()), 4)}


def inventory(dd: DataDir, skipped: dict[str, str] | None = None, dropped: int = 0) -> dict[str, Any]:
    by_class: dict[str, list[float]] = defaultdict(list)
    for utt, cls in dd["utt2cls"].items():
        by_class[cls].append(dd["utt2mos"][utt])
    by_num: dict[str, int] = defaultdict(int)
    for cls, values in by_class.items():
        by_num[str(0 if cls == "clean" else len(cls.split("+")))] += len(values)
    tokens = sorted({t for cls in by_class if cls != "clean" for t in cls.split("+")})
    non_clean = [c for c in by_class if c != "clean"]
    return {
        "utterances": len(dd["utt2cls"]),
        "tokens": tokens,
        "tokens_skipped": dict(skipped or {}),
        "K": len(non_clean),
        "K_single": sum(1 for c in non_clean if "+" not in c),
        "singles": by_num.get("1", 0),
        "by_num_tokens": dict(sorted(by_num.items())),
        "dropped_pesq": dropped,
        "mos": _stats([m for values in by_class.values() for m in values]),
        "classes": {c: {"n": len(v), **_stats(v)} for c, v in sorted(by_class.items())},
    }


def log_inventory(name: str, inv: dict[str, Any]) -> None:
    log.info("%s: %d utterances, K=%d classes (%d single), by number of tokens %s, MOS %.2f +- %.2f",
             name, inv["utterances"], inv["K"], inv["K_single"], inv["by_num_tokens"], inv["mos"]["mos_mean"],
             inv["mos"]["mos_std"])
    if inv["tokens_skipped"]:
        log.warning("%s: tokens skipped (encoder missing): %s", name, ", ".join(inv["tokens_skipped"]))
    singles = {c: s for c, s in inv["classes"].items() if "+" not in c}
    log.info("%s: MOS of single-token classes: %s", name,
             ", ".join(f"{c} {s['mos_mean']:.2f} (n={s['n']})" for c, s in singles.items()))


def mos_table(report: dict[str, dict[str, Any]]) -> str:
    """TSV: split, class, n, mean, std, min, max."""
    lines = ["split\tclass\tn\tmos_mean\tmos_std\tmos_min\tmos_max"]
    for split, inv in report.items():
        for cls, s in inv["classes"].items():
            lines.append(f"{split}\t{cls}\t{s['n']}\t{s['mos_mean']}\t{s['mos_std']}\t{s['mos_min']}\t{s['mos_max']}")
    return "\n".join(lines) + "\n"
