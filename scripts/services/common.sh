# Shared by postgres.sh and kafka.sh (sourced, not run). Everything a service script prints on
# stdout is machine-read (`NAME=value` lines), so every message here goes to stderr.

SLUICE_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
SLUICE_SERVICES_DIR="${SLUICE_SERVICES_DIR:-$SLUICE_REPO_ROOT/.cache}"

log() { printf '%s: %s\n' "$SERVICE_NAME" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$SERVICE_NAME" "$*" >&2
  exit 1
}

# Milliseconds since the epoch, for the start-up timings printed on stderr.
now_ms() { date +%s%3N; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# Waits up to $2 seconds for pid $1 to exit; returns non-zero if it is still there.
wait_exit() {
  local pid="$1" deadline=$((SECONDS + $2))
  while pid_alive "$pid"; do
    # a zombie child of ours counts as gone
    if [[ "$(ps -o stat= -p "$pid" 2>/dev/null)" == Z* ]]; then return 0; fi
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
