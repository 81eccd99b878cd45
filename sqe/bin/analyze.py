"""Analyse any audio with a packaged model (sqe.bin.pack_model): where speech is degraded, by what, and its MOS
over time.

Inputs: audio files and folders (every file soundfile reads, any sample rate, resampled to 16 kHz), a Kaldi
data dir (--data) or a list file (--list: "path" or "name path" per line). Long files run in windows on one
50 Hz grid with bounded memory. Per input: OUT/files/NAME.json (regions, utterance and frame MOS, detection
scores, speech flags), OUT/labels/NAME.txt (Audacity labels), OUT/scores/NAME.tsv (sed_scores_eval table) and
OUT/plots/NAME.png; for the run OUT/regions.tsv, OUT/summary.{tsv,json,md}, and with --html OUT/report.html
(one page to open in a browser: spectrograms with the regions, audio players, click a region to hear it; its
images and audio lie beside it in OUT/report_files/). With --reference (labelled degraded segments, "<name>
<onset_s> <offset_s> <class>" per line, as a mix-up data dir's mix_segments): OUT/agreement.{json,md}, the
labelled segments a region found, the false regions and how often a region's type names its segment's class
(sqe.analyze.agreement). An input that cannot be analysed (unreadable, empty, NaN, too short) is reported in the
summary with the reason, the others go on, and the exit status is 1.

Archives as a JOB array: `--part K --nparts N` analyses the K-th contiguous block of the inputs (per-file
outputs in OUT as usual, the block's summary in OUT/parts/partK; figures follow --png_limit per part); the
same call with --nparts N and without --part joins the N parts into OUT's summary, regions.tsv and report.

Usage:
    python -m sqe.bin.analyze --model exp/con1/package/con1.sqe recordings/ --out exp/con1/analysis/recordings
    python -m sqe.bin.analyze --model con1.sqe.zip --data data/mini_test --png false --out OUT
    python -m sqe.bin.analyze --model con1.sqe.zip take1.wav take2.flac --html --out OUT   # then open OUT/report.html
    utils/run.py JOB=1:4 OUT/log/analyze.JOB.log python -m sqe.bin.analyze --model PKG archive/ --part JOB \\
        --nparts 4 --out OUT
    python -m sqe.bin.analyze --model PKG archive/ --nparts 4 --out OUT      # joins the 4 parts
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from sqe.analyze.analyzer import AnalyzeConf
from sqe.utils.cli import Stage, StageContext, run_main


@dataclass
class AnalyzeStageConf(AnalyzeConf):
    png: bool = True  # one figure per file
    png_limit: int | None = None  # figures (and report spectrograms/audio) for at most this many files (null: all)
    html: bool = False  # OUT/report.html: summary, spectrogram with regions, player, click a region to play it


STAGE = Stage("analyze", __doc__, AnalyzeStageConf)
STAGE.add_argument("--model", type=Path, required=True, help="model package (directory or .zip)")
STAGE.add_argument("inputs", type=Path, nargs="*", default=[], metavar="FILE|DIR", help="audio files or folders")
STAGE.add_argument("--data", type=Path, help="a Kaldi data dir (wav.scp, optional segments)")
STAGE.add_argument("--list", dest="list_file", type=Path, help="a file of inputs: 'path' or 'name path' per line")
STAGE.add_argument("--reference", type=Path,
                   help="labelled segments '<name> <onset_s> <offset_s> <class>' to compare the regions with")
STAGE.add_argument("--part", type=int, help="analyse only this block (1-based) of the inputs (a JOB array task)")
STAGE.add_argument("--nparts", type=int, help="number of blocks; without --part: join the parts' summaries")


def _check(ctx: StageContext) -> None:
    from sqe.analyze.inputs import collect_inputs
    from sqe.utils.errors import SqeError

    a = ctx.args
    if not a.inputs and a.data is None and a.list_file is None:
        raise SqeError("nothing to analyse: give FILE/DIR arguments, --data or --list")
    if a.part is not None and a.nparts is None:
        raise SqeError("--part needs --nparts")
    if a.nparts is not None and a.nparts < 1:
        raise SqeError(f"--nparts must be at least 1, got {a.nparts}")
    ctx.prepared = collect_inputs(a.inputs, a.data, a.list_file)
    if not ctx.prepared:
        raise SqeError("no inputs found")
    if a.part is not None:
        from sqe.utils.parts import block

        ctx.prepared = block(ctx.prepared, a.part, a.nparts)
    if a.reference is not None and a.part is None:  # a bad reference stops the run before any audio is read
        from sqe.analyze.agreement import read_reference

        read_reference(a.reference, [i.name for i in ctx.prepared])


def _run(ctx: StageContext) -> int:
    a = ctx.args
    if a.nparts is not None and a.part is None:  # joining the parts reads tables only: no model, no torch
        from sqe.analyze.parts import merge_parts

        return _report(ctx, merge_parts(a.out, a.nparts, [i.entry for i in ctx.prepared], html=ctx.conf.html))
    from sqe.analyze.analyzer import Analyzer
    from sqe.analyze.run import analyze_inputs

    analyzer = Analyzer.from_package(a.model, ctx.conf)
    rows = analyze_inputs(analyzer, ctx.prepared, a.out, png=ctx.conf.png, png_limit=ctx.conf.png_limit,
                          resume=ctx.resume, html=ctx.conf.html, summary_dir=ctx.out if a.part is not None else None)
    return _report(ctx, rows)


def _report(ctx: StageContext, rows: list[dict]) -> int:
    from sqe.analyze.agreement import AGREEMENT_FILES, read_reference, write_agreement

    a = ctx.args
    if a.part is None and a.reference is None:  # an earlier run's agreement would describe other regions
        for name in AGREEMENT_FILES:
            (a.out / name).unlink(missing_ok=True)
    if a.part is None and a.reference is not None:
        labels = read_reference(a.reference, [r["file"] for r in rows])
        r = write_agreement(a.out, labels, a.reference, rows)
        ctx.log.info("against %s: %d of %d labelled segments found, %d false regions, type exact for %d of %d "
                     "regions on segments -> %s/agreement.md", a.reference, r["segments_found"], r["segments"],
                     r["false_regions"], r["type_exact"], r["regions_on_segments"], a.out)
    failed = [r for r in rows if r["status"] != "ok"]
    regions = sum(r["regions"] or 0 for r in rows)
    ctx.log.info("%d inputs analysed, %d failed, %d degraded regions -> %s/summary.md", len(rows) - len(failed),
                 len(failed), regions, ctx.out)
    for r in failed:
        ctx.log.error("%s: %s", r["source"], r["reason"])
    return 1 if failed else 0


def _identity(ctx: StageContext) -> list:
    from sqe.analyze.inputs import inputs_identity
    from sqe.utils.parts import part_dir
    from sqe.utils.provenance import tree_identity

    a = ctx.args
    own = inputs_identity(ctx.prepared)
    if a.part is None and a.nparts is not None:  # joining the parts: their summaries too
        return [own, *(tree_identity(part_dir(a.out, k)) for k in range(1, a.nparts + 1))]
    return own


def main(argv: Sequence[str] | None = None) -> int:
    # the package, data dir and list must exist; audio files are identified one by one (size and mtime, every
    # file under a folder argument, every wav.scp or list entry), a missing or unreadable one reported per file
    def out_dir(args) -> Path:  # a part's config, log and summary; its per-file outputs go to OUT
        from sqe.utils.parts import part_dir

        return part_dir(args.out, args.part) if args.part is not None else args.out

    return STAGE.main(argv, run=_run, check=_check, identity=_identity, out_dir=out_dir,
                      inputs=lambda a, c: [p for p in (a.model, a.data, a.list_file, a.reference) if p])


if __name__ == "__main__":
    run_main(main)
