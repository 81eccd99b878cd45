"""Train an LSSQA model (Baseline, SUP1, SUP2, CON1, CON2 of the paper's Table 1) from a YAML config.

Writes OUT/checkpoints/{last,best}.pt, OUT/train_log.csv, OUT/curves.png, OUT/best.json, OUT/config.yaml
and OUT/env.json. A killed job restarted with the same command resumes from OUT/checkpoints/last.pt; an OUT
trained with another config is not touched without --overwrite (which starts from scratch).

Usage:
    python -m sqe.bin.train --conf conf/baseline.yaml --train_data data/mini_train \\
        --valid_data data/mini_val --out exp/baseline
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

from sqe.train.conf import TrainConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("train", __doc__, TrainConf, protect_out=True)
STAGE.add_argument("--train_data", type=Path, nargs="+", required=True, help="training data dir(s)")
STAGE.add_argument("--valid_data", type=Path, nargs="+", required=True, help="validation data dir(s)")


def _check(ctx: StageContext) -> None:
    from sqe.models.lssqa import LSSQAModel

    if ctx.args.dry_run:
        LSSQAModel(ctx.conf.model)  # builds the encoder: fails on unknown names and missing local models


def _run(ctx: StageContext) -> None:
    from sqe.train.trainer import Trainer

    if ctx.args.overwrite:
        shutil.rmtree(ctx.out / "checkpoints", ignore_errors=True)
    trainer = Trainer(ctx.conf, [str(d) for d in ctx.args.train_data], [str(d) for d in ctx.args.valid_data],
                      ctx.out)
    trainer.run()


def main(argv: Sequence[str] | None = None) -> int:
    def inputs(args, conf):
        return [*args.train_data, *args.valid_data]

    return STAGE.main(argv, run=_run, check=_check, inputs=inputs)


if __name__ == "__main__":
    run_main(main)
