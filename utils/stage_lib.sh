#!/usr/bin/env bash
# Stage helpers for recipe run.sh scripts. Source after parse_options.sh, path.sh and cmd.sh.
#
#   log MSG...                        timestamped message with file:line on stderr
#   stage_on N "what"                 true if stage N runs now (stage <= N <= stop_stage and N not in
#                                     skip_stages); logs "Stage N: what" and remembers "what" for require
#   require N FILE...                 exit 1 unless every FILE exists, naming stage N that makes them
#                                     (N may also be a text such as "../nisqa/run.sh stage 3"); jobs that
#                                     run_stage_bg started are waited for first, so none is left running
#   run_stage LAUNCHER LOG MODULE [ARGS...]
#                                     run "python -m MODULE ARGS" through the job launcher into LOG, save the
#                                     exact command as a replayable script next to LOG (LOG minus .log plus
#                                     .cmd), and exit 1 if it fails (the launcher prints the log's tail)
#   run_stage_bg LAUNCHER LOG MODULE [ARGS...]
#                                     run_stage in the background, at most ${max_jobs:-1} jobs at once (the
#                                     oldest is waited for when the limit is reached); with max_jobs <= 1 it is
#                                     run_stage. Jobs started this way must not depend on each other.
#   wait_stages                       wait for every run_stage_bg job; exit 1 if any failed (each failure
#                                     has logged its own ERROR line naming its log and replay script)
#   contrastive_models "MODELS"      the models of a list with a contrastive (SCL) branch, one per line: by the
#                                     recipes' naming convention those called con*
#   cross_detector MODEL "MODELS" EXP SET ENROLL
#                                     the sqe.bin.score arguments of Table 6's cross detection, one per line:
#                                     CON2's embeddings clustered on the segments CON1 detects on SET (CON1's
#                                     inference, enrollment ENROLL and metrics under EXP); nothing for other
#                                     models or without con1 in MODELS
# Expects the variables stage, stop_stage and (optionally) skip_stages and max_jobs.

declare -A _sqe_stage_what=()
_sqe_current_stage=""

# Messages carry the file:line of the run.sh line that called the helper, not of this library.
_sqe_log() {
  local depth=$1 src
  shift
  src=${BASH_SOURCE[depth + 1]:-$0}
  echo "$(date '+%Y-%m-%dT%H:%M:%S') (${src##*/}:${BASH_LINENO[depth]}) $*" >&2
}

log() {
  _sqe_log 1 "$@"
}

stage_on() {
  local n=$1
  shift
  _sqe_stage_what[$n]="$*"
  _sqe_current_stage=$n
  # shellcheck disable=SC2154  # stage and stop_stage are options of the sourcing run.sh
  if [ "${stage}" -le "${n}" ] && [ "${stop_stage}" -ge "${n}" ]; then
    if [[ " ${skip_stages:-} " == *" ${n} "* ]]; then
      _sqe_log 1 "Stage ${n}: $* (skipped: listed in skip_stages)"
      return 1
    fi
    _sqe_log 1 "Stage ${n}: $*"
    return 0
  fi
  return 1
}

require() {
  local producer=$1 f
  shift
  local missing=()
  for f in "$@"; do
    [ -e "${f}" ] || missing+=("${f}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  _sqe_log 1 "ERROR: stage ${_sqe_current_stage} needs ${missing[*]}"
  if [[ ${producer} =~ ^[0-9]+$ ]]; then
    _sqe_log 1 "ERROR: stage ${producer} (${_sqe_stage_what[${producer}]:-see README.md}) makes it; run: $0 --stage ${producer} --stop_stage ${_sqe_current_stage}"
  else
    _sqe_log 1 "ERROR: ${producer} makes it"
  fi
  if [ ${#_sqe_bg_pids[@]} -gt 0 ]; then  # jobs this stage started already: let them end, leave none behind
    _sqe_log 1 "waiting for the ${#_sqe_bg_pids[@]} job(s) of stage ${_sqe_current_stage} still running"
    while [ ${#_sqe_bg_pids[@]} -gt 0 ]; do
      _sqe_wait_oldest
    done
  fi
  exit 1
}

run_stage() {
  local launcher=$1 logf=$2 module=$3
  shift 3
  local replay=${logf%.log}.cmd
  mkdir -p "$(dirname "${logf}")"
  {
    echo "#!/usr/bin/env bash"
    echo "# Replays stage ${_sqe_current_stage} (${_sqe_stage_what[${_sqe_current_stage}]:-}) of $0 without run.sh"
    printf 'cd %q && . ./path.sh && %s %q python -m %q' "${PWD}" "${launcher}" "${logf}" "${module}"
    printf ' %q' "$@"
    echo
  } >"${replay}"
  chmod +x "${replay}"
  # shellcheck disable=SC2086  # the launcher is a command line of several words, split on purpose
  if ! ${launcher} "${logf}" python -m "${module}" "$@"; then
    _sqe_log 1 "ERROR: stage ${_sqe_current_stage} failed; log: ${logf}; replay: ${replay}"
    exit 1
  fi
  if grep -qs "is up to date, skipping" "${logf}"; then
    _sqe_log 1 "Stage ${_sqe_current_stage}: outputs up to date, nothing rerun"
  fi
}

_sqe_bg_pids=()
_sqe_bg_failed=0

_sqe_wait_oldest() {
  local pid=${_sqe_bg_pids[0]}
  _sqe_bg_pids=("${_sqe_bg_pids[@]:1}")
  wait "${pid}" || _sqe_bg_failed=1
}

run_stage_bg() {
  if [ "${max_jobs:-1}" -le 1 ]; then
    run_stage "$@"
    return
  fi
  while [ ${#_sqe_bg_pids[@]} -ge "${max_jobs}" ]; do
    _sqe_wait_oldest
  done
  run_stage "$@" &
  _sqe_bg_pids+=($!)
}

wait_stages() {
  while [ ${#_sqe_bg_pids[@]} -gt 0 ]; do
    _sqe_wait_oldest
  done
  if [ "${_sqe_bg_failed}" -ne 0 ]; then
    _sqe_bg_failed=0
    _sqe_log 1 "ERROR: stage ${_sqe_current_stage}: a parallel job failed (its ERROR line above names its log)"
    exit 1
  fi
}

contrastive_models() {
  local m
  for m in $1; do
    if [[ "${m}" == con* ]]; then echo "${m}"; fi
  done
  return 0
}

cross_detector() {
  local model=$1 models=$2 exp=$3 set=$4 enroll=$5
  if [ "${model}" = con2 ] && [[ " ${models} " == *" con1 "* ]]; then
    printf '%s\n' --detector "${exp}/con1/infer/${set}" "${exp}/con1/enroll/${enroll}" \
      "${exp}/con1/results/${set}/metrics.json"
  fi
  return 0
}
