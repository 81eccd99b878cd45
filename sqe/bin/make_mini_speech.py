"""Stage 1 of egs/mini: synthesize the clean speech of every split with the TTS voices (hibari, flite)
from the project's sentence list, take the real speakers' recordings from the vendored LibriSpeech excerpts
(each scaled to the configured level; disjoint speakers per split), and generate the background-noise files.

Writes OUT/wav/*.wav, one clean data dir per split in OUT/<split>/ (train, val, test, test_real, val_ood,
test_ood, enroll_ood) and OUT/noise/*.wav with OUT/noise.scp. Deterministic for a seed; an interrupted run
resumes. An unavailable voice, an empty sentence list, or a missing, altered or unreadable real-speech file
fails before any work, naming it; an OUT made with a different config is not replaced without --overwrite.

Usage:
    python -m sqe.bin.make_mini_speech --conf conf/data.yaml --out data/local/mini_speech
"""
from __future__ import annotations

import shutil
from typing import Sequence

from sqe.corpora.mini_conf import MiniDataConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("make_mini_speech", __doc__, MiniDataConf, protect_out=True)


def _check(ctx: StageContext) -> None:
    from sqe.corpora.mini_speech import check_request

    check_request(ctx.conf)


def _run(ctx: StageContext) -> None:
    from sqe.corpora.mini_speech import build_speech

    if ctx.args.overwrite:
        for sub in ("wav", "noise"):
            shutil.rmtree(ctx.out / sub, ignore_errors=True)
    build_speech(ctx.conf, ctx.out)


def main(argv: Sequence[str] | None = None) -> int:
    def inputs(args, conf):
        from sqe.corpora.mini_speech import real_folder
        from sqe.speech.real import MANIFEST

        real = [real_folder(conf) / MANIFEST] if any(s.real_speakers for _, s in conf.speech.splits.items()) else []
        return ([conf.speech.sentences] if conf.speech.sentences else []) + real

    return STAGE.main(argv, run=_run, check=_check, inputs=inputs)


if __name__ == "__main__":
    run_main(main)
