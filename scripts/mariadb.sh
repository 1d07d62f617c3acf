#!/usr/bin/env bash
# Local MariaDB server for the Mongock-TS test suite.
#
#   scripts/mariadb.sh start|stop|status|url
#
# * Listens on 127.0.0.1:${MYSQL_PORT_TEST:-33069} only. The unix socket lives in
#   the private state dir; OS root logs in there as MariaDB root (unix_socket
#   auth) for provisioning. No password is set for MariaDB root.
# * Users:   mongock@127.0.0.1 / mongock@localhost, password mongock
#                 ALL PRIVILEGES ON *.* WITH GRANT OPTION
#            mongock_limited@127.0.0.1 / @localhost, password mongock_limited
#                 SELECT ON mongock_test.* only
#   Database: mongock_test (utf8mb4)
# * State (data dir, log, socket, pid, my.cnf): /var/tmp/mongock-test-servers/mariadb-<port>/,
#   outside every clone and shared by all of them ($MONGOCK_TEST_SERVERS_DIR
#   overrides the base dir).
# * `start` is idempotent: it keeps the server on the port when it works (login,
#   provisioned users, and a write in the scratch database mongock_probe), and
#   replaces a MariaDB that answers but does not work (one whose data folder was
#   deleted, say). Anything else on the port is left alone and reported.
#   Otherwise it installs the Debian packages if missing (apt-get, needs root),
#   initialises the data dir once, starts mariadbd directly (no systemd), waits
#   for it, and (re)creates the users/database.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; readonly SCRIPT_DIR
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"; readonly ROOT
readonly PORT="${MYSQL_PORT_TEST:-33069}"
readonly HOST=127.0.0.1
readonly DB=mongock_test
readonly USER_NAME=mongock USER_PASS=mongock
readonly LIMITED_NAME=mongock_limited LIMITED_PASS=mongock_limited
readonly OS_USER=mysql
readonly START_TIMEOUT=60
readonly URL="mysql://${USER_NAME}@${HOST}:${PORT}/${DB}"

log() { echo "[mariadb] $*" >&2; }
die() { echo "[mariadb] ERROR: $*" >&2; exit 1; }

readonly SERVER_NAME=mariadb
# shellcheck source=scripts/lib/test-server-common.sh
source "$SCRIPT_DIR/lib/test-server-common.sh"

first_cmd() { local c; for c in "$@"; do command -v "$c" 2>/dev/null && return 0; done; return 1; }

find_bins() {
  CLIENT="$(first_cmd mariadb mysql)" || CLIENT=""
  ADMIN="$(first_cmd mariadb-admin mysqladmin)" || ADMIN=""
  INSTALL_DB="$(first_cmd mariadb-install-db mysql_install_db)" || INSTALL_DB=""
  SERVER=""
  local c
  for c in /usr/sbin/mariadbd /usr/sbin/mysqld; do [[ -x "$c" ]] && { SERVER="$c"; break; }; done
}

# ---------------------------------------------------------------- helpers --

readonly PROBE_DB=mongock_probe

# Is the server on the port ours and working? Logs in as $USER_NAME, finds the provisioned users,
# and writes in a scratch database ($PROBE_DB, created when missing): a server still listening on
# a deleted data folder answers logins but cannot create a table. Sets PROBE_PROBLEM otherwise.
PROBE_PROBLEM=""
probe() {
  PROBE_PROBLEM=""
  local client out table="probe_$$_$RANDOM"
  if ! client="$(first_cmd mariadb mysql)"; then PROBE_PROBLEM="the mariadb client is not installed"; return 1; fi
  if ! out="$("$client" --no-defaults --protocol=TCP -h "$HOST" -P "$PORT" -u "$USER_NAME" -p"$USER_PASS" \
    --connect-timeout=3 -N -B -e "select count(distinct user) from mysql.user where user = '$LIMITED_NAME'" "$DB" 2>&1)"; then
    PROBE_PROBLEM="login as $USER_NAME to $DB failed: ${out%%$'\n'*}"
    return 1
  fi
  if [[ "$out" != 1 ]]; then PROBE_PROBLEM="user $LIMITED_NAME is missing (not provisioned)"; return 1; fi
  if ! out="$("$client" --no-defaults --protocol=TCP -h "$HOST" -P "$PORT" -u "$USER_NAME" -p"$USER_PASS" --connect-timeout=3 -N -B -e \
    "CREATE DATABASE IF NOT EXISTS $PROBE_DB; CREATE TABLE $PROBE_DB.$table (at DATETIME) ENGINE=InnoDB; INSERT INTO $PROBE_DB.$table VALUES (NOW()); DROP TABLE $PROBE_DB.$table" 2>&1)"; then
    PROBE_PROBLEM="a write in the scratch database $PROBE_DB failed: ${out%%$'\n'*}"
    return 1
  fi
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT" 2>/dev/null; }


choose_state_dir() {
  local base
  base="$(servers_base)"
  mkdir -p "$base" && chmod 755 "$base"
  STATE="$base/mariadb-$PORT"
  DATA="$STATE/data"
  LOGFILE="$STATE/mariadb.log"
  PIDFILE="$STATE/mariadbd.pid"
  CNF="$STATE/my.cnf"
  SOCK="$STATE/mariadbd.sock"
  # unix socket paths are limited to 107 bytes
  if (( ${#SOCK} > 100 )); then SOCK="/tmp/mongock-test-mariadb-$PORT.sock"; fi
}

installed() {
  find_bins
  [[ -n "$CLIENT" && -n "$ADMIN" && -n "$INSTALL_DB" && -n "$SERVER" ]] && id "$OS_USER" >/dev/null 2>&1
}


stop_default_server() {
  # If a package post-install started the stock server (port 3306), stop it.
  local pidf pid
  for pidf in /run/mysqld/mysqld.pid /run/mysqld/mariadbd.pid; do
    [[ -f "$pidf" ]] || continue
    pid="$(cat "$pidf" 2>/dev/null || true)"
    if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then continue; fi
    log "stopping default MariaDB server (pid $pid) started by the package"
    "$ADMIN" --no-defaults --socket=/run/mysqld/mysqld.sock -u root shutdown 2>/dev/null || kill -TERM "$pid" || true
    wait_pid_gone "$pid" 60 || log "warning: default server pid $pid still running"
  done
}

wait_pid_gone() {  # pid timeout_s
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.2
  done
  return 1
}

show_log_tail() {
  if [[ -n "${LOGFILE:-}" && -f "$LOGFILE" ]]; then
    echo "----- last 40 lines of $LOGFILE -----" >&2
    tail -n 40 "$LOGFILE" >&2 || true
    echo "-------------------------------------" >&2
  fi
}

fail() { show_log_tail; die "$*"; }

server_pid() {  # prints pid of our running server, fails if not running
  local pid comm
  [[ -f "$PIDFILE" ]] || return 1
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
  [[ "$comm" == mariadbd || "$comm" == mysqld ]] || return 1
  echo "$pid"
}

root_sql() {  # run SQL (stdin or args) as MariaDB root over our socket
  "$CLIENT" --no-defaults --socket="$SOCK" -u root -N -B "$@"
}

write_cnf() {
  cat > "$CNF" <<EOF
# generated by scripts/mariadb.sh -- rewritten on every (slow-path) start
[mysqld]
user                 = $OS_USER
datadir              = $DATA
socket               = $SOCK
pid-file             = $PIDFILE
port                 = $PORT
bind-address         = $HOST
log-error            = $LOGFILE
skip-name-resolve
character-set-server = utf8mb4
collation-server     = utf8mb4_unicode_ci
max_connections      = 300
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite   = 0
EOF
  chmod 644 "$CNF"
}

init_datadir() {
  mkdir -p "$STATE"
  if [[ "$(basename "$(dirname "$STATE")")" == ".test-servers" && ! -e "$(dirname "$STATE")/.gitignore" ]]; then
    echo '*' > "$(dirname "$STATE")/.gitignore"
  fi
  chown "$OS_USER:" "$STATE"; chmod 750 "$STATE"
  touch "$LOGFILE"; chown "$OS_USER:" "$LOGFILE"
  runuser -u "$OS_USER" -- test -w "$STATE" || die "OS user $OS_USER cannot write $STATE (set MONGOCK_TEST_SERVERS_DIR)"
  write_cnf
  [[ -f "$DATA/.mongock-initialised" ]] && return 0
  log "initialising data dir $DATA"
  rm -rf "$DATA"   # leftovers of an interrupted init
  mkdir -p "$DATA"; chown "$OS_USER:" "$DATA"; chmod 750 "$DATA"
  "$INSTALL_DB" --defaults-file="$CNF" --user="$OS_USER" --datadir="$DATA" \
      --auth-root-authentication-method=socket --skip-test-db \
      >>"$LOGFILE" 2>&1 9>&- \
    || { rm -rf "$DATA"; fail "mariadb-install-db failed"; }
  touch "$DATA/.mongock-initialised"
}

start_server() {
  local pid i
  if pid="$(server_pid)"; then
    if "$ADMIN" --no-defaults --socket="$SOCK" -u root ping >/dev/null 2>&1 && port_open; then return 0; fi
    log "server pid $pid not answering on $HOST:$PORT; restarting it"
    stop_server
  fi
  if port_open; then
    die "port $HOST:$PORT is already in use by another process (not our server in $DATA); set MYSQL_PORT_TEST"
  fi
  rm -f "$SOCK" "$SOCK.lock" "$PIDFILE"
  log "starting MariaDB ($SERVER) on $HOST:$PORT"
  # detached from our session, stdin/stdout closed, lock fd 9 not inherited
  setsid "$SERVER" --defaults-file="$CNF" </dev/null >>"$LOGFILE" 2>&1 9>&- &
  local spid=$!
  for ((i = 0; i < START_TIMEOUT * 5; i++)); do
    if "$ADMIN" --no-defaults --socket="$SOCK" -u root --connect-timeout=1 ping >/dev/null 2>&1 && port_open; then
      return 0
    fi
    if ! kill -0 "$spid" 2>/dev/null && ! server_pid >/dev/null; then
      fail "mariadbd exited during startup"
    fi
    sleep 0.2
  done
  fail "MariaDB did not become ready within ${START_TIMEOUT}s"
}

stop_server() {
  local pid
  pid="$(server_pid)" || return 0
  "$ADMIN" --no-defaults --socket="$SOCK" -u root shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
  if ! wait_pid_gone "$pid" "$START_TIMEOUT"; then
    log "mariadbd pid $pid did not stop in ${START_TIMEOUT}s; killing"
    kill -KILL "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 10 || fail "could not stop mariadbd pid $pid"
  fi
}

provision() {
  local h
  {
    echo "CREATE DATABASE IF NOT EXISTS \`$DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
    for h in 127.0.0.1 localhost; do
      echo "CREATE USER IF NOT EXISTS '$USER_NAME'@'$h' IDENTIFIED BY '$USER_PASS';"
      echo "ALTER USER '$USER_NAME'@'$h' IDENTIFIED BY '$USER_PASS';"
      echo "GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'$h' WITH GRANT OPTION;"
      echo "CREATE USER IF NOT EXISTS '$LIMITED_NAME'@'$h' IDENTIFIED BY '$LIMITED_PASS';"
      echo "ALTER USER '$LIMITED_NAME'@'$h' IDENTIFIED BY '$LIMITED_PASS';"
      echo "REVOKE ALL PRIVILEGES, GRANT OPTION FROM '$LIMITED_NAME'@'$h';"
      echo "GRANT SELECT ON \`$DB\`.* TO '$LIMITED_NAME'@'$h';"
    done
    # anonymous accounts would shadow named users on some hosts
    root_sql -e "SELECT Host FROM mysql.user WHERE User = ''" | while read -r h; do
      echo "DROP USER IF EXISTS ''@'$h';"
    done
    echo "FLUSH PRIVILEGES;"
  } | root_sql || fail "provisioning users/database failed"
}

server_version() {
  "$CLIENT" --no-defaults --protocol=TCP -h "$HOST" -P "$PORT" -u "$USER_NAME" -p"$USER_PASS" \
    -N -B -e 'select version()' 2>/dev/null || echo unknown
}

# --------------------------------------------------------------- commands --

cmd_start() {
  probe && exit 0     # fast path: already up and provisioned
  need_root start
  local lock="/tmp/mongock-test-mariadb-$PORT.lock"
  exec 9>"$lock"
  flock -w 600 9 || die "timed out waiting for lock $lock"
  probe && exit 0     # someone else started it while we waited
  local problem="$PROBE_PROBLEM"

  if ! installed; then
    log "installing MariaDB packages (apt-get)"
    apt_install mariadb-server mariadb-client || die "apt-get install mariadb-server mariadb-client failed"
    installed || die "MariaDB still not usable after installation"
    stop_default_server
  fi
  choose_state_dir
  if port_open && ! server_pid >/dev/null; then
    # Answers but does not work as ours should (its data folder was deleted, say): replace it.
    replace_listener "$PORT" 'mariadbd|mysqld' TERM "$problem"
  fi
  init_datadir
  start_server
  provision
  probe || fail "server started but it does not work: $PROBE_PROBLEM"
  log "ready: $URL ($(server_version))"
}

cmd_stop() {
  id "$OS_USER" >/dev/null 2>&1 || { log "not installed"; return 0; }
  need_root stop
  find_bins
  choose_state_dir
  if ! server_pid >/dev/null; then
    log "not running ($DATA)"
    return 0
  fi
  log "stopping server in $DATA"
  stop_server
}

cmd_status() {
  find_bins
  if probe; then
    echo "mariadb: running  $URL  (MariaDB $(server_version))"
    return 0
  fi
  if port_open; then
    echo "mariadb: port $HOST:$PORT answers, but login as $USER_NAME to $DB fails or users are missing (run: $0 start)"
  else
    echo "mariadb: not running ($HOST:$PORT)"
  fi
  return 3
}

case "${1:-}" in
  start)  cmd_start ;;
  stop)   cmd_stop ;;
  status) cmd_status ;;
  url)    echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
