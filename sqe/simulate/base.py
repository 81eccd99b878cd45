"""The degradation registry: every NISQA-like token of the simulator, its parameters and their ranges.

A degradation is a pure function of the signal and its drawn parameters (random streams are drawn as an
integer ``seed`` parameter), so ``utt2params`` alone reproduces every degraded file.

    >>> import numpy as np
    >>> spec = DEGRADATIONS["clip"]
    >>> params = spec.draw(np.random.default_rng(0))
    >>> 0.05 <= params["threshold"] <= 0.2
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from sqe.audio.io import TARGET_SR
from sqe.utils.errors import SqeError

SR = TARGET_SR
SEED_MAX = 2**31 - 1


class SimulationError(SqeError):
    """A degradation request that cannot be served (unknown token, bad range, missing tool)."""


@dataclass(frozen=True)
class Param:
    """One drawn parameter: uniform float in [low, high], integer in [low, high], or a choice."""

    kind: str  # "float" | "int" | "choice"
    low: float = 0.0
    high: float = 0.0
    choices: tuple = ()

    def draw(self, rng: np.random.Generator) -> Any:
        if self.kind == "float":
            return float(rng.uniform(self.low, self.high))
        if self.kind == "int":
            return int(rng.integers(int(self.low), int(self.high) + 1))
        return self.choices[int(rng.integers(len(self.choices)))]

    def with_range(self, value: Sequence[Any], where: str) -> "Param":
        """A copy with a range from the config: ``[low, high]`` or, for choices, the allowed values."""
        if self.kind == "choice":
            bad = [v for v in value if v not in self.choices]
            if not value or bad:
                raise SimulationError(f"{where}: choose from {list(self.choices)}, got {list(value)}")
            return Param("choice", choices=tuple(value))
        if len(value) != 2 or not all(isinstance(v, (int, float)) for v in value) or value[0] > value[1]:
            raise SimulationError(f"{where}: expected [low, high] with low <= high, got {list(value)}")
        return Param(self.kind, float(value[0]), float(value[1]))


@dataclass
class Context:
    """What some degradations need besides the signal: other utterances for babble."""

    sources: Callable[[str], np.ndarray] | None = None


@dataclass(frozen=True)
class Degradation:
    name: str
    apply: Callable[[np.ndarray, dict[str, Any], Context], np.ndarray]
    params: dict[str, Param] = field(default_factory=dict)
    group: str | None = None  # at most one token of a group per condition (one filter, one codec)
    is_codec: bool = False  # codecs come last, as in the NISQA generator
    available: Callable[[], str | None] = lambda: None  # None, or why it cannot run here
    doc: str = ""

    def draw(self, rng: np.random.Generator, ranges: dict[str, Param] | None = None) -> dict[str, Any]:
        params = ranges or self.params
        drawn = {name: p.draw(rng) for name, p in params.items()}
        return drawn


DEGRADATIONS: dict[str, Degradation] = {}


def register(deg: Degradation) -> Degradation:
    DEGRADATIONS[deg.name] = deg
    return deg


def seed_param() -> Param:
    return Param("int", 0, SEED_MAX)


def resolve_ranges(tokens: Sequence[str], overrides: dict[str, dict[str, list]]) -> dict[str, dict[str, Param]]:
    """The parameter ranges of ``tokens`` with config overrides applied; unknown names are errors."""
    for token in list(tokens) + list(overrides):
        if token not in DEGRADATIONS:
            raise SimulationError(f"unknown degradation '{token}' (known: {', '.join(sorted(DEGRADATIONS))})")
    ranges = {}
    for token in tokens:
        params = dict(DEGRADATIONS[token].params)
        for name, value in overrides.get(token, {}).items():
            if name not in params or name == "seed":
                known = [p for p in params if p != "seed"]
                raise SimulationError(f"ranges.{token}: unknown parameter '{name}' (known: {', '.join(known)})")
            params[name] = params[name].with_range(value, f"ranges.{token}.{name}")
        ranges[token] = params
    return ranges


def fit_length(y: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad ``y`` to ``n`` samples (codecs pad to whole frames)."""
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if y.size >= n:
        return y[:n]
    return np.pad(y, (0, n - y.size))


def power(x: np.ndarray) -> float:
    return float(np.mean(np.square(x, dtype=np.float64)))
