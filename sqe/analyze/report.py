"""``OUT/report.html``: one page for a person to look at an analysis run. Self-contained: the style and script
are inlined, spectrograms and audio lie beside it in ``report_files/`` (relative links, no network). The page
holds the summary table and, per analysed file, the spectrogram with the regions (labels in lanes, so close
regions stay legible), the frame MOS and detection score, an audio player, and the region list: clicking a
region plays it from its onset.

Built from the run's outputs (summary.json, files/NAME.json), so a resumed run's report holds every file.
"""
from __future__ import annotations

import json
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from sqe.analyze.regions import runs
from sqe.analyze.report_assets import ASSET_DIR, asset_paths, has_assets
from sqe.utils.atomic import write_text_atomic

MAX_POINTS = 2000  # points per track polyline (a long file is averaged into this many bins)
SUMMARY_SHOWN = ("file", "status", "duration_s", "mos", "regions", "degraded_s", "main_type", "reason")


def _page_file(name: str) -> str:
    return resources.files("sqe.analyze").joinpath("report_page", name).read_text(encoding="utf-8")


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    return f"{v:g}" if isinstance(v, float) else str(v)


def _binned(values: list[float], points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(frame-centre times in frames, values) averaged into at most ``points`` bins."""
    x = np.asarray(values, dtype=np.float64)
    if x.size <= points:
        return np.arange(x.size) + 0.5, x
    edges = np.linspace(0, x.size, points + 1).astype(int)
    sums = np.add.reduceat(x, edges[:-1])
    return (edges[:-1] + edges[1:]) / 2, sums / np.diff(edges)


def _polyline(t: np.ndarray, y: np.ndarray, cls: str) -> str:
    pts = " ".join(f"{a:.3f},{b:.2f}" for a, b in zip(t, y))
    return f'<polyline class="{cls}" points="{pts}" vector-effect="non-scaling-stroke"/>'


def _tracks(frames: dict[str, Any], duration: float, threshold: float) -> str:
    """SVG of frame MOS (1-5) and detection score (own range, with the threshold) on 0-100 height units."""
    shift = float(frames["shift_s"])
    t, q = _binned(frames["q"])
    _, s = _binned(frames["score"])
    lo = min(float(np.min(s)) if s.size else 0.0, threshold)
    hi = max(float(np.max(s)) if s.size else 1.0, threshold)
    span = hi - lo or 1.0
    score_y = lambda v: 100 - 5 - 90 * (v - lo) / span  # noqa: E731
    parts = [f'<rect class="nonspeech" x="{a * shift:.3f}" y="0" width="{(b - a) * shift:.3f}" height="100"/>'
             for a, b in runs(~np.asarray(frames["speech"], dtype=bool))[:5000]]
    parts.append(_polyline(t * shift, 100 - 5 - 90 * (np.clip(q, 1, 5) - 1) / 4, "mos"))
    parts.append(_polyline(t * shift, score_y(s), "score"))
    y = score_y(threshold)
    parts.append(f'<line class="threshold" x1="0" x2="{duration:.3f}" y1="{y:.2f}" y2="{y:.2f}" '
                 f'vector-effect="non-scaling-stroke"/>')
    return (f'<svg class="tracks" viewBox="0 0 {duration:.3f} 100" preserveAspectRatio="none" '
            f'role="img" aria-label="frame MOS and detection score">{"".join(parts)}</svg>')


def _region_rows(regions: list[dict[str, Any]]) -> str:
    rows = []
    for i, r in enumerate(regions):
        nearest = ", ".join(f"{escape(n['type'])} {n['similarity']:.2f}" for n in r["nearest"])
        rows.append(
            f'<tr class="region-row" data-index="{i}" data-onset="{r["onset"]}" data-offset="{r["offset"]}" '
            f'tabindex="0"><td>{i + 1}</td><td>{r["onset"]:.2f}</td><td>{r["offset"]:.2f}</td>'
            f'<td>{r["offset"] - r["onset"]:.2f}</td><td class="type">{escape(r["type"])}</td>'
            f'<td>{r["similarity"]:.2f}</td><td>{nearest}</td><td>{r["mos"]:.2f}</td><td>{r["score"]:.3f}</td></tr>')
    return "".join(rows)


def _file_section(index: int, record: dict[str, Any], out: Path) -> str:
    name = record["file"]
    duration = float(record["duration_s"])
    regions = record["regions"]
    head = (f'<h2>{escape(name)}</h2><p class="meta">{escape(str(record["source"]))} &middot; {duration:.2f} s '
            f'&middot; MOS {_fmt(record["mos"])} &middot; {len(regions)} region(s), {_fmt(record["degraded_s"])} s '
            f'degraded{", mostly " + escape(record["main_type"]) if record["main_type"] else ""}</p>')
    if has_assets(out, name):
        spec, audio = (f"{ASSET_DIR}/{quote(p.name)}" for p in asset_paths(out, name))
        overlays = "".join(
            f'<div class="region" data-index="{i}" data-onset="{r["onset"]}" data-offset="{r["offset"]}" '
            f'style="left:{100 * r["onset"] / duration:.4f}%;width:{100 * (r["offset"] - r["onset"]) / duration:.4f}%"'
            f' title="{escape(r["type"])} {r["onset"]:.2f}-{r["offset"]:.2f} s"></div>' for i, r in enumerate(regions))
        labels = "".join(
            f'<span class="region-label" data-index="{i}" data-onset="{r["onset"]}">{escape(r["type"])} '
            f'{r["similarity"]:.2f}</span>' for i, r in enumerate(regions))
        viewer = (
            f'<div class="controls"><label>zoom <select class="zoom"><option value="fit">whole file</option>'
            f'<option value="20">20 px/s</option><option value="50">50 px/s</option>'
            f'<option value="100">100 px/s</option><option value="200">200 px/s</option></select></label>'
            f'<label><input type="checkbox" class="stop-at-end" checked> stop at region end</label></div>'
            f'<div class="scroll"><div class="canvas">'
            f'<div class="lanes">{labels}</div>'
            f'<div class="spec"><img src="{spec}" alt="spectrogram of {escape(name)}" draggable="false">'
            f'{overlays}<div class="playhead"></div></div>'
            f'{_tracks(record["frames"], duration, float(record["threshold"]))}'
            f'<div class="axis"></div></div></div>'
            f'<audio controls preload="auto" src="{audio}"></audio>'
            f'<p class="legend"><span class="key mos"></span>frame MOS (1-5) <span class="key score"></span>'
            f'detection score <span class="key threshold"></span>threshold {float(record["threshold"]):.3f} '
            f'<span class="key nonspeech"></span>not speech (never a region)</p>')
    else:
        viewer = '<p class="note">No spectrogram or audio for this file (beyond png_limit).</p>'
    table = ('<table class="regions"><thead><tr><th>#</th><th>onset (s)</th><th>offset (s)</th><th>length (s)</th>'
             '<th>type</th><th>similarity</th><th>nearest types</th><th>MOS</th><th>score</th></tr></thead>'
             f'<tbody>{_region_rows(regions)}</tbody></table>' if regions else
             '<p class="note">No degraded region.</p>')
    return (f'<section class="file" id="file-{index}" data-file="{escape(name)}" data-duration="{duration}">'
            f'{head}{viewer}{table}</section>')


def build_report(out: Path) -> str:
    """The page's HTML for the analysis folder ``out`` (summary.json and files/NAME.json written)."""
    summary = json.loads((out / "summary.json").read_text())
    settings, rows = summary["settings"], summary["files"]
    sections, anchors = [], {}
    for row in rows:
        if row["status"] != "ok":
            continue
        record = json.loads((out / "files" / f"{row['file']}.json").read_text())
        anchors[row["file"]] = f"file-{len(sections)}"
        sections.append(_file_section(len(sections), record, out))
    body = []
    for row in rows:
        cells = []
        for c in SUMMARY_SHOWN:
            text = escape(_fmt(row.get(c)))
            if c == "file" and row["file"] in anchors:
                text = f'<a href="#{anchors[row["file"]]}">{text}</a>'
            cells.append(f'<td class="{c}">{text}</td>')
        body.append(f'<tr class="{escape(row["status"])}">{"".join(cells)}</tr>')
    failed = sum(r["status"] != "ok" for r in rows)
    package = escape(str(settings.get("package", "?")))
    intro = (f"{len(rows)} inputs, {len(rows) - failed} analysed, {failed} failed. Detector: "
             f"{escape(str(settings.get('detector')))} (threshold {float(settings.get('threshold', 0)):.4f}); "
             "frames at 50 Hz; the audio is what the model heard (16 kHz mono).")
    return (_page_file("page.html")
            .replace("{{title}}", f"sqe analysis: {package}")
            .replace("{{style}}", _page_file("report.css"))
            .replace("{{script}}", _page_file("report.js"))
            .replace("{{intro}}", intro)
            .replace("{{summary_head}}", "".join(f"<th>{c}</th>" for c in SUMMARY_SHOWN))
            .replace("{{summary_rows}}", "".join(body))
            .replace("{{files}}", "".join(sections)))


def write_report(out: Path) -> Path:
    path = out / "report.html"
    write_text_atomic(path, build_report(out))
    return path
