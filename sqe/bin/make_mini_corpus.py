"""Stage 2 of egs/mini: degrade the clean speech of stage 1 and label it with PESQ-WB.

In-domain splits (train, val, test, test_real) get NISQA-like conditions of 1-3 tokens (wbgn, bgn, lpf, hpf,
bp, clip, tclip, mnru and the codecs present here); val_ood and test_ood get one single and one double
LibriAugmented impairment per reference. Writes DATA/mini_train, mini_val, mini_test, mini_test_real,
mini_val_ood, mini_test_ood (wav.scp, ref.scp, utt2mos, utt2cls, utt2params, utt2num_samples, utt2spk, text,
cls2id, cls_inventory.json) and DATA/mini_enroll_ood (clean), each checked
with validate_data; degraded audio, the class inventory and MOS statistics per class go to OUT.
utt2mos is PESQ-WB MOS-LQO: an objective proxy, not human MOS. Pairs PESQ cannot score are dropped and counted.

Usage:
    python -m sqe.bin.make_mini_corpus --conf conf/data.yaml --speech data/local/mini_speech \\
        --data data --out data/local/mini_corpus
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

from sqe.corpora.mini_conf import MiniDataConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("make_mini_corpus", __doc__, MiniDataConf, protect_out=True)
STAGE.add_argument("--speech", type=Path, required=True, help="output of make_mini_speech (stage 1)")
STAGE.add_argument("--data", type=Path, default=Path("data"), help="where the mini_* data dirs are written")
SPLITS = ("train", "val", "test", "test_real", "val_ood", "test_ood", "enroll_ood")


def _targets(args) -> list[Path]:
    return [args.data / f"mini_{s}" for s in SPLITS]


def _check(ctx: StageContext) -> None:
    from sqe.corpora.mini_corpus import plan
    from sqe.simulate import resolve_ranges

    resolve_ranges(ctx.conf.degrade.tokens, ctx.conf.degrade.ranges)
    if ctx.args.dry_run:
        plan(ctx.conf, ctx.args.speech, ctx.out or Path("."))


def _run(ctx: StageContext) -> None:
    from sqe.corpora.mini_corpus import build_corpus, check_targets

    check_targets(_targets(ctx.args), ctx.stamp or "", ctx.args.overwrite)
    if ctx.args.overwrite:
        shutil.rmtree(ctx.out / "wav", ignore_errors=True)
    build_corpus(ctx.conf, ctx.args.speech, ctx.out, ctx.args.data, ctx.stamp or "")


def main(argv: Sequence[str] | None = None) -> int:
    def inputs(args, conf):
        return [args.speech / s for s in SPLITS] + [args.speech / "noise.scp"]

    return STAGE.main(argv, run=_run, check=_check, inputs=inputs, outputs=lambda a, c: _targets(a))


if __name__ == "__main__":
    run_main(main)
