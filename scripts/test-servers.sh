#!/usr/bin/env bash
# Start/stop all local database servers used by the Mongock-TS test suite.
#
#   scripts/test-servers.sh up|down|status
#
# Delegates to scripts/postgres.sh, scripts/mariadb.sh, scripts/ferretdb.sh and
# scripts/mysql.sh, each of which supports start|stop|status (and `url`).
# `up` is idempotent and fast when everything already runs. Oracle MySQL is optional: its
# binaries come from Debian sid (see scripts/mysql.sh); when it cannot start, `up` says so and
# goes on, and the tests that need it are reported as skipped.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; readonly SCRIPT_DIR
readonly SERVERS=(postgres mariadb ferretdb mysql)
readonly OPTIONAL=(mysql)

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
  local required=()
  for s in "${failed[@]}"; do
    [[ " ${OPTIONAL[*]} " == *" $s "* ]] || required+=("$s")
  done
  if ((${#required[@]})); then
    echo "test-servers: failed: ${required[*]}" >&2
    exit 1
  fi
  if ((${#failed[@]})); then echo "test-servers: optional server(s) not started: ${failed[*]}; their tests will be skipped" >&2; fi
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
