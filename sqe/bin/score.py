"""Score one model on one partial-mix-up set: MOS- and embedding-based detection (frame EER, minDCF, I-AUC),
degradation verification EER and prototype retrieval accuracy (by number of concurrent degradations),
agglomerative clustering of oracle and detected segments; thresholds for hard decisions (best
intersection-F1 on the validation set) and, at each detector's threshold, the regions a user of
sqe.bin.analyze would see: false regions per minute of clean speech and the share of labelled segments found. Writes OUT/metrics.json and the detection scores as sed_scores_eval
tables OUT/scores/<type>/<utt>.tsv. With ``--max_false_per_min X`` each threshold is raised until the validation
set's clean speech raises at most X false regions per minute. With ``--medfilt_size N`` (odd, in frames) every detection score is
median-filtered first (metrics.json then also holds the unfiltered "detection_unfiltered").

Usage:
    python -m sqe.bin.score --test_infer exp/con1/infer/mini_test_mixup --test_data data/mini_test_mixup \\
        --valid_infer exp/con1/infer/mini_val_mixup --valid_data data/mini_val_mixup \\
        --enroll exp/con1/enroll/mini_val_ref --out exp/con1/results/mini_test_mixup
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from sqe.eval.evaluate import ScoreConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("score", __doc__, ScoreConf)
STAGE.add_argument("--test_infer", type=Path, required=True, help="sqe.bin.infer output of the test set")
STAGE.add_argument("--test_data", type=Path, required=True, help="the test mix-up set")
STAGE.add_argument("--enroll", type=Path, required=True, help="sqe.bin.enroll output (clean enrollment)")
STAGE.add_argument("--valid_infer", type=Path, help="sqe.bin.infer output of the validation mix-up set")
STAGE.add_argument("--valid_data", type=Path, help="the validation mix-up set (prototypes, thresholds)")
STAGE.add_argument("--detector", type=Path, nargs=3, metavar=("INFER", "ENROLL", "METRICS"),
                   help="detect with another model for the clustering: its infer dir of this test set, its "
                        "enrollment dir and its metrics.json on this test set (for the threshold)")


def _run(ctx: StageContext) -> None:
    from sqe.data.tables import DataError
    from sqe.eval.evaluate import detection_scores, evaluate, load_set, scored_medfilt_size
    from sqe.eval.operating import operating_threshold, speech_flags
    from sqe.infer.enrollment import load_enrollment
    from sqe.metrics.events import to_sed_scores
    from sqe.metrics.smoothing import smooth_scores
    from sqe.utils.atomic import write_text_atomic

    a = ctx.args
    test = load_set(a.test_infer, a.test_data)
    valid = load_set(a.valid_infer, a.valid_data) if a.valid_infer and a.valid_data else None
    enrollment = load_enrollment(a.enroll)
    detector, det_source = None, None
    if a.detector:  # Table 6: cluster this model's embeddings of the segments another model detects
        det_infer, det_enroll, det_metrics_path = a.detector
        det_metrics = json.loads(det_metrics_path.read_text())
        name = ctx.conf.cluster_embedding
        det_size = scored_medfilt_size(det_metrics)
        if det_size != ctx.conf.medfilt_size:  # its threshold holds for its own filtered scores only
            raise DataError(f"{det_metrics_path}: scored with medfilt_size {det_size}, this run uses "
                            f"{ctx.conf.medfilt_size}; score both models with the same config")
        det_all = detection_scores(load_set(det_infer, a.test_data), load_enrollment(det_enroll))
        det_scores = smooth_scores({name: det_all[name]}, ctx.conf.medfilt_size)[name]
        model_name = det_metrics_path.resolve().parent.parent.parent.name  # exp/<model>/results/<set>/metrics.json
        det_threshold, det_source = operating_threshold(det_metrics["thresholds"][name])
        detector = (model_name, det_scores, det_threshold)
    floor_db = ctx.conf.regions.speech_floor_db
    speech = speech_flags(a.test_data, {k: v.size for k, v in test.degraded.items()}, floor_db)
    valid_speech = None
    if valid is not None and ctx.conf.max_false_per_min is not None:
        valid_speech = speech_flags(a.valid_data, {k: v.size for k, v in valid.degraded.items()}, floor_db)
    metrics, scores = evaluate(test, valid, enrollment, ctx.conf, detector, speech, valid_speech)
    if "cross" in metrics["clustering"]:  # the other model's threshold, where that model tuned it
        metrics["clustering"]["cross"]["threshold_source"] = det_source
    metrics["inputs"] = {k: str(getattr(a, k)) for k in ("test_infer", "test_data", "enroll", "valid_infer",
                                                          "valid_data") if getattr(a, k)}
    from sed_scores_eval.base_modules.io import write_sed_scores

    for name, per_utt in scores.items():
        write_sed_scores(to_sed_scores(per_utt), ctx.out / "scores" / name)
    from sqe.eval.report import sanitize

    write_text_atomic(ctx.out / "metrics.json", json.dumps(sanitize(metrics), indent=2, default=float) + "\n")
    det = metrics["detection"]
    ctx.log.info("detection: %s", "; ".join(
        f"{n} EER {100 * d['frame_eer']:.2f} % minDCF {d['frame_min_dcf']:.3f} I-AUC {d['i_auc']:.3f}"
        for n, d in det.items()))


def main(argv: Sequence[str] | None = None) -> int:
    def inputs(args, conf):
        paths = [args.test_infer, args.test_data, args.enroll]
        return paths + [p for p in (args.valid_infer, args.valid_data) if p] + list(args.detector or [])

    return STAGE.main(argv, run=_run, inputs=inputs)


if __name__ == "__main__":
    run_main(main)
