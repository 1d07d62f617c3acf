#!/usr/bin/env bash
# Start/stop all local database servers used by the Mongock-TS test suite.
#
#   scripts/test-servers.sh up|down|status
#
# Delegates to scripts/postgres.sh, scripts/mariadb.sh and (if present)
# scripts/ferretdb.sh, each of which supports start|stop|status (and `url`).
# `up` is idempotent and fast when everything already runs.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; readonly SCRIPT_DIR
readonly SERVERS=(postgres mariadb ferretdb)

available() {  # list server names whose script exists
  local s
  for s in "${SERVERS[@]}"; do
    [[ -f "$SCRIPT_DIR/$s.sh" ]] && echo "$s"
  done
  return 0
}

run_script() { bash "$SCRIPT_DIR/$1.sh" "${@:2}"; }

url_of() {  # `<script> url` if supported, else the first URL in `<script> status`
  local u
  if u="$(run_script "$1" url 2>/dev/null)" && [[ "$u" == *://* ]]; then
    echo "${u%%$'\n'*}"
  elif u="$(run_script "$1" status 2>/dev/null | grep -oE '[a-z]+://[^ )]+' | head -n1)" && [[ -n "$u" ]]; then
    echo "$u"
  else
    echo "(started; see scripts/$1.sh status)"
  fi
}

cmd_up() {
  local s failed=()
  for s in $(available); do
    run_script "$s" start || failed+=("$s")
  done
  for s in $(available); do
    if [[ " ${failed[*]-} " == *" $s "* ]]; then
      printf '%-9s FAILED to start (see messages above)\n' "$s:"
    else
      printf '%-9s %s\n' "$s:" "$(url_of "$s")"
    fi
  done
  if ((${#failed[@]})); then
    echo "test-servers: failed: ${failed[*]}" >&2
    exit 1
  fi
}

cmd_down() {
  local s rc=0 list
  mapfile -t list < <(available)
  for ((i = ${#list[@]} - 1; i >= 0; i--)); do
    run_script "${list[i]}" stop || rc=1
  done
  exit $rc
}

cmd_status() {
  local s rc=0
  for s in $(available); do
    run_script "$s" status || rc=3
  done
  exit $rc
}

case "${1:-}" in
  up)     cmd_up ;;
  down)   cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
