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
