"""``exp/RESULTS.md``: the paper's Tables 2-6 from ``exp/<model>/results/<set>/metrics.json``, with an
environment header and the figures.

    >>> fmt_pct(0.0387), fmt(0.6), fmt(None)
    ('3.87', '0.60', '-')
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from sqe.eval.evaluate import MOS as MOS_KEY
from sqe.eval.evaluate import package_embedding
from sqe.utils.errors import SqeError
from sqe.utils.provenance import environment_record

MODEL_ORDER = ["baseline", "sup1", "sup2", "con1", "con2"]
NAMES = {"x": "x", "z_mos": "z_MOS", "z_scl": "z_scl", "z_tilde": "z~", "mos": "MOS"}


def fmt(v: Any, digits: int = 2) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    return f"{v:.{digits}f}"


def fmt_pct(v: Any) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.2f}"


def collect(exp: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{model: {set: metrics}}`` of every ``exp/<model>/results/<set>/metrics.json``."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(exp.glob("*/results/*/metrics.json")):
        found.setdefault(path.parent.parent.parent.name, {})[path.parent.name] = json.loads(path.read_text())
    order = {m: i for i, m in enumerate(MODEL_ORDER)}
    return dict(sorted(found.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))


def _has_scl(results: dict[str, Any]) -> bool:
    return "z_scl" in next(iter(results.values()))["detection"]


def detection_tables(models: dict[str, dict[str, Any]], test_set: str) -> list[str]:
    lines = []
    for with_scl, embs in ((False, ["x", "z_mos"]), (True, ["x", "z_scl", "z_tilde"])):
        rows = {m: r[test_set] for m, r in models.items() if test_set in r and _has_scl(r) == with_scl}
        if not rows:
            continue
        heads = [f"EER {NAMES[e]} [%]" for e in embs] + [f"minDCF {NAMES[e]}" for e in embs] \
            + [f"I-AUC {NAMES[e]}" for e in embs] + ["MOS EER [%]", "MOS I-AUC"]
        lines += ["", f"{'With' if with_scl else 'Without'} L_scl (embedding-based, then MOS-based):", "",
                  "| Model | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|"]
        for model, m in rows.items():
            d = m["detection"]
            cells = [fmt_pct(d[e]["frame_eer"]) for e in embs] + [fmt(d[e]["frame_min_dcf"]) for e in embs] \
                + [fmt(d[e]["i_auc"]) for e in embs] + [fmt_pct(d["mos"]["frame_eer"]), fmt(d["mos"]["i_auc"])]
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return lines


def segment_table(models: dict[str, dict[str, Any]], test_set: str) -> list[str]:
    lines = ["", "| Model | Embedding | EER single [%] | Acc. single [%] | EER all [%] | Acc. all [%] | K all |",
             "|---|---|---|---|---|---|---|"]
    for model, r in models.items():
        if test_set not in r:
            continue
        seg = r[test_set]["segments"]
        for emb in (["z_scl", "z_tilde"] if _has_scl(r) else ["x", "z_mos"]):
            if emb not in seg:
                continue
            one, every = seg[emb].get("max1", {}), seg[emb]["all"]
            lines.append(f"| {model} | {NAMES[emb]} | {fmt_pct(one.get('eer'))} | {fmt_pct(one.get('accuracy'))} | "
                         f"{fmt_pct(every.get('eer'))} | {fmt_pct(every.get('accuracy'))} | {every['K']} |")
    return lines


def region_table(models: dict[str, dict[str, Any]], test_set: str) -> list[str]:
    """The user's view: at each model's operating threshold, the regions sqe.bin.analyze would report (MOS-based
    detection, and the embedding a model package of it detects with)."""
    rows = []
    for model, r in models.items():
        m = r.get(test_set, {})
        regions = m.get("regions", {})
        names = [MOS_KEY]
        try:
            names.append(package_embedding(m.get("thresholds", {})))
        except SqeError:  # no validation-tuned embedding: MOS only
            pass
        for name in names:
            g = regions.get(name)
            if g is None:
                continue
            found = g["segments_found_share"]
            rows.append(f"| {model} | {NAMES[name]} | {fmt(g['threshold'], 3)} ({g['threshold_source']}) | "
                        f"{g['regions']} | {g['false_regions']} | {fmt(g['false_regions_per_min'])} | "
                        f"{fmt_pct(found)} ({g['segments_found']}/{g['segments']}) |")
    if not rows:
        return []
    any_g = next(iter(next(r[test_set] for r in models.values() if test_set in r)["regions"].values()))
    return ["", f"Regions as `sqe.bin.analyze` reports them (speech frames only, gaps <= {any_g['merge_gap_s']} s "
            f"merged, regions >= {any_g['min_region_s']} s) at each detector's operating threshold; a false region "
            "overlaps no degraded frame; clean speech = speech frames outside every labelled segment "
            f"({fmt(any_g['clean_speech_min'], 1)} min in this set); a segment is found when a region overlaps it. "
            "The embedding row is the one a model package of the model detects with (best validation F1).", "",
            "| Model | Detector | Threshold (tuned on) | Regions | False regions | False regions / min clean speech | "
            "Segments found [%] |", "|---|---|---|---|---|---|---|", *rows]


def threshold_sources(models: dict[str, dict[str, Any]], sets: list[str]) -> str:
    """Where each set's detection thresholds of Table 6 were tuned, own detections and cross detections
    (another model's threshold) apart, e.g. '`a`: own validation, cross validation; `b`: own test'."""
    parts = []
    for s in sets:
        found = {f"{'own' if kind == 'detected' else 'cross'} {c[kind].get('threshold_source') or 'test'}"
                 for r in models.values() for c in [r.get(s, {}).get("clustering", {})]
                 for kind in ("detected", "cross") if kind in c}
        if found:
            parts.append(f"`{s}`: {', '.join(sorted(found, key=lambda x: (not x.startswith('own'), x)))}")
    return "; ".join(parts) or "no detections"


def clustering_table(models: dict[str, dict[str, Any]], sets: list[str]) -> list[str]:
    head = " | ".join(f"{s} ARI_dist | {s} ARI | {s} ACC" for s in sets)
    lines = ["", f"| Model | Detection | {head} |", "|---|---" + "|---" * (3 * len(sets)) + "|"]
    for model, r in models.items():
        if not _has_scl(r):
            continue
        cross = next((r[s]["clustering"]["cross"]["detector"] for s in sets
                      if "cross" in r.get(s, {}).get("clustering", {})), "other")
        for kind, label in (("oracle", "orc."), ("detected", model.upper()), ("cross", cross.upper())):
            cells = []
            for s in sets:
                c = r.get(s, {}).get("clustering", {}).get(kind)
                cells += [fmt(c.get("ari_dist"), 3), fmt(c.get("ari"), 3), fmt(c.get("acc_clean"), 3)] if c \
                    else ["-", "-", "-"]
            if any(v != "-" for v in cells):
                lines.append(f"| {model} | {label} | " + " | ".join(cells) + " |")
    return lines


def results_markdown(models: dict[str, dict[str, Any]], sets: list[str], figures: list[Path], root: Path,
                     comparison: list[str] | None = None, label: str | None = None) -> str:
    """The report; ``comparison`` (eval/compare.py) adds the side-by-side section, ``label`` names the main run."""
    env = environment_record()
    git = env["git"]
    pk = env["packages"]
    out = ["# Results", "", "## Environment", "",
           f"- date: {env['time']}", f"- host: {env['host']} ({env['platform']})",
           f"- python {env['python']}, torch {pk.get('torch')}, transformers {pk.get('transformers')}, "
           f"sed_scores_eval {pk.get('sed_scores_eval')}",
           f"- sqe {pk.get('sqe')}, git {git['revision']}{' (dirty)' if git['dirty'] else ''}", ""]
    if comparison:
        out += ["## Encoders side by side", "",
                "Embedding-based detection (EER, minDCF, I-AUC), MOS-based detection and the verification EER of "
                "oracle single-degradation segments, one row per model, encoder and embedding (fixed in advance: "
                "z_MOS without an SCL branch, z_scl and z~ with one). The tables after this section are those of "
                f"{label or 'the main run'}.", "", *comparison]
    for s in sets:
        any_m = next((r[s] for r in models.values() if s in r), None)
        if any_m is None:
            continue
        st = any_m["settings"]
        out += [f"## Local degradation detection (Tables 2/3): `{s}`", "",
                f"{st['frames']} frames, {100 * st['degraded_share']:.1f} % degraded. Frame EER and minDCF "
                f"(p_target {st['min_dcf']['p_target']}) pool all frames; I-AUC = intersection-based PSDS with "
                f"{json.dumps(st['i_auc'])}. Embedding scores: 1 - cos(enrollment, frame); MOS scores: -q."
                + filter_note(st.get("medfilt_size", 1))]
        out += detection_tables(models, s)
        out += region_table(models, s)
        out += ["", f"## Degradation verification and retrieval (Tables 4/5): `{s}`", "",
                "Oracle segments (runs of degraded frames, mean embedding). EER over all segment pairs (target: same "
                "class); accuracy: nearest validation prototype. Single: segments of one degradation."]
        out += segment_table(models, s) + [""]
    out += ["## Clustering (Table 6)", "",
            "Agglomerative clustering (cosine, average linkage, known number of classes) of segments with at most "
            "two concurrent degradations; oracle segments (orc.) and the model's own embedding-based detection "
            "(threshold: best intersection-F1 on the validation set where the set has one, else on the test set "
            "itself, an optimistic operating point) and another model's detection at that model's threshold "
            f"(cross); thresholds tuned on: {threshold_sources(models, sets)}. ARI_dist leaves out clean "
            "items; ACC: share of the clean items in the cluster holding most of them."]
    out += clustering_table(models, sets)
    if figures:
        out += ["", "## Figures", ""] + [f"![{f.stem}]({f.relative_to(root)})" for f in figures]
    return "\n".join(out) + "\n"


def filter_note(size: int) -> str:
    if size <= 1:
        return ""
    return (f" Every score is median-filtered over {size} frames ({20 * size} ms) per utterance first; the paper "
            "filters nothing (its unfiltered numbers: `detection_unfiltered` in each metrics.json).")


def sanitize(obj: Any) -> Any:
    """JSON without NaN (null instead)."""
    if isinstance(obj, dict):
        return {k: sanitize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [sanitize(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj
