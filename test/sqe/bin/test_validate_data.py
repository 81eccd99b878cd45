"""The validate_data command line: exit status, located messages, --fix."""
import subprocess
import sys

from conftest import REPO


def run(*args):
    return subprocess.run([sys.executable, "-m", "sqe.bin.validate_data", "--progress", "false", *map(str, args)],
                          capture_output=True, text=True, cwd=REPO)


def test_ok_and_problem_exit_status(data_dir):
    ok = run(data_dir)
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stderr
    (data_dir / "utt2mos").write_text("utt1 3\nutt2 3\nutt3 bad\nutt4 3\n")
    bad = run(data_dir)
    assert bad.returncode == 1
    assert f"{data_dir}/utt2mos:3: key 'utt3': not a number: 'bad'" in bad.stdout
    assert "1 problem(s)" in bad.stderr


def test_fix_flag(data_dir):
    (data_dir / "utt2cls").write_text("utt2 wbgn\nutt1 clean\nutt3 wbgn\nutt4 wbgn\n")
    fixed = run("--fix", data_dir)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert (data_dir / "utt2cls").read_text().startswith("utt1 clean\nutt2 wbgn\n")
    assert list((data_dir / ".backup").iterdir())


def test_unknown_config_key_is_a_usage_error(data_dir):
    res = run("--set", "audoi=full", data_dir)
    assert res.returncode == 2 and "unknown key 'audoi'" in res.stderr
