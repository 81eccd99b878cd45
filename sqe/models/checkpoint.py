"""Checkpoints: written atomically; read without unpickling code; self-contained; loading checks the
architecture.

A checkpoint holds only tensors and plain data (dicts, lists, strings, numbers): it is read with
``torch.load(weights_only=True)``, so a file that holds anything else (which could run code while being
unpickled) is refused. Besides the model config and the state dict it stores what the encoder needs to be
rebuilt with no download and no pretrained file (``encoder_architecture``: the full HF config of a wav2vec2
encoder), so inference works on a machine that has only the checkpoint.
"""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from sqe.models.lssqa import LSSQAModel, ModelConf
from sqe.utils.atomic import atomic_path
from sqe.utils.config import ConfigError, from_dict, to_dict
from sqe.utils.errors import SqeError

FORMAT = "sqe-lssqa-1"


def save_checkpoint(path: str | Path, model: LSSQAModel, **state: Any) -> None:
    payload = {"format": FORMAT, "model_conf": to_dict(model.conf), "model": model.state_dict(),
               "encoder_architecture": model.encoder.architecture(), **state}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    if not Path(path).is_file():
        raise SqeError(f"cannot read checkpoint {path}: no such file")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; anything else is damaged or foreign
        raise SqeError(f"cannot read checkpoint {path}: not a torch checkpoint (zip) file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        lines = [line.strip() for line in str(err).splitlines() if "GLOBAL" in line or "Unsupported" in line]
        raise SqeError(f"refusing checkpoint {path}: it holds objects other than tensors and plain data, which "
                       f"could run code when loaded ({(lines or ['weights-only load failed'])[0][:200]})") from None
    except Exception as err:  # OSError, EOFError, RuntimeError: all mean unreadable
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
    """A model as stored in a checkpoint (its own architecture config), in eval mode. Checkpoints written before
    ``encoder_architecture`` existed rebuild their encoder from its pretrained source instead."""
    payload = read_checkpoint(path)
    try:
        conf = from_dict(ModelConf, payload["model_conf"])
    except ConfigError as err:
        raise SqeError(f"{path}: unusable model config: {err}") from None
    model = LSSQAModel(conf, payload.get("encoder_architecture"))
    model.load_state_dict(payload["model"])
    return model.to(device).eval()
