#!/usr/bin/env bash
# Kaldi-style option parsing for recipe scripts. Source it after the defaults and help_message:
#
#   stage=1; stop_stage=100; use_gpu=false
#   help_message="Usage: $0 [--stage N] [--stop_stage N]"
#   . utils/parse_options.sh
#
# Semantics (Kaldi's):
#   --name value    sets the shell variable "name"; dashes become underscores (--stop-stage = --stop_stage);
#                   the variable must already be defined (else "invalid option"); a variable whose
#                   current value is true or false only accepts true or false
#   --config FILE   sources FILE (shell assignments) before all other options, whatever its position
#   --help, -h      prints $help_message and exits 0
#   parsing stops at the first argument that is not an option; the rest stays in "$@"
# Differences from Kaldi, on purpose: an empty value is allowed (--skip_stages ""); "--name=value" is
# rejected with a hint; a YAML file given to --config is an error instead of being run as shell.

_po_die() { echo "$0: $*" >&2; exit 1; }

# Pass 1: --config files first, left to right.
_po_args=("$@")
for ((_po_i = 0; _po_i < ${#_po_args[@]}; _po_i++)); do
  if [ "${_po_args[_po_i]}" = "--config" ]; then
    _po_file=${_po_args[_po_i + 1]:-}
    [ -n "${_po_file}" ] || _po_die "--config needs a file"
    case "${_po_file}" in
      *.yaml|*.yml) _po_die "--config ${_po_file}: --config takes a shell file of option defaults; YAML configs go to the *_conf options" ;;
    esac
    [ -f "${_po_file}" ] || _po_die "--config ${_po_file}: no such file"
    # shellcheck disable=SC1090  # the file is chosen by the user
    . "${_po_file}"
  fi
done

# Pass 2: the other options.
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      if [ -n "${help_message:-}" ]; then printf '%s\n' "${help_message}"; else echo "$0: no help message"; fi
      exit 0 ;;
    --*=*)
      _po_die "options must be given as '--name value', not '$1'" ;;
    --config)
      shift 2 ;;
    --*)
      _po_name=${1#--}
      _po_name=${_po_name//-/_}
      [[ ${_po_name} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || _po_die "invalid option $1"
      declare -p "${_po_name}" >/dev/null 2>&1 || _po_die "invalid option $1 (see $0 --help)"
      [ $# -ge 2 ] || _po_die "option $1 needs a value"
      _po_old=${!_po_name}
      if [ "${_po_old}" = true ] || [ "${_po_old}" = false ]; then
        [ "$2" = true ] || [ "$2" = false ] || _po_die "option $1 expects \"true\" or \"false\", got '$2'"
      fi
      printf -v "${_po_name}" '%s' "$2"
      shift 2 ;;
    *)
      break ;;
  esac
done
unset -v _po_args _po_i _po_file _po_name _po_old
unset -f _po_die
true
