"""Parse a launcher command line into a JobSpec, substitute the task index, and join the command.

Differences from Kaldi's run.pl, on purpose:

- ``JOB`` is replaced as a whole token only (not next to a letter or digit): ``x.JOB.log``, ``feats_JOB.ark``
  and ``split4/JOB`` are substituted; ``JOBS`` and ``MYJOB`` are left alone (run.pl turns them into ``1S``
  and ``MY1``).
- Unknown options are errors instead of being ignored.
- A command given as one single argument is run as a shell command line as it is (run.pl would quote it
  into one word that bash cannot find).

Quoting follows run.pl, so recipes behave as Kaldi users expect: an argument without whitespace is passed
raw (an escaped ``\\|`` becomes a pipe in the job shell); an argument with whitespace is wrapped in double
quotes (``$VAR`` inside it expands in the job shell), or in single quotes if it contains a double quote.

    >>> spec = parse_args(["--max_jobs_run", "2", "JOB=1:3", "exp/log/x.JOB.log", "echo", "JOB", "a b"])
    >>> spec.tasks, spec.log_for(2), spec.command_for(2)
    ([1, 2, 3], 'exp/log/x.2.log', 'echo 2 "a b"')
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqe.utils.errors import SqeError

# Options every backend understands; a backend may declare more (e.g. from conf/slurm.conf).
GENERIC_OPTIONS = ("mem", "gpu", "num_threads", "time", "max_jobs_run", "name", "config", "pick", "backend")
_ALIASES = {"tc": "max_jobs_run"}
_RANGE = re.compile(r"(?P<var>[A-Za-z_][A-Za-z0-9_]*)=(?P<start>\d+)(?::(?P<end>\d+))?")
_LOOKS_LIKE_RANGE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*:\S*")


class LaunchError(SqeError):
    """A launcher command line that cannot run."""


@dataclass
class JobSpec:
    options: dict[str, str] = field(default_factory=dict)
    var: str | None = None
    start: int = 1
    end: int = 1
    log: str = ""
    command: list[str] = field(default_factory=list)

    @property
    def tasks(self) -> list[int]:
        return list(range(self.start, self.end + 1))

    @property
    def is_array(self) -> bool:
        return self.var is not None

    def substitute(self, text: str, task: int | str) -> str:
        if self.var is None:
            return text
        return re.sub(rf"(?<![A-Za-z0-9]){re.escape(self.var)}(?![A-Za-z0-9])", str(task), text)

    def log_for(self, task: int | str) -> str:
        return self.substitute(self.log, task)

    def command_for(self, task: int | str) -> str:
        args = [self.substitute(arg, task) for arg in self.command]
        # A lone argument is a complete shell command line ("a; b | c"); quoting it would make it one word.
        return args[0] if len(args) == 1 else join_command(args)

    def log_pattern(self) -> str:
        return self.log_for("*")

    def int_option(self, name: str, default: int) -> int:
        value = self.options.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise LaunchError(f"--{name} expects an integer, got '{value}'") from None


def join_command(args: list[str]) -> str:
    """Join arguments into one bash command line with run.pl's quoting rules."""
    parts = []
    for arg in args:
        if arg and not re.search(r"\s", arg):
            parts.append(arg)
        elif '"' in arg:
            parts.append("'" + arg.replace("'", "'\\''") + "'")
        else:
            parts.append('"' + arg + '"')
    return " ".join(parts)


def _option_name(token: str) -> str:
    name = token.lstrip("-").replace("-", "_")
    return _ALIASES.get(name, name)


def parse_args(argv: list[str], extra_options: tuple[str, ...] = ()) -> JobSpec:
    """``[options] [VAR=START:END | VAR=N] [options] LOG COMMAND...`` -> JobSpec."""
    known = set(GENERIC_OPTIONS) | set(extra_options)
    spec = JobSpec()
    args = list(argv)
    while args:
        head = args[0]
        if head.startswith("-") and len(head) > 1 and head != "-":
            name = _option_name(head)
            if name not in known:
                raise LaunchError(f"unknown option {head} (known: {', '.join('--' + o for o in sorted(known))})")
            if len(args) < 2:
                raise LaunchError(f"option {head} needs a value")
            spec.options[name] = args[1]
            args = args[2:]
            continue
        m = _RANGE.fullmatch(head)
        if m and spec.var is None:
            spec.var = m["var"]
            spec.start = int(m["start"])
            spec.end = int(m["end"]) if m["end"] is not None else spec.start
            if spec.start < 1 or spec.end < spec.start:
                raise LaunchError(f"invalid range {head}: need 1 <= START <= END")
            args = args[1:]
            continue
        if _LOOKS_LIKE_RANGE.fullmatch(head):
            raise LaunchError(f"suspicious first argument '{head}': a range is VAR=START:END with integers")
        break
    if len(args) < 2:
        raise LaunchError("usage: LAUNCHER [options] [JOB=1:N] LOGFILE COMMAND [ARGS...]")
    spec.log, spec.command = args[0], args[1:]
    if spec.var is not None and spec.end > spec.start and spec.log_for(0) == spec.log:
        raise LaunchError(
            f"the log file {spec.log} does not contain {spec.var}: every task of a parallel job needs its own log"
        )
    pick = spec.options.get("pick", "all")
    if pick not in ("all", "failed", "incomplete"):
        raise LaunchError(f"--pick must be all, failed or incomplete, got '{pick}'")
    return spec
