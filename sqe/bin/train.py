"""Train an LSSQA model (Baseline, SUP1, SUP2, CON1, CON2 of the paper's Table 1) from a YAML config.

Writes OUT/checkpoints/{last,best}.pt, OUT/train_log.csv, OUT/curves.png, OUT/best.json, OUT/config.yaml
and OUT/env.json. A killed job restarted with the same command resumes from OUT/checkpoints/last.pt; an OUT
trained with another config is not touched without --overwrite (which starts from scratch).

Usage:
    python -m sqe.bin.train --conf conf/baseline.yaml --train_data data/mini_train \\
        --valid_data data/mini_val --out exp/baseline
    python -m sqe.bin.train --conf conf/con1.yaml --train_data data/mini_train --valid_data data/mini_val \\
        --train_scores dump/teacher/mini_train --train_vad dump/vad/mini_train \\
        --valid_mixup data/mini_val_mixup --out exp/con1
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

from sqe.train.conf import TrainConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("train", __doc__, TrainConf, protect_out=True)
STAGE.add_argument("--train_data", type=Path, nargs="+", required=True, help="training data dir(s)")
STAGE.add_argument("--valid_data", type=Path, nargs="+", required=True, help="validation data dir(s) (SRCC)")
STAGE.add_argument("--train_scores", type=Path, help="teacher scores of the first (parallel) training dir")
STAGE.add_argument("--train_vad", type=Path, help="speech regions of the first (parallel) training dir")
STAGE.add_argument("--valid_mixup", type=Path, help="fixed validation mix-up set (for select_metric scl_eer)")


def _check(ctx: StageContext) -> None:
    from sqe.models.lssqa import LSSQAModel

    if ctx.args.dry_run:
        LSSQAModel(ctx.conf.model)  # builds the encoder: fails on unknown names and missing local models


def _run(ctx: StageContext) -> None:
    from sqe.train.trainer import Trainer

    if ctx.args.overwrite:
        shutil.rmtree(ctx.out / "checkpoints", ignore_errors=True)
    a = ctx.args
    opt = {k: str(getattr(a, k)) if getattr(a, k) else None for k in ("train_scores", "train_vad", "valid_mixup")}
    trainer = Trainer(ctx.conf, [str(d) for d in a.train_data], [str(d) for d in a.valid_data], ctx.out, **opt)
    trainer.run()


def main(argv: Sequence[str] | None = None) -> int:
    def inputs(args, conf):
        extra = [p for p in (args.train_scores, args.train_vad, args.valid_mixup) if p is not None]
        return [*args.train_data, *args.valid_data, *extra]

    return STAGE.main(argv, run=_run, check=_check, inputs=inputs)


if __name__ == "__main__":
    run_main(main)
