"""utils/parse_options.sh: the Kaldi semantics users rely on."""
from __future__ import annotations

import subprocess

import pytest
from conftest import REPO

SCRIPT = """
stage=1; stop_stage=100; use_gpu=false; nj=4; cmd_backend=""; skip_stages=""
help_message="Usage: demo [--stage N]"
. {repo}/utils/parse_options.sh
echo "stage=$stage stop_stage=$stop_stage use_gpu=$use_gpu nj=$nj backend=[$cmd_backend] skip=[$skip_stages] rest=[$*]"
"""


def parse(*args: str, cwd=None):
    return subprocess.run(["bash", "-c", SCRIPT.format(repo=REPO), "demo", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.mark.parametrize("args, expect", [
    (["--stage", "3", "--stop-stage", "6", "a", "b"], "stage=3 stop_stage=6 use_gpu=false nj=4 backend=[] skip=[] rest=[a b]"),
    (["--stop_stage", "6"], "stage=1 stop_stage=6"),
    (["--use-gpu", "true"], "use_gpu=true"),
    (["--cmd_backend", "slurm --x y"], "backend=[slurm --x y]"),
    (["--skip_stages", ""], "skip=[]"),
    (["a", "--stage", "5"], "stage=1 stop_stage=100 use_gpu=false nj=4 backend=[] skip=[] rest=[a --stage 5]"),
])
def test_accepted(args, expect):
    res = parse(*args)
    assert res.returncode == 0, res.stderr
    assert expect in res.stdout


@pytest.mark.parametrize("args, message", [
    (["--bogus", "1"], "invalid option --bogus"),
    (["--use-gpu", "yes"], 'expects "true" or "false"'),
    (["--use-gpu"], "needs a value"),
    (["--stage=3"], "must be given as '--name value'"),
    (["--config", "conf/x.yaml"], "takes a shell file"),
    (["--config", "nope.conf"], "no such file"),
])
def test_rejected(args, message):
    res = parse(*args)
    assert res.returncode == 1
    assert message in res.stderr
    assert "stage=" not in res.stdout


def test_help_prints_usage_and_exits_zero():
    res = parse("--stage", "2", "--help")
    assert res.returncode == 0 and res.stdout.strip() == "Usage: demo [--stage N]"


def test_config_files_are_read_first_and_options_override(tmp_path):
    (tmp_path / "opts.conf").write_text("nj=8\nstage=2\n")
    res = parse("--nj", "2", "--config", "opts.conf", cwd=tmp_path)
    assert "stage=2" in res.stdout and "nj=2" in res.stdout
