"""BVCC main track -> data dirs OUT/bvcc_{train,val,test} (wav.scp, utt2mos, utt2sys, utt2num_samples).

Usage:
    python -m sqe.bin.prepare_bvcc --corpus /data/bvcc/main --data data --out data/local/bvcc
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("prepare_bvcc", __doc__)
STAGE.add_argument("--corpus", type=Path, required=True, help="the 'main' directory of BVCC (db.sh: BVCC)")
STAGE.add_argument("--data", type=Path, default=Path("data"), help="where the data dirs are written")


def _run(ctx: StageContext) -> None:
    from sqe.corpora.bvcc import prepare_bvcc

    dirs = prepare_bvcc(ctx.args.corpus, ctx.args.data)
    ctx.written += [ctx.args.data / f"bvcc_{split}" for split in dirs]


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.corpus])


if __name__ == "__main__":
    run_main(main)
