"""Start a training stage on every GPU of the job's allocation: ``--ngpu N`` > 1 runs torchrun with one
process per GPU (DDP), 1 or 0 runs the stage in this process. The allocation is trusted, not the option: the
visible GPU count must equal N (fail loudly otherwise). On a CPU machine SQE_DDP_CPU_PROCS=N starts N gloo
processes instead (tests).

Usage (what recipes run through ${cuda_cmd} --gpu N):
    python -m sqe.bin.launch --ngpu 2 -- sqe.bin.train --conf conf/con1.yaml ... --out exp/con1
"""
from __future__ import annotations

import argparse
import os
import runpy
import subprocess
import sys
from typing import Sequence

from sqe.utils.log import get_logger, setup_logging

log = get_logger("sqe.bin.launch")


def visible_gpus() -> int:
    forced = os.environ.get("SQE_DDP_CPU_PROCS")
    if forced:
        return int(forced)
    import torch

    return torch.cuda.device_count()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sqe.bin.launch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ngpu", type=int, required=True, help="GPUs requested for the job (0: CPU)")
    parser.add_argument("module", help="the stage module, e.g. sqe.bin.train")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--" in argv:  # `--ngpu 2 -- sqe.bin.train ...`
        i = argv.index("--")
        argv = argv[:i] + argv[i + 1:]
    a = parser.parse_args(argv)
    setup_logging()
    n = visible_gpus() if a.ngpu > 0 or os.environ.get("SQE_DDP_CPU_PROCS") else 0
    if a.ngpu > 0 and n != a.ngpu:
        log.error("--ngpu %d requested but %d GPU(s) are visible (CUDA_VISIBLE_DEVICES=%s): check the job's "
                  "allocation", a.ngpu, n, os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))
        return 2
    if n <= 1:
        sys.argv = [a.module, *a.args]
        try:
            runpy.run_module(a.module, run_name="__main__", alter_sys=True)
        except SystemExit as done:
            return int(done.code or 0)
        return 0
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nnodes=1", f"--nproc_per_node={n}",
           "-m", a.module, *a.args]
    log.info("%d processes: %s", n, " ".join(cmd))
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
