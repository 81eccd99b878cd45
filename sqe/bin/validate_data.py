"""Check Kaldi-style data dirs: key consistency across files, C-locale sort order, duplicate keys, values
(MOS, counts, JSON), missing or unreadable audio, channels, NaN/Inf samples, sample rates, and equal
reference/degraded lengths where ref.scp exists. Every problem is printed as FILE:LINE: key 'K': what.
Exit status 1 if any problem remains. Nothing is modified unless --fix is given; then the repaired files
are written and the originals kept in DIR/.backup/<time>/ (like Kaldi's fix_data_dir.sh).

Usage:
    python -m sqe.bin.validate_data data/mini_train data/mini_val
    python -m sqe.bin.validate_data --audio header --expect_rate 16000 data/nisqa_train_sim
    python -m sqe.bin.validate_data --fix data/broken
"""
from __future__ import annotations

from typing import Sequence

from sqe.data.validate import ValidateOptions, fix_data_dir, validate_data_dir
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("validate_data", __doc__, ValidateOptions, writes_out=False)
STAGE.add_argument("data_dirs", nargs="+", metavar="DIR", help="data dir(s) to check")


def _run(ctx: StageContext) -> int:
    opts: ValidateOptions = ctx.conf
    failed = 0
    for data_dir in ctx.args.data_dirs:
        report = validate_data_dir(data_dir, opts)
        if report.problems and opts.fix:
            ctx.log.info("%s: %d problem(s); fixing", data_dir, len(report.problems))
            fix_data_dir(data_dir, report, opts)
            report = validate_data_dir(data_dir, opts, audio_cache=report.audio)
        for p in report.warnings:
            ctx.log.warning("%s/%s", data_dir, p)
        for p in report.problems:
            print(f"{data_dir}/{p}")
        if report.unchecked:
            ctx.log.info("%s: not checked (unknown to the validator): %s", data_dir, " ".join(report.unchecked))
        if report.problems:
            failed += 1
            ctx.log.error("%s: %d problem(s)", data_dir, len(report.problems))
        else:
            ctx.log.info("%s: OK", data_dir)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run)


if __name__ == "__main__":
    run_main(main)
