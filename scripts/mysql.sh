#!/usr/bin/env bash
# Local Oracle MySQL server (not MariaDB) for the Mongock-TS test suite: the paths that differ
# between the two (MySQL's max_execution_time statement timeout) are tested on it.
#
#   scripts/mysql.sh start|stop|status|url
#
# * Listens on 127.0.0.1:${ORACLE_MYSQL_PORT_TEST:-33079} only; no X protocol.
# * Users:   mongock@% , password mongock, ALL PRIVILEGES WITH GRANT OPTION (caching_sha2_password)
#   Database: mongock_test (utf8mb4). Created by an --init-file at every start (idempotent).
# * Binaries: Debian bookworm ships no MySQL (its default-mysql-server is MariaDB); Debian sid has
#   mysql-server-core (MySQL 9.x), built against a newer C library than bookworm's. So the package
#   and its whole dependency closure (libc6 included) are fetched with `apt-get download` from
#   Debian sid, through an apt configuration of their own (the system's sources, lists and
#   installed packages are not touched), unpacked with dpkg-deb -x, and mysqld runs through the
#   unpacked dynamic loader with the unpacked libraries. Nothing is installed on the system.
# * State (packages, data dir, log, socket, pid): /var/tmp/mongock-test-servers/mysql-*/,
#   outside every clone ($MONGOCK_TEST_SERVERS_DIR overrides the base dir).
# * `start` is idempotent: it keeps the server on the port when it works (a login and a write in
#   the scratch database mongock_probe), replaces one of ours that does not, and leaves anything
#   else on the port alone (reported).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; readonly SCRIPT_DIR
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"; readonly ROOT
readonly PORT="${ORACLE_MYSQL_PORT_TEST:-33079}"
readonly HOST=127.0.0.1
readonly DB=mongock_test
readonly USER_NAME=mongock USER_PASS=mongock
readonly START_TIMEOUT=120
readonly URL="mysql://${USER_NAME}@${HOST}:${PORT}/${DB}"
readonly SUITE=sid
readonly DEBIAN_MIRROR=http://deb.debian.org/debian

log() { echo "[mysql] $*" >&2; }
die() { echo "[mysql] ERROR: $*" >&2; exit 1; }

readonly SERVER_NAME=mysql
# shellcheck source=scripts/lib/test-server-common.sh
source "$SCRIPT_DIR/lib/test-server-common.sh"

BASE="$(servers_base)"; readonly BASE
readonly PKG="$BASE/mysql-packages"          # apt state of our own + the unpacked root
readonly SYSROOT="$PKG/root"
readonly STATE="$BASE/mysql-$PORT"
readonly DATA="$STATE/data"
readonly LOGFILE="$STATE/mysqld.log"
readonly PIDFILE="$STATE/mysqld.pid"
readonly INIT_SQL="$STATE/init.sql"
SOCK="$STATE/mysqld.sock"
if (( ${#SOCK} > 100 )); then SOCK="/tmp/mongock-test-mysql-$PORT.sock"; fi
readonly SOCK
readonly LIBS="$SYSROOT/usr/lib/x86_64-linux-gnu"
readonly LOADER="$LIBS/ld-linux-x86-64.so.2"
readonly MYSQLD="$SYSROOT/usr/sbin/mysqld"

apt_own() {  # apt-get/apt-cache with sources, lists and cache of our own
  local tool="$1"; shift
  "$tool" -o Dir::Etc::sourcelist="$PKG/sources.list" -o Dir::Etc::sourceparts=/nonexistent \
    -o Dir::State::Lists="$PKG/lists" -o Dir::Cache="$PKG/cache" -o Debug::NoLocking=1 "$@"
}

mysqld_run() { "$LOADER" --library-path "$LIBS" "$MYSQLD" "$@"; }

unpacked() { [[ -x "$MYSQLD" && -x "$LOADER" ]] && mysqld_run --version >/dev/null 2>&1; }

fetch_packages() {
  unpacked && return 0
  command -v apt-get >/dev/null 2>&1 || die "apt-get is needed to fetch MySQL's Debian packages"
  mkdir -p "$PKG/lists/partial" "$PKG/cache/archives/partial" "$PKG/debs"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $DEBIAN_MIRROR $SUITE main" > "$PKG/sources.list"
  local aptlog="$PKG/apt.log" closure p
  log "fetching mysql-server-core and its libraries from Debian $SUITE (output: $aptlog)"
  apt_own apt-get update -q > "$aptlog" 2>&1 || { tail -n 20 "$aptlog" >&2; die "apt-get update of Debian $SUITE failed"; }
  # Every package mysqld needs at run time, C library included; perl (for helper scripts) is not.
  closure="$(apt_own apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances mysql-server-core 2>/dev/null | grep -v '^ \|<' | grep -v '^perl\|libperl' | sort -u)"
  [[ -n "$closure" ]] || die "Debian $SUITE has no mysql-server-core"
  # shellcheck disable=SC2086 # one word per package
  ( cd "$PKG/debs" && apt_own apt-get download -q $closure >> "$aptlog" 2>&1 ) \
    || { tail -n 20 "$aptlog" >&2; die "apt-get download failed"; }
  rm -rf "$SYSROOT.new" && mkdir -p "$SYSROOT.new"
  for p in "$PKG"/debs/*.deb; do dpkg-deb -x "$p" "$SYSROOT.new"; done
  rm -rf "$SYSROOT" && mv "$SYSROOT.new" "$SYSROOT"
  rm -rf "$PKG/debs" "$PKG/cache/archives"
  unpacked || die "the unpacked mysqld does not run: $(mysqld_run --version 2>&1 | head -n 3)"
  log "unpacked $(mysqld_run --version 2>&1)"
}

# Is the server on the port ours and working? A login and a write in a scratch database (node +
# mysql2 from this clone: no MySQL client is installed). Sets PROBE_PROBLEM otherwise.
PROBE_PROBLEM=""
probe() {
  PROBE_PROBLEM=""
  local out
  if ! out="$(cd "$ROOT" && timeout 20 node -e '
    const mysql = require("mysql2/promise");
    (async () => {
      const c = await mysql.createConnection({ uri: process.argv[1], connectTimeout: 5000 });
      const [[row]] = await c.query("SELECT VERSION() AS v");
      if (/mariadb/i.test(row.v)) throw new Error(`a MariaDB (${row.v}) answers, not MySQL`);
      const table = `mongock_probe.probe_${process.pid}`;
      await c.query("CREATE DATABASE IF NOT EXISTS mongock_probe");
      await c.query(`CREATE TABLE ${table} (at DATETIME) ENGINE=InnoDB`);
      await c.query(`INSERT INTO ${table} VALUES (NOW())`);
      await c.query(`DROP TABLE ${table}`);
      await c.end();
    })().catch((e) => { console.error(e.message); process.exit(1); });
  ' "mysql://$USER_NAME:$USER_PASS@$HOST:$PORT/$DB" 2>&1)"; then
    PROBE_PROBLEM="${out%%$'\n'*}"
    return 1
  fi
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT" 2>/dev/null; }

server_pid() {
  local pid
  [[ -f "$PIDFILE" ]] || return 1
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && pid_alive "$pid" && grep -q mysqld "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

stop_server() {
  local pid i
  pid="$(server_pid)" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do pid_alive "$pid" || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

write_init_sql() {
  cat > "$INIT_SQL" <<EOF
CREATE USER IF NOT EXISTS '$USER_NAME'@'%' IDENTIFIED BY '$USER_PASS';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'%' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS $DB CHARACTER SET utf8mb4;
EOF
}

cmd_start() {
  if port_open; then
    if probe; then log "already running and healthy on $HOST:$PORT; kept"; return 0; fi
    if server_pid >/dev/null; then
      log "our server on $HOST:$PORT does not work ($PROBE_PROBLEM); restarting it"
      stop_server
    else
      die "something else listens on $HOST:$PORT (pid $(listener_pid "$PORT")) and is not a working MySQL: $PROBE_PROBLEM"
    fi
  fi
  need_root "start"
  fetch_packages
  mkdir -p "$STATE"
  write_init_sql
  if [[ ! -d "$DATA/mysql" ]]; then
    rm -rf "$DATA"
    log "initialising $DATA"
    mysqld_run --no-defaults --initialize-insecure --user=root --datadir="$DATA" --basedir="$SYSROOT/usr" \
      --lc-messages-dir="$SYSROOT/usr/share/mysql" --log-error="$LOGFILE" || { tail -n 20 "$LOGFILE" >&2; die "mysqld --initialize failed"; }
  fi
  log "starting mysqld on $HOST:$PORT (log: $LOGFILE)"
  setsid "$LOADER" --library-path "$LIBS" "$MYSQLD" --no-defaults --user=root --datadir="$DATA" --basedir="$SYSROOT/usr" \
    --lc-messages-dir="$SYSROOT/usr/share/mysql" --bind-address="$HOST" --port="$PORT" --socket="$SOCK" --mysqlx=OFF \
    --pid-file="$PIDFILE" --log-error="$LOGFILE" --init-file="$INIT_SQL" --secure-file-priv= \
    --innodb-buffer-pool-size=64M --performance-schema=OFF --skip-log-bin > /dev/null 2>&1 < /dev/null &
  local i
  for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    if port_open && probe; then log "ready: $(mysqld_run --version 2>&1)"; return 0; fi
    sleep 0.5
  done
  tail -n 30 "$LOGFILE" >&2 || true
  die "mysqld did not become ready within ${START_TIMEOUT}s: $PROBE_PROBLEM"
}

cmd_status() {
  if port_open && probe; then echo "mysql: running on $HOST:$PORT ($URL)"; else echo "mysql: not running ($PROBE_PROBLEM)"; return 3; fi
}

case "${1:-}" in
  start)  cmd_start ;;
  stop)   stop_server ;;
  status) cmd_status ;;
  url)    echo "$URL" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
