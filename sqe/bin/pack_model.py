"""Pack a trained model for use on any audio (``sqe.bin.analyze``) on another machine: the self-contained
checkpoint, its clean enrollment, degradation prototypes with class names and the open-set similarity (from the
validation mix-up set), validation-tuned detection thresholds, a model card with the recipe's results, and the
SHA-256 of every file (OUT/package.json). OUT is a directory; ``--zip`` also writes OUT.zip.

Usage:
    python -m sqe.bin.pack_model --exp exp/con1 --valid_infer exp/con1/infer/mini_val_mixup \\
        --valid_data data/mini_val_mixup --enroll exp/con1/enroll/mini_val_ref \\
        --results mini_test_mixup mini_test_ood_mixup --out exp/con1/package/con1.sqe
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.package.build import PackConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("pack_model", __doc__, PackConf)
STAGE.add_argument("--exp", type=Path, required=True, help="experiment dir of the model (exp/<model>)")
STAGE.add_argument("--checkpoint", type=Path, help="the model (default: EXP/checkpoints/best.pt; another "
                   "recipe's model, e.g. ../nisqa/exp/con1/checkpoints/best.pt)")
STAGE.add_argument("--valid_infer", type=Path, required=True, help="sqe.bin.infer output of the validation set")
STAGE.add_argument("--valid_data", type=Path, required=True, help="the validation mix-up set")
STAGE.add_argument("--enroll", type=Path, required=True, help="sqe.bin.enroll output (clean enrollment)")
STAGE.add_argument("--results", nargs="*", default=[], metavar="SET",
                   help="test sets whose --exp/results/SET/metrics.json go into the model card")


def _run(ctx: StageContext) -> None:
    from sqe.package.build import build_package

    a = ctx.args
    info = build_package(a.exp, a.valid_infer, a.valid_data, a.enroll, a.results, ctx.out, ctx.conf, a.checkpoint)
    if ctx.conf.zip:
        ctx.written.append(ctx.out.with_name(ctx.out.name + ".zip"))
    thr = info["thresholds"][info["embedding"]]
    ctx.log.info("packed %s -> %s: %s, %d degradation classes, threshold %.4f (validation F1 %.3f), open-set "
                 "similarity %.3f", a.exp, ctx.out, info["embedding"], info["classes"], thr["threshold"],
                 thr["validation_best_f1"], info["open_set_similarity"])


def main(argv: Sequence[str] | None = None) -> int:
    def inputs(args, conf):
        return [args.checkpoint or args.exp / "checkpoints" / "best.pt", args.valid_infer, args.valid_data, args.enroll,
                *(args.exp / "results" / s / "metrics.json" for s in args.results)]

    return STAGE.main(argv, run=_run, inputs=inputs)


if __name__ == "__main__":
    run_main(main)
