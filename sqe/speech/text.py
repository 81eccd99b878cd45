"""The project's own sentence list (``sentences.txt``, 640 sentences written for sqe) and its seeded
partition into disjoint text pools, one per split.

    >>> pools = partition([f"s{i}" for i in range(10)], {"train": 0.6, "test": 0.4}, seed=1)
    >>> sorted(len(p) for p in pools.values()), set(pools["train"]) & set(pools["test"])
    ([4, 6], set())
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sqe.utils.errors import SqeError

BUNDLED = Path(__file__).with_name("sentences.txt")


def load_sentences(path: str | Path | None = None) -> list[str]:
    """Non-empty, stripped lines of ``path`` (default: the bundled list); an empty list is an error."""
    path = Path(path) if path else BUNDLED
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise SqeError(f"cannot read the sentence list {path}: {err.strerror}") from None
    sentences = [s.strip() for s in lines if s.strip()]
    if not sentences:
        raise SqeError(f"the sentence list {path} is empty")
    return sentences


def partition(sentences: list[str], shares: dict[str, float], seed: int) -> dict[str, list[str]]:
    """Disjoint pools in proportion to ``shares`` (each pool gets at least one sentence)."""
    if len(sentences) < len(shares):
        raise SqeError(f"{len(sentences)} sentence(s) cannot fill {len(shares)} disjoint text pools")
    order = np.random.default_rng(seed).permutation(len(sentences))
    total = sum(shares.values())
    names = list(shares)
    counts = [max(1, int(len(sentences) * shares[n] / total)) for n in names]
    while sum(counts) > len(sentences):
        counts[int(np.argmax(counts))] -= 1
    pools, start = {}, 0
    for name, count in zip(names, counts):
        pools[name] = [sentences[i] for i in order[start:start + count]]
        start += count
    return pools
