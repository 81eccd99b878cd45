"""The stage contract, checked over every sqe.bin verb: --help, a --print_conf round trip, and --dry_run
writing nothing (issue 14 item 1)."""
from __future__ import annotations

import importlib
import pkgutil

import pytest

import sqe.bin

VERBS = sorted(m.name for m in pkgutil.iter_modules(sqe.bin.__path__)
               if hasattr(importlib.import_module(f"sqe.bin.{m.name}"), "STAGE"))


def required_args(stage, tmp_path):
    """Placeholder values for the required options and positionals of a verb (files that do not exist)."""
    argv = []
    for action in stage.parser._actions:
        if action.required and action.option_strings and action.dest not in ("out",):
            argv += [action.option_strings[0], str(tmp_path / "missing" / action.dest)]
        elif not action.option_strings and action.nargs in (None, 1, "+"):
            argv.append(str(tmp_path / "missing" / action.dest))
    for group in stage.parser._mutually_exclusive_groups:
        if group.required:
            argv += [group._group_actions[0].option_strings[0], str(tmp_path / "missing" / "choice")]
    return argv


def test_every_verb_is_a_stage():
    assert {"analyze", "index", "pack_model", "search", "train", "score", "make_mixup_set"} <= set(VERBS)
    assert len(VERBS) >= 20


@pytest.mark.parametrize("verb", VERBS)
def test_stage_contract(verb, tmp_path, capsys):
    module = importlib.import_module(f"sqe.bin.{verb}")
    stage = module.STAGE
    with pytest.raises(SystemExit) as exit_:
        module.main(["--help"])
    assert exit_.value.code == 0 and f"python -m sqe.bin.{verb}" in capsys.readouterr().out
    args = required_args(stage, tmp_path)
    out = ["--out", str(tmp_path / "out")] if stage.writes_out else []
    if stage.conf_cls is not None:
        assert module.main(args + out + ["--print_conf"]) == 0
        printed = capsys.readouterr().out
        (tmp_path / "conf.yaml").write_text(printed)
        assert module.main(args + out + ["--conf", str(tmp_path / "conf.yaml"), "--print_conf"]) == 0
        assert capsys.readouterr().out == printed
    status = module.main(args + out + ["--dry_run"])
    assert status in (0, 1)  # the placeholders do not exist: "missing input(s)", or fine for a verb without inputs
    assert not (tmp_path / "out").exists()
