"""NISQA-like degradation simulator (``DEGRADATIONS``), conditions of 1-3 tokens, LibriAugmented-style
impairments, generated background noises and PESQ labels.

Tokens follow the project's NISQA token map; a class is ``'+'.join(sorted(tokens))``.
"""
from sqe.simulate import additive, codecs, distortions, filters  # noqa: F401  (register the tokens)
from sqe.simulate.base import DEGRADATIONS, Context, Degradation, Param, SimulationError, resolve_ranges

__all__ = ["DEGRADATIONS", "Context", "Degradation", "Param", "SimulationError", "resolve_ranges"]
