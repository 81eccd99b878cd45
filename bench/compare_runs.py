#!/usr/bin/env python3
"""Benchmark: how far two runs of egs/mini agree (another machine, another instruction set, a rerun).

Compares, stage by stage, what two finished recipe trees hold: the corpus (utt2mos of every data dir, equal
or not and the largest difference), the training logs (first epoch whose validation numbers differ) and the
headline metrics of every model and test set (frame EER, minDCF, I-AUC of the model's fixed embedding, false
regions per minute, verification EER of single-degradation segments), with the difference B - A.

Usage (from the repository root, environment active):
    python bench/compare_runs.py /tmp/mini_a/egs/mini /tmp/mini_b/egs/mini
Prints Markdown; exits 0 whether or not the runs agree.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

# (label, path in metrics.json with {emb} for the model's embedding, scale)
HEADLINE = [("frame EER [%]", ("detection", "{emb}", "frame_eer"), 100.0),
            ("minDCF", ("detection", "{emb}", "frame_min_dcf"), 1.0),
            ("I-AUC", ("detection", "{emb}", "i_auc"), 1.0),
            ("false regions / min", ("regions", "{emb}", "false_regions_per_min"), 1.0),
            ("verif. EER single [%]", ("segments", "{emb}", "max1", "eer"), 100.0)]


def lookup(metrics: dict, path: tuple[str, ...], emb: str) -> float | None:
    node = metrics
    for key in path:
        node = node.get(key.format(emb=emb)) if isinstance(node, dict) else None
    return None if node is None else float(node)


def table_diff(a: Path, b: Path) -> tuple[bool, float]:
    """(same keys and values, largest absolute numeric difference) of two Kaldi tables."""
    ra = dict(line.split(maxsplit=1) for line in a.read_text().splitlines() if line.strip())
    rb = dict(line.split(maxsplit=1) for line in b.read_text().splitlines() if line.strip())
    if ra.keys() != rb.keys():
        return False, float("inf")
    worst = max((abs(float(ra[k]) - float(rb[k])) for k in ra), default=0.0)
    return ra == rb, worst


def first_divergence(a: Path, b: Path) -> str:
    """The first epoch whose validation numbers differ between two train_log.csv files."""
    rows_a, rows_b = list(csv.DictReader(a.open())), list(csv.DictReader(b.open()))
    for ra, rb in zip(rows_a, rows_b):
        if any(ra[k] != rb.get(k) for k in ra if k.startswith("valid_")):
            return f"epoch {ra['epoch']}"
    return "none" if len(rows_a) == len(rows_b) else "length"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path, help="egs/mini directory of run A")
    parser.add_argument("b", type=Path, help="egs/mini directory of run B")
    args = parser.parse_args()
    lines = [f"A: {args.a}", f"B: {args.b}", "", "| data dir | utt2mos equal | largest difference |", "|---|---|---|"]
    for mos in sorted((args.a / "data").glob("*/utt2mos")):
        other = args.b / "data" / mos.parent.name / "utt2mos"
        if other.is_file():
            same, worst = table_diff(mos, other)
            lines.append(f"| {mos.parent.name} | {'yes' if same else 'no'} | {worst:.4g} |")
    lines += ["", "| model | first epoch whose validation differs |", "|---|---|"]
    for log in sorted((args.a / "exp").glob("*/train_log.csv")):
        other = args.b / "exp" / log.parent.name / "train_log.csv"
        if other.is_file():
            lines.append(f"| {log.parent.name} | {first_divergence(log, other)} |")
    lines += ["", "| model | set | metric | A | B | B - A |", "|---|---|---|---|---|---|"]
    for path in sorted((args.a / "exp").glob("*/results/*/metrics.json")):
        other = args.b / path.relative_to(args.a)
        if not other.is_file():
            continue
        ma, mb = json.loads(path.read_text()), json.loads(other.read_text())
        emb = "z_tilde" if "z_tilde" in ma["detection"] else "z_mos"
        for label, key, scale in HEADLINE:
            va, vb = lookup(ma, key, emb), lookup(mb, key, emb)
            if va is not None and vb is not None:
                lines.append(f"| {path.parent.parent.parent.name} | {path.parent.name} | {label} | "
                             f"{scale * va:.2f} | {scale * vb:.2f} | {scale * (vb - va):+.2f} |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
