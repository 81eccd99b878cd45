"""A content-addressed cache of frozen encoder features, so a fixed utterance is encoded once per recipe.

The key is a hash of the exact samples given to the frozen front end (and of the front end's identity), and
features are computed one utterance at a time, so a cached feature is bit-identical to a recomputed one: the
cache changes speed, never results. Entries are ``.npy`` files under ``ROOT/<tag>/<2 hex>/<hash>.npy``,
written atomically (concurrent jobs may share a root); a bounded in-memory layer serves repeated reads
within one process (training epochs).

The recipes set the root with the environment variable ``SQE_FEATURE_CACHE`` (egs/mini: ``dump/feature_cache``);
unset, nothing is cached on disk.

    >>> import tempfile, torch
    >>> cache = FeatureCache(tempfile.mkdtemp(), "demo")
    >>> key = cache.key_of(torch.ones(5))
    >>> cache.get(key) is None
    True
    >>> cache.put(key, torch.arange(6.0).reshape(3, 2))
    >>> cache.get(key).tolist(), cache.stats["miss"], cache.stats["hit"]
    ([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], 1, 1)
"""
from __future__ import annotations

import hashlib
import os
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from sqe.utils.atomic import atomic_path

ENV = "SQE_FEATURE_CACHE"
# int16 views carry bf16 tensors through numpy, which has no bf16 type
_VIEWS = {torch.bfloat16: torch.int16, torch.float16: torch.int16}
_DTYPE_TAGS = {torch.bfloat16: "bf16", torch.float16: "f16", torch.float32: "f32"}
_TAG_DTYPES = {v: k for k, v in _DTYPE_TAGS.items()}


class FeatureCache:
    def __init__(self, root: str | os.PathLike | None, tag: str, max_memory_mb: float = 2048.0):
        self.dir = Path(root) / tag if root else None
        self.tag = tag
        self.max_memory = int(max_memory_mb * 2**20)
        self.memory: dict[str, torch.Tensor] = {}
        self.memory_bytes = 0
        self.stats: Counter[str] = Counter()

    @classmethod
    def from_env(cls, tag: str) -> "FeatureCache":
        """The on-disk cache named by ``$SQE_FEATURE_CACHE``, or a memory-only one."""
        return cls(os.environ.get(ENV) or None, tag)

    @staticmethod
    def key_of(samples: torch.Tensor) -> str:
        data = samples.detach().to("cpu", torch.float32).contiguous().numpy()
        return hashlib.sha1(data.tobytes()).hexdigest() + f"-{data.size}"

    def _path(self, key: str, dtype_tag: str) -> Path:
        assert self.dir is not None
        return self.dir / key[:2] / f"{key}.{dtype_tag}.npy"

    def get(self, key: str) -> torch.Tensor | None:
        hit = self.memory.get(key)
        if hit is None and self.dir is not None:
            for dtype_tag, dtype in _TAG_DTYPES.items():
                path = self._path(key, dtype_tag)
                if path.is_file():
                    try:
                        array = np.load(path)
                    except (OSError, ValueError):  # a damaged entry is recomputed and rewritten
                        break
                    tensor = torch.from_numpy(array)
                    hit = tensor.view(dtype) if dtype in _VIEWS else tensor
                    self._remember(key, hit)
                    break
        self.stats["hit" if hit is not None else "miss"] += 1
        return hit

    def put(self, key: str, value: torch.Tensor) -> None:
        value = value.detach().to("cpu").contiguous()
        self._remember(key, value)
        if self.dir is None:
            return
        path = self._path(key, _DTYPE_TAGS[value.dtype])
        if path.is_file():
            return
        array = (value.view(_VIEWS[value.dtype]) if value.dtype in _VIEWS else value).numpy()
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.save(f, array)

    def _remember(self, key: str, value: torch.Tensor) -> None:
        size = value.numel() * value.element_size()
        if key not in self.memory and self.memory_bytes + size <= self.max_memory:
            self.memory[key] = value
            self.memory_bytes += size
