"""The local launcher end to end through utils/run.py (the executable recipes call)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import REPO

from sqe.dispatch.task import ended_code

RUN = [sys.executable, str(REPO / "utils" / "run.py")]


def launch(*args, env=None, **kw):
    return subprocess.run([*RUN, *map(str, args)], capture_output=True, text=True, env=env, timeout=120, **kw)


def test_job_array_writes_framed_logs(tmp_path):
    res = launch("JOB=1:3", tmp_path / "log" / "t.JOB.log", "echo", "task", "JOB", ">", tmp_path / "out.JOB")
    assert res.returncode == 0, res.stderr
    for i in (1, 2, 3):
        assert (tmp_path / f"out.{i}").read_text() == f"task {i}\n"
        lines = (tmp_path / "log" / f"t.{i}.log").read_text().splitlines()
        assert lines[0] == f"# echo task {i} > {tmp_path}/out.{i}"
        assert lines[1].startswith("# Started at ")
        assert lines[-2].startswith("# Accounting: time=")
        assert lines[-1].startswith("# Ended (code 0) at ")


def test_failing_task_fails_the_job_and_shows_its_log(tmp_path):
    res = launch("JOB=1:3", tmp_path / "t.JOB.log", "echo out-JOB; [ JOB != 2 ] || { echo boom >&2; exit 7; }")
    assert res.returncode == 1
    assert f"1 / 3 failed, log is in {tmp_path}/t.*.log" in res.stderr
    assert "boom" in res.stderr and "# Ended (code 7)" in res.stderr
    assert [ended_code(tmp_path / f"t.{i}.log") for i in (1, 2, 3)] == [0, 7, 0]

    rerun = launch("--pick", "failed", "JOB=1:3", tmp_path / "t.JOB.log", "echo again-JOB")
    assert rerun.returncode == 0
    assert "again-2" in (tmp_path / "t.2.log").read_text()
    assert "out-1" in (tmp_path / "t.1.log").read_text()  # finished task left alone


def test_single_job_failure_message(tmp_path):
    res = launch(tmp_path / "one.log", "false")
    assert res.returncode == 1 and f"job failed, log is in {tmp_path}/one.log" in res.stderr


def test_max_jobs_run_limits_parallelism(tmp_path):
    # Each task waits (up to 5 s) until two tasks have started: succeeds only if both run at once.
    barrier = (f"touch {tmp_path}/started.JOB; for i in $(seq 100); do "
               f"[ $(ls {tmp_path}/started.* | wc -l) -ge 2 ] && exit 0; sleep 0.05; done; exit 1")
    assert launch("--max_jobs_run", "2", "JOB=1:2", tmp_path / "a.JOB.log", barrier).returncode == 0
    for f in tmp_path.glob("started.*"):
        f.unlink()
    serial = launch("--max_jobs_run", "1", "JOB=1:2", tmp_path / "b.JOB.log", barrier)
    assert serial.returncode == 1 and "1 / 2 failed" in serial.stderr


def test_gpu_slices_and_hidden_gpus(tmp_path):
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="0,1,2,3")
    res = launch("--gpu", "2", "JOB=1:2", tmp_path / "g.JOB.log", "echo dev=$CUDA_VISIBLE_DEVICES", env=env)
    assert res.returncode == 0, res.stderr
    seen = {line for i in (1, 2) for line in (tmp_path / f"g.{i}.log").read_text().splitlines()
            if line.startswith("dev=")}
    assert seen == {"dev=0,1", "dev=2,3"}
    launch(tmp_path / "n.log", "echo dev=[$CUDA_VISIBLE_DEVICES]", env=env)
    assert "dev=[]" in (tmp_path / "n.log").read_text()
    too_many = launch("--gpu", "5", tmp_path / "x.log", "true", env=env)
    assert too_many.returncode == 2 and "--gpu 5 requested but 4 GPU(s) visible" in too_many.stderr


def test_num_threads_sets_thread_variables(tmp_path):
    launch("--num_threads", "3", tmp_path / "t.log", "echo omp=$OMP_NUM_THREADS")
    assert "omp=3" in (tmp_path / "t.log").read_text()


def test_bad_usage_exits_2(tmp_path):
    res = launch("--backend", "nope", tmp_path / "x.log", "true")
    assert res.returncode == 2 and "unknown backend 'nope'" in res.stderr
    assert launch("--bogus", "1", tmp_path / "x.log", "true").returncode == 2
    assert launch("--help").returncode == 0


def test_sigterm_stops_running_tasks(tmp_path):
    proc = subprocess.Popen([*RUN, "JOB=1:2", str(tmp_path / "s.JOB.log"), "sleep 60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(100):  # wait until both tasks have started
        if all((tmp_path / f"s.{i}.log").exists() for i in (1, 2)):
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130 and "interrupted" in err
    for i in (1, 2):
        text = (tmp_path / f"s.{i}.log").read_text()
        assert "# Ended (code 143; signal 15)" in text
