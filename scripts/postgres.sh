#!/usr/bin/env bash
# Local PostgreSQL server for the Mongock-TS test suite.
#
#   scripts/postgres.sh start|stop|status|url
#
# * Listens on 127.0.0.1:${PGPORT_TEST:-54329} only (TCP, scram-sha-256 password auth).
#   The unix socket lives in the private state dir and only allows the OS user
#   `postgres` (peer auth); it is used for provisioning.
# * Roles:   mongock / mongock                  (LOGIN SUPERUSER CREATEDB CREATEROLE)
#            mongock_limited / mongock_limited  (LOGIN, no CREATE anywhere)
#   Database: mongock_test (owner mongock)
# * State (data dir, log, socket): /var/tmp/mongock-test-servers/postgres-<port>/,
#   outside every clone and shared by all of them ($MONGOCK_TEST_SERVERS_DIR
#   overrides the base dir).
# * `start` is idempotent: it keeps the server on the port when it works (login,
#   provisioned roles, and a write in the scratch database mongock_probe), and
#   replaces a PostgreSQL that answers but does not work (one whose data folder was
#   deleted, say). Anything else on the port is left alone and reported.
#   Otherwise it installs the Debian packages if missing (apt-get, needs root),
#   initialises the data dir once, starts the server without systemd, waits for
#   it, and (re)creates the roles/database.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"; readonly SCRIPT_DIR
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"; readonly ROOT
readonly PORT="${PGPORT_TEST:-54329}"
readonly HOST=127.0.0.1
readonly DB=mongock_test
readonly USER_NAME=mongock USER_PASS=mongock
readonly LIMITED_NAME=mongock_limited LIMITED_PASS=mongock_limited
readonly OS_USER=postgres
readonly START_TIMEOUT=60
readonly URL="postgres://${USER_NAME}@${HOST}:${PORT}/${DB}"

log() { echo "[postgres] $*" >&2; }
die() { echo "[postgres] ERROR: $*" >&2; exit 1; }

readonly SERVER_NAME=postgres
# shellcheck source=scripts/lib/test-server-common.sh
source "$SCRIPT_DIR/lib/test-server-common.sh"

# ---------------------------------------------------------------- helpers --

readonly PROBE_DB=mongock_probe

# Is the server on the port ours and working? Logs in as $USER_NAME, finds the provisioned roles,
# and writes in a scratch database ($PROBE_DB, created when missing): a server still listening on
# a deleted data folder answers logins but cannot create a table. Sets PROBE_PROBLEM otherwise.
PROBE_PROBLEM=""
probe() {
  PROBE_PROBLEM=""
  if ! command -v psql >/dev/null 2>&1; then PROBE_PROBLEM="psql is not installed"; return 1; fi
  local out table="probe_$$_$RANDOM"
  if ! out="$(pg_tcp -d "$DB" -Atc "select count(*) from pg_roles where rolname = '$LIMITED_NAME'" 2>&1)"; then
    PROBE_PROBLEM="login as $USER_NAME to $DB failed: ${out%%$'\n'*}"
    return 1
  fi
  if [[ "$out" != 1 ]]; then PROBE_PROBLEM="role $LIMITED_NAME is missing (not provisioned)"; return 1; fi
  if ! out="$(pg_tcp -d postgres -Atc "select 1 from pg_database where datname = '$PROBE_DB'" 2>&1)"; then
    PROBE_PROBLEM="${out%%$'\n'*}"
    return 1
  fi
  if [[ "$out" != 1 ]] && ! out="$(pg_tcp -d postgres -qc "create database $PROBE_DB" 2>&1)"; then
    PROBE_PROBLEM="creating the scratch database $PROBE_DB failed: ${out%%$'\n'*}"
    return 1
  fi
  if ! out="$(pg_tcp -d "$PROBE_DB" -q -v ON_ERROR_STOP=1 \
    -c "create table $table (at timestamptz)" -c "insert into $table values (now())" -c "drop table $table" 2>&1)"; then
    PROBE_PROBLEM="a write in the scratch database $PROBE_DB failed: ${out%%$'\n'*}"
    return 1
  fi
}

pg_tcp() {
  PGPASSWORD="$USER_PASS" PGCONNECT_TIMEOUT=3 PGSSLMODE=disable psql -X -w -h "$HOST" -p "$PORT" -U "$USER_NAME" "$@"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$PORT" 2>/dev/null; }


# Select state dir (callable once the OS user exists).
choose_state_dir() {
  local base
  base="$(servers_base)"
  mkdir -p "$base" && chmod 755 "$base"
  STATE="$base/postgres-$PORT"
  DATA="$STATE/data"
  LOGFILE="$STATE/postgres.log"
  SOCKDIR="$STATE/run"
  # unix socket paths are limited to 107 bytes
  if (( ${#SOCKDIR} + 18 > 100 )); then SOCKDIR="/tmp/mongock-test-postgres-$PORT"; fi
}

pg_bindir() {
  # Prefer the binaries matching an existing data dir, else the newest installed.
  local want="" d
  if [[ -n "${DATA:-}" && -s "$DATA/PG_VERSION" ]]; then want="$(cat "$DATA/PG_VERSION")"; fi
  if [[ -n "$want" ]]; then
    d="/usr/lib/postgresql/$want/bin"
    [[ -x "$d/pg_ctl" ]] && { echo "$d"; return 0; }
    return 1
  fi
  d="$(printf '%s\n' /usr/lib/postgresql/*/bin | grep -v '\*' | sort -V | tail -n1 || true)"
  [[ -n "$d" && -x "$d/pg_ctl" && -x "$d/initdb" ]] || return 1
  echo "$d"
}

installed() {
  pg_bindir >/dev/null 2>&1 && command -v psql >/dev/null 2>&1 && id "$OS_USER" >/dev/null 2>&1
}


stop_default_clusters() {
  # If a package post-install started the stock cluster(s) (e.g. port 5432), stop them.
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  local ver name port status rest
  while read -r ver name port status rest; do
    if [[ "$status" == online* ]]; then
      log "stopping default cluster $ver/$name on port $port started by the package"
      pg_ctlcluster "$ver" "$name" stop -m fast || true
    fi
  done < <(pg_lsclusters -h 2>/dev/null || true)
}

as_pg() { runuser -u "$OS_USER" -- "$@"; }

show_log_tail() {
  if [[ -n "${LOGFILE:-}" && -f "$LOGFILE" ]]; then
    echo "----- last 40 lines of $LOGFILE -----" >&2
    tail -n 40 "$LOGFILE" >&2 || true
    echo "-------------------------------------" >&2
  fi
}

fail() { show_log_tail; die "$*"; }

running() {  # our postmaster (per pidfile) is alive
  local bindir
  [[ -f "$DATA/postmaster.pid" ]] || return 1
  bindir="$(pg_bindir)" || return 1
  as_pg "$bindir/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

init_datadir() {
  local bindir
  mkdir -p "$STATE"
  if [[ "$(basename "$(dirname "$STATE")")" == ".test-servers" && ! -e "$(dirname "$STATE")/.gitignore" ]]; then
    echo '*' > "$(dirname "$STATE")/.gitignore"
  fi
  chown "$OS_USER:" "$STATE"; chmod 700 "$STATE"
  mkdir -p "$SOCKDIR"; chown "$OS_USER:" "$SOCKDIR"; chmod 700 "$SOCKDIR"
  touch "$LOGFILE"; chown "$OS_USER:" "$LOGFILE"
  as_pg test -w "$STATE" || die "OS user $OS_USER cannot write $STATE (set MONGOCK_TEST_SERVERS_DIR)"
  [[ -s "$DATA/PG_VERSION" ]] && return 0
  bindir="$(pg_bindir)" || die "PostgreSQL binaries not found under /usr/lib/postgresql"
  log "initialising data dir $DATA"
  rm -rf "$DATA"   # leftovers of an interrupted initdb
  mkdir -p "$DATA"; chown "$OS_USER:" "$DATA"; chmod 700 "$DATA"
  as_pg "$bindir/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale \
      --auth-local=peer --auth-host=scram-sha-256 >>"$LOGFILE" 2>&1 \
    || { rm -rf "$DATA"; fail "initdb failed"; }
  cat > "$DATA/pg_hba.conf" <<'EOF'
# managed by scripts/postgres.sh
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  peer
host    all       all   127.0.0.1/32   scram-sha-256
EOF
  cat >> "$DATA/postgresql.conf" <<'EOF'

# ---- mongock test server (scripts/postgres.sh); listen_addresses/port/socket are passed by pg_ctl
password_encryption = 'scram-sha-256'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
  chown "$OS_USER:" "$DATA/pg_hba.conf" "$DATA/postgresql.conf"
}

start_server() {
  local bindir
  bindir="$(pg_bindir)" || die "no PostgreSQL binaries matching data dir version $(cat "$DATA/PG_VERSION" 2>/dev/null) (delete $DATA to re-initialise)"
  if running; then
    if as_pg "$bindir/pg_isready" -q -h "$SOCKDIR" -p "$PORT" -t 5; then return 0; fi
    log "server from $DATA running but not on port $PORT; restarting"
    as_pg "$bindir/pg_ctl" -D "$DATA" stop -m fast -w -t "$START_TIMEOUT" >/dev/null 2>&1 9>&- || true
  fi
  if port_open; then
    die "port $HOST:$PORT is already in use by another process (not our server in $DATA); set PGPORT_TEST"
  fi
  log "starting PostgreSQL ($bindir) on $HOST:$PORT"
  # 9>&- : don't let the postmaster inherit our lock fd
  as_pg "$bindir/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t "$START_TIMEOUT" \
      -o "-c listen_addresses=$HOST -p $PORT -k $SOCKDIR" start >/dev/null 9>&- \
    || fail "PostgreSQL did not start within ${START_TIMEOUT}s"
  local i
  for ((i = 0; i < START_TIMEOUT * 5; i++)); do
    as_pg "$bindir/pg_isready" -q -h "$HOST" -p "$PORT" -t 1 && return 0
    sleep 0.2
  done
  fail "PostgreSQL not accepting TCP connections on $HOST:$PORT"
}

provision() {
  local bindir
  bindir="$(pg_bindir)"
  as_pg "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCKDIR" -p "$PORT" -U postgres -d postgres >/dev/null <<EOF || fail "provisioning roles/database failed"
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME') THEN
    CREATE ROLE $USER_NAME;
  END IF;
  ALTER ROLE $USER_NAME WITH LOGIN SUPERUSER CREATEDB CREATEROLE PASSWORD '$USER_PASS';
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$LIMITED_NAME') THEN
    CREATE ROLE $LIMITED_NAME;
  END IF;
  ALTER ROLE $LIMITED_NAME WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$LIMITED_PASS';
END
\$\$;
SELECT 'CREATE DATABASE $DB OWNER $USER_NAME' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB') \gexec
ALTER DATABASE $DB OWNER TO $USER_NAME;
\c $DB
-- mongock_limited may connect and read, but must not create anything.
REVOKE CREATE ON DATABASE $DB FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT CONNECT ON DATABASE $DB TO $LIMITED_NAME;
GRANT USAGE ON SCHEMA public TO $LIMITED_NAME;
ALTER DEFAULT PRIVILEGES FOR ROLE $USER_NAME IN SCHEMA public GRANT SELECT ON TABLES TO $LIMITED_NAME;
EOF
}

# --------------------------------------------------------------- commands --

cmd_start() {
  probe && exit 0     # fast path: already up and provisioned
  need_root start
  local lock="/tmp/mongock-test-postgres-$PORT.lock"
  exec 9>"$lock"
  flock -w 600 9 || die "timed out waiting for lock $lock"
  probe && exit 0     # someone else started it while we waited
  local problem="$PROBE_PROBLEM"

  if ! installed; then
    log "installing PostgreSQL packages (apt-get)"
    apt_install postgresql postgresql-client || die "apt-get install postgresql failed"
    stop_default_clusters
    installed || die "PostgreSQL still not usable after installation"
  fi
  choose_state_dir
  if port_open && ! running; then
    # Answers but does not work as ours should (its data folder was deleted, say): replace it.
    replace_listener "$PORT" 'postgres|postmaster' INT "$problem"
  fi
  init_datadir
  start_server
  provision
  probe || fail "server started but it does not work: $PROBE_PROBLEM"
  log "ready: $URL ($(server_version))"
}

server_version() {
  PGPASSWORD="$USER_PASS" psql -X -w -h "$HOST" -p "$PORT" -U "$USER_NAME" -d "$DB" -Atc 'show server_version' 2>/dev/null || echo unknown
}

cmd_stop() {
  id "$OS_USER" >/dev/null 2>&1 || { log "not installed"; return 0; }
  need_root stop
  choose_state_dir
  local bindir
  if ! running; then
    log "not running ($DATA)"
    return 0
  fi
  bindir="$(pg_bindir)"
  log "stopping server in $DATA"
  as_pg "$bindir/pg_ctl" -D "$DATA" stop -m fast -w -t "$START_TIMEOUT" >/dev/null || fail "pg_ctl stop failed"
}

cmd_status() {
  if probe; then
    echo "postgres: running  $URL  (PostgreSQL $(server_version))"
    return 0
  fi
  if port_open; then
    echo "postgres: port $HOST:$PORT answers, but login as $USER_NAME to $DB fails or users are missing (run: $0 start)"
  else
    echo "postgres: not running ($HOST:$PORT)"
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
