"""What a model package is made of (format ``sqe-model-package-1``) and how its files are fingerprinted."""
from __future__ import annotations

import hashlib
from pathlib import Path

FORMAT = "sqe-model-package-1"
INFO_FILE = "package.json"
# Files whose SHA-256 package.json records; package.json itself carries the checksums.
PAYLOAD = ("model.pt", "enrollment.npz", "prototypes.npz", "MODEL_CARD.md")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
