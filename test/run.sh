#!/usr/bin/env bash
# The project's test command (README "Tests"): installs what the tests need on first use
# (tools/install.sh, idempotent), then runs the whole suite with pytest.
# Usage: test/run.sh [pytest arguments]      e.g. test/run.sh -x -k datadir
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck disable=SC1091
. tools/activate.sh
# The Slurm tests start a private cluster (Debian's slurm-wlm and munge) and the report page is tested in
# Debian's chromium; both are installed here when run as root (elsewhere those tests are skipped, saying why).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  command -v slurmctld >/dev/null || missing+=(slurm-wlm munge)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test/run.sh: installing ${missing[*]} for the Slurm and browser tests" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # installable here, so a missing cluster stack or browser is a failure, not a skip
  export SQE_REQUIRE_SLURM=1 SQE_REQUIRE_CHROMIUM=1
fi
# Nothing downloads at test time; these must be set before Python starts.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 LC_ALL=C
exec python -m pytest "$@"
