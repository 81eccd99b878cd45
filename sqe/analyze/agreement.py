"""How an analysis run agrees with labelled degraded segments (a data dir's ``mix_segments``, or a user's own
labels in that format): which labelled segments a detected region overlaps, which regions overlap none, and
whether a region's type names its segment's class.

A region's segment is the labelled segment of its file it overlaps longest; its type is *exact* when it equals
that segment's class and *shares* a degradation when the two have one in common (``amrnb+lpf`` and ``lpf+plc``
share ``lpf``). An analysed file without labels is clean: each of its regions is a false region.

    >>> labels = {"a": [LabelledRegion(1.0, 2.0, "lpf"), LabelledRegion(3.0, 4.0, "mnru+opus")]}
    >>> regions = [AnalysedRegion("a", 1.2, 2.5, "lpf"), AnalysedRegion("a", 3.5, 3.8, "opus+plc"),
    ...            AnalysedRegion("a", 5.0, 5.5, "lpf"), AnalysedRegion("b", 0.0, 1.0, "clip")]
    >>> r = region_agreement(regions, labels, {"a", "b"})
    >>> r["segments_found"], r["regions_on_segments"], r["false_regions"], r["type_exact"], r["type_shares"]
    (2, 2, 2, 1, 2)
    >>> r["per_degradation"]["opus"], r["per_degradation"]["mnru"]
    ({'segments': 1, 'found': 1, 'regions': 1, 'typed': 1}, {'segments': 1, 'found': 1, 'regions': 1, 'typed': 0})
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from sqe.data.tables import LabelledRegion, parse_labelled_region, read_table
from sqe.utils.atomic import write_text_atomic
from sqe.utils.errors import SqeError


AGREEMENT_FILES = ("agreement.json", "agreement.md")


@dataclass(frozen=True)
class AnalysedRegion:
    file: str
    onset: float
    offset: float
    type: str


def read_regions(path: Path) -> list[AnalysedRegion]:
    """The regions of an analysis run's ``regions.tsv``."""
    with open(path, newline="") as f:
        return [AnalysedRegion(r["file"], float(r["onset"]), float(r["offset"]), r["type"])
                for r in csv.DictReader(f, delimiter="\t")]


def read_reference(path: Path, analysed: Iterable[str]) -> dict[str, list[LabelledRegion]]:
    """Labelled segments ``<name> <onset_s> <offset_s> <class>`` (sorted, one line per segment), errors naming
    the file and line; a reference that names none of the analysed files is an error (the wrong file)."""
    labels = read_table(path, parse_labelled_region, repeats=True)
    names = set(analysed)
    if labels and names and not names & set(labels):
        example = next(iter(sorted(labels)))
        raise SqeError(f"{path}: none of its {len(labels)} names is an analysed input (e.g. '{example}' against "
                       f"'{min(names)}'); the names must be the inputs' names (a data dir's utterance ids)")
    return labels


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def region_agreement(regions: list[AnalysedRegion], labels: Mapping[str, list[LabelledRegion]],
                     analysed: set[str]) -> dict[str, Any]:
    """Counts and shares of the agreement over the ``analysed`` files (labels of other files are left out),
    overall and per labelled class."""
    per_class: dict[str, dict[str, int]] = {}

    def cls(name: str) -> dict[str, int]:
        return per_class.setdefault(name, {"segments": 0, "found": 0, "regions": 0, "type_exact": 0,
                                           "type_shares": 0})

    per_kind: dict[str, dict[str, int]] = {}  # one degradation, in every class holding it

    def kind(name: str) -> dict[str, int]:
        return per_kind.setdefault(name, {"segments": 0, "found": 0, "regions": 0, "typed": 0})

    found: set[tuple[str, int]] = set()
    on_segments = exact = shares = 0
    for r in regions:
        own = labels.get(r.file, [])
        hits = [(_overlap(r.onset, r.offset, s.onset, s.offset), i) for i, s in enumerate(own)]
        hits = [(o, i) for o, i in hits if o > 0]
        if not hits:
            continue
        on_segments += 1
        found.update((r.file, i) for _, i in hits)
        segment = own[max(hits)[1]]
        typed, labelled = set(r.type.split("+")), segment.label.split("+")
        c = cls(segment.label)
        c["regions"] += 1
        is_exact = r.type == segment.label
        is_shared = bool(typed.intersection(labelled))
        exact += is_exact
        shares += is_shared
        c["type_exact"] += is_exact
        c["type_shares"] += is_shared
        for k in labelled:
            kind(k)["regions"] += 1
            kind(k)["typed"] += k in typed
    segments = 0
    for name in sorted(analysed & set(labels)):
        for i, s in enumerate(labels[name]):
            hit = (name, i) in found
            segments += 1
            for counts in (cls(s.label), *(kind(k) for k in s.label.split("+"))):
                counts["segments"] += 1
                counts["found"] += hit
    return {"files": len(analysed), "labelled_files": len(analysed & set(labels)),
            "labels_not_analysed": len(set(labels) - analysed),
            "segments": segments, "segments_found": len(found), "segments_found_share": _share(len(found), segments),
            "regions": len(regions), "regions_on_segments": on_segments,
            "regions_on_segments_share": _share(on_segments, len(regions)),
            "false_regions": len(regions) - on_segments,
            "type_exact": exact, "type_exact_share": _share(exact, on_segments),
            "type_shares": shares, "type_shares_share": _share(shares, on_segments),
            "per_class": {k: per_class[k] for k in sorted(per_class)},
            "per_degradation": {k: per_kind[k] for k in sorted(per_kind)}}


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def agreement_markdown(result: Mapping[str, Any], reference: str) -> str:
    r = result
    lines = [f"# Detected regions against the labelled segments of {reference}", "",
             f"{r['files']} files analysed, {r['labelled_files']} of them labelled; {r['segments']} labelled segments, "
             f"{r['regions']} detected regions. A region's segment is the one it overlaps longest.", "",
             "| figure | count | share |", "|---|---|---|",
             f"| labelled segments a region overlaps (found) | {r['segments_found']} / {r['segments']} | "
             f"{_pct(r['segments_found'], r['segments'])} |",
             f"| regions overlapping a labelled segment | {r['regions_on_segments']} / {r['regions']} | "
             f"{_pct(r['regions_on_segments'], r['regions'])} |",
             f"| false regions (overlapping none) | {r['false_regions']} | |",
             f"| region type = its segment's class | {r['type_exact']} / {r['regions_on_segments']} | "
             f"{_pct(r['type_exact'], r['regions_on_segments'])} |",
             f"| region type shares a degradation with it | {r['type_shares']} / {r['regions_on_segments']} | "
             f"{_pct(r['type_shares'], r['regions_on_segments'])} |", "",
             "Per degradation (in every class that holds it; agreement.json has every class): the segments "
             "holding it, those found, the regions on them and how many of those name it in their type.", "",
             "| degradation | segments | found | regions | type names it |", "|---|---|---|---|---|"]
    for name, k in r["per_degradation"].items():
        lines.append(f"| {name} | {k['segments']} | {k['found']} ({_pct(k['found'], k['segments'])}) | "
                     f"{k['regions']} | {k['typed']} ({_pct(k['typed'], k['regions'])}) |")
    return "\n".join(lines) + "\n"


def write_agreement(out: Path, labels: Mapping[str, list[LabelledRegion]], reference: Path,
                    rows: list[dict[str, Any]]) -> dict[str, Any]:
    """OUT/agreement.{json,md} of the run whose summary ``rows`` and OUT/regions.tsv are written."""
    analysed = {r["file"] for r in rows if r["status"] == "ok"}
    result = {"reference": str(reference), **region_agreement(read_regions(out / "regions.tsv"), labels, analysed)}
    write_text_atomic(out / AGREEMENT_FILES[0], json.dumps(result, indent=2) + "\n")
    write_text_atomic(out / AGREEMENT_FILES[1], agreement_markdown(result, str(reference)))
    return result
