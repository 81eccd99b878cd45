"""Agreement of detected regions with labelled segments: known toy cases, the reference file's errors."""
from __future__ import annotations

import json

import pytest

from sqe.analyze.agreement import (AnalysedRegion, agreement_markdown, read_reference, read_regions,
                                   region_agreement, write_agreement)
from sqe.data.tables import DataError, LabelledRegion
from sqe.utils.errors import SqeError

LABELS = {
    "a": [LabelledRegion(1.0, 2.0, "lpf"), LabelledRegion(2.2, 4.0, "bgn+gsm")],
    "b": [LabelledRegion(0.5, 1.0, "clip")],
    "unheard": [LabelledRegion(0.0, 1.0, "opus")],
}


def test_a_region_is_judged_by_the_segment_it_overlaps_longest():
    # overlaps lpf for 0.2 s and bgn+gsm for 1.0 s: its segment is bgn+gsm, both segments are found
    regions = [AnalysedRegion("a", 1.8, 3.2, "gsm+plc")]
    r = region_agreement(regions, LABELS, {"a", "b"})
    assert (r["segments"], r["segments_found"], r["segments_found_share"]) == (3, 2, 0.6667)
    assert (r["regions_on_segments"], r["false_regions"], r["type_exact"], r["type_shares"]) == (1, 0, 0, 1)
    assert r["per_class"]["bgn+gsm"] == {"segments": 1, "found": 1, "regions": 1, "type_exact": 0, "type_shares": 1}
    assert r["per_class"]["lpf"] == {"segments": 1, "found": 1, "regions": 0, "type_exact": 0, "type_shares": 0}
    assert r["per_degradation"]["gsm"] == {"segments": 1, "found": 1, "regions": 1, "typed": 1}
    assert r["per_degradation"]["bgn"] == {"segments": 1, "found": 1, "regions": 1, "typed": 0}
    assert r["per_degradation"]["clip"] == {"segments": 1, "found": 0, "regions": 0, "typed": 0}


def test_unlabelled_files_are_clean_and_labels_of_files_not_analysed_are_left_out():
    regions = [AnalysedRegion("a", 1.1, 1.9, "lpf"), AnalysedRegion("c", 0.0, 0.5, "lpf"),
               AnalysedRegion("b", 1.0, 1.4, "clip")]  # touches b's segment only at its end: no overlap
    r = region_agreement(regions, LABELS, {"a", "b", "c"})
    assert (r["files"], r["labelled_files"], r["labels_not_analysed"]) == (3, 2, 1)
    assert (r["regions"], r["regions_on_segments"], r["false_regions"]) == (3, 1, 2)
    assert (r["type_exact"], r["type_exact_share"], r["type_shares_share"]) == (1, 1.0, 1.0)
    assert r["segments"] == 3 and "opus" not in r["per_degradation"]


def test_no_regions_gives_empty_shares():
    r = region_agreement([], LABELS, {"a"})
    assert (r["segments"], r["segments_found"], r["regions_on_segments_share"], r["type_exact_share"]) == (
        2, 0, None, None)
    md = agreement_markdown(r, "ref")
    assert "| labelled segments a region overlaps (found) | 0 / 2 | 0.0 % |" in md
    assert "| region type = its segment's class | 0 / 0 | - |" in md


def test_written_files_from_a_runs_regions(tmp_path):
    (tmp_path / "regions.tsv").write_text(
        "file\tonset\toffset\tscore\tmos\ttype\tsimilarity\tnearest\n"
        "a\t1.00\t2.00\t0.9\t1.5\tlpf\t0.9\tlpf:0.900\n"
        "b\t3.00\t3.50\t0.8\t2.0\tclip\t0.8\tclip:0.800\n")
    assert read_regions(tmp_path / "regions.tsv")[1] == AnalysedRegion("b", 3.0, 3.5, "clip")
    rows = [{"file": "a", "status": "ok"}, {"file": "b", "status": "ok"}, {"file": "x", "status": "failed"}]
    result = write_agreement(tmp_path, LABELS, tmp_path / "ref", rows)
    assert json.loads((tmp_path / "agreement.json").read_text()) == result
    assert (result["segments"], result["segments_found"], result["false_regions"], result["files"]) == (3, 1, 1, 2)
    md = (tmp_path / "agreement.md").read_text()
    assert "| region type = its segment's class | 1 / 1 | 100.0 % |" in md
    assert "| lpf | 1 | 1 (100.0 %) | 1 | 1 (100.0 %) |" in md and "| clip | 1 | 0 (0.0 %) | 0 | 0 (-) |" in md


def test_a_bad_reference_names_its_file_and_line(tmp_path):
    ref = tmp_path / "mix_segments"
    ref.write_text("a 1.0 2.0 lpf\na 3.0 2.5 clip\n")
    with pytest.raises(DataError, match=r"mix_segments:2: key 'a': expected 0 <= onset < offset, got 3.0 2.5"):
        read_reference(ref, ["a"])
    ref.write_text("a 1.0 2.0 lpf\n")
    with pytest.raises(SqeError, match=r"none of its 1 names is an analysed input \(e.g. 'a' against 'take1'\)"):
        read_reference(ref, ["take1", "take2"])
    assert read_reference(ref, ["a", "take1"]) == {"a": [LabelledRegion(1.0, 2.0, "lpf")]}
