#!/usr/bin/env bash
# One-step installer for sqe: Python environment, torch, the sqe package with its extras, and the Debian
# packages the recipes use. Idempotent: a second run with unchanged inputs only says so.
#
# Usage: tools/install.sh [--if_needed] [--no_apt]
#   --if_needed   return at once when the environment was installed from the current setup.py/install.sh
#                 (path.sh calls this on every source, so it must be cheap)
#   --no_apt      never call apt-get, only report missing Debian packages
#
# Environment variables (the documented knobs):
#   SQE_TORCH    torch requirement to install when no torch >= 2.11 is present, e.g. "torch==2.11.0" or
#                "torch --index-url https://download.pytorch.org/whl/cu128". Default: the local CPU build
#                (torch==2.13.0) where this machine has one, else PyPI's default torch (a CUDA build, several GB).
#   SQE_EXTRAS   extras to install besides "train" (default: all = train,onnx,export,eval,data,search,test,
#                distillmos). "distillmos" is the DistillMOS
#                wheel (MIT code and weights: the pretrained encoder of egs/mini), installed with --no-deps
#                because its declared dependencies pull torchaudio; with "test", also xls-r-sqa (--no-deps),
#                which the tests need to import the package and compare its CNN with sqe's.
#   SQE_VENV     where to create the virtual environment (default: tools/venv). Ignored when a virtualenv
#                or conda environment is already active: then that environment is used.
#   PYTHON       interpreter that creates the venv (default: python3, >= 3.10).
set -euo pipefail

if_needed=false
use_apt=true
while [ $# -gt 0 ]; do
  case "$1" in
    --if_needed|--if-needed) if_needed=true ;;
    --no_apt|--no-apt) use_apt=false ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

tools_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
main_root=$(dirname "${tools_dir}")
extras=${SQE_EXTRAS:-all}
# The pip extras of setup.py, and whether the no-deps wheels come too.
# "train" (torch, transformers, scikit-learn) always: this installer sets up the whole toolkit.
pip_extras=$(echo "train,${extras}," | sed 's/,distillmos,/,/g; s/^,//; s/,$//')
with_distillmos=false
with_xlsr=false
case ",${extras}," in *,all,*|*,distillmos,*) with_distillmos=true ;; esac
case ",${extras}," in *,all,*|*,test,*) ${with_distillmos} && with_xlsr=true ;; esac
# Debian packages the recipes use, and what degrades without each.
declare -A apt_why=(
  [flite]="egs/mini speaks with the hibari voice only (no flite voices kal16, awb, rms, slt)"
  [sox]="the amrnb, gsm and g711 codec degradations of egs/mini are skipped"
  [libsox-fmt-all]="sox cannot write AMR-NB and GSM: the amrnb and gsm degradations are skipped"
)

log() { echo "$(date '+%F %T') [install] $*" >&2; }

# The environment to install into: an active one, else a venv under tools/.
if [ -n "${VIRTUAL_ENV:-}" ]; then
  env_prefix=${VIRTUAL_ENV}
elif [ -n "${CONDA_PREFIX:-}" ]; then
  env_prefix=${CONDA_PREFIX}
else
  env_prefix=${SQE_VENV:-${tools_dir}/venv}
fi
python=${env_prefix}/bin/python
stamp=${env_prefix}/.sqe-install-stamp
want_stamp=$(cat "${main_root}/setup.py" "${tools_dir}/install.sh" | cksum | cut -d' ' -f1)-${extras}

if [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${want_stamp}" ]; then
  ${if_needed} || log "environment ${env_prefix} is up to date (delete ${stamp} to force a reinstall)"
  exit 0
fi

# Jobs of a queued array may all source path.sh at once: install under a lock, re-check inside it.
mkdir -p "${env_prefix%/*}"
exec 9>"${tools_dir}/.install.lock"
flock 9
if [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${want_stamp}" ]; then exit 0; fi

# 1. Debian packages.
missing=()
for pkg in "${!apt_why[@]}"; do
  dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed" || missing+=("${pkg}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ${use_apt} && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    for pkg in "${missing[@]}"; do
      log "WARNING: Debian package '${pkg}' is missing (install it as root): ${apt_why[${pkg}]}"
    done
  fi
fi

# 2. Python environment.
if [ ! -x "${python}" ]; then
  py=${PYTHON:-python3}
  "${py}" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
    || { log "ERROR: ${py} is older than Python 3.10; set PYTHON to a newer interpreter"; exit 1; }
  log "creating virtual environment ${env_prefix}"
  "${py}" -m venv "${env_prefix}"
fi

# 3. torch: keep a suitable one, else the user's choice, else the local CPU build, else PyPI's default.
torch_req=()
if "${python}" - <<'PY' 2>/dev/null; then
import sys, torch
major, minor = (int(v) for v in torch.__version__.split("+")[0].split(".")[:2])
sys.exit((major, minor) < (2, 11))
PY
  log "keeping installed torch $("${python}" -c 'import torch; print(torch.__version__)')"
elif [ -n "${SQE_TORCH:-}" ]; then
  read -r -a torch_req <<<"${SQE_TORCH}"
  log "torch from SQE_TORCH: ${SQE_TORCH}"
elif "${python}" -m pip install --dry-run --quiet --no-index --no-deps "torch==2.13.0" >/dev/null 2>&1; then
  torch_req=("torch==2.13.0")
  log "torch: the local CPU build (torch==2.13.0)"
else
  log "torch: none installed and no local CPU build; pip takes PyPI's default (a CUDA build of several GB)."
  log "       Set SQE_TORCH (e.g. SQE_TORCH='torch==2.11.0') to choose another."
fi

# 4. The package and its extras, in the same pip command as torch so the resolver sees the local build.
log "installing sqe[${pip_extras}] into ${env_prefix}"
# (this machine's pip config lists index folders that may not exist: hide that noise)
"${python}" -m pip install --quiet "${torch_req[@]}" -e "${main_root}${pip_extras:+[${pip_extras}]}" \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
"${python}" -c 'import sqe' || { log "ERROR: sqe does not import after installation"; exit 1; }

# 5. Wheels without their dependencies: DistillMOS (and xls-r-sqa for the tests) declare torchaudio, which
# has no CPU build that imports next to this torch; sqe loads the DistillMOS weights file without importing
# the package (sqe/models/distillmos.py).
nodeps=()
${with_distillmos} && nodeps+=("distillmos==0.9.1")
${with_xlsr} && nodeps+=("xls-r-sqa==0.1.0")
if [ ${#nodeps[@]} -gt 0 ]; then
  log "installing ${nodeps[*]} without dependencies"
  "${python}" -m pip install --quiet --no-deps "${nodeps[@]}" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
fi
echo "${want_stamp}" >"${stamp}"
log "done: activate with '. ${env_prefix}/bin/activate' (recipes do this in path.sh)"
