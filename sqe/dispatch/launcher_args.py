"""Command line of the launcher (``utils/run.py``): its options, parsed and passed to a backend.

Usage:
    utils/run.py [--backend local|slurm] [--config conf/slurm.conf] [--max_jobs_run N] [--gpu N] [--num_threads N] [--mem M] [--time T]
                 [--name S] [--pick all|failed|incomplete] [JOB=1:N] LOGFILE COMMAND [ARGS...]

Examples:
    utils/run.py JOB=1:4 exp/log/infer.JOB.log python -m sqe.bin.infer --split JOB
    utils/run.py --gpu 1 exp/con1/train.log python -m sqe.bin.train --out exp/con1

The backend comes from --backend or SQE_CMD_BACKEND (default: local). With slurm, the options are mapped
to sbatch flags by --config (default conf/slurm.conf, else a built-in mapping); options it does not describe
are errors. Exit status 0 only if every task
exits 0; otherwise 1, with the failed count and the tail of the first failed log on stderr.
--pick failed reruns only the tasks whose last log ended with a non-zero code; --pick incomplete only
those whose log has no end marker (e.g. a killed job); finished tasks keep their logs.
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Sequence

from sqe.dispatch.local import run_local
from sqe.dispatch.slurm import declared_options, run_slurm
from sqe.dispatch.spec import JobSpec, LaunchError, parse_args
from sqe.dispatch.task import ended_code, kill_running, tail

BACKENDS = {"local": run_local, "slurm": run_slurm}
PROG = "run.py"


def pick_tasks(spec: JobSpec) -> list[int]:
    pick = spec.options.get("pick", "all")
    if pick == "all":
        return spec.tasks
    codes = {t: ended_code(spec.log_for(t)) for t in spec.tasks}
    if pick == "failed":
        return [t for t, c in codes.items() if c is None or c != 0]
    return [t for t, c in codes.items() if c is None]


def report(spec: JobSpec, codes: dict[int, int]) -> int:
    failed = [t for t, c in sorted(codes.items()) if c != 0]
    if not failed:
        return 0
    if spec.is_array:
        print(f"{PROG}: {len(failed)} / {len(codes)} failed, log is in {spec.log_pattern()}", file=sys.stderr)
    else:
        print(f"{PROG}: job failed, log is in {spec.log}", file=sys.stderr)
    first = spec.log_for(failed[0])
    print(f"---- tail of {first} ----\n{tail(first)}\n----", file=sys.stderr)
    return 1


def _prescan(argv: list[str], option: str) -> str | None:
    """The value of a launcher option before the full parse (it decides which options exist)."""
    i = 0
    while i < len(argv) - 1 and (argv[i].startswith("-") or "=" in argv[i]):  # options and the range only
        if argv[i].replace("-", "_") == option.replace("-", "_"):
            return argv[i + 1]
        i += 2 if argv[i].startswith("-") else 1
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    try:
        backend = _prescan(argv, "--backend") or os.environ.get("SQE_CMD_BACKEND") or "local"
        extra = declared_options(_prescan(argv, "--config")) if backend == "slurm" else ()
        spec = parse_args(argv, extra)
        if backend not in BACKENDS:
            raise LaunchError(f"unknown backend '{backend}' (available: {', '.join(BACKENDS)})")
        tasks = pick_tasks(spec)
        if not tasks:
            print(f"{PROG}: nothing to rerun for --pick {spec.options['pick']}", file=sys.stderr)
            return 0
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        codes = BACKENDS[backend](spec, tasks)
    except LaunchError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kill_running()
        print(f"{PROG}: interrupted; running tasks were terminated", file=sys.stderr)
        return 130
    return report(spec, codes)
