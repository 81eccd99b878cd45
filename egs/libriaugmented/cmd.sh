#!/usr/bin/env bash
# How stages run: every stage goes through the job launcher utils/run.py (Kaldi calling convention,
# see `utils/run.py --help`). Options understood by every backend:
#   --max_jobs_run N  --num_threads N  --gpu N  --mem M  --time T  --name S
# Backend: --cmd_backend on the run.sh command line, else $SQE_CMD_BACKEND, else local (this machine).
#   local  tasks run here, at most --max_jobs_run (default: CPU count) at a time, --gpu N slices the GPUs
#   slurm  one sbatch per call (JOB arrays for JOB=a:b); conf/slurm.conf maps the options to sbatch flags
# This file is identical in every recipe.
cmd_backend=${cmd_backend:-${SQE_CMD_BACKEND:-local}}
case "${cmd_backend}" in
  local) launcher="utils/run.py --backend local" ;;
  slurm) launcher="utils/run.py --backend slurm --config conf/slurm.conf" ;;
  *) echo "cmd.sh: unknown cmd_backend '${cmd_backend}' (available: local, slurm)" >&2; return 1 ;;
esac
export train_cmd="${launcher}"            # CPU work and job arrays
export cuda_cmd="${launcher}"             # stages add --gpu ${ngpu}
