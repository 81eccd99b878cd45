#!/usr/bin/env bash
# Activate sqe's Python environment, installing it first when needed (tools/install.sh --if_needed).
# Sourced by egs/*/path.sh and test/run.sh. An already active virtualenv/conda environment is used as is.
_sqe_tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"${_sqe_tools}/install.sh" --if_needed || return 1
if [ -z "${VIRTUAL_ENV:-}" ] && [ -z "${CONDA_PREFIX:-}" ]; then
  # shellcheck disable=SC1091  # created by install.sh
  . "${SQE_VENV:-${_sqe_tools}/venv}/bin/activate"
fi
unset -v _sqe_tools
