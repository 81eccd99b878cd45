"""Experiment roots side by side in RESULTS.md (sqe.eval.compare, show_results --compare)."""
from __future__ import annotations

import json

import pytest

from sqe.bin.show_results import _compare_roots
from sqe.eval.compare import comparison_tables
from sqe.eval.report import collect, results_markdown
from sqe.utils.errors import SqeError


def metrics(eer: float, with_scl: bool) -> dict:
    emb = {"frame_eer": eer, "frame_min_dcf": 0.5, "i_auc": 0.7}
    embs = ["x", "z_scl", "z_tilde"] if with_scl else ["x", "z_mos"]
    seg = {e: {"max1": {"eer": eer / 2, "accuracy": 0.5, "K": 3}, "all": {"eer": eer, "accuracy": 0.4, "K": 9}}
           for e in embs[1:]}
    return {"detection": {**{e: emb for e in embs}, "mos": {"frame_eer": 0.3, "frame_min_dcf": 1.0, "i_auc": 0.1}},
            "segments": seg, "clustering": {},
            "settings": {"frames": 100, "degraded_share": 0.3, "min_dcf": {"p_target": 0.01}, "i_auc": {}}}


def write_root(root, eers):
    for model, eer in eers.items():
        path = root / model / "results" / "test_set" / "metrics.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(metrics(eer, model.startswith("con"))))


def test_rows_of_one_model_sit_together_with_fixed_embeddings(tmp_path):
    write_root(tmp_path / "a", {"baseline": 0.2, "con1": 0.05})
    write_root(tmp_path / "b", {"con1": 0.3, "baseline": 0.4})
    runs = {"A": collect(tmp_path / "a"), "B": collect(tmp_path / "b")}
    lines = comparison_tables(runs, ["test_set", "absent"])
    rows = [line for line in lines if line.startswith("| baseline") or line.startswith("| con1")]
    assert rows == [
        "| baseline | A | z_MOS | 20.00 | 0.50 | 0.70 | 30.00 | 0.10 | 10.00 |",
        "| baseline | B | z_MOS | 40.00 | 0.50 | 0.70 | 30.00 | 0.10 | 20.00 |",
        "| con1 | A | z_scl | 5.00 | 0.50 | 0.70 | 30.00 | 0.10 | 2.50 |",
        "| con1 | A | z~ | 5.00 | 0.50 | 0.70 | 30.00 | 0.10 | 2.50 |",
        "| con1 | B | z_scl | 30.00 | 0.50 | 0.70 | 30.00 | 0.10 | 15.00 |",
        "| con1 | B | z~ | 30.00 | 0.50 | 0.70 | 30.00 | 0.10 | 15.00 |",
    ]
    assert "`absent`:" not in lines
    text = results_markdown(runs["A"], ["test_set"], [], tmp_path, lines, "A")
    assert text.index("## Encoders side by side") < text.index("## Local degradation detection")
    assert "are those of A." in text
    assert "Encoders side by side" not in results_markdown(runs["A"], ["test_set"], [], tmp_path)


def test_compare_arguments_are_label_equals_dir(tmp_path):
    assert _compare_roots(["log-mel CNN=exp/logmel"]) == {"log-mel CNN": tmp_path.__class__("exp/logmel")}
    for bad in ("exp/logmel", "=exp", "x="):
        with pytest.raises(SqeError, match="LABEL=DIR"):
            _compare_roots([bad])


def test_region_table_shows_mos_and_the_package_embedding():
    from sqe.eval.report import region_table

    def figures(thr, false):
        return {"threshold": thr, "regions": 10, "false_regions": false, "clean_speech_min": 2.0,
                "false_regions_per_min": false / 2.0, "segments": 8, "segments_found": 6,
                "segments_found_share": 0.75, "merge_gap_s": 0.1, "min_region_s": 0.1,
                "threshold_source": "validation"}

    m = metrics(0.1, True)
    m["thresholds"] = {"z_scl": {"threshold": 0.3, "validation_best_f1": 0.8},
                       "z_tilde": {"threshold": 0.2, "validation_best_f1": 0.9}, "mos": {"threshold": -2.0}}
    m["regions"] = {"mos": figures(-2.0, 4), "z_scl": figures(0.3, 2), "z_tilde": figures(0.2, 1)}
    lines = region_table({"con1": {"test_set": m}, "baseline": {}}, "test_set")
    assert "| con1 | MOS | -2.000 (validation) | 10 | 4 | 2.00 | 75.00 (6/8) |" in lines
    assert "| con1 | z~ | 0.200 (validation) | 10 | 1 | 0.50 | 75.00 (6/8) |" in lines  # best validation F1
    assert not any("| z_scl |" in line for line in lines)
    assert "(2.0 min in this set)" in lines[1]
    assert region_table({"con1": {"test_set": metrics(0.1, True)}}, "test_set") == []  # scored without regions
