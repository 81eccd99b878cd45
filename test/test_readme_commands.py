"""The hand-run commands of the READMEs as a reader copies them (issue 24, "Documentation that fails as
written"): every `python -m sqe.bin.<verb>` names a verb that exists and only options that verb takes, and a
code block that runs one first sets up the environment (`. ./path.sh` or `. tools/activate.sh`)."""
from __future__ import annotations

import importlib
import re
import shlex

import pytest
from conftest import REPO

DOCS = ["README.md", "egs/mini/README.md", "egs/nisqa/README.md", "egs/libriaugmented/README.md"]
BLOCK = re.compile(r"```(?:bash|sh)\n(.*?)```", re.S)
ENVIRONMENT = re.compile(r"(^|&& )\. (\./path\.sh|tools/activate\.sh)")


def commands(text: str) -> list[tuple[str, list[str]]]:
    """(block, tokens) of each `python -m sqe.bin.*` line of the bash blocks, continuation lines joined."""
    found = []
    for block in BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #")[0]
            if "python -m sqe.bin." in line:
                tokens = shlex.split(line[line.index("python -m sqe.bin."):])
                found.append((block, tokens))
    return found


def verb_options(verb: str) -> set[str]:
    stage = getattr(importlib.import_module(f"sqe.bin.{verb}"), "STAGE", None)
    if stage is None:
        return set()
    return {s for action in stage.parser._actions for s in action.option_strings}


@pytest.mark.parametrize("doc", DOCS)
def test_documented_commands_exist_take_their_options_and_set_up_the_environment(doc):
    found = commands((REPO / doc).read_text())
    problems = []
    for block, tokens in found:
        verb = tokens[2].removeprefix("sqe.bin.")
        try:
            options = verb_options(verb)
        except ModuleNotFoundError:
            problems.append(f"{doc}: no verb sqe.bin.{verb}")
            continue
        if "<verb>" not in verb and options:
            problems += [f"{doc}: sqe.bin.{verb} has no option {t}" for t in tokens[3:]
                         if t.startswith("--") and t.split("=")[0] not in options]
        if "<verb>" not in verb and not ENVIRONMENT.search(block):
            problems.append(f"{doc}: the block running sqe.bin.{verb} does not set up the environment first")
    assert not problems, "\n".join(problems)


def test_the_extraction_finds_commands_and_their_faults():
    text = "```bash\n. ./path.sh\npython -m sqe.bin.analyze --model m \\\n    --nonsense 1 x.wav\n```\n"
    (block, tokens), = commands(text)
    assert tokens[:4] == ["python", "-m", "sqe.bin.analyze", "--model"] and "--nonsense" in tokens
    assert "--model" in verb_options("analyze") and "--nonsense" not in verb_options("analyze")
    assert ENVIRONMENT.search(block) and not ENVIRONMENT.search("python -m sqe.bin.analyze\n")
