"""A wheel built from the checkout carries the package's data files: the report page's HTML, CSS and JS and the
vendored speech (a non-editable install would otherwise fail at run time, not at install)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from conftest import REPO


def test_the_wheel_holds_every_data_file(tmp_path):
    src = tmp_path / "src"  # a clean copy: a build/ folder left in the checkout would hide what setup.py misses
    shutil.copytree(REPO / "sqe", src / "sqe", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "setup.py", src)
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                          "-w", str(tmp_path), str(src)], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    wheel, = tmp_path.glob("sqe-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = [p.relative_to(REPO).as_posix() for folder in ("sqe/analyze/report_page", "sqe/speech")
              for p in (REPO / folder).rglob("*") if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert any(w.endswith(".flac") for w in wanted) and "sqe/analyze/report_page/report.js" in wanted
    assert sorted(set(wanted) - names) == []
