"""Collect exp/<model>/results/<set>/metrics.json into RESULTS (the paper's Tables 2-6 with an environment
header) and draw Figure 2 (one utterance) and Figure 3 (concurrent degradations) into OUT/figures. With
--compare, other experiment roots (e.g. the same recipe with another encoder) are tabled side by side first.

Usage:
    python -m sqe.bin.show_results --exp exp --sets mini_test_mixup mini_test_ood_mixup --data data \\
        --results exp/RESULTS.md --out exp/report [--label "DistillMOS CNN" --compare "log-mel CNN=exp/logmel"]
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("show_results", __doc__)
STAGE.add_argument("--exp", type=Path, default=Path("exp"), help="experiment root with <model>/results/<set>")
STAGE.add_argument("--sets", nargs="+", required=True, help="test sets, in table order")
STAGE.add_argument("--data", type=Path, default=Path("data"), help="where the test sets' data dirs are")
STAGE.add_argument("--results", type=Path, default=Path("exp/RESULTS.md"), help="the Markdown report")
STAGE.add_argument("--figure_model", default=None, help="model of Figure 2 (default: the first with an SCL branch)")
STAGE.add_argument("--label", default="main", help="name of the --exp run in the side-by-side tables")
STAGE.add_argument("--compare", nargs="*", default=[], metavar="LABEL=DIR",
                   help="other experiment roots to table side by side with --exp")


def _compare_roots(specs: list[str]) -> dict[str, Path]:
    from sqe.utils.errors import SqeError

    roots = {}
    for spec in specs:
        label, sep, path = spec.partition("=")
        if not sep or not label or not path:
            raise SqeError(f"--compare takes LABEL=DIR, got {spec!r}")
        roots[label] = Path(path)
    return roots


def _run(ctx: StageContext) -> None:
    from sqe.eval.figure_data import draw_figures
    from sqe.eval.report import collect, results_markdown
    from sqe.utils.atomic import write_text_atomic
    from sqe.utils.errors import SqeError

    from sqe.eval.compare import comparison_tables

    a = ctx.args
    models = collect(a.exp)
    if not models:
        raise SqeError(f"no results under {a.exp}/<model>/results/<set>/metrics.json (run the scoring stage first)")
    comparison = None
    if a.compare:
        runs = {a.label: models}
        for label, root in _compare_roots(a.compare).items():
            runs[label] = collect(root)
            if not runs[label]:
                raise SqeError(f"--compare {label}={root}: no results under {root}/<model>/results/<set>/metrics.json")
        comparison = comparison_tables(runs, a.sets)
    figures = draw_figures(models, a.sets, a.exp, a.data, ctx.out / "figures", a.figure_model)
    text = results_markdown(models, a.sets, figures, a.results.parent, comparison, a.label)
    write_text_atomic(a.results, text)
    ctx.written.append(a.results)
    ctx.log.info("wrote %s (%d model(s), %d figure(s))", a.results, len(models), len(figures))


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: sorted(
        p for root in [a.exp, *_compare_roots(a.compare).values()] for p in root.glob("*/results/*/metrics.json")))


if __name__ == "__main__":
    run_main(main)
