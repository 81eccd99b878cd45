#!/usr/bin/env python3
"""Make the vendored real-speech folder (sqe/speech/librispeech/) from a copy of LibriSpeech.

Takes every speaker of each subset, the first --per_speaker utterances of each (sorted by name), and keeps
of each utterance its start up to a pause between --min_s and --max_s seconds (sqe.speech.real.excerpt_bounds),
faded out over 20 ms; writes 16-bit FLAC (compression level 8), excerpts.tsv with the cut positions and
SHA-256 of every file. The licence and attribution files (README.md, LICENSE.md) are written by hand and kept.

Usage (SRC holds <subset>/ folders with LibriSpeech's *.flac, flat or in <speaker>/<chapter>/):
    python tools/vendor_librispeech.py --src SRC --subset train-clean-100:1 --subset test-other:6
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from sqe.speech.real import COLUMNS, MANIFEST, VENDORED, excerpt_bounds, fade_out, sha256_file  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, required=True, help="folder with one subfolder per LibriSpeech subset")
    parser.add_argument("--subset", action="append", required=True, metavar="NAME:PER_SPEAKER",
                        help="a subset and the utterances kept per speaker, e.g. test-other:6")
    parser.add_argument("--out", type=Path, default=VENDORED)
    parser.add_argument("--min_s", type=float, default=5.5)
    parser.add_argument("--max_s", type=float, default=8.0)
    args = parser.parse_args()
    rows = []
    for spec in args.subset:
        name, _, per = spec.partition(":")
        files = sorted((args.src / name).rglob("*.flac"), key=lambda p: p.name)
        if not files:
            parser.error(f"no *.flac under {args.src / name}")
        by_speaker: dict[str, list[Path]] = {}
        for f in files:
            by_speaker.setdefault(f.name.split("-")[0], []).append(f)
        for speaker, paths in by_speaker.items():
            for path in paths[:int(per or 1)]:
                x, sr = sf.read(str(path), dtype="float32")
                a, b = excerpt_bounds(x, sr, args.min_s, args.max_s)
                y = x[a:b] if b == x.size else fade_out(x[a:b], sr)
                target = args.out / name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                sf.write(str(target), np.clip(y, -1.0, 1.0), sr, subtype="PCM_16", format="FLAC",
                         compression_level=1.0)
                rows.append([path.stem, name, speaker, path.stem, f"{a / sr:.4f}", f"{b / sr:.4f}",
                             sha256_file(target)])
    lines = ["\t".join(COLUMNS)] + ["\t".join(r) for r in rows]
    (args.out / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in args.out.rglob("*.flac"))
    seconds = sum(float(r[5]) - float(r[4]) for r in rows)
    print(f"{len(rows)} excerpts, {seconds / 60:.1f} min, {size / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
