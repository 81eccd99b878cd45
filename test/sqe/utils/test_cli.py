"""The stage entry-point contract shared by every sqe.bin module."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import yaml

from sqe.utils.cli import Stage
from sqe.utils.errors import SqeError


@dataclass
class ToyConf:
    factor: int = 2
    verbose: bool = False


def make_stage():
    calls = []
    stage = Stage("toy", "A toy stage.", ToyConf)
    stage.add_argument("src")

    def run(ctx):
        calls.append(ctx.conf)
        if ctx.conf.factor < 0:
            raise SqeError("negative factor")
        text = open(ctx.args.src).read()
        (ctx.out / "result.txt").write_text(text * ctx.conf.factor)

    def main(argv):
        return stage.main(argv, run=run, inputs=lambda a, c: [a.src])

    return main, calls


@pytest.fixture
def src(tmp_path):
    p = tmp_path / "in.txt"
    p.write_text("ab")
    return p


def test_help_exits_zero(capsys):
    main, _ = make_stage()
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert "A toy stage." in capsys.readouterr().out


def test_print_conf_round_trips(tmp_path, capsys, src):
    main, calls = make_stage()
    assert main(["--print_conf", "--factor", "3", str(src), "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert yaml.safe_load(printed) == {"factor": 3, "verbose": False}
    conf = tmp_path / "c.yaml"
    conf.write_text(printed)
    assert main(["--conf", str(conf), str(src), "--out", str(tmp_path / "o")]) == 0
    assert calls[-1].factor == 3


def test_unknown_key_fails_before_any_work(tmp_path, src):
    main, calls = make_stage()
    conf = tmp_path / "c.yaml"
    conf.write_text("factr: 3\n")
    out = tmp_path / "o"
    assert main(["--conf", str(conf), str(src), "--out", str(out)]) == 2
    assert main(["--set", "nope=1", str(src), "--out", str(out)]) == 2
    assert main(["--factor", "x", str(src), "--out", str(out)]) == 2
    assert calls == [] and not out.exists()


def test_dry_run_writes_nothing_and_checks_inputs(tmp_path, src):
    main, calls = make_stage()
    out = tmp_path / "o"
    assert main(["--dry_run", str(src), "--out", str(out)]) == 0
    assert main(["--dry_run", str(tmp_path / "missing.txt"), "--out", str(out)]) == 1
    assert calls == [] and not out.exists()


def test_outputs_provenance_and_idempotence(tmp_path, src, caplog):
    main, calls = make_stage()
    out = tmp_path / "o"
    args = [str(src), "--out", str(out)]
    assert main(args) == 0
    assert (out / "result.txt").read_text() == "abab"
    assert yaml.safe_load((out / "config.yaml").read_text()) == {"factor": 2, "verbose": False}
    env = json.loads((out / "env.json").read_text())
    assert "packages" in env and "git" in env
    assert json.loads((out / ".done").read_text())["stage"] == "toy"

    assert main(args) == 0 and len(calls) == 1  # unchanged: skipped
    assert "up to date" in caplog.text
    assert main(args + ["--overwrite"]) == 0 and len(calls) == 2
    assert main(args + ["--factor", "3"]) == 0 and len(calls) == 3  # config changed
    assert (out / "result.txt").read_text() == "ababab"
    src.write_text("cd")
    assert main(args + ["--factor", "3"]) == 0 and len(calls) == 4  # input changed
    assert (out / "result.txt").read_text() == "cdcdcd"


def test_failure_exits_one_and_leaves_no_done(tmp_path, src):
    main, _ = make_stage()
    out = tmp_path / "o"
    assert main([str(src), "--out", str(out)]) == 0
    assert main([str(src), "--out", str(out), "--factor", "-1"]) == 1
    assert not (out / ".done").exists()
    assert main([str(src), "--out", str(out), "--factor", "-1"]) == 1  # never "up to date" after a failure


def test_bare_boolean_flag_does_not_swallow_the_positional(tmp_path, src):
    main, calls = make_stage()
    assert main(["--verbose", str(src), "--out", str(tmp_path / "o")]) == 0
    assert calls[-1].verbose is True
    assert main(["--verbose", "false", str(src), "--out", str(tmp_path / "o2")]) == 0
    assert calls[-1].verbose is False


def test_set_takes_several_overrides_then_stops_at_the_positional(tmp_path, src):
    main, calls = make_stage()
    assert main(["--set", "factor=4", "verbose=true", str(src), "--out", str(tmp_path / "o")]) == 0
    assert (calls[-1].factor, calls[-1].verbose) == (4, True)


def test_missing_outputs_are_rebuilt_not_skipped(tmp_path, src, caplog):
    """Issue 14 item 1: a stage skipped as "up to date" after its outputs were deleted."""
    calls = []
    stage = Stage("toy2", "Writes in --out, outside it, and has a nested stage dir and logs.", ToyConf)
    stage.add_argument("src")
    outside = tmp_path / "data" / "made_elsewhere"

    def run(ctx):
        calls.append(1)
        (ctx.out / "sub").mkdir(parents=True, exist_ok=True)
        (ctx.out / "sub" / "a.txt").write_text("a")
        (ctx.out / "log").mkdir(exist_ok=True)
        (ctx.out / "log" / "toy.log").write_text("log")
        (ctx.out / "other").mkdir(exist_ok=True)
        (ctx.out / "other" / ".done").write_text("{}")  # another stage's outputs: not this stage's
        (ctx.out / "other" / "x.txt").write_text("x")
        outside.mkdir(parents=True, exist_ok=True)
        ctx.written.append(outside)

    def main(argv):
        return stage.main(argv, run=run, inputs=lambda a, c: [a.src])

    out = tmp_path / "o"
    args = [str(src), "--out", str(out)]
    assert main(args) == 0 and len(calls) == 1
    record = json.loads((out / ".done").read_text())
    assert "sub/a.txt" in record["files"] and "config.yaml" in record["files"]
    assert not any(f.startswith(("log/", "other/")) or f == ".stamp" for f in record["files"])
    assert record["outputs"] == [str(outside)]
    (out / "log" / "toy.log").unlink()
    (out / "other" / "x.txt").unlink()
    assert main(args) == 0 and len(calls) == 1  # logs and other stages' files are not this stage's outputs
    (out / "sub" / "a.txt").unlink()
    assert main(args) == 0 and len(calls) == 2
    assert "output(s) of the earlier run are missing (e.g." in caplog.text and (out / "sub" / "a.txt").is_file()
    outside.rmdir()
    assert main(args) == 0 and len(calls) == 3 and outside.is_dir()
    assert main(args) == 0 and len(calls) == 3


def test_a_full_disk_exits_one_with_one_line_naming_the_file(tmp_path, src, caplog):
    import errno

    stage = Stage("toy3", "Writes audio.", ToyConf)

    def run(ctx):
        raise OSError(errno.ENOSPC, "No space left on device", str(ctx.out / "a.wav"))

    out = tmp_path / "o"
    assert stage.main(["--out", str(out)], run=run) == 1
    assert f"no space left on device writing {out / 'a.wav'}" in caplog.text
    assert "Traceback" not in caplog.text and not (out / ".done").exists()

    def other(ctx):
        raise OSError(errno.EACCES, "Permission denied", "x")

    with pytest.raises(PermissionError):  # not a full disk: not hidden
        stage.main(["--out", str(tmp_path / "p")], run=other)


def test_a_failed_attempt_that_wrote_nothing_does_not_block_its_corrected_rerun(tmp_path, src, caplog):
    stage = Stage("toy4", "Refuses negative factors before writing.", ToyConf, protect_out=True)
    stage.add_argument("src")

    def run(ctx):
        if ctx.conf.factor < 0:
            raise SqeError("negative factor")
        (ctx.out / "result.txt").write_text("x" * ctx.conf.factor)

    def main(*argv):
        return stage.main([str(src), "--out", str(out), *argv], run=run, inputs=lambda a, c: [a.src])

    out = tmp_path / "o"
    assert main("--factor", "-1") == 1 and {p.name for p in out.iterdir()} >= {"config.yaml", "env.json"}
    assert main("--factor", "3") == 0  # only the provenance of the failed attempt was there: rerun
    assert (out / "result.txt").read_text() == "xxx" and "stopped before writing any output" in caplog.text
    assert main("--factor", "4") == 1  # a finished run's outputs stay protected
    assert "pass --overwrite" in caplog.text and (out / "result.txt").read_text() == "xxx"
    (out / ".done").unlink()  # an interrupted run that wrote outputs is protected too
    assert main("--factor", "4") == 1


def test_conf_given_twice_overlays_and_the_resolved_config_is_written(tmp_path, src):
    main, calls = make_stage()
    (tmp_path / "a.yaml").write_text("factor: 3\nverbose: true\n")
    (tmp_path / "b.yaml").write_text("factor: 4\n")
    out = tmp_path / "o"
    assert main(["--conf", str(tmp_path / "a.yaml"), "--conf", str(tmp_path / "b.yaml"), str(src), "--out", str(out)]) == 0
    assert calls[-1] == ToyConf(factor=4, verbose=True)
    assert yaml.safe_load((out / "config.yaml").read_text()) == {"factor": 4, "verbose": True}
