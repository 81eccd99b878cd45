"""The suite's own layout: pytest imports test modules by basename (rootdir mode, no __init__.py files), so a
second module of the same name anywhere under test/ stops the whole collection ("import file mismatch")."""
from __future__ import annotations

from collections import Counter

from conftest import REPO


def test_every_module_under_test_has_its_own_basename():
    names = Counter(p.name for p in (REPO / "test").rglob("*.py") if "__pycache__" not in p.parts)
    assert not [n for n, k in names.items() if k > 1], sorted(n for n, k in names.items() if k > 1)
