"""Speech regions with rVAD on the references of a data dir (wav.scp if it has no ref.scp), on the 50 Hz
frame grid: writes OUT/vad_segments (<utt>-NNN <utt> <start_s> <end_s>).

As a JOB array: `--part JOB --nparts N` processes one block of the utterances (provenance in
OUT/parts/part<JOB>/); the call without --part reuses the parts and writes OUT/vad_segments.

Usage:
    python -m sqe.bin.compute_vad --data data/mini_train --out dump/vad/mini_train
    utils/run.py JOB=1:4 dump/vad/mini_train/log/compute_vad.JOB.log \\
        python -m sqe.bin.compute_vad --data data/mini_train --out dump/vad/mini_train --part JOB --nparts 4
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("compute_vad", __doc__)
STAGE.add_argument("--data", type=Path, required=True, help="data dir")
STAGE.add_argument("--part", type=int, help="process only this block (1-based) of the utterances")
STAGE.add_argument("--nparts", type=int, help="number of blocks")


def _run(ctx: StageContext) -> None:
    from sqe.mixup.vad import compute_vad_dir

    stats = compute_vad_dir(ctx.args.data, ctx.args.out, ctx.args.part, ctx.args.nparts)
    ctx.log.info("%s: %d speech regions in %d utterances", ctx.args.data, stats["regions"], stats["utterances"])


def main(argv: Sequence[str] | None = None) -> int:
    def out_dir(args) -> Path:
        return args.out / "parts" / f"part{args.part}" if args.part is not None else args.out

    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.data], out_dir=out_dir)


if __name__ == "__main__":
    run_main(main)
