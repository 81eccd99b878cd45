"""Conditions of one to three degradation tokens, drawn and rendered as the NISQA generator does:
distortions in random order, then at most one codec; at most one filter.

    >>> import numpy as np
    >>> from sqe.simulate import resolve_ranges
    >>> sampler = ConditionSampler(resolve_ranges(["clip", "lpf", "hpf"], {}), [1.0, 0.0, 0.0])
    >>> sorted(sampler.draw(np.random.default_rng(i)).cls for i in range(3))   # singles cycle through tokens
    ['clip', 'hpf', 'lpf']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from sqe.simulate.base import DEGRADATIONS, Context, Param, SimulationError


def class_name(tokens: Sequence[str]) -> str:
    """The class string of a set of tokens: sorted, joined by '+'; 'clean' for none."""
    return "+".join(sorted(set(tokens))) or "clean"


@dataclass
class Condition:
    order: list[str]  # application order: distortions, then the codec
    params: dict[str, dict[str, Any]]

    @property
    def cls(self) -> str:
        return class_name(self.order)

    def to_json(self) -> dict[str, Any]:
        return {"order": list(self.order), **{t: dict(self.params[t]) for t in self.order}}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "Condition":
        order = list(obj["order"])
        return cls(order, {t: dict(obj[t]) for t in order})


class ConditionSampler:
    """Draws conditions with ``n_tokens_probs[k]`` for k+1 tokens, keeping token counts balanced."""

    def __init__(self, ranges: dict[str, dict[str, Param]], n_tokens_probs: Sequence[float]):
        if not ranges:
            raise SimulationError("no degradation tokens to draw from")
        probs = np.asarray(n_tokens_probs, dtype=float)
        if probs.ndim != 1 or probs.size == 0 or (probs < 0).any() or probs.sum() <= 0:
            raise SimulationError(f"n_tokens_probs must be non-negative with a positive sum, got {list(n_tokens_probs)}")
        self.ranges = ranges
        self.probs = probs / probs.sum()
        self.counts = {t: 0 for t in sorted(ranges)}

    def _pick(self, rng: np.random.Generator, n: int) -> list[str]:
        chosen: list[str] = []
        groups: set[str] = set()
        for _ in range(n):
            allowed = [t for t in self.counts if t not in chosen and DEGRADATIONS[t].group not in groups]
            if not allowed:
                break
            least = min(self.counts[t] for t in allowed)
            candidates = [t for t in allowed if self.counts[t] == least]
            token = candidates[int(rng.integers(len(candidates)))]
            chosen.append(token)
            if DEGRADATIONS[token].group:
                groups.add(DEGRADATIONS[token].group)
        for t in chosen:
            self.counts[t] += 1
        return chosen

    def draw(self, rng: np.random.Generator, babble_pool: Sequence[str] = (), exclude: str | None = None) -> Condition:
        n = int(rng.choice(len(self.probs), p=self.probs)) + 1
        tokens = self._pick(rng, n)
        distortions = [t for t in tokens if not DEGRADATIONS[t].is_codec]
        codecs = [t for t in tokens if DEGRADATIONS[t].is_codec]
        order = [distortions[i] for i in rng.permutation(len(distortions))] + codecs
        params = {t: DEGRADATIONS[t].draw(rng, self.ranges[t]) for t in order}
        bgn = params.get("bgn")
        if bgn is not None and bgn["type"] == "babble":
            pool = [u for u in babble_pool if u != exclude]
            if len(pool) < 1:
                bgn["type"] = "pink"  # no other utterances to make babble from (tiny corpora)
            else:
                k = min(bgn["num_talkers"], len(pool))
                bgn["sources"] = sorted(pool[i] for i in rng.choice(len(pool), size=k, replace=False))
        return Condition(order, params)


def render(x: np.ndarray, condition: Condition, ctx: Context | None = None) -> np.ndarray:
    """Apply the condition's tokens in order; the result is float32, finite and as long as ``x``."""
    ctx = ctx or Context()
    y = np.asarray(x, dtype=np.float32)
    for token in condition.order:
        y = DEGRADATIONS[token].apply(y, condition.params[token], ctx)
        if y.shape != x.shape:
            raise SimulationError(f"{token} changed the length from {x.size} to {y.size} samples")
    if not np.isfinite(y).all():
        raise SimulationError(f"condition {condition.cls} produced NaN/Inf samples")
    return y.astype(np.float32)
