"""LibriAugmented (the paper's variant): each utterance of a clean data dir impaired once with a single and
once with a double impairment (K = 15), time-aligned with its reference, parameters in utt2params.

As a JOB array: `--part JOB --nparts N` renders one block of the utterances (provenance in
OUT/work/part<JOB>/); the call without --part renders what is missing and writes the data dir OUT.

Usage:
    utils/run.py JOB=1:4 data/libriaug_test_clean/log/part.JOB.log python -m sqe.bin.make_libriaugmented \\
        --data data/librispeech_test_clean --noise data/chime3_noise --out data/libriaug_test_clean \\
        --part JOB --nparts 4
    python -m sqe.bin.make_libriaugmented --data data/librispeech_test_clean --noise data/chime3_noise \\
        --out data/libriaug_test_clean
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.corpora.libriaugmented import LibriAugConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("make_libriaugmented", __doc__, LibriAugConf)
STAGE.add_argument("--data", type=Path, required=True, help="clean data dir (e.g. LibriSpeech test-clean)")
STAGE.add_argument("--noise", type=Path, required=True, help="noise data dir (CHiME-3 backgrounds)")
STAGE.add_argument("--part", type=int, help="render only this block (1-based) of the utterances")
STAGE.add_argument("--nparts", type=int, help="number of blocks")


def _run(ctx: StageContext) -> None:
    from sqe.corpora.libriaugmented import make_libriaugmented

    make_libriaugmented(ctx.args.data, ctx.args.noise, ctx.args.out, ctx.conf, ctx.args.part, ctx.args.nparts)


def _out(args) -> Path:
    return args.out / "work" / f"part{args.part}" if args.part is not None else args.out


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.data, a.noise], out_dir=_out)


if __name__ == "__main__":
    run_main(main)
