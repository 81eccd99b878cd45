"""NISQA Corpus -> data dirs OUT/nisqa_<subset> (train_sim, val_sim, test_for, test_p501, the LIVE subsets):
wav.scp (degraded), ref.scp, utt2mos, utt2cls (the project's 19 tokens), utt2params, utt2con,
utt2num_samples, cls2id (from TRAIN_SIM) and cls_inventory.json (K per subset).

Usage:
    python -m sqe.bin.prepare_nisqa --corpus /data/NISQA_Corpus --data data --out data/local/nisqa
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.corpora.nisqa import NisqaConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("prepare_nisqa", __doc__, NisqaConf)
STAGE.add_argument("--corpus", type=Path, required=True, help="the NISQA_Corpus directory (db.sh: NISQA)")
STAGE.add_argument("--data", type=Path, default=Path("data"), help="where the data dirs are written")


def _run(ctx: StageContext) -> None:
    from sqe.corpora.nisqa import prepare_nisqa

    dirs = prepare_nisqa(ctx.args.corpus, ctx.args.data, ctx.conf)
    ctx.written += [ctx.args.data / subset.lower() for subset in dirs]


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.corpus])


if __name__ == "__main__":
    run_main(main)
