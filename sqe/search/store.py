"""Region vectors with their metadata: what one part of ``sqe.bin.index`` writes and the merge reads.

A part directory holds ``vectors.npy`` ((N, D) float32, unit length), ``regions.tsv`` (one row per vector:
file, source, onset, offset, type, similarity) and ``part.json`` (the model that made them, D, N).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sqe.utils.atomic import atomic_path, write_text_atomic
from sqe.utils.errors import SqeError

COLUMNS = ("file", "source", "onset", "offset", "type", "similarity")


@dataclass
class RegionStore:
    model_id: str  # SHA-256 of the package's model.pt: vectors of different models never mix
    dim: int
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    rows: list[tuple[str, str, float, float, str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.vectors.size == 0:
            self.vectors = np.zeros((0, self.dim), np.float32)

    def __len__(self) -> int:
        return len(self.rows)

    def save(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        with atomic_path(out / "vectors.npy") as tmp:
            with open(tmp, "wb") as f:
                np.save(f, self.vectors.astype(np.float32))
        lines = ["\t".join(COLUMNS)] + [
            f"{f}\t{s}\t{a:.2f}\t{b:.2f}\t{t}\t{sim:.4f}" for f, s, a, b, t, sim in self.rows]
        write_text_atomic(out / "regions.tsv", "\n".join(lines) + "\n")
        write_text_atomic(out / "part.json", json.dumps(
            {"model_id": self.model_id, "dim": self.dim, "regions": len(self)}, indent=2) + "\n")

    @classmethod
    def load(cls, part: Path) -> "RegionStore":
        meta_path = part / "part.json"
        if not meta_path.is_file():
            raise SqeError(f"{part} is not an index part (no part.json; made by sqe.bin.index)")
        meta = json.loads(meta_path.read_text())
        vectors = np.load(part / "vectors.npy", allow_pickle=False)
        rows = []
        lines = (part / "regions.tsv").read_text().splitlines()
        if lines[0].split("\t") != list(COLUMNS):
            raise SqeError(f"{part}/regions.tsv:1: header must be {' '.join(COLUMNS)}")
        for lineno, line in enumerate(lines[1:], 2):
            f = line.split("\t")
            if len(f) != len(COLUMNS):
                raise SqeError(f"{part}/regions.tsv:{lineno}: {len(f)} fields, expected {len(COLUMNS)}")
            rows.append((f[0], f[1], float(f[2]), float(f[3]), f[4], float(f[5])))
        if vectors.shape != (len(rows), meta["dim"]):
            raise SqeError(f"{part}: vectors.npy has shape {vectors.shape}, regions.tsv {len(rows)} rows of "
                           f"dimension {meta['dim']}")
        return cls(meta["model_id"], meta["dim"], vectors.astype(np.float32), rows)

    @classmethod
    def merge(cls, parts: list["RegionStore"], names: list[str]) -> "RegionStore":
        """Concatenate parts in the given order; all must come from one model."""
        if not parts:
            raise SqeError("no index parts to merge")
        first = parts[0]
        for part, name in zip(parts[1:], names[1:]):
            if part.model_id != first.model_id or part.dim != first.dim:
                raise SqeError(f"{name} was made with another model than {names[0]} (model.pt "
                               f"{part.model_id[:12]} vs {first.model_id[:12]}): parts of one index need one model")
        vectors = np.concatenate([p.vectors for p in parts]) if parts else first.vectors
        return cls(first.model_id, first.dim, vectors, [r for p in parts for r in p.rows])
