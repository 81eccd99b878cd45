"""The package reaches only down: general signal and scoring code lives below the training data, the evaluation
and the analysis that all use it (issue 24, "The house": the analysis had reached up into mixup/ for rVAD and
mask dilation and into eval/ for the cosine detection score)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import REPO

# what each lower package must never import (at module level or inside a function)
FORBIDDEN = {
    "audio": {"mixup", "eval", "analyze", "search", "package", "train", "infer", "corpora"},
    "metrics": {"mixup", "eval", "analyze", "search", "package", "train", "corpora"},
    "infer": {"mixup", "eval", "analyze", "search", "package", "train", "corpora"},
    "analyze": {"mixup", "eval", "train", "corpora", "search"},
    "search": {"mixup", "eval", "train", "corpora"},
}


def sqe_imports(path: Path) -> set[str]:
    """The sqe subpackages a module imports (``sqe.x.y`` -> ``x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
            [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
        found |= {n.split(".")[1] for n in names if n.startswith("sqe.") and n.count(".") >= 1}
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_packages_do_not_import_upper_ones(package):
    wrong = {str(p.relative_to(REPO)): sorted(sqe_imports(p) & FORBIDDEN[package])
             for p in sorted((REPO / "sqe" / package).rglob("*.py"))}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_the_import_scan_sees_function_level_imports(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import numpy\nfrom sqe.audio.io import x\n\ndef f():\n    from sqe.mixup.vad import y\n")
    assert sqe_imports(module) == {"audio", "mixup"}
