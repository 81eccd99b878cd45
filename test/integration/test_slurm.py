"""The Slurm backend against a real single-node cluster (started here): a JOB array, a GPU request on fake GPUs,
failure and cancellation. Recipe stages through it: test_mini_recipe.py (training, rVAD arrays) and
test_paper_recipes.py (egs/nisqa's teacher and mix-up stages)."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from conftest import REPO

from sqe.dispatch.slurm import DEFAULT_CONF, parse_conf, sbatch_flags
from sqe.dispatch.spec import LaunchError, parse_args

RUN = [sys.executable, str(REPO / "utils" / "run.py"), "--backend", "slurm"]

pytestmark = pytest.mark.slurm


def launch(cluster, *args, cwd, timeout=180):
    return subprocess.run([*RUN, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=cluster.env,
                          timeout=timeout)


def test_option_mapping_without_a_cluster():
    conf = parse_conf(DEFAULT_CONF + "option constraint=* --constraint $0\n", "test.conf")
    spec = parse_args(["--mem", "4G", "--gpu", "2", "--num_threads", "1", "--constraint", "a100", "l.log", "true"],
                      tuple(conf.options))
    assert sbatch_flags(spec, conf) == ["--gres=gpu:2", "--mem", "4G", "--constraint", "a100"]
    assert sbatch_flags(parse_args(["l.log", "true"], tuple(conf.options)), conf) == []  # default gpu=0: nothing
    with pytest.raises(LaunchError, match="--mem is not described|not described in test.conf"):
        sbatch_flags(parse_args(["--mem", "4G", "l.log", "true"]), parse_conf("command sbatch\n", "test.conf"))
    with pytest.raises(LaunchError, match="test.conf:2: cannot parse"):
        parse_conf("command sbatch\nbogus line\n", "test.conf")


def test_array_with_a_failing_task(cluster, tmp_path):
    res = launch(cluster, "JOB=1:3", tmp_path / "log" / "t.JOB.log",
                 "echo task JOB; [ JOB != 2 ] || { echo boom >&2; exit 7; }", cwd=tmp_path)
    assert res.returncode == 1
    assert f"1 / 3 failed, log is in {tmp_path}/log/t.*.log" in res.stderr and "boom" in res.stderr
    for i in (1, 3):
        text = (tmp_path / "log" / f"t.{i}.log").read_text()
        assert f"task {i}" in text and "slurm_job=" in text and "# Ended (code 0)" in text
    assert list((tmp_path / "log" / "q").glob("*.sh"))  # the job script is kept for inspection


def test_gpu_request_on_fake_gpus_and_impossible_requests(cluster, tmp_path):
    res = launch(cluster, "--gpu", "1", tmp_path / "g.log", "echo dev=$CUDA_VISIBLE_DEVICES", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "dev=0" in (tmp_path / "g.log").read_text()
    res = launch(cluster, "--gpu", "5", tmp_path / "x.log", "true", cwd=tmp_path)
    assert res.returncode == 2 and "sbatch" in res.stderr  # rejected at once (EnforcePartLimits)
    res = launch(cluster, "--foo", "1", tmp_path / "x.log", "true", cwd=tmp_path)
    assert res.returncode == 2 and "unknown option --foo" in res.stderr


def test_cancelled_job_fails_quickly(cluster, tmp_path):
    proc = subprocess.Popen([*RUN, str(tmp_path / "s.log"), "sleep 100"], cwd=tmp_path, env=cluster.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(100):
        out = subprocess.run(["squeue", "-h", "-o", "%i %T"], capture_output=True, text=True, env=cluster.env)
        if "RUNNING" in out.stdout:
            break
        time.sleep(0.2)
    job = out.stdout.split()[0]
    start = time.monotonic()
    subprocess.run(["scancel", job], env=cluster.env, check=True)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and time.monotonic() - start < 30
    assert "job failed" in err and "CANCELLED" in (tmp_path / "s.log").read_text()
