#!/usr/bin/env bash
# Build and run a local FerretDB v1 server (MongoDB wire protocol, SQLite
# backend) for the test suite.
#
# Usage: scripts/ferretdb.sh start|stop|status|url
#
#   start   keep the server on the port when it is a working FerretDB (it reports a
#           FerretDB version and a write in a scratch database succeeds); otherwise
#           stop it (when it is a FerretDB whose files are gone, say) and start ours,
#           building the binary if needed. Something else on the port: exit 1.
#   stop    stop the server started by this script (via its pid file)
#   status  print "running ..." (exit 0) or "not running" (exit 3)
#   url     print the connection string, mongodb://127.0.0.1:<port>/
#
# Environment:
#   FERRETDB_PORT           TCP port on 127.0.0.1 (default 27027)
#   FERRETDB_START_TIMEOUT  seconds to wait for the port to answer (default 60)
#
# The server is the small Go program in scripts/ferretdb/, which embeds
# github.com/FerretDB/FerretDB/ferretdb (telemetry off, no network access
# besides the loopback listener). Building it needs Go >= 1.24 and the Go
# module proxy (only on the first build, or after go.mod changes).
#
# State lives outside every clone, in /var/tmp/mongock-test-servers/ferretdb/
# ($MONGOCK_TEST_SERVERS_DIR overrides the base), shared by all clones on the machine
# (deleting a clone never leaves a server running on deleted files); everything but
# the binary is per port, so servers on different FERRETDB_PORTs do not clash:
#   bin/ferretdb              built binary
#   bin/ferretdb.sha256       hash of the sources it was built from
#   data-<port>/              SQLite files (one per database)
#   ferretdb-<port>.pid       pid of the running server
#   ferretdb-<port>.log       server log (stderr) of the current run
#   ferretdb-<port>.log.prev  log of the previous run
#
# Connection string: mongodb://127.0.0.1:${FERRETDB_PORT:-27027}/

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
SRC_DIR="$SCRIPT_DIR/ferretdb"
readonly SERVER_NAME=ferretdb
# shellcheck source=scripts/lib/test-server-common.sh
source "$SCRIPT_DIR/lib/test-server-common.sh"
STATE_DIR="$(servers_base)/ferretdb"
# Where this script kept its binary before state moved out of the clones: reused when its
# sources match, to spare a build.
LEGACY_BIN_DIR="$ROOT/.test-servers/ferretdb/bin"
BIN_DIR="$STATE_DIR/bin"
BIN="$BIN_DIR/ferretdb"
HASH_FILE="$BIN_DIR/ferretdb.sha256"
LOCK_FILE="$STATE_DIR/lock"

HOST="127.0.0.1"
PORT="${FERRETDB_PORT:-27027}"
START_TIMEOUT="${FERRETDB_START_TIMEOUT:-60}"

DATA_DIR="$STATE_DIR/data-$PORT"
PID_FILE="$STATE_DIR/ferretdb-$PORT.pid"
LOG_FILE="$STATE_DIR/ferretdb-$PORT.log"

log() { printf 'ferretdb.sh: %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

if ! [[ "$PORT" =~ ^[1-9][0-9]{0,4}$ ]] || ((PORT > 65535)); then
  die "FERRETDB_PORT must be a TCP port number, got '$PORT'"
fi

# True if something accepts TCP connections on $HOST:$PORT.
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT" 2>/dev/null
}

# True if process $1 runs a FerretDB binary of this script (from any clone or layout) with
# "-listen $HOST:$PORT".
is_our_server() {
  local exe cmd
  exe="$(readlink "/proc/$1/exe" 2>/dev/null)" || return 1
  [[ "$(basename "${exe% (deleted)}")" == ferretdb ]] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *" -listen $HOST:$PORT "* ]]
}

# Prints the pid of our server for $PORT: the one in the pid file if it is alive
# and really is our server (guards against recycled pids), else (pid file lost,
# or left by an older layout of this script) one found by scanning /proc.
our_pid() {
  local pid d
  if [[ -f "$PID_FILE" ]]; then
    pid="$(tr -dc '0-9' <"$PID_FILE")"
    if [[ -n "$pid" ]] && is_our_server "$pid"; then
      printf '%s\n' "$pid"
      return 0
    fi
  fi
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    if is_our_server "$pid"; then
      if [[ -d "$STATE_DIR" ]]; then
        printf '%s\n' "$pid" >"$PID_FILE" || true
      fi
      printf '%s\n' "$pid"
      return 0
    fi
  done
  return 1
}

# True when the server on the port is a working FerretDB: it reports a FerretDB version and a
# write in a scratch database succeeds. Sets PROBE_PROBLEM otherwise. Without node or the
# clone's `mongodb` package (before `npm install`), falls back to checking that the listener is
# our binary and that its data folder exists.
PROBE_PROBLEM=""
probe() {
  PROBE_PROBLEM=""
  if ! port_open; then
    PROBE_PROBLEM="nothing answers on $HOST:$PORT"
    return 1
  fi
  local rc=0 out=""
  if command -v node >/dev/null 2>&1; then
    out="$(node "$SCRIPT_DIR/lib/mongo-probe.mjs" "mongodb://$HOST:$PORT/" 2>&1)" || rc=$?
  else
    rc=4
  fi
  if ((rc == 0)); then return 0; fi
  if ((rc != 4)); then
    PROBE_PROBLEM="${out:-the probe failed}"
    return 1
  fi
  local pid data
  if ! pid="$(our_pid)"; then
    PROBE_PROBLEM="the listener is not a FerretDB started by this script"
    return 1
  fi
  data="$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n '/^-data$/{n;p;q}')"
  if [[ -z "$data" || ! -d "$data" ]]; then
    PROBE_PROBLEM="its data folder '${data:-?}' is gone"
    return 1
  fi
  return 0
}

show_log_tail() {
  if [[ -f "$LOG_FILE" ]]; then
    log "last lines of $LOG_FILE:"
    tail -n 40 "$LOG_FILE" >&2 || true
  fi
}

lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$LOCK_FILE"
  flock 9
}

# Build flags; part of the source hash, so changing them triggers a rebuild.
BUILD_FLAGS=(-mod=readonly -trimpath -buildvcs=false)

source_hash() {
  {
    (cd "$SRC_DIR" && sha256sum main.go go.mod go.sum)
    go version
    go env GOOS GOARCH
    echo "CGO_ENABLED=0 ${BUILD_FLAGS[*]}"
  } | sha256sum | cut -d' ' -f1
}

check_go() {
  command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= 1.24 to build FerretDB)"
  local v
  v="$(GOTOOLCHAIN=local go env GOVERSION)"
  v="${v#go}"
  local major="${v%%.*}" rest="${v#*.}"
  local minor="${rest%%[!0-9]*}"
  if ((major < 1 || (major == 1 && minor < 24))); then
    die "Go $v is too old: FerretDB v1.24 needs Go >= 1.24"
  fi
}

build_if_needed() {
  export GOTOOLCHAIN=local
  check_go
  local want have=""
  want="$(source_hash)"
  if [[ -x "$BIN" && -f "$HASH_FILE" ]]; then
    have="$(cat "$HASH_FILE")"
  fi
  if [[ "$want" == "$have" ]]; then
    return 0
  fi
  if [[ -x "$LEGACY_BIN_DIR/ferretdb" && -f "$LEGACY_BIN_DIR/ferretdb.sha256" && "$(cat "$LEGACY_BIN_DIR/ferretdb.sha256")" == "$want" ]]; then
    mkdir -p "$BIN_DIR"
    cp -f "$LEGACY_BIN_DIR/ferretdb" "$BIN.tmp" && mv -f "$BIN.tmp" "$BIN"
    printf '%s\n' "$want" >"$HASH_FILE"
    log "reused the binary built in $LEGACY_BIN_DIR (same sources)"
    return 0
  fi

  log "building FerretDB server from $SRC_DIR (first build takes a few minutes) ..."
  mkdir -p "$BIN_DIR"
  local start=$SECONDS
  # -mod=readonly: go.mod/go.sum are complete and committed; never rewrite them.
  # CGO_ENABLED=0: the SQLite driver (modernc.org/sqlite) is pure Go.
  if ! (cd "$SRC_DIR" && CGO_ENABLED=0 go build "${BUILD_FLAGS[@]}" -o "$BIN.tmp" .); then
    rm -f "$BIN.tmp"
    die "building the FerretDB server failed (see the go output above)"
  fi
  mv -f "$BIN.tmp" "$BIN"
  printf '%s\n' "$want" >"$HASH_FILE"
  log "built $BIN in $((SECONDS - start)) s"
}

cmd_start() {
  local pid=""
  lock

  if probe; then
    log "already running and healthy on $HOST:$PORT (pid $(listener_pid "$PORT")); kept"
    return 0
  fi
  if port_open; then
    # Answers but does not work (its files were deleted with the clone that started it, say).
    replace_listener "$PORT" ferretdb TERM "$PROBE_PROBLEM"
  fi

  if pid="$(our_pid)" && ! port_open; then
    # Started earlier but not answering yet (or hung): wait for it below.
    log "server process $pid exists but $HOST:$PORT does not answer yet; waiting"
  else
    rm -f "$PID_FILE"
    build_if_needed
    mkdir -p "$DATA_DIR"
    if [[ -f "$LOG_FILE" ]]; then
      mv -f "$LOG_FILE" "$LOG_FILE.prev"
    fi
    echo "=== $(date -u +%Y-%m-%dT%H:%M:%SZ) ferretdb.sh start: $HOST:$PORT, data $DATA_DIR ===" >"$LOG_FILE"
    # setsid + nohup: own session, survives the calling shell and its process group.
    # The lock fd must not leak into the daemon, or it would hold the lock forever.
    setsid nohup "$BIN" -listen "$HOST:$PORT" -data "$DATA_DIR" -pidfile "$PID_FILE" \
      </dev/null >>"$LOG_FILE" 2>&1 9>&- &
    pid=$!
    printf '%s\n' "$pid" >"$PID_FILE"
    log "started pid $pid, waiting for $HOST:$PORT (up to ${START_TIMEOUT} s) ..."
  fi

  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if probe; then
      log "FerretDB is up: mongodb://$HOST:$PORT/ (pid $pid, data $DATA_DIR, log $LOG_FILE)"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      show_log_tail
      rm -f "$PID_FILE"
      die "FerretDB (pid $pid) exited before $HOST:$PORT answered"
    fi
    sleep 0.2
  done

  show_log_tail
  die "FerretDB (pid $pid) did not answer on $HOST:$PORT within ${START_TIMEOUT} s (still running; use '$0 stop')"
}

cmd_stop() {
  lock

  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$PID_FILE"
    if port_open; then
      log "no server started by this script, but $HOST:$PORT answers (some other process); leaving it alone"
    else
      log "not running"
    fi
    return 0
  fi

  kill -TERM "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do # up to 10 s
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid did not stop after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$PID_FILE"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    if probe; then
      echo "running (pid $pid, mongodb://$HOST:$PORT/)"
      return 0
    fi
    echo "not running: pid $pid exists but $HOST:$PORT does not answer"
    return 3
  fi
  if port_open; then
    echo "running (mongodb://$HOST:$PORT/ answers, but not started by this script)"
    return 0
  fi
  echo "not running"
  return 3
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
url) echo "mongodb://$HOST:$PORT/" ;;
*)
  echo "usage: $0 start|stop|status|url" >&2
  exit 2
  ;;
esac
