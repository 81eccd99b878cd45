"""Analysis of large archives as a JOB array: each part analyses one contiguous block of the inputs
(sqe.utils.parts.block), writing its per-file outputs into the shared OUT/{files,labels,scores,plots} and its
summary into OUT/parts/partK; the collecting call joins the parts' summaries and regions, in input order, into
OUT's summary, regions.tsv and report."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqe.analyze.writers import write_summary
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.parts import part_dir

log = get_logger(__name__)


def _read_part(path: Path) -> tuple[dict[str, Any], list[str]]:
    summary = json.loads((path / "summary.json").read_text())
    lines = (path / "regions.tsv").read_text().splitlines()[1:]  # without the header
    return summary, [line for line in lines if line]


def merge_parts(out: Path, nparts: int, sources: list[str], html: bool = False) -> list[dict[str, Any]]:
    """Join parts 1..nparts of ``out`` into its summary.{tsv,json,md} and regions.tsv (and report.html);
    ``sources`` are the inputs' entries in order, which the parts together must hold. Returns the summary rows."""
    parts = [part_dir(out, k) for k in range(1, nparts + 1)]
    missing = [str(p) for p in parts if not (p / "summary.json").is_file() or not (p / "regions.tsv").is_file()]
    if missing:
        raise SqeError(f"analysis parts not made yet: {', '.join(missing)} (run the --part JOB calls first)")
    rows: list[dict[str, Any]] = []
    regions: list[str] = []
    settings: dict[str, Any] | None = None
    for path in parts:
        summary, lines = _read_part(path)
        if settings is not None and summary["settings"] != settings:
            raise SqeError(f"{path}/summary.json: analysed with other settings than part 1 "
                           f"({summary['settings'].get('package')} vs {settings.get('package')}); rerun the parts")
        settings = summary["settings"]
        rows += summary["files"]
        regions += lines
    held = [r["source"] for r in rows]
    if held != sources:
        extra = sorted(set(held) - set(sources))[:3]
        lacking = sorted(set(sources) - set(held))[:3]
        raise SqeError(f"the {nparts} parts in {out}/parts hold {len(held)} inputs, this call has {len(sources)}"
                       + (f"; not an input now: {', '.join(extra)}" if extra else "")
                       + (f"; not analysed: {', '.join(lacking)}" if lacking else "")
                       + " (run the --part calls with the same inputs and --nparts)")
    assert settings is not None
    write_summary(out, rows, regions, settings)
    log.info("%d parts: %d inputs, %d failed, %d regions -> %s/summary.md", nparts, len(rows),
             sum(r["status"] != "ok" for r in rows), len(regions), out)
    if html:
        from sqe.analyze.report import write_report

        log.info("report: %s", write_report(out))
    return rows
