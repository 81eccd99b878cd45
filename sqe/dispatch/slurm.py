"""Slurm backend of the launcher: Kaldi's conf/slurm.conf option mapping, one sbatch per call (a JOB array for
``JOB=a:b``), completion by polling ``squeue`` with back-off (no fixed sleeps), the end markers of the task
logs as the truth about success, the tail of the failed task's log (or of its Slurm output) on failure,
``scancel`` on SIGINT/SIGTERM.

conf/slurm.conf::

    command sbatch --export=ALL            # the submitter and its fixed flags (exactly one line)
    option mem=* --mem $0                  # --mem VALUE -> flags, $0 replaced by VALUE
    option mem=0                           # this exact value adds nothing
    default gpu=0                          # as if --gpu 0 had been given
    option gpu=0                           # site: e.g. "-p cpu"
    option gpu=* --gres=gpu:$0             # site: e.g. "-p gpu --gres=gpu:$0"
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqe.dispatch.spec import JobSpec, LaunchError

DEFAULT_CONF = """\
command sbatch --export=ALL
option name=* --job-name $0
option time=* --time $0
option mem=* --mem $0
option mem=0
option num_threads=* --cpus-per-task $0
option num_threads=1
default gpu=0
option gpu=0
option gpu=* --gres=gpu:$0
"""
ACTIVE = {"PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_HOLD",
          "REQUEUE_FED", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED"}
NOT_MAPPED = {"backend", "config", "pick", "max_jobs_run"}  # launcher options, not scheduler options


@dataclass
class SlurmConf:
    command: list[str] = field(default_factory=list)
    options: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # name -> value or "*" -> flags
    defaults: dict[str, str] = field(default_factory=dict)
    source: str = "built-in default"


def parse_conf(text: str, source: str) -> SlurmConf:
    conf = SlurmConf(source=source)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        where = f"{source}:{lineno}"
        if words[0] == "command":
            if conf.command:
                raise LaunchError(f"{where}: a second 'command' line")
            conf.command = words[1:]
        elif words[0] in ("option", "default") and len(words) >= 2 and "=" in words[1]:
            name, value = words[1].split("=", 1)
            name = name.replace("-", "_")
            if words[0] == "default":
                if len(words) != 2:
                    raise LaunchError(f"{where}: 'default NAME=VALUE' takes nothing after the value")
                conf.defaults[name] = value
            else:
                conf.options.setdefault(name, {})[value] = words[2:]
        else:
            raise LaunchError(f"{where}: cannot parse {raw.strip()!r} (expected command, option or default)")
    if not conf.command:
        raise LaunchError(f"{source}: no 'command' line")
    return conf


def load_conf(path: str | None) -> SlurmConf:
    """An explicit --config must exist; without one, conf/slurm.conf if present, else the built-in default."""
    if path is not None:
        if not Path(path).is_file():
            raise LaunchError(f"--config {path}: no such file")
        return parse_conf(Path(path).read_text(), path)
    if Path("conf/slurm.conf").is_file():
        return parse_conf(Path("conf/slurm.conf").read_text(), "conf/slurm.conf")
    return parse_conf(DEFAULT_CONF, "built-in default")


def declared_options(path: str | None) -> tuple[str, ...]:
    return tuple(load_conf(path).options)


def sbatch_flags(spec: JobSpec, conf: SlurmConf) -> list[str]:
    """The scheduler flags of the launcher options (exact values first, then ``*``)."""
    given = {**conf.defaults, **{k: v for k, v in spec.options.items() if k not in NOT_MAPPED}}
    flags: list[str] = []
    for name, value in given.items():
        choices = conf.options.get(name, {})
        if value in choices:
            flags += choices[value]
        elif "*" in choices:
            flags += [w.replace("$0", value) for w in choices["*"]]
        else:
            raise LaunchError(f"option --{name} {value} is not described in {conf.source} (or the value is not allowed)")
    return flags


def _script(spec: JobSpec, qdir: Path, name: str) -> Path:
    """The job script: cd to the submit dir, source path.sh if there is one, run the task wrapper."""
    spec_file = qdir / f"{name}.json"
    spec_file.write_text(json.dumps({"var": spec.var, "log": spec.log, "command": spec.command}))
    task = "${SLURM_ARRAY_TASK_ID}" if spec.is_array else str(spec.start)
    script = qdir / f"{name}.sh"
    script.write_text(
        "#!/usr/bin/env bash\n"
        f"cd {shlex.quote(os.getcwd())}\n"
        "if [ -f ./path.sh ]; then . ./path.sh; fi\n"
        f"exec {shlex.quote(sys.executable)} -m sqe.dispatch.task --spec {shlex.quote(str(spec_file.resolve()))} "
        f"--task {task}\n"
    )
    script.chmod(0o755)
    return script


def _states(job_id: str) -> dict[str, tuple[str, str]]:
    """``{task id: (state, reason)}`` from squeue (terminal states stay visible until MinJobAge)."""
    out = subprocess.run(["squeue", "-h", "-t", "all", "-j", job_id, "-o", "%i %T %r"], capture_output=True, text=True)
    if out.returncode != 0:
        return {}  # the job id is no longer known: it has ended
    states = {}
    for line in out.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2:
            task = parts[0].split("_", 1)[1] if "_" in parts[0] else parts[0]
            states[task] = (parts[1], parts[2] if len(parts) > 2 else "")
    return states


def run_slurm(spec: JobSpec, tasks: list[int]) -> dict[int, int]:
    from sqe.dispatch.task import ended_code

    conf = load_conf(spec.options.get("config"))
    flags = sbatch_flags(spec, conf)
    log_dir = Path(spec.log_for(spec.start)).parent
    qdir = log_dir / "q"
    qdir.mkdir(parents=True, exist_ok=True)
    name = spec.options.get("name") or Path(spec.log).name.replace(f".{spec.var}", "").removesuffix(".log")
    name = name.replace(" ", "_") or "job"
    for t in tasks:  # stale logs of an earlier attempt must not count as this run's result
        Path(spec.log_for(t)).unlink(missing_ok=True)
    script = _script(spec, qdir, name)
    array = []
    if spec.is_array:
        limit = spec.options.get("max_jobs_run")
        array = [f"--array={','.join(map(str, tasks))}" + (f"%{limit}" if limit else "")]
    out_pattern = str(qdir / (f"{name}.%A_%a.out" if spec.is_array else f"{name}.%j.out"))
    cmd = [*conf.command, "--parsable", *flags, *array, "-o", out_pattern, str(script)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LaunchError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")
    job_id = proc.stdout.strip().split(";")[0]

    def cancel(*_):
        subprocess.run(["scancel", job_id], capture_output=True)
        raise KeyboardInterrupt

    old = {s: signal.signal(s, cancel) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        # short jobs (rVAD parts, merges) end within seconds: poll often at first, then back off to one squeue
        # call every 10 s (reached after about a minute)
        delay, last, warned = 0.25, {}, False
        while True:
            states = _states(job_id)
            if not any(state in ACTIVE for state, _ in states.values()):
                break
            last.update(states)
            pending = [r for s, r in states.values() if s == "PENDING"]
            if not warned and any("PartitionConfig" in r or "ReqNodeNotAvail" in r for r in pending):
                print(f"run.py: Slurm job {job_id} pending: {pending[0]} (the request may exceed every node)",
                      file=sys.stderr)
                warned = True
            time.sleep(delay)
            delay = min(delay * 1.25, 10.0)
        last.update(_states(job_id))
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    codes = {}
    for t in tasks:
        code = None
        for _ in range(5):  # a shared file system may show the end marker a moment late
            code = ended_code(spec.log_for(t))
            if code is not None:
                break
            time.sleep(0.1)
        if code is None:
            state = last.get(str(t), last.get(job_id, ("unknown", "")))[0]
            out_file = Path(out_pattern.replace("%A", job_id).replace("%a", str(t)).replace("%j", job_id))
            tail = out_file.read_text(errors="replace").strip().splitlines()[-10:] if out_file.is_file() else []
            log = Path(spec.log_for(t))
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "a") as f:
                f.write("\n".join(tail) + f"\n# Slurm job {job_id} task {t} ended in state {state} without an end marker\n")
            code = 1
        codes[t] = code
    return codes
