"""The clean enrollment embedding of a model (paper §6.2): for every clean utterance the mean of its frame
embeddings, averaged over the set; one vector per embedding type in OUT/enrollment.npz.

Usage:
    python -m sqe.bin.enroll --model exp/con1/checkpoints/best.pt --data data/mini_val --source ref.scp \\
        --out exp/con1/enroll/mini_val_ref
    python -m sqe.bin.enroll --model ... --data data/mini_enroll_ood --source wav.scp --out exp/con1/enroll/ood
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.infer.embeddings import InferConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("enroll", __doc__, InferConf)
STAGE.add_argument("--model", type=Path, required=True, help="checkpoint of a trained model")
STAGE.add_argument("--data", type=Path, required=True, help="data dir holding the clean set")
STAGE.add_argument("--source", choices=["ref.scp", "wav.scp"], default="ref.scp", help="which audio is clean")


def _run(ctx: StageContext) -> None:
    from sqe.infer.embeddings import enroll_dir

    enroll_dir(ctx.args.model, ctx.args.data, ctx.args.source, ctx.out, ctx.conf)


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.model, a.data])


if __name__ == "__main__":
    run_main(main)
