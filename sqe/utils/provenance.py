"""What produced an output: the environment record (``env.json``) and the input identity behind ``.done``.

``env.json`` is written next to every stage output; ``RESULTS.md`` headers are built from it.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata
import json
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "sqe", "torch", "transformers", "numpy", "scipy", "soundfile", "soxr", "kaldiio", "scikit-learn",
    "pyyaml", "sed_scores_eval", "audiomentations", "pesq", "rvadfast", "hibari-tts",
)
ENV_VARS = (
    "CUDA_VISIBLE_DEVICES", "SLURM_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_JOB_NODELIST", "OMP_NUM_THREADS",
    "HF_HUB_OFFLINE", "SQE_CMD_BACKEND",
)
# Files up to this size are identified by content hash, larger ones by size and mtime.
SMALL_FILE_BYTES = 4 << 20


def git_revision(root: Path = REPO_ROOT) -> dict[str, Any]:
    """The git commit of the sqe checkout and whether its tracked files differ from it."""
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    rev = git("rev-parse", "HEAD")
    if rev is None:
        return {"revision": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"revision": rev, "dirty": bool(status)}


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str | None]:
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def environment_record(argv: list[str] | None = None) -> dict[str, Any]:
    return {
        "time": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "cwd": os.getcwd(),
        "argv": list(sys.argv if argv is None else argv),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "git": git_revision(),
        "packages": package_versions(),
        "env": {k: os.environ[k] for k in ENV_VARS if k in os.environ},
    }


def file_identity(path: str | Path) -> dict[str, Any]:
    """Content hash for small files, size + mtime for large ones; directories list their top-level files."""
    path = Path(path)
    if path.is_dir():
        return {
            "dir": str(path),
            "files": {p.name: file_identity(p) for p in sorted(path.iterdir()) if p.is_file()
                      and not p.name.startswith(".")},
        }
    st = path.stat()
    if st.st_size <= SMALL_FILE_BYTES:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return {"path": str(path), "sha256": digest}
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def stat_identity(path: str | Path) -> dict[str, Any]:
    """Size and mtime of a file without reading it (audio: a re-recorded file changes both); a file that is
    missing or cannot be stat'ed is identified by the reason, so it is reported where it is read, not here."""
    try:
        st = Path(path).stat()
    except OSError as err:
        return {"path": str(path), "error": err.strerror or type(err).__name__}
    return {"path": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def tree_identity(folder: str | Path) -> dict[str, Any]:
    """Every file under ``folder`` (subfolders included, hidden ones and ``log/`` left out) by size and mtime."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(".") or part == "log" for part in p.relative_to(folder).parts))
    return {"dir": str(folder), "files": {str(p.relative_to(folder)): stat_identity(p) for p in files}}


def fingerprint(payload: Any) -> str:
    """A stable hash of a JSON-able structure."""
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()
