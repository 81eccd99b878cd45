"""Speech regions with rVAD on the references of a data dir (wav.scp if it has no ref.scp), on the 50 Hz
frame grid: writes OUT/vad_segments (<utt>-NNN <utt> <start_s> <end_s>).

Usage:
    python -m sqe.bin.compute_vad --data data/mini_train --out dump/vad/mini_train
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("compute_vad", __doc__)
STAGE.add_argument("--data", type=Path, required=True, help="data dir")


def _run(ctx: StageContext) -> None:
    from sqe.mixup.vad import compute_vad_dir

    stats = compute_vad_dir(ctx.args.data, ctx.out)
    ctx.log.info("%s: %d speech regions in %d utterances", ctx.args.data, stats["regions"], stats["utterances"])


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.data])


if __name__ == "__main__":
    run_main(main)
