"""Index the degraded regions of a corpus for degradation search (sqe.bin.search): every input is analysed with
a packaged model (as sqe.bin.analyze), each detected region becomes the unit-length mean of its frame
embeddings, and the vectors go into a faiss index (exact inner product = cosine by default; --kind hnsw or ivf
for millions of regions). OUT holds index.faiss, index.json, vectors.npy and regions.tsv.

JOB-parallel: `--part JOB --nparts N` embeds one block of the inputs into OUT/parts/partJOB; the same call
with --nparts N and without --part merges the N parts and builds the index. `--merge DIR ...` merges indexes
or parts made elsewhere (same model) into a new index.

Usage:
    python -m sqe.bin.index --model exp/con1/package/con1.sqe --data data/mini_test --out exp/con1/index/mini_test
    utils/run.py JOB=1:4 exp/con1/index/log/index.JOB.log python -m sqe.bin.index --model PKG --data DATA \\
        --part JOB --nparts 4 --out exp/con1/index/db
    python -m sqe.bin.index --model PKG --data DATA --nparts 4 --out exp/con1/index/db
    python -m sqe.bin.index --merge exp/con1/index/a exp/con1/index/b --out exp/con1/index/ab
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from sqe.analyze.analyzer import AnalyzeConf
from sqe.search.faiss_index import IndexConf
from sqe.utils.cli import Stage, StageContext, run_main


@dataclass
class IndexStageConf:
    index: IndexConf = field(default_factory=IndexConf)
    analyze: AnalyzeConf = field(default_factory=AnalyzeConf)


STAGE = Stage("index", __doc__, IndexStageConf)
STAGE.add_argument("--model", type=Path, help="model package (directory or .zip); not with --merge")
STAGE.add_argument("inputs", type=Path, nargs="*", default=[], metavar="FILE|DIR", help="audio files or folders")
STAGE.add_argument("--data", type=Path, help="a Kaldi data dir (wav.scp, optional segments)")
STAGE.add_argument("--list", dest="list_file", type=Path, help="a file of inputs: 'path' or 'name path' per line")
STAGE.add_argument("--part", type=int, help="embed only this block (1-based) of the inputs")
STAGE.add_argument("--nparts", type=int, help="number of blocks")
STAGE.add_argument("--merge", type=Path, nargs="+", metavar="DIR", help="indexes or parts to merge")


def _check(ctx: StageContext) -> None:
    from sqe.utils.errors import SqeError

    a = ctx.args
    has_inputs = bool(a.inputs or a.data or a.list_file)
    if a.merge:
        if has_inputs or a.model or a.part is not None or a.nparts is not None:
            raise SqeError("--merge takes only index or part directories (no --model, inputs or parts)")
    elif a.model is None or not has_inputs:
        raise SqeError("give --model and inputs (FILE/DIR, --data or --list), or --merge DIR ...")
    if a.part is not None and a.nparts is None:
        raise SqeError("--part needs --nparts")
    if not a.merge:  # scanned once: the stamp and the embedding use the same list
        from sqe.analyze.inputs import collect_inputs

        ctx.prepared = collect_inputs(a.inputs, a.data, a.list_file)


def _identity(ctx: StageContext) -> list:
    """What the index is made from beyond the package: every file of the merged indexes or parts, or each audio
    input by size and mtime (every file under a folder argument, every wav.scp or list entry)."""
    from sqe.analyze.inputs import inputs_identity
    from sqe.utils.parts import part_dir
    from sqe.utils.provenance import tree_identity

    a = ctx.args
    if a.merge:
        return [tree_identity(d) for d in a.merge]
    own = inputs_identity(ctx.prepared)
    if a.part is None and a.nparts is not None:  # merging this call's parts: their contents too
        return [own, *(tree_identity(part_dir(a.out, k)) for k in range(1, a.nparts + 1))]
    return own


def _run(ctx: StageContext) -> int:
    from sqe.search.build import build_from_stores, embed_part, merge_parts
    from sqe.utils.parts import part_dir

    a = ctx.args
    if a.merge:
        build_from_stores(list(a.merge), ctx.out, ctx.conf.index, package=None)
        return 0
    if a.part is not None:
        return embed_part(a.model, ctx.prepared, a.part, a.nparts, ctx.conf.analyze, ctx.out)
    if a.nparts is not None:
        parts = [part_dir(ctx.out, k) for k in range(1, a.nparts + 1)]
        merge_parts(parts, a.model, ctx.out, ctx.conf.index)
        return 0
    status = embed_part(a.model, ctx.prepared, None, None, ctx.conf.analyze, part_dir(ctx.out, 1))
    build_from_stores([part_dir(ctx.out, 1)], ctx.out, ctx.conf.index, package=a.model)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    def out_dir(args) -> Path:
        from sqe.utils.parts import part_dir

        return part_dir(args.out, args.part) if args.part is not None else args.out

    def inputs(args, conf):
        return [p for p in (args.model, args.data, args.list_file, *(args.merge or [])) if p]

    return STAGE.main(argv, run=_run, check=_check, inputs=inputs, out_dir=out_dir, identity=_identity)


if __name__ == "__main__":
    run_main(main)
