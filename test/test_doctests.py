"""The ``>>>`` examples in the package's docstrings are true."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import sqe

MODULES = sorted(m.name for m in pkgutil.walk_packages(sqe.__path__, "sqe.") if not m.name.startswith("sqe.bin."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
