"""Run a trained model over a data dir: frame MOS (OUT/q.scp) and every embedding the model has
(OUT/{x,z_mos,z_scl,z_tilde}.scp) as kaldiio arks on the 50 Hz grid; batched, GPU or CPU.

Usage:
    python -m sqe.bin.infer --model exp/con1/checkpoints/best.pt --data data/mini_test_mixup \\
        --out exp/con1/infer/mini_test_mixup
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.infer.embeddings import InferConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("infer", __doc__, InferConf)
STAGE.add_argument("--model", type=Path, required=True, help="checkpoint of a trained model")
STAGE.add_argument("--data", type=Path, required=True, help="data dir")


def _run(ctx: StageContext) -> None:
    from sqe.infer.embeddings import infer_dir

    infer_dir(ctx.args.model, ctx.args.data, ctx.out, ctx.conf)


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.model, a.data])


if __name__ == "__main__":
    run_main(main)
