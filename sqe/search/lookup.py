"""Answering a query against a saved index."""
from __future__ import annotations

import json
from pathlib import Path

from sqe.analyze.analyzer import Analyzer
from sqe.search.build import INDEX_FILE, INFO_FILE
from sqe.search.embed import Query, model_id, query_vector
from sqe.search.faiss_index import IndexConf, load_index, search
from sqe.search.store import RegionStore
from sqe.utils.config import from_dict
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger

log = get_logger(__name__)
HEADER = "rank\tsimilarity\tfile\tonset\toffset\ttype\tsource"


def run_search(index_dir: Path, query: str | None, cls: str | None, package: Path | None, conf) -> list[str]:
    """TSV lines (header first) of the ``conf.top_k`` regions nearest to the query."""
    info_path = index_dir / INFO_FILE
    if not info_path.is_file():
        raise SqeError(f"{index_dir} is not an index (no {INFO_FILE}; made by sqe.bin.index)")
    info = json.loads(info_path.read_text())
    package = package or (Path(info["package"]) if info.get("package") else None)
    if package is None:
        raise SqeError(f"{index_dir}: the index does not name its model package; give --model")
    analyzer = Analyzer.from_package(package, conf.analyze)
    if model_id(analyzer) != info["model_id"]:
        raise SqeError(f"{package} is not the model {index_dir} was built with (model.pt "
                       f"{model_id(analyzer)[:12]} vs {info['model_id'][:12]})")
    q = Query(cls=cls) if cls is not None else Query.parse(query)
    vector = query_vector(analyzer, q)
    store = RegionStore.load(index_dir)
    index = load_index(index_dir / INDEX_FILE, from_dict(IndexConf, info["index"]))
    sims, ids = search(index, vector, conf.top_k, store.vectors)
    lines = [HEADER]
    for rank, (sim, i) in enumerate(zip(sims[0].tolist(), ids[0].tolist()), 1):
        if i < 0:
            break
        f, source, onset, offset, kind, _ = store.rows[i]
        lines.append(f"{rank}\t{sim:.4f}\t{f}\t{onset:.2f}\t{offset:.2f}\t{kind}\t{source}")
    log.info("%s: %d hits among %d regions", q.describe(), len(lines) - 1, len(store))
    return lines
