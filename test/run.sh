#!/usr/bin/env bash
# The project's test command (README "Tests"): installs what the tests need on first use
# (tools/install.sh, idempotent), then runs the whole suite with pytest.
# Usage: test/run.sh [pytest arguments]      e.g. test/run.sh -x -k datadir
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck disable=SC1091
. tools/activate.sh
# Nothing downloads at test time; these must be set before Python starts.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 LC_ALL=C
exec python -m pytest "$@"
