"""A whole analysis run: every input in turn, a failed input reported with its reason while the rest go on,
finished files kept when an interrupted run is resumed."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqe.analyze.analyzer import Analyzer
from sqe.analyze.inputs import Input, read_signal, source_identity
from sqe.analyze.writers import (SUMMARY_COLUMNS, failed_row, region_line, region_lines, summary_row,
                                 write_file_outputs, write_summary)
from sqe.audio.io import AudioError, TARGET_SR
from sqe.utils.log import get_logger
from sqe.utils.progress import progress

log = get_logger(__name__)


def _resumed(out: Path, item: Input) -> tuple[dict[str, Any], list[str]] | None:
    path = out / "files" / f"{item.name}.json"
    if not path.is_file():
        return None
    done = json.loads(path.read_text())
    if done.get("source") != item.entry or done.get("source_identity") != source_identity(item):
        return None  # another file, or the same path re-recorded since
    row = {k: done.get(k) for k in SUMMARY_COLUMNS}
    row["regions"] = len(done["regions"])
    lines = [region_line(item.name, r) for r in done["regions"]]
    return row, lines


def analyze_inputs(analyzer: Analyzer, inputs: list[Input], out: Path, png: bool = True,
                   png_limit: int | None = None, resume: bool = False, html: bool = False,
                   summary_dir: Path | None = None) -> list[dict[str, Any]]:
    """Analyse ``inputs`` into ``out`` (figures, and with ``html`` the report's spectrogram and audio, of the
    first ``png_limit`` analysed files, all if None; then ``out/report.html``); returns the summary rows (status
    'ok' or 'failed'). With ``summary_dir`` (one part of a JOB array) the summary and regions go there and no
    report is written: the collecting call (sqe.analyze.parts) makes them for every part."""
    from sqe.analyze.plot import plot_file
    from sqe.analyze.report_assets import has_assets, write_assets

    rows, regions = [], []
    done_ok = 0  # inputs analysed so far (resumed or now): the first png_limit of them get figures
    package = str(analyzer.package.path)
    for item in progress(inputs, desc="analyze", unit="file"):
        shown = png_limit is None or done_ok < png_limit
        previous = _resumed(out, item) if resume else None
        if previous is not None:
            if html and shown and not has_assets(out, item.name):  # the run before had no report
                write_assets(out, item.name, read_signal(item, analyzer.conf.channel).wav)
            rows.append(previous[0])
            regions += previous[1]
            done_ok += 1
            continue
        try:
            signal = read_signal(item, analyzer.conf.channel)
            result = analyzer.analyze(signal.wav, TARGET_SR, item.name)
        except (AudioError, ValueError) as err:
            reason = str(err).replace("\n", " ")
            log.warning("%s: failed: %s", item.name, reason)
            rows.append(failed_row(item.name, item.entry, reason))
            continue
        if signal.resampled:
            log.info("%s: resampled %d Hz -> %d Hz", item.name, signal.sample_rate, TARGET_SR)
        result.info.update(sample_rate=signal.sample_rate, channels=signal.channels, resampled=signal.resampled)
        write_file_outputs(out, result, item.entry, package, source_identity(item))
        if png and shown:
            plot_file(out / "plots" / f"{item.name}.png", signal.wav, result, analyzer.conf.detector)
        if html and shown:
            write_assets(out, item.name, signal.wav)
        rows.append(summary_row(result, item.entry))
        regions += region_lines(result)
        done_ok += 1
    settings = {"package": package, "detector": analyzer.conf.detector, "threshold": analyzer.threshold,
                "embedding": analyzer.package.embedding, "conf": asdict(analyzer.conf)}
    write_summary(summary_dir or out, rows, regions, settings)
    if html and summary_dir is None:
        from sqe.analyze.report import write_report

        log.info("report: %s", write_report(out))
    return rows
