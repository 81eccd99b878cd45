"""CHiME-3 background recordings (one channel each) -> the noise data dir OUT (wav.scp, utt2num_samples).

Usage:
    python -m sqe.bin.prepare_chime3_noise --corpus /data/CHiME3 --out data/chime3_noise
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("prepare_chime3_noise", __doc__)
STAGE.add_argument("--corpus", type=Path, required=True, help="the CHiME3 directory (db.sh: CHIME3)")
STAGE.add_argument("--channel", type=int, default=1, help="channel used of every recording")


def _run(ctx: StageContext) -> None:
    from sqe.corpora.librispeech import prepare_chime3_noise

    prepare_chime3_noise(ctx.args.corpus, ctx.out, ctx.args.channel)


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.corpus])


if __name__ == "__main__":
    run_main(main)
