#!/usr/bin/env bash
# The project's test command (README "Tests"): installs what the tests need on first use
# (tools/install.sh, idempotent), then runs the whole suite with pytest.
# Usage: test/run.sh [pytest arguments]      e.g. test/run.sh -x -k datadir
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck disable=SC1091
. tools/activate.sh
# The Slurm tests start a private cluster: Debian's slurm-wlm and munge, installed here when run as root
# (elsewhere those tests are skipped, saying why).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  if ! command -v slurmctld >/dev/null; then
    echo "test/run.sh: installing slurm-wlm and munge for the Slurm tests" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  fi
  export SQE_REQUIRE_SLURM=1  # installable here, so a missing cluster stack is a failure, not a skip
fi
# Nothing downloads at test time; these must be set before Python starts.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 LC_ALL=C
exec python -m pytest "$@"
