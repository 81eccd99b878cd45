"""The package's import layers: a module imports only from its own layer or lower ones (issue 14). Lazy imports
inside functions count too: a lower layer must not reach up at run time either."""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import REPO

# lowest first; a package may import from any package of its own or an earlier layer
LAYERS = [
    {"utils"},
    {"audio"},
    {"data", "dispatch"},
    {"simulate", "speech", "metrics"},
    {"corpora", "models", "losses"},
    {"mixup", "infer"},
    {"train", "eval", "package"},
    {"analyze"},
    {"search", "monitor"},
    {"bin"},
]
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sqe."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[1] for a in node.names if a.name.startswith("sqe.")}
    return names


def test_every_package_has_a_layer():
    packages = {p.name for p in (REPO / "sqe").iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(RANK), sorted(packages ^ set(RANK))


def test_no_module_imports_a_higher_layer():
    upward = []
    for path in sorted((REPO / "sqe").rglob("*.py")):
        rel = path.relative_to(REPO / "sqe")
        if len(rel.parts) < 2:
            continue
        own = rel.parts[0]
        for pkg in imported_packages(path):
            if pkg in RANK and RANK[pkg] > RANK[own]:
                upward.append(f"sqe/{rel} imports sqe.{pkg}")
    assert not upward, "\n".join(upward)


# Issue 24, "The house": signal and scoring code that the training data, the evaluation and the analysis all use
# lives below all three (speech flags in sqe/audio/speech.py, the detection score in sqe/infer/scores.py), so
# these never reach sideways into the training data or the evaluation, although the layers would allow it.
NOT_IMPORTED = {"analyze": {"mixup", "eval", "train", "corpora"}, "search": {"mixup", "eval", "train", "corpora"},
                "monitor": {"mixup", "eval", "train", "corpora"}, "infer": {"mixup"}}


def test_the_analysis_reaches_only_down():
    wrong = [f"{p.relative_to(REPO)} imports sqe.{pkg}" for own, banned in NOT_IMPORTED.items()
             for p in sorted((REPO / "sqe" / own).rglob("*.py")) for pkg in sorted(imported_packages(p) & banned)]
    assert not wrong, "\n".join(wrong)


def test_lazy_imports_are_seen(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import numpy\nfrom sqe.audio.io import x\n\ndef f():\n    from sqe.mixup.vad import y\n")
    assert imported_packages(module) == {"audio", "mixup"}


def test_nothing_below_train_imports_train():
    below = [p for p in (REPO / "sqe").rglob("*.py") if p.relative_to(REPO / "sqe").parts[0] not in ("train", "bin")]
    offenders = [str(p.relative_to(REPO)) for p in below if "train" in imported_packages(p)]
    assert not offenders, offenders


def test_the_sample_rate_and_the_ignore_label_are_defined_once():
    """16000 lives in sqe/audio/io.py (TARGET_SR) and -100 in sqe/data/labels.py (IGNORE): no other module
    writes either number (docstrings and comments aside)."""
    owners = {16000: REPO / "sqe" / "audio" / "io.py", -100: REPO / "sqe" / "data" / "labels.py"}
    found = []
    for path in sorted((REPO / "sqe").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            value = None
            if isinstance(node, ast.Constant) and type(node.value) is int:
                value = node.value
            elif (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
                  and isinstance(node.operand, ast.Constant) and type(node.operand.value) is int):
                value = -node.operand.value
            if value in owners and path != owners[value]:
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {value}")
    assert not found, found
