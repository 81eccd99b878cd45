"""Speech regions with rVAD on the 50 Hz frame grid: writes OUT/vad_segments (<utt>-NNN <utt> <start_s> <end_s>).

--signal degraded (default, as in the authors' code) detects speech on the degraded signals (wav.scp);
--signal reference on the clean references (ref.scp; wav.scp if the data dir has none). Mix-up segments are
drawn only inside these regions (mixup.use_vad).

As a JOB array: `--part JOB --nparts N` processes one block of the utterances (provenance in
OUT/parts/<signal>/part<JOB>/); the call without --part reuses the parts and writes OUT/vad_segments.

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
STAGE.add_argument("--signal", choices=("degraded", "reference"), default="degraded",
                   help="which signal rVAD listens to (default: degraded, the authors' choice)")


def _run(ctx: StageContext) -> None:
    from sqe.mixup.vad import compute_vad_dir

    a = ctx.args
    stats = compute_vad_dir(a.data, a.out, a.part, a.nparts, a.signal)
    ctx.log.info("%s: %d speech regions in %d utterances (%s signals)", a.data, stats["regions"], stats["utterances"],
                 a.signal)


def main(argv: Sequence[str] | None = None) -> int:
    def out_dir(args) -> Path:
        from sqe.mixup.vad import parts_dir

        return parts_dir(args.out, args.signal) / f"part{args.part}" if args.part is not None else args.out

    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.data], out_dir=out_dir)


if __name__ == "__main__":
    run_main(main)
