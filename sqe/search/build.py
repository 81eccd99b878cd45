"""The steps of ``sqe.bin.index``: embed a block of inputs into a part, merge parts or indexes, build and save
the faiss index with its metadata."""
from __future__ import annotations

import json
from pathlib import Path

from sqe.analyze.analyzer import AnalyzeConf, Analyzer
from sqe.analyze.inputs import Input
from sqe.search.embed import embed_inputs
from sqe.search.faiss_index import IndexConf, build_index, save_index
from sqe.search.store import RegionStore
from sqe.utils.atomic import write_text_atomic
from sqe.utils.config import to_dict
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.parts import block

log = get_logger(__name__)
INDEX_FILE, INFO_FILE = "index.faiss", "index.json"


def embed_part(package: Path, inputs: list[Input], part: int | None, nparts: int | None, conf: AnalyzeConf,
               out: Path) -> int:
    """Embed block ``part`` of ``nparts`` of ``inputs`` (all without a part) into ``out``; returns the exit
    status (1 when an input failed; the part is written either way)."""
    if part is not None:
        inputs = block(inputs, part, nparts)
    analyzer = Analyzer.from_package(package, conf)
    store, failed = embed_inputs(analyzer, inputs)
    store.save(out)
    if failed:
        write_text_atomic(out / "failed.tsv", "".join(f"{e}\t{why}\n" for e, why in failed))
    log.info("%d inputs: %d degraded regions, %d inputs failed -> %s", len(inputs), len(store), len(failed), out)
    for entry, why in failed:
        log.error("%s: %s", entry, why)
    return 1 if failed else 0


def merge_parts(parts: list[Path], package: Path, out: Path, conf: IndexConf) -> None:
    missing = [str(p) for p in parts if not (p / "part.json").is_file()]
    if missing:
        raise SqeError(f"index parts not made yet: {', '.join(missing)} (run the --part JOB calls first)")
    build_from_stores(parts, out, conf, package)


def build_from_stores(dirs: list[Path], out: Path, conf: IndexConf, package: Path | None) -> RegionStore:
    store = RegionStore.merge([RegionStore.load(d) for d in dirs], [str(d) for d in dirs])
    if package is None:  # --merge: the package of the first index, if it was one
        info = dirs[0] / INFO_FILE
        package = Path(json.loads(info.read_text())["package"]) if info.is_file() else None
    store.save(out)
    save_index(build_index(store.vectors, conf), out / INDEX_FILE)
    write_text_atomic(out / INFO_FILE, json.dumps({
        "model_id": store.model_id, "dim": store.dim, "regions": len(store), "index": to_dict(conf),
        "package": str(package.resolve()) if package else None, "sources": [str(d) for d in dirs]}, indent=2) + "\n")
    log.info("index of %d regions (%s, d = %d) -> %s", len(store), conf.kind, store.dim, out)
    return store
