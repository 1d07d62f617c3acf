#!/usr/bin/env bash
# Shared by scripts/postgres.sh and scripts/mariadb.sh (sourced, not run). The caller defines
# SERVER_NAME and log().

# Installs Debian packages without letting their maintainer scripts start the default server.
apt_install() {
  local policy_created=0 rc=0 aptlog="/tmp/mongock-test-${SERVER_NAME}-apt.log"
  # Keep the Debian maintainer scripts from starting the default server.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, created by mongock scripts/%s.sh\nexit 101\n' "$SERVER_NAME" > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_created=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  : > "$aptlog"
  if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || ! apt-cache show "$@" >/dev/null 2>&1; then
    log "running apt-get update (output: $aptlog)"
    apt-get update -q >>"$aptlog" 2>&1 || rc=$?
  fi
  if [[ $rc -eq 0 ]]; then
    log "apt-get install $* (output: $aptlog)"
    apt-get install "${opts[@]}" "$@" >>"$aptlog" 2>&1 9>&- || {
      log "apt-get install failed; retrying after apt-get update"
      apt-get update -q >>"$aptlog" 2>&1 && apt-get install "${opts[@]}" "$@" >>"$aptlog" 2>&1 9>&-
    } || rc=$?
  fi
  if [[ $policy_created -eq 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
  if [[ $rc -ne 0 ]]; then
    echo "----- last 40 lines of $aptlog -----" >&2
    tail -n 40 "$aptlog" >&2 || true
    echo "-------------------------------------" >&2
  fi
  return $rc
}

need_root() {
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "must run as root (or with sudo available)"
    exec sudo -n -E "$0" "$@"
  fi
}

# Where every clone's test servers keep their binaries and data: one place per machine, outside
# any clone, so that deleting a clone never leaves a server listening on files that are gone, and
# several clones share one server per port instead of fighting over it.
servers_base() {
  printf '%s\n' "${MONGOCK_TEST_SERVERS_DIR:-/var/tmp/mongock-test-servers}"
}

# Pid of the process listening on 127.0.0.1:$1 (nothing when none, or when it cannot be told).
listener_pid() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -oE 'pid=[0-9]+' | head -n1 | cut -d= -f2 || true
}

# True while process $1 runs (a zombie, exited but not yet reaped by its parent, does not).
pid_alive() {
  local state
  state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$state" && "$state" != Z ]]
}

# Stops the server listening on port $1 when its program's name matches $2 (an extended regex,
# e.g. 'postgres'), with signal $3, because it answered but failed the health check ($4, the
# reason). Anything else on the port is not ours to stop: die naming it.
replace_listener() {
  local port=$1 kind=$2 signal=$3 reason=$4 pid exe name i
  pid="$(listener_pid "$port")"
  if [[ -z "$pid" ]]; then
    port_open || return 0
    die "port 127.0.0.1:$port answers but its process cannot be found ($reason); stop it or choose another port"
  fi
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || echo unknown)"
  name="$(basename "${exe% (deleted)}")"
  if ! [[ "$name" =~ ^($kind)$ ]]; then
    die "port 127.0.0.1:$port is used by pid $pid ($exe), which is not a $SERVER_NAME test server ($reason); stop it or choose another port"
  fi
  log "replacing the $SERVER_NAME server on port $port (pid $pid, $exe): $reason"
  kill "-$signal" "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do # up to 30 s
    pid_alive "$pid" || break
    sleep 0.2
  done
  if pid_alive "$pid"; then
    log "pid $pid did not stop after SIG$signal; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  for ((i = 0; i < 50; i++)); do
    port_open || return 0
    sleep 0.2
  done
  die "port 127.0.0.1:$port still answers after stopping pid $pid"
}
