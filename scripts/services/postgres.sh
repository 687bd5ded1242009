#!/usr/bin/env bash
# A throwaway PostgreSQL for integration tests and CI, run as a plain process (no Docker here).
#
#   scripts/services/postgres.sh start    initialise on first use, start, wait until it accepts
#                                          connections, print DATABASE_URL=... (one line, stdout)
#   scripts/services/postgres.sh stop     stop it (pg_ctl stop -m fast on its pid), wait for exit
#   scripts/services/postgres.sh status   print DATABASE_URL=... and exit 0 if running, else exit 3
#
# Environment:
#   SLUICE_SERVICES_DIR   state root (default <repo>/.cache); data in $SLUICE_SERVICES_DIR/postgres
#   SLUICE_PG_PORT        TCP port on 127.0.0.1 (default 55432); the server never listens elsewhere
#   SLUICE_PG_BIN         directory holding initdb/pg_ctl/psql (default: newest /usr/lib/postgresql/*/bin)
#   SLUICE_PG_OS_USER     unprivileged OS user to run the server as when we are root (default postgres)
#
# Role sluice / password sluice is the cluster's superuser, so tests may CREATE DATABASE.
# All messages go to stderr or to $SLUICE_SERVICES_DIR/postgres/postgres.log.
set -euo pipefail

SERVICE_NAME=postgres
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_PORT="${SLUICE_PG_PORT:-55432}"
PG_ROLE=sluice
PG_PASSWORD=sluice
PG_DB=sluice
PG_HOME="$SLUICE_SERVICES_DIR/postgres"

find_pg_bin() {
  if [[ -n "${SLUICE_PG_BIN:-}" ]]; then
    echo "$SLUICE_PG_BIN"
    return
  fi
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/pg_ctl" ]]; then
    echo "$dir"
  elif command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"
  else
    die "PostgreSQL server binaries not found (install postgresql, or set SLUICE_PG_BIN)"
  fi
}
PG_BIN="$(find_pg_bin)"
[[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" && -x "$PG_BIN/psql" ]] || die "initdb/pg_ctl/psql missing in $PG_BIN"

# Postgres refuses to run as root: as root, run the server side as an unprivileged user.
if [[ $EUID -eq 0 ]]; then
  PG_OS_USER="${SLUICE_PG_OS_USER:-postgres}"
  id "$PG_OS_USER" >/dev/null 2>&1 ||
    die "running as root and OS user '$PG_OS_USER' does not exist (set SLUICE_PG_OS_USER to an unprivileged user)"
  as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }
else
  PG_OS_USER="$(id -un)"
  as_pg() { "$@"; }
fi

# The server user must be able to reach its data directory. When the checkout sits under a path it
# cannot traverse (e.g. /root), keep the data in /var/tmp and leave a symlink where it is expected.
resolve_home() {
  mkdir -p "$SLUICE_SERVICES_DIR"
  if [[ -L "$PG_HOME" ]]; then
    PG_HOME="$(readlink -f "$PG_HOME")"
  elif [[ $EUID -eq 0 ]] && ! as_pg test -x "$SLUICE_SERVICES_DIR"; then
    local alt
    alt="/var/tmp/sluice-postgres-$(printf '%s' "$PG_HOME" | md5sum | cut -c1-12)"
    log "$PG_OS_USER cannot reach $SLUICE_SERVICES_DIR; keeping the data in $alt"
    [[ -e "$PG_HOME" ]] || ln -s "$alt" "$PG_HOME"
    PG_HOME="$alt"
  fi
  PGDATA_DIR="$PG_HOME/data"
  PG_LOG="$PG_HOME/postgres.log"
}

# pid and port of the running postmaster, from postmaster.pid (empty when not running)
running_pid() {
  local pid
  [[ -f "$PGDATA_DIR/postmaster.pid" ]] || return 0
  pid="$(sed -n 1p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)"
  if pid_alive "$pid"; then echo "$pid"; fi
}
running_port() { sed -n 4p "$PGDATA_DIR/postmaster.pid"; }

psql_tcp() {
  PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=3 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$1" -U "$PG_ROLE" -d "$2" "${@:3}"
}

init_cluster() {
  log "initialising a new cluster in $PGDATA_DIR"
  mkdir -p "$PG_HOME"
  [[ $EUID -eq 0 ]] && chown "$PG_OS_USER" "$PG_HOME"
  chmod 700 "$PG_HOME"
  local pwfile="$PG_HOME/.pwfile"
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  [[ $EUID -eq 0 ]] && chown "$PG_OS_USER" "$pwfile"
  # --no-sync: nothing here needs to survive a power cut.
  if ! as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$PG_ROLE" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C --no-sync >"$PG_HOME/initdb.log" 2>&1; then
    rm -f "$pwfile"
    cat "$PG_HOME/initdb.log" >&2
    die "initdb failed"
  fi
  rm -f "$pwfile"
  cat >>"$PGDATA_DIR/postgresql.conf" <<'EOF'

# --- sluice test service (scripts/services/postgres.sh) ---
listen_addresses = '127.0.0.1'
# TCP only: no socket file in a shared directory, so several checkouts can run side by side.
unix_socket_directories = ''
# Durability off, for speed: this cluster only ever holds test data, and a crash that loses it
# costs nothing. Never copy these three lines to a real deployment.
fsync = off
synchronous_commit = off
full_page_writes = off
# integration tests run in parallel, each with its own pool and databases
max_connections = 300
EOF
}

cmd_start() {
  resolve_home
  local t0 pid port
  t0="$(now_ms)"
  [[ -f "$PGDATA_DIR/PG_VERSION" ]] || init_cluster
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    port="$(running_port)"
    log "already running (pid $pid, port $port)"
  else
    port="$PG_PORT"
    if port_open "$port"; then
      die "127.0.0.1:$port is already taken by another process (set SLUICE_PG_PORT to a free port)"
    fi
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -o "-p $port" -w -t 60 start >&2; then
      tail -n 30 "$PG_LOG" >&2 || true
      die "could not start (log: $PG_LOG)"
    fi
  fi
  # pg_ctl -w already waits; this also proves the role, the password and TCP on 127.0.0.1 work.
  local deadline=$((SECONDS + 30))
  until psql_tcp "$port" postgres -c 'select 1' >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      tail -n 30 "$PG_LOG" >&2 || true
      die "started but does not accept connections on 127.0.0.1:$port"
    fi
    sleep 0.2
  done
  if [[ "$(psql_tcp "$port" postgres -tA -c "select 1 from pg_database where datname = '$PG_DB'")" != 1 ]]; then
    psql_tcp "$port" postgres -c "create database $PG_DB" >/dev/null || die "could not create database $PG_DB"
  fi
  log "ready on 127.0.0.1:$port in $(($(now_ms) - t0)) ms"
  echo "DATABASE_URL=postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$port/$PG_DB"
}

cmd_stop() {
  resolve_home
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    log "not running"
    return 0
  fi
  log "stopping pid $pid"
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >&2; then
    log "pg_ctl stop failed; sending SIGQUIT to $pid"
    kill -QUIT "$pid" 2>/dev/null || true
  fi
  wait_exit "$pid" 15 || {
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 5 || die "pid $pid does not exit"
  }
  log "stopped"
}

cmd_status() {
  resolve_home
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    log "not running"
    return 3
  fi
  log "running (pid $pid, data $PGDATA_DIR)"
  echo "DATABASE_URL=postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$(running_port)/$PG_DB"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
