# shellcheck shell=bash disable=SC2154
# Sourced by deploy.sh and Tools/smoke-aws.sh: show commands as they could be pasted into a shell,
# and run them unless this is a dry run. The caller sets `dry_run` (0 or 1) and `secret` (a value that
# is never printed, e.g. the API key; may be empty).

# Commands are shown on stdout in a dry run (the command list is the output), otherwise on stderr
# like `set -x`. Through fd 3, fixed now, so that `$(run ...)` shows the command instead of capturing it.
if [ "$dry_run" -eq 1 ]; then exec 3>&1; else exec 3>&2; fi

# Prints a command with `secret` masked.
show() {
  local shown="" arg
  for arg in "$@"; do
    if [ -n "${secret:-}" ]; then arg="${arg//"$secret"/***}"; fi
    if [[ ! "$arg" =~ ^[A-Za-z0-9_./:=,@+%-]+$ ]]; then arg="'${arg//\'/\'\\\'\'}'"; fi
    shown+=" $arg"
  done
  echo "+${shown}" >&3
}

# Shows a command and runs it; in a dry run only shows it.
run() {
  show "$@"
  if [ "$dry_run" -eq 0 ]; then "$@"; fi
}

# Prints a new API key: "eliza-" and 48 hex digits (192 bits from /dev/urandom), inside the template's
# ApiKey pattern.
random_key() {
  local hex
  hex="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  [ "${#hex}" -eq 48 ] || { echo "error: could not read 24 bytes from /dev/urandom" >&2; return 1; }
  echo "eliza-$hex"
}
