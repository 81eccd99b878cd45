"""utils/stage_lib.sh: stage gating, input checks that name the producing stage, run_stage."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO

PRELUDE = """
set -euo pipefail
export PATH={bindir}:$PATH
stage={stage}; stop_stage={stop}; skip_stages="{skip}"
. {repo}/utils/stage_lib.sh
"""


def bash(body: str, stage=1, stop=100, skip="", cwd=None):
    script = PRELUDE.format(repo=REPO, stage=stage, stop=stop, skip=skip, bindir=sys.executable.rsplit("/", 1)[0])
    return subprocess.run(["bash", "-c", script + body, "run.sh"], capture_output=True, text=True, cwd=cwd)


GATES = """
for n in 1 2 3 4; do
  if stage_on $n "step $n"; then echo ran $n; fi
done
"""


def test_stage_range_and_skip_stages():
    res = bash(GATES, stage=2, stop=4, skip="3")
    assert res.stdout.split("\n")[:-1] == ["ran 2", "ran 4"]
    assert "Stage 3: step 3 (skipped: listed in skip_stages)" in res.stderr
    assert "Stage 1" not in res.stderr


def test_require_names_the_producing_stage(tmp_path):
    res = bash('stage_on 1 "make data" || true; stage_on 2 "train" || true; require 1 data/wav.scp; echo unreachable',
               stage=2, stop=2, cwd=tmp_path)
    assert res.returncode == 1 and "unreachable" not in res.stdout
    assert "stage 2 needs data/wav.scp" in res.stderr
    assert "stage 1 (make data) makes it; run: run.sh --stage 1 --stop_stage 2" in res.stderr
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "wav.scp").write_text("")
    ok = bash('stage_on 2 "train" || true; require 1 data/wav.scp; echo fine', stage=2, stop=2, cwd=tmp_path)
    assert ok.returncode == 0 and "fine" in ok.stdout


def test_run_stage_logs_replays_and_fails_loudly(tmp_path):
    launcher = f"{REPO}/utils/run.py"
    body = f'stage_on 1 "validate" && run_stage "{launcher}" exp/log/validate.log sqe.bin.validate_data --progress false data'
    (tmp_path / "data").mkdir()
    res = bash(body, cwd=tmp_path)
    assert res.returncode == 1
    assert "stage 1 failed; log: exp/log/validate.log" in res.stderr
    assert "job failed" in res.stderr  # the launcher's tail of the log
    replay = (tmp_path / "exp" / "log" / "validate.cmd").read_text()
    assert "python -m sqe.bin.validate_data --progress false data" in replay
    assert replay.startswith("#!/usr/bin/env bash\n# Replays stage 1 (validate)")


def test_contrastive_models_and_cross_detector():
    res = bash('mapfile -t m < <(contrastive_models "baseline sup2 con1 con2"); echo "${#m[@]} ${m[*]}"\n'
               'mapfile -t d < <(cross_detector con2 "sup2 con1 con2" exp test_mixup val_ref); printf "%s|" "${d[@]}"; echo\n'
               'mapfile -t d < <(cross_detector con2 "con2" exp test_mixup val_ref); echo "${#d[@]}"\n'
               'mapfile -t d < <(cross_detector con1 "con1 con2" exp test_mixup val_ref); echo "${#d[@]}"\n'
               'mapfile -t m < <(contrastive_models "sup1 sup2"); echo "${#m[@]}"')
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("\n")[:-1] == [
        "2 con1 con2",
        "--detector|exp/con1/infer/test_mixup|exp/con1/enroll/val_ref|exp/con1/results/test_mixup/metrics.json|",
        "0", "0", "0"]
