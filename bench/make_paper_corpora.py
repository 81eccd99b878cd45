#!/usr/bin/env python3
"""Write small stand-ins of the paper's corpora (NISQA, BVCC, LibriSpeech, LibriTTS, CHiME-3 backgrounds) in their
real layouts, made from the vendored real read speech and the project's degradation simulator
(test/corpus_layouts.py), so egs/nisqa and egs/libriaugmented can be tried without the real corpora. Prints the
db.sh variables to set, and how long the writing took.

Usage (from the repository root, environment active):
    python bench/make_paper_corpora.py --out /tmp/paper_corpora               # the default (CI) size
    python bench/make_paper_corpora.py --out /tmp/paper_corpora --nisqa_train 120 --nisqa_val 24 --nisqa_test 13
    eval "$(python bench/make_paper_corpora.py --out /tmp/paper_corpora --quiet)" && cd egs/nisqa && ./run.sh

They are not the corpora: a few dozen files, read speech of LibriSpeech speakers only, MOS from PESQ-WB. Each
corpus has its own group of speakers (none shared); LibriSpeech and LibriTTS can hold at most 12 utterances per
subset. The folder must not exist yet (nothing is overwritten).
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# the repository before test/: test/sqe (the tests' folders) must not hide the package
sys.path[:0] = [str(REPO), str(REPO / "test")]
from corpus_layouts import CorpusSizes, write_paper_corpora  # noqa: E402  (the writers the tests use)

DEFAULT = CorpusSizes()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="folder to write the corpora into (must not exist)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nisqa_train", type=int, default=DEFAULT.nisqa_train, help="NISQA_TRAIN_SIM files")
    p.add_argument("--nisqa_val", type=int, default=DEFAULT.nisqa_val, help="NISQA_VAL_SIM files")
    p.add_argument("--nisqa_test", type=int, default=DEFAULT.nisqa_test, help="files of TEST_FOR and of TEST_P501")
    p.add_argument("--nisqa_live", type=int, default=DEFAULT.nisqa_live, help="NISQA_TRAIN_LIVE files")
    p.add_argument("--bvcc", type=int, nargs=3, default=list(DEFAULT.bvcc), metavar=("TRAIN", "VAL", "TEST"))
    p.add_argument("--librispeech", type=int, default=DEFAULT.librispeech, help="utterances of dev-clean and of "
                   "test-clean (at most 12)")
    p.add_argument("--libritts", type=int, default=DEFAULT.libritts, help="LibriTTS dev-clean utterances (<= 12)")
    p.add_argument("--chime3_seconds", type=float, default=DEFAULT.chime3_seconds,
                   help="length of each CHiME-3 background recording")
    p.add_argument("--quiet", action="store_true", help="print only the export lines (for eval)")
    return p.parse_args(argv)


def sizes_of(args: argparse.Namespace) -> CorpusSizes:
    return CorpusSizes(args.nisqa_train, args.nisqa_val, args.nisqa_test, args.nisqa_live, tuple(args.bvcc),
                       args.librispeech, args.libritts, args.chime3_seconds)


def export_lines(paths: dict[str, Path]) -> list[str]:
    return [f"export {name}={shlex.quote(str(Path(path).resolve()))}" for name, path in paths.items()]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.out.exists():
        print(f"{args.out} exists; choose a new folder", file=sys.stderr)
        return 1
    start = time.monotonic()
    try:
        paths = write_paper_corpora(args.out, sizes_of(args), args.seed)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"# wrote {args.out} in {time.monotonic() - start:.1f} s; set these (the db.sh of egs/nisqa and "
              "of egs/libriaugmented take them from the environment):")
    print("\n".join(export_lines(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
