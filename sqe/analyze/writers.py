"""Files of an analysis run, each written atomically.

Per file ``<name>``: ``files/<name>.json`` (everything, with the frame MOS, detection score and speech flags at
50 Hz), ``labels/<name>.txt`` (Audacity label track: onset, offset, type), ``scores/<name>.tsv``
(sed_scores_eval score table of the detection score). For the run: ``regions.tsv`` (one row per region of every
file), ``summary.tsv`` / ``summary.json`` (one row per input, failures with their reason) and ``summary.md``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import IO, Any

import numpy as np

from sqe.analyze.analyzer import FileAnalysis
from sqe.audio.speech import FRAME_S
from sqe.utils.atomic import atomic_path, atomic_write, write_text_atomic

SUMMARY_COLUMNS = ("file", "status", "reason", "source", "duration_s", "sample_rate", "channels", "level_dbfs",
                   "gain_db", "mos", "mos_speech", "speech_s", "regions", "degraded_s", "main_type")
REGION_COLUMNS = ("file", "onset", "offset", "score", "mos", "type", "similarity", "nearest")


def _num(v: Any, digits: int = 3) -> Any:
    if isinstance(v, (float, np.floating)):
        return None if not math.isfinite(float(v)) else round(float(v), digits)
    return v


def main_type(result: FileAnalysis) -> str:
    """The type covering the most degraded time ('' without regions)."""
    time: dict[str, float] = {}
    for r in result.regions:
        time[r.type] = time.get(r.type, 0.0) + r.offset - r.onset
    return max(sorted(time), key=lambda t: time[t]) if time else ""


def summary_row(result: FileAnalysis, source: str) -> dict[str, Any]:
    return {"file": result.name, "status": "ok", "reason": "", "source": source,
            "duration_s": _num(result.duration_s), "sample_rate": result.info.get("sample_rate"),
            "channels": result.info.get("channels"), "level_dbfs": _num(result.level_dbfs, 2),
            "gain_db": _num(result.gain_db, 2), "mos": _num(result.mos), "mos_speech": _num(result.mos_speech),
            "speech_s": _num(float(result.speech.sum()) * FRAME_S, 2), "regions": len(result.regions),
            "degraded_s": _num(result.degraded_s, 2), "main_type": main_type(result)}


def failed_row(name: str, source: str, reason: str) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in SUMMARY_COLUMNS}
    row.update(file=name, status="failed", reason=reason, source=source)
    return row


CHUNK = 1 << 14  # frames formatted at a time: a long file's frame tracks never exist as one Python list


def file_record(result: FileAnalysis, source: str, package: str) -> dict[str, Any]:
    """Everything of ``files/<name>.json`` but the frame tracks (written by ``write_file_outputs``)."""
    return {
        **summary_row(result, source), "package": package, "threshold": result.threshold,
        "regions": [{k: _num(v, 4) if k != "nearest" else v for k, v in r.as_dict().items()} for r in result.regions],
    }


def _json_numbers(f: IO[str], values: np.ndarray, digits: int | None) -> None:
    """A JSON array of ``values``, formatted a chunk at a time (the same text as json.dumps of the whole list)."""
    f.write("[")
    for a in range(0, values.size, CHUNK):
        part = values[a:a + CHUNK]
        part = np.round(part, digits) if digits is not None else part
        f.write(("," if a else "") + json.dumps(part.tolist(), allow_nan=False)[1:-1])
    f.write("]")


def write_file_outputs(out: Path, result: FileAnalysis, source: str, package: str,
                       identity: dict[str, Any] | None = None) -> None:
    """``identity``: the source's size and mtime when analysed (a resumed run redoes the file if they changed)."""
    record = {**file_record(result, source, package), "source_identity": identity}
    with atomic_write(out / "files" / f"{result.name}.json") as f:
        f.write(json.dumps(record, allow_nan=False)[:-1] + f', "frames": {{"shift_s": {json.dumps(FRAME_S)}')
        for key, values, digits in (("q", result.q, 4), ("score", result.score, 4),
                                    ("speech", result.speech.astype(np.int8), None)):
            f.write(f', "{key}": ')
            _json_numbers(f, values, digits)
        f.write("}}\n")
    labels = "".join(f"{r.onset:.2f}\t{r.offset:.2f}\t{r.type} ({r.similarity:.2f})\n" for r in result.regions)
    write_text_atomic(out / "labels" / f"{result.name}.txt", labels)
    with atomic_write(out / "scores" / f"{result.name}.tsv") as f:
        f.write("onset\toffset\tdegraded\n")
        for a in range(0, result.score.size, CHUNK):
            part = result.score[a:a + CHUNK].tolist()
            f.write("".join(f"{(a + i) * FRAME_S:.2f}\t{(a + i + 1) * FRAME_S:.2f}\t{s:.6f}\n"
                            for i, s in enumerate(part)))


def region_line(name: str, region: dict[str, Any]) -> str:
    """One row of regions.tsv from a region as ``Region.as_dict`` (and the per-file JSON) holds it."""
    r = region
    nearest = ",".join(f"{n['type']}:{n['similarity']:.3f}" for n in r["nearest"])
    return "\t".join([name, f"{r['onset']:.2f}", f"{r['offset']:.2f}", f"{r['score']:.4f}", f"{r['mos']:.3f}",
                      r["type"], f"{r['similarity']:.4f}", nearest])


def region_lines(result: FileAnalysis) -> list[str]:
    return [region_line(result.name, r.as_dict()) for r in result.regions]


def _cell(v: Any) -> str:
    return "" if v is None else str(v)


def write_summary(out: Path, rows: list[dict[str, Any]], regions: list[str], settings: dict[str, Any]) -> None:
    tsv = ["\t".join(SUMMARY_COLUMNS)] + ["\t".join(_cell(r[c]) for c in SUMMARY_COLUMNS) for r in rows]
    write_text_atomic(out / "summary.tsv", "\n".join(tsv) + "\n")
    write_text_atomic(out / "regions.tsv", "\n".join(["\t".join(REGION_COLUMNS), *regions]) + "\n")
    failed = [r for r in rows if r["status"] != "ok"]
    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps({"settings": settings, "files": rows, "failed": len(failed)}, indent=2,
                                  allow_nan=False) + "\n")
    shown = ("file", "status", "duration_s", "level_dbfs", "mos", "regions", "degraded_s", "main_type", "reason")
    md = [f"# Analysis with {settings.get('package', '?')}", "",
          f"{len(rows)} inputs, {len(rows) - len(failed)} analysed, {len(failed)} failed. Detector: "
          f"{settings.get('detector')} (threshold {settings.get('threshold'):.4f}); frames at 50 Hz.", "",
          "| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    md += ["| " + " | ".join(_cell(r[c]).replace("|", "/") for c in shown) + " |" for r in rows]
    write_text_atomic(out / "summary.md", "\n".join(md) + "\n")
