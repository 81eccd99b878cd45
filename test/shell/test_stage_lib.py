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


FAKE_LAUNCHER = """#!/usr/bin/env bash
# records when each job starts and ends in events.txt; a job whose arguments mention "fail" fails
logf=$1; shift
mkdir -p "$(dirname "$logf")"
name=$(basename "$(dirname "$(dirname "$logf")")")  # exp/NAME/log/job.log
echo "start $name" >> events.txt
sleep 0.6
echo "end $name" >> events.txt
[[ "$*" != *fail* ]]
"""


def _parallel(tmp_path, max_jobs: int, jobs: str):
    launcher = tmp_path / "launch.sh"
    launcher.write_text(FAKE_LAUNCHER)
    launcher.chmod(0o755)
    body = (f'max_jobs={max_jobs}\nstage_on 1 "parallel"\n'
            + "".join(f'run_stage_bg {launcher} exp/{j}/log/job.log sqe.bin.{j} --mode {j}\n' for j in jobs.split())
            + "wait_stages\necho all done\n")
    res = bash(body, cwd=tmp_path)
    return res, (tmp_path / "events.txt").read_text().splitlines()


def test_run_stage_bg_runs_at_most_max_jobs_at_once(tmp_path):
    res, events = _parallel(tmp_path, 2, "a b c")
    assert res.returncode == 0 and "all done" in res.stdout, res.stderr
    assert events.index("start b") < events.index("end a")  # two at once
    assert events.index("start c") > events.index("end a")  # the third waits for the oldest
    assert sorted(events) == sorted(f"{e} {j}" for j in "abc" for e in ("start", "end"))


def test_run_stage_bg_with_one_job_is_sequential(tmp_path):
    res, events = _parallel(tmp_path, 1, "a b")
    assert res.returncode == 0, res.stderr
    assert events == ["start a", "end a", "start b", "end b"]


def test_wait_stages_fails_when_one_job_failed_after_all_ended(tmp_path):
    res, events = _parallel(tmp_path, 2, "a fail c")
    assert res.returncode == 1 and "all done" not in res.stdout
    assert "stage 1 failed; log: exp/fail/log/job.log" in res.stderr
    assert "stage 1: a parallel job failed" in res.stderr
    assert "end c" in events  # the other jobs were not abandoned


def test_a_failed_require_lets_the_started_jobs_end_first(tmp_path):
    launcher = tmp_path / "launch.sh"
    launcher.write_text(FAKE_LAUNCHER)
    launcher.chmod(0o755)
    body = (f'max_jobs=2\nstage_on 1 "parallel"\nrun_stage_bg {launcher} exp/a/log/job.log sqe.bin.a\n'
            'require 1 missing.scp\necho unreachable\n')
    res = bash(body, cwd=tmp_path)
    assert res.returncode == 1 and "unreachable" not in res.stdout
    assert "stage 1 needs missing.scp" in res.stderr and "waiting for the 1 job(s) of stage 1" in res.stderr
    assert (tmp_path / "events.txt").read_text().splitlines() == ["start a", "end a"]  # ended before run.sh did
