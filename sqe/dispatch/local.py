"""Local backend: tasks run on this machine, at most ``--max_jobs_run`` at a time (default: CPU count).

With ``--gpu N`` each task gets its own ``CUDA_VISIBLE_DEVICES`` slice of N visible GPUs and at most
``visible // N`` tasks run at once (run.pl lets every task see every GPU). Without ``--gpu``, or with
``--gpu 0``, GPUs are hidden from the task, as on a Slurm node without a GPU request.
"""
from __future__ import annotations

import os
import queue
import shutil
import subprocess
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from sqe.dispatch.spec import JobSpec, LaunchError
from sqe.dispatch.task import kill_running, run_task


def visible_gpus() -> list[str]:
    """GPU ids this process may use: ``CUDA_VISIBLE_DEVICES`` if set, else what ``nvidia-smi -L`` lists."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g for g in (s.strip() for s in env.split(",")) if g and g != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(i) for i, line in enumerate(out.stdout.splitlines()) if line.startswith("GPU ")]


def run_local(spec: JobSpec, tasks: list[int]) -> dict[int, int]:
    """Run ``tasks`` of ``spec``; returns ``{task: exit code}``."""
    ngpu = spec.int_option("gpu", 0)
    max_jobs = spec.int_option("max_jobs_run", os.cpu_count() or 1)
    if max_jobs < 1:
        raise LaunchError("--max_jobs_run must be at least 1")
    slots: queue.Queue[str] = queue.Queue()
    if ngpu > 0:
        gpus = visible_gpus()
        if len(gpus) < ngpu:
            raise LaunchError(f"--gpu {ngpu} requested but {len(gpus)} GPU(s) visible "
                              f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')})")
        for i in range(len(gpus) // ngpu):
            slots.put(",".join(gpus[i * ngpu:(i + 1) * ngpu]))
        max_jobs = min(max_jobs, slots.qsize())
    else:
        for _ in range(max_jobs):
            slots.put("")

    stopping = threading.Event()

    def one(task: int) -> int:
        slot = slots.get()
        try:
            if stopping.is_set():
                return 130
            env = dict(os.environ)
            env["CUDA_VISIBLE_DEVICES"] = slot
            if "num_threads" in spec.options:
                env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(spec.int_option("num_threads", 1))
            return run_task(spec.command_for(task), spec.log_for(task), env)
        finally:
            slots.put(slot)

    pool = ThreadPoolExecutor(max_workers=max(1, min(max_jobs, len(tasks))))
    try:
        futures = {task: pool.submit(one, task) for task in tasks}
        pending = set(futures.values())
        while pending:  # short waits keep the main thread responsive to SIGINT/SIGTERM
            _, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
        return {task: future.result() for task, future in futures.items()}
    except KeyboardInterrupt:
        stopping.set()
        kill_running()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
