"""A real single-node Slurm cluster for the tests: munge, slurmctld and slurmd run as
children of the test process with a private config, free ports and two fake GPUs (character devices), so
``--gres=gpu:N`` requests get ``CUDA_VISIBLE_DEVICES`` exactly as on a GPU node.

Needs root and Debian's slurm-wlm and munge (test/run.sh installs them when run as root); elsewhere the tests
using it are skipped with the reason.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

BINARIES = ("munged", "munge", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel")


def unavailable() -> str | None:
    if os.geteuid() != 0:
        return "a private Slurm cluster needs root (slurmd)"
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        return f"Slurm is not installed ({', '.join(missing)} missing; Debian: slurm-wlm munge)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node_memory() -> int:
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True).stdout
    for word in out.split():
        if word.startswith("RealMemory="):
            return int(word.split("=")[1])
    return 1024


class Cluster:
    def __init__(self, root: Path):
        self.root = root
        self.procs: list[subprocess.Popen] = []
        self.started_munge = False
        self.env = dict(os.environ, SLURM_CONF=str(root / "slurm.conf"))

    def start(self) -> "Cluster":
        r = self.root
        for d in ("state", "spool", "log"):
            (r / d).mkdir(parents=True, exist_ok=True)
        for i in range(2):
            dev = r / f"fakegpu{i}"
            if not dev.exists():
                os.mknod(dev, 0o666 | 0o020000, os.makedev(1, 3))  # a character device, like /dev/null
        host = socket.gethostname().split(".")[0]
        (r / "gres.conf").write_text(f"AutoDetect=off\nName=gpu File={r}/fakegpu[0-1]\n")
        # batch_sched_delay=0: a batch job is scheduled at submission (Slurm's default lets it wait up to 3 s,
        # which tripled the time of each short recipe job here)
        (r / "slurm.conf").write_text(f"""ClusterName=ci
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
StateSaveLocation={r}/state
SlurmdSpoolDir={r}/spool
SlurmctldPidFile={r}/slurmctld.pid
SlurmdPidFile={r}/slurmd.pid
SlurmctldLogFile={r}/log/slurmctld.log
SlurmdLogFile={r}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
EnforcePartLimits=ALL
MinJobAge=10
MailProg=/bin/true
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
GresTypes=gpu
NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory={_node_memory()} Gres=gpu:2 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
""")
        if subprocess.run("munge -n | unmunge", shell=True, capture_output=True).returncode != 0:
            for d in ("/run/munge", "/var/log/munge", "/var/lib/munge"):
                Path(d).mkdir(parents=True, exist_ok=True)
                shutil.chown(d, "munge", "munge")
            if not Path("/etc/munge/munge.key").exists():
                subprocess.run(["mungekey", "--create"], check=True)
                shutil.chown("/etc/munge/munge.key", "munge", "munge")
            self._spawn(["munged", "-F"], "munged", user="munge", group="munge")
            self.started_munge = True
            self._wait(lambda: subprocess.run("munge -n | unmunge", shell=True, capture_output=True).returncode == 0,
                       "munged")
        self._spawn(["slurmctld", "-D", "-i"], "slurmctld")
        self._spawn(["slurmd", "-D"], "slurmd")

        def idle() -> bool:
            out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, env=self.env)
            return out.returncode == 0 and out.stdout.strip() in ("idle", "mixed")

        self._wait(idle, "the node to become idle")
        return self

    def _spawn(self, cmd: list[str], name: str, **kwargs) -> None:
        log = open(self.root / "log" / f"{name}.stderr", "w")
        self.procs.append(subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, **kwargs))

    def _wait(self, ready, what: str, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if ready():
                return
            time.sleep(0.2)
        logs = "\n".join(p.read_text()[-2000:] for p in (self.root / "log").glob("*") if p.is_file())
        raise RuntimeError(f"timed out waiting for {what}:\n{logs}")

    def stop(self) -> None:
        subprocess.run(["scancel", "--full", "-u", "root"], env=self.env, capture_output=True)
        for proc in reversed(self.procs):
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
