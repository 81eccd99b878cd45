"""Add ``model.onnx`` to a model package (sqe.bin.pack_model), so that ``sqe.bin.analyze --backend onnx`` runs
it with numpy and onnxruntime only (``pip install 'sqe[onnx]'``, no torch).

The graph holds the encoder and the decoders with a dynamic time axis (sqe.models.onnx_graph); beside it go
the part graphs the backend runs on their own (sqe.models.onnx_parts): model.heads.onnx (the decoders without the
encoder) and, for DistillMOS encoders, model.stream.onnx (the front end of ``sqe.bin.monitor --backend onnx``,
each frame computed once). Before the package changes, the torch model and the graphs analyse a probe signal,
offline and streamed, and must agree within --tolerance (frame MOS and detection score); package.json then lists
the graphs with their SHA-256 and the measured differences ("onnx"), and a directory's sibling .zip is rewritten
with them. Idempotent: a package that already holds a checked graph of the
same model and opset is skipped (--overwrite redoes it). Needs torch and onnx (``sqe[train,export]``).

Usage:
    python -m sqe.bin.export_onnx --model exp/con1/package/con1.sqe
    python -m sqe.bin.analyze --model exp/con1/package/con1.sqe --backend onnx recordings/ --out OUT
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from sqe.package.onnx_export import ExportConf
from sqe.utils.cli import Stage, StageContext, run_main

STAGE = Stage("export_onnx", __doc__, ExportConf, writes_out=False)
STAGE.add_argument("--model", type=Path, required=True, help="model package (directory or .zip), changed in place")
STAGE.add_argument("--overwrite", action="store_true", help="export again even if the package has a checked graph")


def _run(ctx: StageContext) -> int:
    from sqe.package.onnx_export import add_onnx

    info = add_onnx(ctx.args.model, ctx.conf, ctx.log, overwrite=ctx.args.overwrite)
    if info is not None:
        diff = info["onnx"]["probe_max_abs_diff"]
        ctx.log.info("added %s to %s (opset %d; probe: max |dq| %.1e, max |d score| %.1e)",
                     ", ".join(["model.onnx", *info["onnx"]["parts"]]), ctx.args.model, ctx.conf.opset,
                     max(v for k, v in diff.items() if k.endswith("q")),
                     max(v for k, v in diff.items() if k.endswith("score")))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return STAGE.main(argv, run=_run, inputs=lambda a, c: [a.model])


if __name__ == "__main__":
    run_main(main)
