"""The task wrapper shared by every backend: run one command under bash and frame its log.

Log layout (Kaldi's, so existing habits and tools keep working)::

    # <command>
    # Started at <date> on <host> [slurm_job=<id>]
    <output of the command>
    # Accounting: time=<s> threads=<n>
    # Ended (code <rc>) at <date>, elapsed time <s> seconds

The ``# Ended (code N)`` line is the single source of truth for success and for ``--pick`` reruns.

Usage (what a Slurm job script runs):
    python -m sqe.dispatch.task LOGFILE 'COMMAND STRING'
    python -m sqe.dispatch.task --spec q/NAME.json --task N     # JOB replaced by N in log and command
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

_ENDED = re.compile(r"^# Ended \(code (\d+)")
_live: set[subprocess.Popen] = set()
_live_lock = threading.Lock()
_stopping = threading.Event()


def _now() -> str:
    return time.strftime("%a %b %d %H:%M:%S %Z %Y")


def run_task(command: str, log: str | Path, env: dict[str, str] | None = None) -> int:
    """Run ``command`` with bash, output appended to ``log`` between header and end marker."""
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ if env is None else env)
    threads = env.get("OMP_NUM_THREADS", "1")
    slurm = f" slurm_job={os.environ['SLURM_JOB_ID']}" if "SLURM_JOB_ID" in os.environ else ""
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as f:
        f.write(f"# {command}\n# Started at {_now()} on {socket.gethostname()}{slurm}\n")
        f.flush()
        try:
            proc = subprocess.Popen(["bash", "-c", command], stdout=f, stderr=subprocess.STDOUT, env=env,
                                    start_new_session=True)
        except OSError as err:
            f.write(f"cannot start bash: {err}\n")
            rc, sig = 127, None
        else:
            with _live_lock:
                _live.add(proc)
            if _stopping.is_set():  # kill_running() ran between our start and our registration
                _killpg(proc)
            try:
                raw = proc.wait()
            finally:
                with _live_lock:
                    _live.discard(proc)
            rc, sig = (128 - raw, -raw) if raw < 0 else (raw, None)
        elapsed = int(round(time.monotonic() - start))
        code = f"{rc}; signal {sig}" if sig else f"{rc}"
        f.write(f"# Accounting: time={elapsed} threads={threads}\n")
        f.write(f"# Ended (code {code}) at {_now()}, elapsed time {elapsed} seconds\n")
    return rc


def _killpg(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass


def kill_running() -> None:
    """Terminate every task started by this process (its whole process group), and any that starts later."""
    _stopping.set()
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _killpg(proc)


def ended_code(log: str | Path) -> int | None:
    """The exit code in the last end marker of ``log``, or None if the task never finished."""
    try:
        lines = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        m = _ENDED.match(line)
        if m:
            return int(m.group(1))
    return None


def tail(log: str | Path, n: int = 20) -> str:
    try:
        lines = Path(log).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        return f"(cannot read {log}: {err.strerror})"
    return "\n".join(lines[-n:])


def main(argv: list[str]) -> int:
    if len(argv) == 4 and argv[0] == "--spec" and argv[2] == "--task":
        import json

        from sqe.dispatch.spec import JobSpec

        raw = json.loads(Path(argv[1]).read_text())
        spec = JobSpec(var=raw["var"], log=raw["log"], command=raw["command"])
        return run_task(spec.command_for(argv[3]), spec.log_for(argv[3]))
    if len(argv) == 2:
        return run_task(argv[1], argv[0])
    print("usage: python -m sqe.dispatch.task LOGFILE 'COMMAND' | --spec FILE --task N", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
