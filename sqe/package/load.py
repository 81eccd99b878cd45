"""Reading a model package (a directory or its zip): format and checksums are verified before anything is
loaded, and the model is read with the checkpoint loader that refuses pickled code. Importing this module needs
no torch: the torch model is loaded only for ``backend="torch"``, the ONNX graph's bytes for ``backend="onnx"``."""
from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from sqe.metrics.embedding import l2_normalize
from sqe.package.format import (FORMAT, INFO_FILE, ONNX_FILE, ONNX_PARTS, OPTIONAL, PAYLOAD, extract_package,
                                sha256)
from sqe.utils.errors import SqeError

if TYPE_CHECKING:
    import torch

    from sqe.models.lssqa import LSSQAModel

Backend = Literal["torch", "onnx", "none"]


@dataclass
class ModelPackage:
    path: Path
    info: dict[str, Any]
    model: LSSQAModel | None  # the torch model (backend "torch"), else None
    enrollment: dict[str, np.ndarray]  # embedding name -> (D,) clean enrollment
    prototypes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # name -> (classes, (K, D))
    onnx: bytes | None = None  # model.onnx (backend "onnx"), else None
    onnx_parts: dict[str, bytes] = field(default_factory=dict)  # role ("heads", "stream") -> the part graphs
    # package.json lists (backend "onnx")

    @property
    def embedding(self) -> str:
        """The embedding used for detection and degradation types."""
        return self.info["embedding"]

    @property
    def threshold(self) -> float:
        """Detection threshold on 1 - cos(enrollment, frame embedding), tuned on the validation set."""
        return float(self.info["thresholds"][self.embedding]["threshold"])

    @property
    def medfilt_size(self) -> int:
        """Median filter (frames) applied to detection scores before the threshold (1: none)."""
        return int(self.info.get("medfilt_size", 1))

    @property
    def open_set_similarity(self) -> float | None:
        return self.info.get("open_set_similarity")

    def nearest_types(self, vector: np.ndarray, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` degradation classes whose prototypes are most cosine-similar to ``vector``."""
        classes, vectors = self.prototypes[self.embedding]
        sims = vectors @ l2_normalize(np.asarray(vector, dtype=np.float32))
        order = np.argsort(-sims, kind="stable")[:k]
        return [(str(classes[i]), float(sims[i])) for i in order]


def _verify(root: Path, where: str) -> dict[str, Any]:
    info_path = root / INFO_FILE
    if not info_path.is_file():
        raise SqeError(f"{where} is not an sqe model package: no {INFO_FILE} (made by sqe.bin.pack_model)")
    try:
        info = json.loads(info_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise SqeError(f"{where}/{INFO_FILE}: not valid JSON ({err})") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        got = info.get("format") if isinstance(info, dict) else None
        raise SqeError(f"refusing package {where}: format {got!r}; this sqe reads {FORMAT!r} "
                       f"(re-pack the model with this sqe's sqe.bin.pack_model)")
    files = info.get("files") or {}
    for name in (*PAYLOAD, *(f for f in OPTIONAL if f in files)):
        if name not in files:
            raise SqeError(f"refusing package {where}: {INFO_FILE} has no checksum of {name}")
        if not (root / name).is_file():
            raise SqeError(f"refusing package {where}: {name} is missing")
        if sha256(root / name) != files[name]:
            raise SqeError(f"refusing package {where}: {name} does not match its SHA-256 in {INFO_FILE} "
                           f"(damaged or modified after packing)")
    return info


def _read(root: Path, where: str, device: str | torch.device, backend: Backend) -> ModelPackage:
    info = _verify(root, where)
    model = onnx = None
    parts: dict[str, bytes] = {}
    if backend == "torch":
        from sqe.models.checkpoint import load_model

        model = load_model(root / "model.pt", device)
    elif backend == "onnx":
        if ONNX_FILE not in info["files"]:
            raise SqeError(f"package {where} has no {ONNX_FILE} for the onnx backend: add one with "
                           f"`python -m sqe.bin.export_onnx --model {where}` (needs torch and onnx), or use "
                           f"--backend torch")
        onnx = (root / ONNX_FILE).read_bytes()
        parts = {role: (root / name).read_bytes() for role, name in ONNX_PARTS.items() if name in info["files"]}
    with np.load(root / "enrollment.npz", allow_pickle=False) as f:
        enrollment = {k: f[k] for k in f.files}
    prototypes = {}
    with np.load(root / "prototypes.npz", allow_pickle=False) as f:
        for key in f.files:
            name, kind = key.split("/")
            if kind == "classes":
                prototypes[name] = (f[key].astype(str), f[f"{name}/vectors"].astype(np.float32))
    emb = info.get("embedding")
    if emb not in enrollment or emb not in prototypes:
        raise SqeError(f"refusing package {where}: its embedding {emb!r} has no enrollment or prototypes")
    return ModelPackage(Path(where), info, model, enrollment, prototypes, onnx, parts)


def load_package(path: str | Path, device: str | torch.device = "cpu", backend: Backend = "torch") -> ModelPackage:
    """A package directory or ``.zip``; refused with the reason if its format or any checksum is wrong.
    ``backend``: what runs the model: "torch" loads model.pt, "onnx" reads model.onnx, "none" neither."""
    path = Path(path)
    if path.is_dir():
        return _read(path, str(path), device, backend)
    if not path.is_file():
        raise SqeError(f"model package {path} does not exist")
    if not zipfile.is_zipfile(path):
        raise SqeError(f"{path} is neither a package directory nor a zip file")
    with tempfile.TemporaryDirectory(prefix="sqe-package-") as tmp:
        extract_package(path, Path(tmp))
        return _read(Path(tmp), str(path), device, backend)
