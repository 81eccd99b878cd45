"""Region vectors of a corpus (what an index stores) and of a query (what it is searched with)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sqe.analyze.analyzer import Analyzer
from sqe.analyze.inputs import Input, read_signal
from sqe.analyze.regions import region_vector
from sqe.audio.io import AudioError, TARGET_SR
from sqe.audio.speech import FRAME_S
from sqe.search.store import RegionStore
from sqe.utils.errors import SqeError
from sqe.utils.log import get_logger
from sqe.utils.progress import progress

log = get_logger(__name__)
_RANGE = re.compile(r"^(?P<path>.+):(?P<onset>\d+(?:\.\d*)?)-(?P<offset>\d+(?:\.\d*)?)$")


def model_id(analyzer: Analyzer) -> str:
    return analyzer.package.info["files"]["model.pt"]


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)


def embed_inputs(analyzer: Analyzer, inputs: list[Input]) -> tuple[RegionStore, list[tuple[str, str]]]:
    """The detected regions of every input as unit vectors; returns the store and (input, reason) failures."""
    emb = analyzer.package.embedding
    dim = analyzer.package.prototypes[emb][1].shape[1]
    vectors, rows, failed = [], [], []
    for item in progress(inputs, desc="index", unit="file"):
        try:
            signal = read_signal(item, analyzer.conf.channel)
            result = analyzer.analyze(signal.wav, TARGET_SR, item.name, keep_embedding=True)
        except (AudioError, ValueError) as err:
            log.warning("%s: failed: %s", item.name, err)
            failed.append((item.entry, str(err)))
            continue
        for r in result.regions:
            a, b = int(round(r.onset / FRAME_S)), int(round(r.offset / FRAME_S))
            vectors.append(_unit(region_vector(result.embedding, a, b)))
            rows.append((item.name, item.entry, r.onset, r.offset, r.type, r.similarity))
    store = RegionStore(model_id(analyzer), dim, np.stack(vectors) if vectors else np.zeros((0, dim), np.float32),
                        rows)
    return store, failed


@dataclass
class Query:
    path: str | None = None  # a file (whole, or a range of it)
    onset: float | None = None
    offset: float | None = None
    cls: str | None = None  # a degradation class of the model's prototypes

    @classmethod
    def parse(cls, text: str) -> "Query":
        """``file.wav:1.2-2.0`` (a time range), ``file.wav`` (the file's degraded regions)."""
        m = _RANGE.match(text)
        if m and not Path(text).exists():
            onset, offset = float(m["onset"]), float(m["offset"])
            if offset <= onset:
                raise SqeError(f"query {text}: the range must end after it starts")
            return cls(path=m["path"], onset=onset, offset=offset)
        return cls(path=text)

    def describe(self) -> str:
        if self.cls is not None:
            return f"class {self.cls}"
        return f"{self.path}:{self.onset:.2f}-{self.offset:.2f}" if self.onset is not None else f"{self.path}"


def query_vector(analyzer: Analyzer, query: Query) -> np.ndarray:
    """The unit vector a query stands for: a class prototype, the mean of a time range's frame embeddings, or
    the length-weighted mean of a whole file's degraded regions."""
    if query.cls is not None:
        classes, vectors = analyzer.package.prototypes[analyzer.package.embedding]
        hits = np.flatnonzero(classes == query.cls)
        if hits.size == 0:
            raise SqeError(f"class '{query.cls}' is not among the model's {len(classes)} prototypes "
                           f"(e.g. {', '.join(classes[:8])})")
        return _unit(vectors[hits[0]])
    signal = read_signal(Input("query", str(query.path)), analyzer.conf.channel)
    result = analyzer.analyze(signal.wav, TARGET_SR, "query", keep_embedding=True)
    frames = result.embedding.shape[0]
    if query.onset is not None:
        a, b = int(round(query.onset / FRAME_S)), min(frames, int(round(query.offset / FRAME_S)))
        if a >= frames or b <= a:
            raise SqeError(f"query {query.describe()}: outside the file ({result.duration_s:.2f} s)")
        return _unit(region_vector(result.embedding, a, b))
    if not result.regions:
        raise SqeError(f"query {query.path}: no degraded region detected; give a time range (FILE:ONSET-OFFSET)")
    total = np.zeros(result.embedding.shape[1])
    for r in result.regions:
        a, b = int(round(r.onset / FRAME_S)), int(round(r.offset / FRAME_S))
        total += (b - a) * region_vector(result.embedding, a, b)
    return _unit(total)
