"""Render a fixed partial-mix-up evaluation set from a parallel data dir, its teacher scores and speech
regions (segments of 0.4-2.0 s, contrastive constraints, seeded): a data dir with wav.scp, mix2src,
mix_segments, utt2mos, utt2cls, cls2id, frame_cls and qpseudo arks, ground_truth.tsv and durations.tsv.

Usage:
    python -m sqe.bin.make_mixup_set --data data/mini_test --scores dump/teacher/mini_test \\
        --vad dump/vad/mini_test --out data/mini_test_mixup
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

from sqe.mixup.evalset import MixupSetConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("make_mixup_set", __doc__, MixupSetConf, protect_out=True)
STAGE.add_argument("--data", type=Path, required=True, help="parallel data dir (wav.scp, ref.scp)")
STAGE.add_argument("--scores", type=Path, required=True, help="teacher scores (sqe.bin.dump_frame_scores)")
STAGE.add_argument("--vad", type=Path, help="speech regions (sqe.bin.compute_vad)")


def _run(ctx: StageContext) -> None:
    from sqe.mixup.evalset import make_mixup_set

    shutil.rmtree(ctx.out / "wav", ignore_errors=True)  # a rerun renders every file again
    make_mixup_set(ctx.args.data, ctx.args.scores, ctx.args.vad, ctx.out, ctx.conf)


def main(argv: Sequence[str] | None = None) -> int:
    def inputs(args, conf):
        return [args.data, args.scores] + ([args.vad] if args.vad else [])

    return STAGE.main(argv, run=_run, inputs=inputs)


if __name__ == "__main__":
    run_main(main)
