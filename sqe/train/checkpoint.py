"""Checkpoints: written atomically; loading checks that the architecture matches."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sqe.models.lssqa import LSSQAModel, ModelConf
from sqe.utils.atomic import atomic_path
from sqe.utils.config import ConfigError, from_dict, to_dict
from sqe.utils.errors import SqeError

FORMAT = "sqe-lssqa-1"


def save_checkpoint(path: str | Path, model: LSSQAModel, **state: Any) -> None:
    payload = {"format": FORMAT, "model_conf": to_dict(model.conf), "model": model.state_dict(), **state}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as err:  # OSError, EOFError, UnpicklingError, RuntimeError: all mean unreadable
        raise SqeError(f"cannot read checkpoint {path}: {err}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise SqeError(f"{path} is not an sqe LSSQA checkpoint (format {FORMAT})")
    return payload


def check_architecture(payload: dict[str, Any], conf: ModelConf, path: str | Path) -> None:
    """The checkpoint must have been made for ``conf``; name the first differing key otherwise."""
    want, have = to_dict(conf), payload["model_conf"]

    def diff(a: Any, b: Any, prefix: str) -> str | None:
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                d = diff(a.get(k), b.get(k), f"{prefix}.{k}" if prefix else k)
                if d:
                    return d
            return None
        return None if a == b else f"model.{prefix}: checkpoint {b!r}, config {a!r}"

    d = diff(want, have, "")
    if d:
        raise SqeError(f"checkpoint {path} was made for a different architecture ({d})")


def load_model(path: str | Path, device: str | torch.device = "cpu") -> LSSQAModel:
    """A model as stored in a checkpoint (its own architecture config), in eval mode."""
    payload = read_checkpoint(path)
    try:
        conf = from_dict(ModelConf, payload["model_conf"])
    except ConfigError as err:
        raise SqeError(f"{path}: unusable model config: {err}") from None
    model = LSSQAModel(conf)
    model.load_state_dict(payload["model"])
    return model.to(device).eval()
