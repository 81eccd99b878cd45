#!/usr/bin/env bash
# Environment of every stage and every queued job of this recipe (run.sh and job scripts source it from
# the recipe directory). The first use installs the project environment (tools/install.sh).
MAIN_ROOT=$(cd ../.. && pwd)
# shellcheck disable=SC1091  # resolved at run time
. "${MAIN_ROOT}/tools/activate.sh" || return 1
export PATH=${MAIN_ROOT}/utils:${PATH}
export LC_ALL=C PYTHONIOENCODING=UTF-8 PYTHONUNBUFFERED=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # jobs ask for more with the launcher's --num_threads
# Pretrained models load from local directories; HF_HUB_OFFLINE=0 lets a connected machine fetch by name.
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-1}
export TRANSFORMERS_OFFLINE=${TRANSFORMERS_OFFLINE:-${HF_HUB_OFFLINE}}
# Features of frozen encoders (DistillMOS) are cached by content here and shared by every stage
# (sqe/models/feature_cache.py); delete the folder to reclaim the space, results do not change.
export SQE_FEATURE_CACHE=${SQE_FEATURE_CACHE:-${PWD}/dump/feature_cache}
# Site settings (module loads, NCCL variables, ...) go in local/path.sh, which git ignores.
# shellcheck disable=SC1091
if [ -f local/path.sh ]; then . local/path.sh; fi
