"""A LibriSpeech or LibriTTS subset -> the data dir OUT (wav.scp, text, utt2spk, utt2num_samples).

Usage:
    python -m sqe.bin.prepare_librispeech --corpus /data --subset test-clean --out data/librispeech_test_clean
    python -m sqe.bin.prepare_librispeech --corpus /data --flavor libritts --subset dev-clean --out data/libritts_dev_clean
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("prepare_librispeech", __doc__)
STAGE.add_argument("--corpus", type=Path, required=True, help="directory holding LibriSpeech/ or LibriTTS/")
STAGE.add_argument("--subset", required=True, help="e.g. dev-clean, test-clean")
STAGE.add_argument("--flavor", choices=["librispeech", "libritts"], default="librispeech")


def _run(ctx: StageContext) -> None:
    from sqe.corpora.librispeech import prepare_librispeech

    prepare_librispeech(ctx.args.corpus, ctx.args.subset, ctx.out, ctx.args.flavor)


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.corpus])


if __name__ == "__main__":
    run_main(main)
