"""What a model package is made of (format ``sqe-model-package-1``) and how its files are fingerprinted."""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

from sqe.utils.atomic import atomic_path

FORMAT = "sqe-model-package-1"
INFO_FILE = "package.json"
# Files whose SHA-256 package.json records; package.json itself carries the checksums.
PAYLOAD = ("model.pt", "enrollment.npz", "prototypes.npz", "MODEL_CARD.md")
ONNX_FILE = "model.onnx"  # added by sqe.bin.export_onnx (the torch-free backend)
# beside it, graphs the backend runs on their own (sqe.models.onnx_parts): the decoders and context convolutions
# without the encoder, and the DistillMOS front end of a stream
ONNX_PARTS = {"heads": "model.heads.onnx", "stream": "model.stream.onnx"}  # role -> file
OPTIONAL = (ONNX_FILE, *ONNX_PARTS.values())  # checked like the payload when package.json lists them


def package_members(info: dict[str, Any]) -> list[str]:
    """The files of a package: the payload, the optional files its package.json lists, package.json."""
    listed = info.get("files") or {}
    return [*PAYLOAD, *(f for f in OPTIONAL if f in listed), INFO_FILE]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def zip_package(root: Path, zipped: Path) -> None:
    """``zipped`` (written atomically): the package files of the directory ``root`` at the archive's top level."""
    names = package_members(json.loads((root / INFO_FILE).read_text()))
    with atomic_path(zipped) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name in names:
                z.write(root / name, name)


def extract_package(zipped: Path, dest: Path, names: tuple[str, ...] | list[str] | None = None) -> None:
    """The package files of a zip into the directory ``dest``: only known file names (``names``; default every
    file a package may hold), flattened, so no path from the archive is trusted; absent ones are skipped."""
    with zipfile.ZipFile(zipped) as z:
        members = {Path(n).name: n for n in z.namelist() if not n.endswith("/")}
        for name in names if names is not None else (*PAYLOAD, *OPTIONAL, INFO_FILE):
            if name in members:
                (dest / name).write_bytes(z.read(members[name]))
