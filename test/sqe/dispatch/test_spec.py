import pytest

from sqe.dispatch.spec import LaunchError, join_command, parse_args


def test_options_range_log_and_command():
    spec = parse_args(["--mem", "4G", "JOB=2:4", "--gpu", "1", "exp/x.JOB.log", "python", "-m", "m", "--k", "JOB"])
    assert spec.options == {"mem": "4G", "gpu": "1"}
    assert (spec.var, spec.tasks, spec.log) == ("JOB", [2, 3, 4], "exp/x.JOB.log")
    assert spec.command_for(3) == "python -m m --k 3"
    assert spec.log_pattern() == "exp/x.*.log"


def test_single_task_range_and_no_range():
    assert parse_args(["JOB=3", "l.JOB.log", "true"]).tasks == [3]
    spec = parse_args(["l.log", "echo", "JOB"])
    assert spec.tasks == [1] and not spec.is_array and spec.command_for(1) == "echo JOB"


def test_whole_token_substitution():
    spec = parse_args(["JOB=1:2", "log/JOB/x.JOB.log", "echo", "JOBS", "MYJOB", "feats_JOB.ark", "split2/JOB",
                       "JOB1", "x=JOB"])
    assert spec.command_for(2) == "echo JOBS MYJOB feats_2.ark split2/2 JOB1 x=2"
    assert spec.log_for(2) == "log/2/x.2.log"


def test_run_pl_quoting():
    assert join_command(["echo", "a b", "|", "tr", "a-z", "A-Z"]) == 'echo "a b" | tr a-z A-Z'
    assert join_command(["echo", 'say "hi" now', ""]) == "echo 'say \"hi\" now' \"\""
    assert join_command(["echo", "it's a \"q\""]) == "echo 'it'\\''s a \"q\"'"


@pytest.mark.parametrize("argv, message", [
    (["--foo", "1", "l.log", "true"], "unknown option --foo"),
    (["JOB=1:3", "l.log", "true"], "does not contain JOB"),
    (["JOB=0:3", "l.JOB.log", "true"], "1 <= START <= END"),
    (["JOB=3:1", "l.JOB.log", "true"], "1 <= START <= END"),
    (["JOB=a:b", "l.JOB.log", "true"], "suspicious first argument"),
    (["l.log"], "usage"),
    (["--gpu"], "needs a value"),
    (["--pick", "some", "l.log", "true"], "--pick must be"),
])
def test_bad_command_lines(argv, message):
    with pytest.raises(LaunchError, match=message):
        parse_args(argv)


def test_aliases():
    spec = parse_args(["--num-threads", "2", "-tc", "3", "--max-jobs-run", "2", "l.log", "true"])
    assert spec.options == {"num_threads": "2", "max_jobs_run": "2"}
