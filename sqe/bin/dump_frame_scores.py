"""Teacher frame scores of a parallel data dir: frame MOS of every degraded signal (OUT/qdeg.scp) and of its
reference (OUT/qref.scp), median-filtered, from a trained Baseline or any compatible checkpoint.

Usage:
    python -m sqe.bin.dump_frame_scores --model exp/baseline/checkpoints/best.pt --data data/mini_train \\
        --out dump/teacher/mini_train
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.mixup.teacher import TeacherConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("dump_frame_scores", __doc__, TeacherConf)
STAGE.add_argument("--model", type=Path, required=True, help="checkpoint (.pt) of a trained model")
STAGE.add_argument("--data", type=Path, required=True, help="parallel data dir (wav.scp and ref.scp)")


def _check(ctx: StageContext) -> None:
    from sqe.data.datadir import DataDir
    from sqe.data.tables import DataError

    if not (ctx.args.data / "ref.scp").is_file():
        DataDir.load(ctx.args.data)
        raise DataError(f"{ctx.args.data} has no ref.scp: teacher scores need a parallel (reference, degraded) "
                        "data dir")


def _run(ctx: StageContext) -> None:
    from sqe.mixup.teacher import dump_frame_scores

    dump_frame_scores(ctx.args.model, ctx.args.data, ctx.out, ctx.conf)


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, check=_check, inputs=lambda a, c: [a.model, a.data])


if __name__ == "__main__":
    run_main(main)
