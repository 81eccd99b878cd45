"""tools/install.sh: cheap no-op when the environment is current; clear usage errors."""
from __future__ import annotations

import os
import subprocess

from conftest import REPO

INSTALL = REPO / "tools" / "install.sh"


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX")}
    env.update(extra)
    return env


def expected_stamp(extras="all"):
    out = subprocess.run(f"cat {REPO}/setup.py {INSTALL} | cksum | cut -d' ' -f1", shell=True,
                         capture_output=True, text=True, check=True)
    return f"{out.stdout.strip()}-{extras}"


def test_if_needed_is_a_no_op_for_a_current_environment(tmp_path):
    venv = tmp_path / "venv"
    venv.mkdir()
    (venv / ".sqe-install-stamp").write_text(expected_stamp() + "\n")
    res = subprocess.run([str(INSTALL), "--if_needed"], env=clean_env(SQE_VENV=str(venv)), capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0 and res.stderr == ""
    res = subprocess.run([str(INSTALL)], env=clean_env(SQE_VENV=str(venv)), capture_output=True, text=True)
    assert res.returncode == 0 and "is up to date" in res.stderr
    assert sorted(p.name for p in venv.iterdir()) == [".sqe-install-stamp"]  # nothing installed


def test_unknown_option_and_help():
    res = subprocess.run([str(INSTALL), "--bogus"], capture_output=True, text=True)
    assert res.returncode == 2 and "unknown option '--bogus'" in res.stderr
    res = subprocess.run([str(INSTALL), "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "SQE_TORCH" in res.stdout
