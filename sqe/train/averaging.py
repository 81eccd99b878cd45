"""n-best checkpoint averaging (ESPnet's ``--keep_nbest_models`` and ``average_nbest_models``).

With ``average_best: N`` the trainer keeps a weights-only snapshot ``checkpoints/epoch<k>.pt`` of each of
the N epochs with the best validation metric so far (dropping the others as they fall out), and after the
last epoch writes ``best.pt`` as their element-wise mean: floating-point parameters and buffers (batch-norm
statistics included) are averaged in float64, integer buffers come from the best epoch. The validation
metric picks single epochs noisily on small validation sets; the mean of neighbouring optima is steadier.

    >>> rank_epochs([{"epoch": 0, "m": 0.5}, {"epoch": 1, "m": 0.3}, {"epoch": 2, "m": 0.2},
    ...              {"epoch": 3, "m": 0.3}], "m", minimise=True)
    [2, 1, 3]
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import torch


def rank_epochs(history: Sequence[dict[str, Any]], metric: str, minimise: bool) -> list[int]:
    """Trained epochs (epoch >= 1) best first by ``metric``; ties go to the earlier epoch."""
    rows = [r for r in history if r.get("epoch", 0) >= 1 and metric in r]
    sign = 1.0 if minimise else -1.0
    return [r["epoch"] for r in sorted(rows, key=lambda r: (sign * float(r[metric]), r["epoch"]))]


def average_states(states: Sequence[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Element-wise mean of state dicts with the same keys; non-float entries are taken from the first."""
    if not states:
        raise ValueError("nothing to average")
    first = states[0]
    if any(set(s) != set(first) for s in states[1:]):
        raise ValueError("state dicts with different keys cannot be averaged")
    out = {}
    for key, value in first.items():
        if value.is_floating_point():
            total = sum(s[key].to(torch.float64) for s in states)
            out[key] = (total / len(states)).to(value.dtype)
        else:
            out[key] = value.clone()
    return out


def snapshot_path(ckpt_dir: Path, epoch: int) -> Path:
    return ckpt_dir / f"epoch{epoch}.pt"


def stale_snapshots(ckpt_dir: Path, keep: Sequence[int]) -> list[Path]:
    """Snapshot files of epochs that are no longer among ``keep``."""
    wanted = {snapshot_path(ckpt_dir, e).name for e in keep}
    return sorted(p for p in ckpt_dir.glob("epoch*.pt") if p.name not in wanted)
