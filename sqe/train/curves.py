"""Training curves: ``train_log.csv`` (one row per epoch) and ``curves.png``."""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from sqe.utils.atomic import atomic_path, write_text_atomic


def write_log(path: Path, rows: list[dict[str, Any]]) -> None:
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, buf.getvalue())


def plot_curves(path: Path, rows: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trained = [r for r in rows if r["epoch"] > 0]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for key in sorted({k for r in trained for k in r if k.startswith("train_")}):
        ax1.plot([r["epoch"] for r in trained if key in r], [r[key] for r in trained if key in r], label=key[6:])
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("training loss (unweighted parts)")
    ax1.set_yscale("log")
    ax1.legend(fontsize=8)
    for key in sorted({k for r in rows for k in r if k.startswith("valid_")}):
        ax2.plot([r["epoch"] for r in rows if key in r], [r[key] for r in rows if key in r], marker="o", label=key[6:])
    ax2.set_xlabel("epoch (0: before training)")
    ax2.set_ylabel("validation")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
