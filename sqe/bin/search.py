"""Search an index of degraded regions (sqe.bin.index) for the regions most similar to a query: a time range of
a file (`FILE:ONSET-OFFSET`, seconds), a whole file (its detected regions), or a degradation class of the
model (`--class NAME`, its prototype). Prints the top-k as TSV (rank, similarity, file, onset, offset, type,
source); --results FILE also writes them there. File queries are analysed with the index's model package.

Usage:
    python -m sqe.bin.search --index exp/con1/index/mini_test --query take1.wav:1.2-2.0 --top_k 5
    python -m sqe.bin.search --index exp/con1/index/mini_test --class lpf --results lpf.tsv
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from sqe.analyze.analyzer import AnalyzeConf
from sqe.utils.cli import Stage, StageContext, run_main


@dataclass
class SearchConf:
    top_k: int = 10
    analyze: AnalyzeConf = field(default_factory=AnalyzeConf)  # how file queries are analysed

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")


STAGE = Stage("search", __doc__, SearchConf, writes_out=False)
STAGE.add_argument("--index", type=Path, required=True, help="index directory (sqe.bin.index)")
query = STAGE.parser.add_mutually_exclusive_group(required=True)
query.add_argument("--query", help="FILE:ONSET-OFFSET (seconds) or FILE")
query.add_argument("--class", dest="cls", help="a degradation class of the model")
STAGE.add_argument("--model", type=Path, help="model package (default: the one the index was built with)")
STAGE.add_argument("--results", type=Path, help="also write the hits to this TSV file")


def _run(ctx: StageContext) -> None:
    from sqe.search.lookup import run_search

    a = ctx.args
    lines = run_search(a.index, a.query, a.cls, a.model, ctx.conf)
    print("\n".join(lines))
    if a.results:
        from sqe.utils.atomic import write_text_atomic

        write_text_atomic(a.results, "\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.index, *([a.model] if a.model else [])])


if __name__ == "__main__":
    run_main(main)
