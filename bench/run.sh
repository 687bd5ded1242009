#!/usr/bin/env bash
# Sluice benchmark (issue 7): the gateway and a bare Fastify proxy (the yardstick) in the same run,
# against an nginx mock upstream serving fixed bodies, loaded by wrk.
#
#   bash bench/run.sh [--duration S] [--rounds N] [--connections N] [--rate R] [--rate-seconds S] [--rate-slice S]
#                     [--soak [MINUTES]] [--no-profile] [--dist DIR] [--firewall MODE]
#                     [--only PHASES] [--scenarios NAMES] [--workers N] [--no-peers] [--dist-b DIR]
#
#   --duration S        seconds per throughput run (default 6, after a 3 s warm-up)
#   --rounds N          throughput: the yardstick and the gateway alternate N times per scenario
#                       (default 5; the peers run once); each round's ratio is the gateway's req/s
#                       over the yardstick's measured right before it, and the table gives the
#                       median round (this machine's speed drifts by tens of percent in minutes)
#   --connections N     wrk connections (default 100)
#   --rate R            fixed-rate run: requests/s (default 200) for --rate-seconds per proxy
#                       (default 40), the yardstick and the gateway(s) in alternating slices of
#                       --rate-slice seconds (default 5) within one open-loop run, so that a slow
#                       phase of the host falls on every proxy alike
#   --soak [MINUTES]    also a soak on the gateway, all four scenarios at once (default 10 minutes)
#   --no-profile        skip the CPU profiles (node --cpu-prof, one per scenario)
#   --dist DIR          use an existing build (DIR/apps/gateway/src/main.js); default: build the
#                       committed HEAD (git archive) into .cache/bench/, so others' uncommitted
#                       work is not measured and the shared dist/ is not touched
#   --firewall MODE     SLUICE_FIREWALL_MODE of the gateway (default redact)
#   --only PHASES       comma list of throughput,shared,rate,profile,multicore (default: all five;
#                       the soak runs when --soak is given)
#   --scenarios NAMES   comma list of scenario names (default: all)
#   --workers N         the multicore phase: the gateway with SLUICE_GATEWAY_WORKERS=N against
#                       one worker, both unpinned (default 2; wrk, nginx, Postgres and Kafka then
#                       share the two cores with the gateway)
#   --no-peers          skip the bare node:http proxy and the Portkey gateway rows
#   --env K=V           an extra environment variable for the gateway (repeatable)
#   --no-budgets        do not start the ledger nor set a budget (default: when the build has
#                       budget enforcement, the ledger runs on core 0, serving leases but not
#                       ingesting usage events, and the bench team gets a hard token budget, large
#                       enough never to refuse, that every request is admitted against and charged to)
#   --dist-b DIR        A/B: a second gateway build (bench/build-dist.sh) measured as "sluice-b"
#                       right after "sluice" in every phase, on the same Postgres and Kafka
#
# The shared phase loads the yardstick and the gateway(s) at the same time, each with its own wrk,
# all on core 1, for --rounds rounds of --duration seconds: whatever the host does to the core's speed
# then hits every proxy alike, and each one's CPU time per request (its own CPU time over its own
# requests) is compared. On a host whose speed swings by tens of percent within seconds, this is the
# steadiest measure of what a request costs the gateway against the yardstick.
#
# Layout on this 2-core machine: the proxy under test (gateway or yardstick) on core 1
# (taskset -c 1); wrk, nginx, Postgres and Kafka on core 0. The gateway runs in distributed mode
# (its own process, as deployed, with Postgres and Kafka from scripts/services/ on private ports
# and a temp state dir), so the ledger's work does not share its core as it would in standalone.
# Everything listens on 127.0.0.1 only; everything started here is stopped by pid on exit.
# Results: a table on stdout and in bench/results/run-<UTC time>.md (raw outputs in .raw files).
set -euo pipefail

REPO="${BENCH_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}"
BENCH="$REPO/bench"
DURATION=6
ROUNDS=5
WARMUP=3
CONNECTIONS=100
THREADS=2
RATE=200
RATE_SECONDS=40
RATE_SLICE=5
SOAK_MINUTES=0
PROFILE=1
DIST=""
FIREWALL_MODE=redact
PHASES="throughput,shared,rate,profile,multicore"
WORKERS=2
PEERS=1
DIST_B=""
GATEWAY_ENV=()
BUDGETS=1
ONLY_SCENARIOS=""
PORT_BASE="${BENCH_PORT_BASE:-18300}"
MAX_SECONDS="${BENCH_MAX_SECONDS:-3600}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --rate-seconds) RATE_SECONDS="$2"; shift 2 ;;
    --rate-slice) RATE_SLICE="$2"; shift 2 ;;
    --soak)
      if [[ "${2:-}" =~ ^[0-9]+$ ]]; then SOAK_MINUTES="$2"; shift 2; else SOAK_MINUTES=10; shift; fi ;;
    --no-profile) PROFILE=0; shift ;;
    --dist) DIST="$(cd "$2" && pwd -P)"; shift 2 ;;
    --firewall) FIREWALL_MODE="$2"; shift 2 ;;
    --only) PHASES="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --no-peers) PEERS=0; shift ;;
    --dist-b) DIST_B="$(cd "$2" && pwd -P)"; shift 2 ;;
    --env) GATEWAY_ENV+=("$2"); shift 2 ;;
    --no-budgets) BUDGETS=0; shift ;;
    --scenarios) ONLY_SCENARIOS="$2"; shift 2 ;;
    -h | --help) sed -n '2,40p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
phase() { [[ ",$PHASES," == *",$1,"* ]]; }
phase profile || PROFILE=0
if ((SOAK_MINUTES > 0)); then MAX_SECONDS=$((MAX_SECONDS + SOAK_MINUTES * 60)); fi

MOCK_PORT=$PORT_BASE
YARDSTICK_PORT=$((PORT_BASE + 1))
GATEWAY_PORT=$((PORT_BASE + 2))
NODE_PROXY_PORT=$((PORT_BASE + 3))
PORTKEY_PORT=$((PORT_BASE + 4))
GATEWAY_B_PORT=$((PORT_BASE + 5))
LEDGER_PORT=$((PORT_BASE + 6))
export SLUICE_PG_PORT=$((PORT_BASE + 10))
export SLUICE_KAFKA_PORT=$((PORT_BASE + 20))
export SLUICE_KAFKA_CONTROLLER_PORT=$((PORT_BASE + 21))

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v taskset >/dev/null || die "taskset (util-linux) is needed"
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  log "installing nginx-light and wrk from Debian"
  apt-get install -y nginx-light wrk >/dev/null 2>&1 || sudo -n apt-get install -y nginx-light wrk >/dev/null 2>&1 ||
    die "nginx and wrk are needed (apt-get install -y nginx-light wrk)"
fi
NGINX="$(command -v nginx)"
CORES="$(nproc)"
((CORES >= 2)) || die "needs 2 cores (proxy on core 1, load on core 0); nproc says $CORES"
for p in "$MOCK_PORT" "$YARDSTICK_PORT" "$GATEWAY_PORT" "$NODE_PROXY_PORT" "$PORTKEY_PORT" "$GATEWAY_B_PORT" "$LEDGER_PORT" "$SLUICE_PG_PORT" "$SLUICE_KAFKA_PORT" "$SLUICE_KAFKA_CONTROLLER_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "port $p is taken (set BENCH_PORT_BASE)"; fi
done

STATE="$(mktemp -d /tmp/sluice-bench.XXXXXX)"
# Postgres runs as its own OS user and must reach its data dir in here.
chmod 755 "$STATE"
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$BENCH/results"
RESULTS="$BENCH/results/run-$STAMP.md"
RAW="$BENCH/results/run-$STAMP.raw"
: >"$RAW"
PIDS=()
SERVICES_STARTED=0
GATEWAY_PID=""

stop_pid() {
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  # 30 s: a gateway drains its usage outbox for up to SLUICE_SHUTDOWN_DRAIN_MS (10 s) before it
  # exits, and writes its CPU profile only then.
  for ((i = 0; i < 300; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}"; done
  if ((SERVICES_STARTED)); then
    bash "$REPO/scripts/services/kafka.sh" stop >/dev/null 2>&1 || true
    bash "$REPO/scripts/services/postgres.sh" stop >/dev/null 2>&1 || true
  fi
  if [[ -n "${WATCHDOG_PID:-}" ]]; then kill "$WATCHDOG_PID" 2>/dev/null || true; fi
  if [[ -n "${WATCHDOG_SLEEP_PID:-}" ]]; then kill "$WATCHDOG_SLEEP_PID" 2>/dev/null || true; fi
  if ((rc != 0)); then
    for f in "$STATE"/*.log "$STATE"/nginx/error.log; do
      [[ -f "$f" ]] && printf '### %s\n%s\n' "$f" "$(tail -50 "$f")" >>"$RAW"
    done
  fi
  # BENCH_KEEP_LOGS=DIR: the processes' logs are kept there (for instance the gateway's with
  # BENCH_GATEWAY_FLAGS=--trace-gc, beside BENCH_TRACE_DIR's latencies).
  if [[ -n "${BENCH_KEEP_LOGS:-}" ]]; then mkdir -p "$BENCH_KEEP_LOGS" && cp "$STATE"/*.log "$BENCH_KEEP_LOGS"/ 2>/dev/null || true; fi
  rm -rf "$STATE"
  if ((rc != 0)); then log "failed (exit $rc); everything started was stopped"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Bounded in time whatever happens: the watchdog ends the run (and the trap cleans up).
sleep "$MAX_SECONDS" &
WATCHDOG_SLEEP_PID=$!
(wait_for_sleep() { while kill -0 "$WATCHDOG_SLEEP_PID" 2>/dev/null; do sleep 1; done; }
  wait_for_sleep && log "time limit of $MAX_SECONDS s reached" && kill -TERM $$) &
WATCHDOG_PID=$!

# --- /proc helpers ------------------------------------------------------------------------------
CLK_TCK="$(getconf CLK_TCK)"
# user+system CPU ticks of a process and its children threads (all threads are in /proc/pid/stat).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# The sum over a pid and its direct children (nginx master + worker).
cpu_ticks_tree() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do total=$((total + $(cpu_ticks "$p"))); done
  echo "$total"
}
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo 0; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

wait_http() {
  local url="$1" what="$2" i
  for ((i = 0; i < 600; i++)); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$what did not answer on $url"
}

# --- build ---------------------------------------------------------------------------------------
if [[ -z "$DIST" ]]; then
  BUILD="$REPO/.cache/bench/build"
  COMMIT="$(git -C "$REPO" rev-parse --short HEAD)"
  log "building HEAD ($COMMIT) into $BUILD"
  bash "$BENCH/build-dist.sh" "$BUILD" || die "build failed"
  DIST="$BUILD/dist"
  MIGRATIONS="$BUILD/migrations"
else
  COMMIT="$(git -C "$REPO" rev-parse --short HEAD) (prebuilt $DIST)"
  MIGRATIONS="$(dirname "$DIST")/migrations"
  [[ -d "$MIGRATIONS" ]] || MIGRATIONS="$REPO/migrations"
fi
GATEWAY_MAIN="$DIST/apps/gateway/src/main.js"
[[ -f "$GATEWAY_MAIN" ]] || die "no $GATEWAY_MAIN"
if [[ -n "$DIST_B" ]]; then [[ -f "$DIST_B/apps/gateway/src/main.js" ]] || die "no $DIST_B/apps/gateway/src/main.js"; fi

# --- mock upstream (nginx) -------------------------------------------------------------------------
mkdir -p "$STATE/nginx"
sed -e "s|@PORT@|$MOCK_PORT|g" -e "s|@BODIES@|$BENCH/mock/bodies|g" -e "s|@STATE@|$STATE/nginx|g" \
  "$BENCH/mock/nginx.conf.template" >"$STATE/nginx/nginx.conf"
taskset -c 0 "$NGINX" -p "$STATE/nginx" -c "$STATE/nginx/nginx.conf" -e "$STATE/nginx/error.log" \
  >"$STATE/nginx/stdout.log" 2>&1 &
MOCK_PID=$!
PIDS+=("$MOCK_PID")
MOCK="http://127.0.0.1:$MOCK_PORT"
for ((i = 0; i < 100; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$MOCK_PORT") 2>/dev/null && break; sleep 0.1; done
curl -fsS -X POST -d '{}' "$MOCK/sse/v1/chat/completions" | grep -q '\[DONE\]' || die "nginx mock does not serve the SSE body"
log "nginx mock upstream on $MOCK (pid $MOCK_PID)"

# --- yardsticks: bare Fastify, bare node:http ------------------------------------------------------
# Compiled to plain JavaScript like the gateway (under .cache so node_modules resolve), so that
# no process carries a TypeScript transpiler in its memory.
YS_OUT="$REPO/.cache/bench/yardstick"
rm -rf "$YS_OUT"
node "$REPO/node_modules/typescript/bin/tsc" "$BENCH/yardstick/fastify-proxy.ts" "$BENCH/yardstick/node-proxy.ts" \
  "$BENCH/fixed-rate.ts" "$BENCH/profile-summary.ts" \
  --outDir "$YS_OUT" --module commonjs --target es2022 --moduleResolution node --esModuleInterop --skipLibCheck \
  --types node >"$STATE/yardstick-build.log" 2>&1 || { cat "$STATE/yardstick-build.log" >&2; die "yardstick build failed"; }

# Every proxy under test: a label, a kind (ys: takes the upstream's own paths; gw: Sluice; pk:
# Portkey), its URL and its pid (CPU and RSS are read from /proc for it and its children).
LABELS=()
declare -A P_KIND P_URL P_PID
add_proxy() { LABELS+=("$1"); P_KIND[$1]="$2"; P_URL[$1]="$3"; P_PID[$1]="$4"; }
set_pid() { P_PID[$1]="$2"; }

FIXED_RATE_JS="$YS_OUT/fixed-rate.js"
PROFILE_SUMMARY_JS="$YS_OUT/profile-summary.js"

# The gateway runs with the V8 flags the Dockerfile and the npm scripts give it (a 64 MB young
# generation, a 192 MB initial old-generation limit, no memory reducer; --env NODE_OPTIONS=... adds to
# them). The yardsticks and Portkey run with Node's defaults, as a bare proxy would: given the gateway's
# young generation, the Fastify yardstick did 6,534 req/s on chat-json in one run against 7,605 without
# (a larger nursery suits the gateway's allocations, not necessarily theirs), and the ratios must not
# gain from slowing the yardstick.
DEPLOYED_NODE_FLAGS="--max-semi-space-size=64 --initial-old-space-size=192 --no-memory-reducer"

start_yardstick() { # label js port
  (UPSTREAM_URL="$MOCK" PORT="$3" exec taskset -c 1 node "$YS_OUT/$2") >"$STATE/$1.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for ((i = 0; i < 300; i++)); do grep -q YARDSTICK_URL "$STATE/$1.log" 2>/dev/null && break; sleep 0.1; done
  grep -q YARDSTICK_URL "$STATE/$1.log" || { cat "$STATE/$1.log" >&2; die "$1 did not start"; }
  add_proxy "$1" ys "http://127.0.0.1:$3" "$pid"
  log "$1 on http://127.0.0.1:$3 (pid $pid)"
}
start_yardstick yardstick yardstick/fastify-proxy.js "$YARDSTICK_PORT"

PORTKEY_VERSION=""
if ((PEERS)); then
  start_yardstick bare-node yardstick/node-proxy.js "$NODE_PROXY_PORT"
  # The Portkey gateway, installed in its own folder (bench/peers/portkey, its own package.json and
  # lock) so the repository's dependencies stay as they are.
  PK="$BENCH/peers/portkey"
  if [[ ! -f "$PK/node_modules/@portkey-ai/gateway/build/start-server.js" ]]; then
    log "installing the Portkey gateway into bench/peers/portkey (npm ci)"
    (cd "$PK" && npm ci --no-audit --no-fund >"$STATE/portkey-install.log" 2>&1) ||
      { tail -5 "$STATE/portkey-install.log" >&2; die "npm ci in bench/peers/portkey failed"; }
  fi
  PORTKEY_VERSION="$(node -p "require('$PK/node_modules/@portkey-ai/gateway/package.json').version")"
  (cd "$PK" && exec taskset -c 1 node --require ./immutable-headers-shim.cjs \
    node_modules/@portkey-ai/gateway/build/start-server.js --port="$PORTKEY_PORT" --headless) >"$STATE/portkey.log" 2>&1 &
  pk_pid=$!
  PIDS+=("$pk_pid")
  for ((i = 0; i < 300; i++)); do (exec 3<>"/dev/tcp/127.0.0.1/$PORTKEY_PORT") 2>/dev/null && break; sleep 0.1; done
  add_proxy portkey pk "http://127.0.0.1:$PORTKEY_PORT" "$pk_pid"
  log "Portkey gateway $PORTKEY_VERSION on http://127.0.0.1:$PORTKEY_PORT (pid $pk_pid)"
fi

# --- Postgres and Kafka (private ports, temp state) ----------------------------------------------
export SLUICE_SERVICES_DIR="$STATE/services"
mkdir -p "$SLUICE_SERVICES_DIR/kafka"
# The broker jars are fetched once into the repository's cache; reuse them.
if [[ -d "$REPO/.cache/kafka/libs" ]]; then ln -s "$REPO/.cache/kafka/libs" "$SLUICE_SERVICES_DIR/kafka/libs"; fi
SERVICES_STARTED=1
log "starting Postgres on :$SLUICE_PG_PORT and Kafka on :$SLUICE_KAFKA_PORT (core 0)"
DATABASE_URL="$(taskset -c 0 bash "$REPO/scripts/services/postgres.sh" start 2>>"$STATE/services.log" | sed -n 's/^DATABASE_URL=//p')"
KAFKA_BROKERS="$(taskset -c 0 bash "$REPO/scripts/services/kafka.sh" start 2>>"$STATE/services.log" | sed -n 's/^KAFKA_BROKERS=//p')"
[[ -n "$DATABASE_URL" && -n "$KAFKA_BROKERS" ]] || { tail -20 "$STATE/services.log" >&2; die "services did not start"; }

# --- gateway -------------------------------------------------------------------------------------
MASTER_KEY="$(node -e 'const c="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";process.stdout.write("tok_"+Array.from(require("crypto").randomBytes(43),(b)=>c[b%62]).join(""))')"
cat >"$STATE/sluice.yaml" <<EOF
providers:
  - { name: mock-json, type: openai, base_url: '$MOCK/json/v1', api_key: sk-bench }
  - { name: mock-sse, type: openai, base_url: '$MOCK/sse/v1', api_key: sk-bench }
  - { name: mock-anthropic-sse, type: anthropic, base_url: '$MOCK/sse', api_key: sk-bench }
routes:
  - { model: gpt-bench-json, provider: mock-json }
  - { model: gpt-bench-sse, provider: mock-sse }
  - { model: claude-from-openai, provider: mock-sse }
  - { model: claude-bench, provider: mock-anthropic-sse }
EOF
# start_gateway LABEL MAIN PORT WORKERS CPUS [NODE FLAGS]: the gateway in distributed mode.
start_gateway() {
  # BENCH_GATEWAY_FLAGS: extra node flags for the gateway (--trace-gc, which NODE_OPTIONS refuses).
  local label="$1" main="$2" port="$3" workers="$4" cpus="$5" flags="${6:-} ${BENCH_GATEWAY_FLAGS:-}" pid
  # shellcheck disable=SC2086
  (cd "$STATE" && exec env SLUICE_HOST=127.0.0.1 SLUICE_GATEWAY_PORT="$port" SLUICE_MASTER_KEY="$MASTER_KEY" \
    DATABASE_URL="$DATABASE_URL" KAFKA_BROKERS="$KAFKA_BROKERS" SLUICE_CONFIG="$STATE/sluice.yaml" \
    SLUICE_MIGRATIONS_DIR="$MIGRATIONS" SLUICE_FIREWALL_MODE="$FIREWALL_MODE" SLUICE_GATEWAY_WORKERS="$workers" \
    NODE_ENV=production "${GATEWAY_ENV[@]}" taskset -c "$cpus" node $DEPLOYED_NODE_FLAGS $flags "$main") >>"$STATE/$label.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_http "http://127.0.0.1:$port/ready" "$label"
  # With workers, /ready answers as soon as one is up: wait until every worker is.
  if ((workers > 1)); then
    for ((i = 0; i < 300; i++)); do (($(pgrep -P "$pid" -c || true) >= workers)) && break; sleep 0.1; done
    sleep 2
  fi
  if [[ -n "${P_KIND[$label]:-}" ]]; then set_pid "$label" "$pid"; else add_proxy "$label" gw "http://127.0.0.1:$port" "$pid"; fi
}
stop_gateway() { # label
  local pid="${P_PID[$1]}"
  stop_pid "$pid"
  wait "$pid" 2>/dev/null || true
}
# --- ledger (budgets) ------------------------------------------------------------------------------
BUDGET_NOTE="off (--no-budgets)"
if ((BUDGETS)) && [[ ! -f "$DIST/apps/gateway/src/budget/budget-enforcer.service.js" ]]; then
  BUDGETS=0
  BUDGET_NOTE="not in this build"
fi
if ((BUDGETS)); then
  # The gateway leases budget from the ledger (distributed mode: SLUICE_LEDGER_URL). The ledger here
  # serves budgets and leases only: it is pointed at another usage topic, so it does not ingest the
  # gateway's usage events. Ingesting them (Postgres-heavy, see the Ledger section of
  # docs/benchmarks.md) would need a core of its own, and on core 0 it starves wrk and the mock: the
  # gateway then waits for its upstream (measured: half the throughput at 60% of its core, with or
  # without budget enforcement). Deployed, the ledger is another machine.
  (cd "$STATE" && exec nice -n 10 env SLUICE_USAGE_TOPIC=sluice.bench.usage-not-ingested SLUICE_HOST=127.0.0.1 SLUICE_LEDGER_PORT="$LEDGER_PORT" SLUICE_MASTER_KEY="$MASTER_KEY" \
    DATABASE_URL="$DATABASE_URL" KAFKA_BROKERS="$KAFKA_BROKERS" SLUICE_MIGRATIONS_DIR="$MIGRATIONS" NODE_ENV=production \
    taskset -c 0 node "$DIST/apps/ledger/src/main.js") >>"$STATE/ledger.log" 2>&1 &
  LEDGER_PID=$!
  PIDS+=("$LEDGER_PID")
  wait_http "http://127.0.0.1:$LEDGER_PORT/ready" ledger
  # SLUICE_BUDGET_MAX_IN_FLIGHT (default 64) caps the requests in flight per hard budget per process
  # (the K of the overspend bound): above wrk's connections, or the excess is refused with 429.
  GATEWAY_ENV+=("SLUICE_LEDGER_URL=http://127.0.0.1:$LEDGER_PORT" "SLUICE_BUDGETS=on"
    "SLUICE_BUDGET_MAX_IN_FLIGHT=$((CONNECTIONS * 2))")
  log "ledger on http://127.0.0.1:$LEDGER_PORT (pid $LEDGER_PID, core 0)"
fi

start_gateway sluice "$GATEWAY_MAIN" "$GATEWAY_PORT" 1 1
log "gateway (distributed, firewall $FIREWALL_MODE) on ${P_URL[sluice]} (pid ${P_PID[sluice]})"
if [[ -n "$DIST_B" ]]; then
  # BENCH_GATEWAY_B_FLAGS: node flags for B only (an A/B of V8 flags: --dist-b the same build).
  start_gateway sluice-b "$DIST_B/apps/gateway/src/main.js" "$GATEWAY_B_PORT" 1 1 "${BENCH_GATEWAY_B_FLAGS:-}"
  log "gateway B ($DIST_B) on ${P_URL[sluice-b]} (pid ${P_PID[sluice-b]})"
fi
GATEWAY="${P_URL[sluice]}"
TEAM_ID="$(curl -fsS -X POST "$GATEWAY/api/v1/admin/teams" -H "authorization: Bearer $MASTER_KEY" \
  -H 'content-type: application/json' -d '{"name":"bench"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).id))')"
API_KEY="$(curl -fsS -X POST "$GATEWAY/api/v1/admin/teams/$TEAM_ID/keys" -H "authorization: Bearer $MASTER_KEY" \
  -H 'content-type: application/json' -d '{"name":"bench"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).key))')"
[[ "$API_KEY" == tok_* ]] || die "could not create a team key"
if ((BUDGETS)); then
  # A hard monthly token budget of 10^15 tokens on the bench team: every request is admitted
  # against its lease and charged to it, and it never refuses.
  q='mutation { setBudget(idempotencyKey: \"bench-budget\", budget: { id: \"bench-tokens\", team: \"'"$TEAM_ID"'\", keyId: null, unit: \"tokens\", period: \"month\", limit: \"1000000000000000\", limitUsd: null, enforcement: \"hard\", alertAtBps: 8000 }) { eventId created } }'
  out="$(curl -sS "http://127.0.0.1:$LEDGER_PORT/graphql" -H "authorization: Bearer $MASTER_KEY" \
    -H 'content-type: application/json' -d "{\"query\":\"$q\"}")"
  [[ "$out" == *eventId* && "$out" != *'"errors"'* ]] || die "setBudget failed: $out"
  for ((i = 0; i < 100; i++)); do
    out="$(curl -sS "http://127.0.0.1:$LEDGER_PORT/graphql" -H "authorization: Bearer $MASTER_KEY" \
      -H 'content-type: application/json' -d '{"query":"{ budgets { id state } }"}')"
    [[ "$out" == *bench-tokens* ]] && break
    sleep 0.2
  done
  [[ "$out" == *bench-tokens* ]] || die "the ledger does not list the bench budget: $out"
  BUDGET_NOTE="on: a hard token budget on the bench team (the ledger on core 0 serves leases; it does not ingest the usage topic)"
  log "budget set on the ledger: $out"
fi

# --- scenarios -----------------------------------------------------------------------------------
# name | gateway path | request body | expected in the gateway's answer | upstream path (what the
# yardsticks relay: the same upstream bytes the gateway reads) | expected from it | Portkey path,
# provider and upstream base ("-": Portkey cannot serve this scenario)
SCENARIOS=(
  "chat-json|/v1/chat/completions|chat.json|\"choices\"|/json/v1/chat/completions|\"choices\"|/v1/chat/completions|openai|/json/v1"
  "chat-sse|/v1/chat/completions|chat-stream.json|[DONE]|/sse/v1/chat/completions|[DONE]|/v1/chat/completions|openai|/sse/v1"
  "anthropic-from-openai-sse|/v1/messages|anthropic-stream.json|message_stop|/sse/v1/chat/completions|[DONE]|-|-|-"
  "responses-from-anthropic-sse|/v1/responses|responses-stream.json|response.completed|/sse/v1/messages|message_stop|-|-|-"
  "chat-from-anthropic-sse|/v1/chat/completions|chat-stream-claude.json|[DONE]|/sse/v1/messages|message_stop|/v1/chat/completions|anthropic|/sse/v1"
)
if [[ -n "$ONLY_SCENARIOS" ]]; then
  kept=()
  for s in "${SCENARIOS[@]}"; do [[ ",$ONLY_SCENARIOS," == *",${s%%|*},"* ]] && kept+=("$s"); done
  ((${#kept[@]} > 0)) || die "no scenario matches --scenarios $ONLY_SCENARIOS"
  SCENARIOS=("${kept[@]}")
fi
HEADERS_GW="authorization: Bearer $API_KEY|anthropic-version: 2023-06-01"

# For a scenario line and a proxy label, sets T_URL (empty: not applicable), T_HEADERS ("k: v|k: v"),
# T_EXPECT and T_BODY.
target() {
  local name path body expect ypath yexpect kpath kprov khost
  IFS='|' read -r name path body expect ypath yexpect kpath kprov khost <<<"$1"
  T_BODY="$body"
  case "${P_KIND[$2]}" in
    gw) T_URL="${P_URL[$2]}$path"; T_HEADERS="$HEADERS_GW"; T_EXPECT="$expect" ;;
    ys) T_URL="${P_URL[$2]}$ypath"; T_HEADERS=""; T_EXPECT="$yexpect" ;;
    pk)
      if [[ "$kpath" == "-" ]]; then T_URL=""; else
        T_URL="${P_URL[$2]}$kpath"
        T_HEADERS="x-portkey-provider: $kprov|x-portkey-custom-host: $MOCK$khost|authorization: Bearer sk-bench|x-api-key: sk-bench|anthropic-version: 2023-06-01"
        T_EXPECT="$expect"
      fi ;;
  esac
}
header_args() { # "k: v|k: v" -> curl/fixed-rate args in H_ARGS
  H_ARGS=()
  local IFS='|' h
  for h in $1; do H_ARGS+=(--header "$h"); done
}

check_answer() { # url body headers expected
  local out
  header_args "$3"
  out="$(curl -sS -X POST "$1" "${H_ARGS[@]}" -H 'content-type: application/json' --data-binary "@$BENCH/requests/$2" \
    -w '\nHTTP_STATUS=%{http_code}')"
  [[ "$out" == *"HTTP_STATUS=200"* && "$out" == *"$4"* ]] || { printf '%s\n' "$out" | tail -5 >&2; die "bad answer from $1"; }
}
for s in "${SCENARIOS[@]}"; do
  for label in "${LABELS[@]}"; do
    target "$s" "$label"
    [[ -n "$T_URL" ]] && check_answer "$T_URL" "$T_BODY" "$T_HEADERS" "$T_EXPECT"
  done
done
log "every scenario answers correctly through every proxy (${LABELS[*]})"
if ((BUDGETS)); then
  # The gateway reads a (team, key)'s budgets every SLUICE_BUDGET_REFRESH_MS (5 s): wait until it
  # has leased from the ledger, so every measured request is admitted against the budget.
  for ((i = 0; i < 40; i++)); do
    for s in "${SCENARIOS[@]}"; do target "$s" sluice; check_answer "$T_URL" "$T_BODY" "$T_HEADERS" "$T_EXPECT"; break; done
    syncs="$(curl -sS "$GATEWAY/metrics" | sed -n 's/^sluice_gateway_budget_ledger_syncs_total[^ ]* //p' | head -1)"
    [[ -n "$syncs" && "$syncs" != 0 ]] && break
    sleep 0.5
  done
  [[ -n "$syncs" && "$syncs" != 0 ]] || die "the gateway never leased from the ledger (budgets not enforced?)"
  log "the gateway holds a budget lease (ledger syncs: $syncs)"
fi

TSV="$STATE/results.tsv"
printf 'scenario\tproxy\trps\tp50\tp95\tp99\terrors\tcpuProxy\tcpuMock\trssMb\tload\tround\n' >"$TSV"
WRK_CPUS=0
rss_mb_tree() { # RSS of a pid and its direct children (cluster workers)
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do total=$((total + $(rss_mb "$p"))); done
  echo "$total"
}

# One wrk run: $1 scenario, $2 proxy label, $3 url, $4 body, $5 headers, $6 pid of the proxy.
run_wrk() {
  local scenario="$1" label="$2" url="$3" body="$4" headers="$5" pid="$6" t0 t1 c0 c1 m0 m1 out line
  BENCH_BODY_FILE="$BENCH/requests/$body" BENCH_HEADERS="$headers" taskset -c "$WRK_CPUS" wrk -t"$THREADS" -c"$CONNECTIONS" \
    -d"${WARMUP}s" --timeout 10s -s "$BENCH/wrk/post.lua" "$url" >/dev/null
  c0=$(cpu_ticks_tree "$pid"); m0=$(cpu_ticks_tree "$MOCK_PID"); t0=$(date +%s%N)
  out="$(BENCH_BODY_FILE="$BENCH/requests/$body" BENCH_HEADERS="$headers" taskset -c "$WRK_CPUS" wrk -t"$THREADS" \
    -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$BENCH/wrk/post.lua" "$url")"
  t1=$(date +%s%N); c1=$(cpu_ticks_tree "$pid"); m1=$(cpu_ticks_tree "$MOCK_PID")
  printf '### %s %s %s\n%s\n' "$scenario" "$label" "$url" "$out" >>"$RAW"
  line="$(printf '%s\n' "$out" | sed -n 's/^BENCH_RESULT //p')"
  [[ -n "$line" ]] || die "wrk printed no result for $scenario/$label"
  node -e '
    const [line, scenario, label, c0, c1, m0, m1, t0, t1, tck, rss, load, round] = process.argv.slice(1);
    const r = JSON.parse(line);
    const s = (Number(t1) - Number(t0)) / 1e9;
    const cpu = (a, b) => ((100 * (Number(b) - Number(a))) / Number(tck) / s).toFixed(0);
    const errors = r.errorsStatus + r.errorsConnect + r.errorsRead + r.errorsWrite + r.errorsTimeout;
    process.stdout.write([scenario, label, r.rps.toFixed(0), r.p50Ms.toFixed(2), r.p95Ms.toFixed(2),
      r.p99Ms.toFixed(2), errors, cpu(c0, c1), cpu(m0, m1), rss, load.replace(/ /g, "/"), round].join("\t") + "\n");
  ' "$line" "$scenario" "$label" "$c0" "$c1" "$m0" "$m1" "$t0" "$t1" "$CLK_TCK" "$(rss_mb_tree "$pid")" "$(loadavg)" "${ROUND:-1}" >>"$TSV"
  tail -1 "$TSV" | awk -F'\t' '{ printf "  %-30s %-12s #%s %7s req/s  p50 %6s  p95 %6s  p99 %7s ms  errors %s  cpu %s%% (%s us/req, mock %s%%)  rss %s MB  load %s\n", $1, $2, $12, $3, $4, $5, $6, $7, $8, ($3 > 0 ? int($8 * 10000 / $3 + 0.5) : "?"), $9, $10, $11 }' >&2
}
not_applicable() { printf '%s\t%s\tn/a\t\t\t\t\t\t\t\t\t1\n' "$1" "$2" >>"$TSV"; }

if phase throughput; then
  log "throughput: wrk -t$THREADS -c$CONNECTIONS, ${WARMUP}s warm-up + ${DURATION}s per run, $ROUNDS rounds of yardstick then gateway; proxies on core 1, the rest on core 0"
  for s in "${SCENARIOS[@]}"; do
    # The peers once, then the yardstick and the gateway(s) in alternation: each gateway run is paired
    # with the yardstick run right before it, so a drift of the machine's speed hits both alike.
    for label in "${LABELS[@]}"; do
      [[ "${P_KIND[$label]}" == gw || "$label" == yardstick ]] && continue
      target "$s" "$label"
      if [[ -z "$T_URL" ]]; then not_applicable "${s%%|*}" "$label"; continue; fi
      ROUND=1 run_wrk "${s%%|*}" "$label" "$T_URL" "$T_BODY" "$T_HEADERS" "${P_PID[$label]}"
    done
    for ((round = 1; round <= ROUNDS; round++)); do
      for label in "${LABELS[@]}"; do
        [[ "${P_KIND[$label]}" == gw || "$label" == yardstick ]] || continue
        target "$s" "$label"
        ROUND=$round run_wrk "${s%%|*}" "$label" "$T_URL" "$T_BODY" "$T_HEADERS" "${P_PID[$label]}"
      done
    done
  done
fi

# --- shared core: the yardstick and the gateway(s) under load at the same time ---------------------
SHARED_TSV="$STATE/shared.tsv"
printf 'scenario\tproxy\treqs\tcpuTicks\tround\terrors\trps\n' >"$SHARED_TSV"
# For scenario line $1, a wrk per proxy label ($3...), all at once for $2 seconds; each output in
# $STATE/shared-<index>.out.
shared_wrk() {
  local s="$1" seconds="$2" i pids=()
  shift 2
  local labels=("$@")
  for i in "${!labels[@]}"; do
    target "$s" "${labels[i]}"
    BENCH_BODY_FILE="$BENCH/requests/$T_BODY" BENCH_HEADERS="$T_HEADERS" taskset -c "$WRK_CPUS" wrk -t1 -c"$CONNECTIONS" \
      -d"${seconds}s" --timeout 10s -s "$BENCH/wrk/post.lua" "$T_URL" >"$STATE/shared-$i.out" &
    pids+=($!)
  done
  wait "${pids[@]}"
}
# One round for scenario line $1 ($2: the round): a wrk per proxy, all started together.
run_shared() {
  local s="$1" round="$2" label i t0 t1 out line
  local labels=() c0=() c1=()
  for label in "${LABELS[@]}"; do
    [[ "${P_KIND[$label]}" == gw || "$label" == yardstick ]] && labels+=("$label")
  done
  # Before a scenario's first round, three times the warm-up: each proxy gets a third of the core, and a
  # gateway not yet warm (JIT, pools, caches) made the first round an outlier (ratios 0.25-0.28 against 0.42-0.55).
  local warm=$((round == 1 ? 3 * WARMUP : WARMUP))
  shared_wrk "$s" "$warm" "${labels[@]}"
  for i in "${!labels[@]}"; do c0[i]=$(cpu_ticks_tree "${P_PID[${labels[i]}]}"); done
  t0=$(date +%s%N)
  shared_wrk "$s" "$DURATION" "${labels[@]}"
  t1=$(date +%s%N)
  for i in "${!labels[@]}"; do c1[i]=$(cpu_ticks_tree "${P_PID[${labels[i]}]}"); done
  for i in "${!labels[@]}"; do
    out="$(cat "$STATE/shared-$i.out")"
    printf '### shared %s %s round %s\n%s\n' "${s%%|*}" "${labels[i]}" "$round" "$out" >>"$RAW"
    line="$(printf '%s\n' "$out" | sed -n 's/^BENCH_RESULT //p')"
    [[ -n "$line" ]] || die "wrk printed no result for the shared run of ${s%%|*}/${labels[i]}"
    node -e '
      const [line, scenario, label, ticks, round] = process.argv.slice(1);
      const r = JSON.parse(line);
      const errors = r.errorsStatus + r.errorsConnect + r.errorsRead + r.errorsWrite + r.errorsTimeout;
      process.stdout.write([scenario, label, r.requests, ticks, round, errors, r.rps.toFixed(0)].join("\t") + "\n");
    ' "$line" "${s%%|*}" "${labels[i]}" "$((c1[i] - c0[i]))" "$round" >>"$SHARED_TSV"
    tail -1 "$SHARED_TSV" | awk -F'\t' -v tck="$CLK_TCK" -v ms="$(((t1 - t0) / 1000000))" '{ printf "  %-30s %-12s #%s %7s req/s  cpu %3.0f%% of the core (%s us/req)  errors %s\n", $1, $2, $5, $7, 100 * $4 / tck / (ms / 1000), ($3 > 0 ? int($4 * 1e6 / tck / $3 + 0.5) : "?"), $6 }' >&2
  done
}
if phase shared; then
  log "shared core: the yardstick and the gateway(s) loaded at once on core 1 (a wrk -t1 -c$CONNECTIONS each), ${WARMUP}s warm-up + ${DURATION}s, $ROUNDS rounds"
  for s in "${SCENARIOS[@]}"; do
    for ((round = 1; round <= ROUNDS; round++)); do run_shared "$s" "$round"; done
  done
fi

# --- fixed rate: added latency ---------------------------------------------------------------------
RATE_TSV="$STATE/rate.tsv"
printf 'scenario\tproxy\trps\tp50\tp95\tp99\terrors\tload\tslice_p99\n' >"$RATE_TSV"
run_rate() { # scenario: every proxy in interleaved slices of one open-loop run (bench/fixed-rate.ts)
  local s="$1" scenario="${1%%|*}" label out line targets="" body=""
  for label in yardstick sluice sluice-b; do
    [[ -n "${P_KIND[$label]:-}" ]] || continue
    target "$s" "$label"
    body="$T_BODY"
    targets+="$(node -e '
      const [name, url, headers] = process.argv.slice(1);
      const h = {};
      for (const kv of headers.split("|").filter(Boolean)) { const at = kv.indexOf(":"); h[kv.slice(0, at).trim().toLowerCase()] = kv.slice(at + 1).trim(); }
      process.stdout.write(JSON.stringify({ name, url, headers: h }) + ",");
    ' "$label" "$T_URL" "$T_HEADERS")"
  done
  local trace=()
  # BENCH_TRACE_DIR: per-request latencies of each fixed-rate run (bench/fixed-rate.ts --trace).
  if [[ -n "${BENCH_TRACE_DIR:-}" ]]; then mkdir -p "$BENCH_TRACE_DIR"; trace=(--trace "$BENCH_TRACE_DIR/$scenario.tsv"); fi
  out="$(cd "$REPO" && taskset -c 0 node "$FIXED_RATE_JS" --targets "[${targets%,}]" --body "$BENCH/requests/$body" \
    --rate "$RATE" --seconds "$RATE_SECONDS" --slice-seconds "$RATE_SLICE" "${trace[@]}")"
  printf '### rate %s\n%s\n' "$scenario" "$out" >>"$RAW"
  while IFS= read -r line; do
    node -e '
      const [line, scenario, load] = process.argv.slice(1);
      const r = JSON.parse(line);
      const slices = r.sliceP99Ms.map((x) => x.toFixed(1)).join(" ");
      process.stdout.write([scenario, r.target, r.rps.toFixed(0), r.p50Ms.toFixed(3), r.p95Ms.toFixed(3),
        r.p99Ms.toFixed(3), r.errors, load.replace(/ /g, "/"), slices].join("\t") + "\n");
    ' "$line" "$scenario" "$(loadavg)" >>"$RATE_TSV"
    tail -1 "$RATE_TSV" | awk -F'\t' '{ printf "  %-30s %-12s %5s req/s  p50 %7s  p95 %7s  p99 %7s ms  errors %s  slices p99 %s\n", $1, $2, $3, $4, $5, $6, $7, $9 }' >&2
  done < <(printf '%s\n' "$out" | sed -n 's/^BENCH_RESULT //p')
}
if phase rate; then
  log "fixed rate: $RATE requests/s, open loop; the yardstick and the gateway(s) in alternating ${RATE_SLICE}s slices, ${RATE_SECONDS}s each (after 3 s each)"
  for s in "${SCENARIOS[@]}"; do run_rate "$s"; done
fi

# --- multicore: one worker against N, unpinned ----------------------------------------------------
if phase multicore && ((WORKERS > 1)); then
  log "multicore: the gateway with 1 and with $WORKERS workers on both cores (wrk, nginx, Postgres, Kafka share them)"
  WRK_CPUS=0-$((CORES - 1))
  stop_gateway sluice
  for w in 1 "$WORKERS"; do
    label="sluice-${w}w"
    P_KIND[$label]=gw; P_URL[$label]="$GATEWAY"
    start_gateway "$label" "$GATEWAY_MAIN" "$GATEWAY_PORT" "$w" "0-$((CORES - 1))"
    for s in "${SCENARIOS[@]}"; do
      target "$s" "$label"
      run_wrk "${s%%|*}" "$label (2 cores)" "$T_URL" "$T_BODY" "$T_HEADERS" "${P_PID[$label]}"
    done
    stop_gateway "$label"
  done
  WRK_CPUS=0
  start_gateway sluice "$GATEWAY_MAIN" "$GATEWAY_PORT" 1 1
fi

# --- soak ----------------------------------------------------------------------------------------
SOAK_SUMMARY=""
if ((SOAK_MINUTES > 0)); then
  log "soak: ${SOAK_MINUTES} min, the scenarios at once on the gateway ($((CONNECTIONS / ${#SCENARIOS[@]})) connections each), RSS every 10 s"
  SOAK_RSS="$STATE/soak-rss.tsv"
  : >"$SOAK_RSS"
  soak_pids=()
  GW_PID="${P_PID[sluice]}"
  for s in "${SCENARIOS[@]}"; do
    target "$s" sluice
    BENCH_BODY_FILE="$BENCH/requests/$T_BODY" BENCH_HEADERS="$T_HEADERS" taskset -c 0 wrk -t1 \
      -c$((CONNECTIONS / ${#SCENARIOS[@]})) -d"$((SOAK_MINUTES * 60))s" --timeout 10s -s "$BENCH/wrk/post.lua" \
      "$T_URL" >"$STATE/soak-${s%%|*}.out" 2>&1 &
    soak_pids+=($!)
    PIDS+=($!)
  done
  end=$((SECONDS + SOAK_MINUTES * 60))
  while ((SECONDS < end)); do
    printf '%s\t%s\t%s\n' "$((SECONDS))" "$(rss_mb "$GW_PID")" "$(loadavg)" >>"$SOAK_RSS"
    sleep 10
  done
  for p in "${soak_pids[@]}"; do wait "$p" || true; done
  cat "$STATE"/soak-*.out >>"$RAW"
  cat "$SOAK_RSS" >>"$RAW"
  SOAK_SUMMARY="$(node -e '
    const fs = require("fs");
    const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split("\t"));
    const rss = rows.map((r) => Number(r[1]));
    const loads = rows.map((r) => Number(r[2].split(" ")[0]));
    // The first minute is warm-up (JIT, pools, caches); growth is measured from there. RSS under
    // load is a sawtooth (the old generation fills and is collected: +-15% between samples), so two
    // single samples say little: growth is the mean of the last minute against the mean of the
    // second (6 samples each), and the trend a least-squares line through every sample after the first minute.
    const base = rss[Math.min(6, rss.length - 1)];
    const last = rss[rss.length - 1];
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const second = rss.slice(6, 12);
    const final = rss.slice(Math.max(12, rss.length - 6));
    const windowGrowth = ((100 * (mean(final) - mean(second))) / mean(second)).toFixed(1);
    const after = rss.slice(6);
    const xs = after.map((_, i) => i / 6); // minutes
    const mx = mean(xs), my = mean(after);
    const slope = xs.reduce((a, x, i) => a + (x - mx) * (after[i] - my), 0) / Math.max(1e-9, xs.reduce((a, x) => a + (x - mx) ** 2, 0));
    let reqs = 0, errs = 0, rps = 0;
    for (const f of process.argv.slice(2)) {
      const m = /BENCH_RESULT (.*)/.exec(fs.readFileSync(f, "utf8"));
      if (!m) continue;
      const r = JSON.parse(m[1]);
      reqs += r.requests; rps += r.rps;
      errs += r.errorsStatus + r.errorsConnect + r.errorsRead + r.errorsWrite + r.errorsTimeout;
    }
    const growth = ((100 * (last - base)) / base).toFixed(1);
    process.stdout.write(`soak: ${reqs} requests (${rps.toFixed(0)} req/s), ${errs} errors; gateway RSS after 1 min ${base} MB, ` +
      `max ${Math.max(...rss)} MB, at the end ${last} MB (${growth}% from the 1-minute sample); ` +
      `mean of the last minute ${mean(final).toFixed(0)} MB against ${mean(second).toFixed(0)} MB in the second: growth ${windowGrowth}%; ` +
      `trend ${slope.toFixed(1)} MB/min; ` +
      `load average (1 min) ${Math.min(...loads)}-${Math.max(...loads)}; samples: ${rss.join(" ")}`);
  ' "$SOAK_RSS" "$STATE"/soak-*.out)"
  log "$SOAK_SUMMARY"
fi

# --- CPU profiles ----------------------------------------------------------------------------------
PROFILE_TEXT=""
if ((PROFILE)); then
  PROFILE_SECONDS=$((DURATION > 15 ? DURATION : 15))
  log "CPU profiles: the gateway restarted with --cpu-prof, one scenario each, ${PROFILE_SECONDS}s of wrk"
  for label in sluice sluice-b; do
    [[ -n "${P_KIND[$label]:-}" ]] || continue
    if [[ "$label" == sluice ]]; then main="$GATEWAY_MAIN" port="$GATEWAY_PORT" bflags=""; else
      main="$DIST_B/apps/gateway/src/main.js" port="$GATEWAY_B_PORT" bflags="${BENCH_GATEWAY_B_FLAGS:-}"; fi
    for s in "${SCENARIOS[@]}"; do
      name="${s%%|*}"
      stop_gateway "$label"
      mkdir -p "$STATE/prof-$label-$name"
      start_gateway "$label" "$main" "$port" 1 1 "$bflags --cpu-prof --cpu-prof-dir=$STATE/prof-$label-$name"
      target "$s" "$label"
      out="$(BENCH_BODY_FILE="$BENCH/requests/$T_BODY" BENCH_HEADERS="$T_HEADERS" taskset -c 0 wrk -t"$THREADS" \
        -c"$CONNECTIONS" -d"${PROFILE_SECONDS}s" --timeout 10s -s "$BENCH/wrk/post.lua" "$T_URL")"
      printf '### profile %s %s\n%s\n' "$name" "$label" "$out" >>"$RAW"
      rps="$(printf '%s\n' "$out" | sed -n 's/^BENCH_RESULT //p' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{if(!s)return process.stdout.write("?");const r=JSON.parse(s);process.stdout.write(r.rps.toFixed(0)+" req/s, "+(r.errorsStatus+r.errorsConnect+r.errorsRead+r.errorsWrite+r.errorsTimeout)+" errors")})')"
      stop_gateway "$label"
      prof="$(ls "$STATE/prof-$label-$name"/*.cpuprofile 2>/dev/null | head -1 || true)"
      if [[ -n "$prof" ]]; then
        cp "$prof" "$BENCH/results/run-$STAMP-$label-$name.cpuprofile.raw"
        PROFILE_TEXT+="$(printf '\n#### %s, %s (%s under the profiler, load %s)\n\n```\n%s\n```\n' "$name" "$label" "$rps" \
          "$(loadavg)" "$(node "$PROFILE_SUMMARY_JS" "$prof" --top 25)")"
      else
        PROFILE_TEXT+=$'\n'"#### $name, $label: no profile written"$'\n'
      fi
    done
    start_gateway "$label" "$main" "$port" 1 1 "$bflags"
  done
fi

# --- report --------------------------------------------------------------------------------------
TABLE="$(node -e '
  const fs = require("fs");
  const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const rate = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const out = [];
  const pinned = rows.filter((r) => !r[1].endsWith("(2 cores)"));
  const multi = rows.filter((r) => r[1].endsWith("(2 cores)"));
  if (pinned.length > 0) {
    // CPU per request (CPU share of the proxy over the run / its req/s): what a request costs the proxy,
    // less sensitive than req/s to a load generator that sometimes lags (the core of the proxy then idles).
    // With rounds, a row is the median round of that proxy (by req/s), and the gateway ratio is the
    // median of the ratios of its rounds, each to the yardstick run right before it.
    out.push("| scenario | proxy | req/s | ratio to yardstick | rounds: ratio (req/s) | ratio by CPU per request | p50 ms | p95 ms | p99 ms | errors | proxy CPU | CPU µs/request | mock CPU | proxy RSS MB | load avg |");
    out.push("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    const perRequest = (r) => (Number(r[7]) * 1e4) / Number(r[2]);
    const median = (xs) => { const a = [...xs].sort((x, y) => x - y); return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2; };
    const runsOf = (scenario, proxy) => pinned.filter((x) => x[0] === scenario && x[1] === proxy);
    const seen = new Set();
    let starred = false;
    // The yardstick first, then the peers, then the gateway(s), per scenario.
    const rank = (label) => ["yardstick", "bare-node", "portkey", "sluice", "sluice-b"].indexOf(label);
    const scenarios = [...new Set(pinned.map((x) => x[0]))];
    pinned.sort((a, b) => scenarios.indexOf(a[0]) - scenarios.indexOf(b[0]) || rank(a[1]) - rank(b[1]));
    for (const r of pinned) {
      const key = r[0] + "\t" + r[1];
      if (seen.has(key)) continue;
      seen.add(key);
      if (r[2] === "n/a") { out.push(`| ${r[0]} | ${r[1]} | n/a (cannot serve it) | | | | | | | | | | | | |`); continue; }
      const runs = runsOf(r[0], r[1]);
      const ys = runsOf(r[0], "yardstick");
      const byRps = [...runs].sort((a, b) => Number(a[2]) - Number(b[2]));
      const mid = byRps[(byRps.length - 1) >> 1]; // the median round (the lower one of an even count)
      let ratio = "1", rounds = "", cpuRatio = "";
      if (r[1] !== "yardstick") {
        // Paired with the yardstick run of the same round; a proxy run once is compared with the median yardstick.
        const paired = runs.map((x) => (runs.length > 1 ? ys.find((v) => v[11] === x[11]) ?? null : null));
        const ratios = runs.map((x, i) => {
          const y = paired[i];
          return y ? Number(x[2]) / Number(y[2]) : Number(x[2]) / median(ys.map((v) => Number(v[2])));
        });
        // A ratio measures the proxies only when both were CPU-bound: a star marks a round where one
        // of them used under 90% of its core (the load generator or the host held it back).
        const idle = (x, i) => Number(x[7]) < 90 || (paired[i] !== null && Number(paired[i][7]) < 90);
        ratio = ys.length ? median(ratios).toFixed(2) : "";
        rounds = runs.length > 1 ? runs.map((x, i) => `${ratios[i].toFixed(2)}${idle(x, i) ? "*" : ""} (${x[2]})`).join(", ") : "";
        if (runs.some(idle)) starred = true;
        // The CPU per request of the yardstick over that of the gateway, round by round: what one request costs each,
        // which holds even when a proxy was not kept busy (then its req/s measure the load generator).
        const costs = runs.flatMap((x, i) => (paired[i] ? [perRequest(paired[i]) / perRequest(x)] : []));
        cpuRatio = costs.length ? median(costs).toFixed(2) : "";
      } else if (runs.length > 1) {
        rounds = runs.map((x) => x[2]).join(", ");
      }
      const errors = runs.reduce((n, x) => n + Number(x[6]), 0);
      const rss = Math.max(...runs.map((x) => Number(x[9])));
      out.push(`| ${r[0]} | ${r[1]} | ${mid[2]} | ${ratio} | ${rounds} | ${cpuRatio} | ${mid[3]} | ${mid[4]} | ${mid[5]} | ${errors} | ${mid[7]}% | ${perRequest(mid).toFixed(0)} | ${mid[8]}% | ${rss} | ${mid[10]} |`);
    }
    if (starred) out.push("", "\\* in that round the gateway or its yardstick used under 90% of its core: that ratio does not measure the proxies.");
  }
  const shared = fs.readFileSync(process.argv[3], "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  if (shared.length > 0) {
    // Each round: every proxy loaded at once on the same core. A gateway ratio is the yardstick CPU time per
    // request over the gateway one in that round; a row gives the median round.
    const tck = Number(process.argv[4]);
    const us = (r) => (Number(r[3]) * 1e6) / tck / Math.max(1, Number(r[2]));
    const median = (xs) => { const a = [...xs].sort((x, y) => x - y); return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2; };
    out.push("");
    out.push("| scenario (proxies sharing core 1, loaded at once) | proxy | CPU µs/request (median round) | ratio to yardstick by CPU per request | rounds: ratio (µs/request) | req/s (median round) | errors |");
    out.push("| --- | --- | ---: | ---: | --- | ---: | ---: |");
    for (const key of [...new Set(shared.map((r) => r[0] + "\t" + r[1]))]) {
      const [scenario, proxy] = key.split("\t");
      const runs = shared.filter((r) => r[0] === scenario && r[1] === proxy);
      const ys = shared.filter((r) => r[0] === scenario && r[1] === "yardstick");
      const cost = median(runs.map(us));
      const errors = runs.reduce((n, r) => n + Number(r[5]), 0);
      const rps = median(runs.map((r) => Number(r[6])));
      if (proxy === "yardstick") {
        out.push(`| ${scenario} | ${proxy} | ${cost.toFixed(0)} | 1 | ${runs.map((r) => us(r).toFixed(0)).join(", ")} | ${rps.toFixed(0)} | ${errors} |`);
        continue;
      }
      const ratios = runs.map((r) => { const y = ys.find((v) => v[4] === r[4]); return y ? us(y) / us(r) : NaN; });
      out.push(`| ${scenario} | ${proxy} | ${cost.toFixed(0)} | ${median(ratios).toFixed(2)} | ${runs.map((r, i) => `${ratios[i].toFixed(2)} (${us(r).toFixed(0)})`).join(", ")} | ${rps.toFixed(0)} | ${errors} |`);
    }
  }
  if (multi.length > 0) {
    out.push("");
    out.push("| scenario (gateway on both cores, load generator too) | gateway | req/s | gain over 1 worker | p50 ms | p99 ms | errors | gateway CPU (all processes) | RSS MB (all processes) | load avg |");
    out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    for (const r of multi) {
      const one = multi.find((x) => x[0] === r[0] && x[1].startsWith("sluice-1w"));
      const gain = one ? (Number(r[2]) / Number(one[2])).toFixed(2) : "";
      out.push(`| ${r[0]} | ${r[1]} | ${r[2]} | ${gain} | ${r[3]} | ${r[5]} | ${r[6]} | ${r[7]}% | ${r[9]} | ${r[10]} |`);
    }
  }
  if (rate.length > 0) {
    out.push("");
    out.push("| scenario (fixed rate, proxies in alternating slices) | proxy | req/s | p50 ms | p95 ms | p99 ms | added p50 ms | added p99 ms | errors | p99 ms of each slice | load avg |");
    out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    for (const r of rate) {
      const y = rate.find((x) => x[0] === r[0] && x[1] === "yardstick");
      const add = (i) => (r[1] === "yardstick" || !y ? "" : (Number(r[i]) - Number(y[i])).toFixed(3));
      out.push(`| ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} | ${r[4]} | ${r[5]} | ${add(3)} | ${add(5)} | ${r[6]} | ${r[8] ?? ""} | ${r[7]} |`);
    }
  }
  process.stdout.write(out.join("\n") + "\n");
' "$TSV" "$RATE_TSV" "$SHARED_TSV" "$CLK_TCK")"

{
  echo "# Sluice benchmark run $STAMP"
  echo
  echo "- commit: $COMMIT; gateway: distributed mode (Postgres + Kafka on core 0), firewall $FIREWALL_MODE; budgets: $BUDGET_NOTE; extra gateway env: ${GATEWAY_ENV[*]:-none}"
  if [[ -n "$DIST_B" ]]; then echo "- sluice-b: $DIST_B"; fi
  if [[ -n "$PORTKEY_VERSION" ]]; then echo "- peers: bare node:http + undici (bench/yardstick/node-proxy.ts); Portkey gateway $PORTKEY_VERSION (bench/peers/portkey)"; fi
  echo "- machine: $CORES cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(uname -r), node $(node --version), $(nginx -v 2>&1 | sed 's/.*: //'), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "- proxies on core 1 (taskset -c 1); wrk, nginx, Postgres, Kafka on core 0; wrk -t$THREADS -c$CONNECTIONS, ${WARMUP}s warm-up + ${DURATION}s per run; fixed rate $RATE req/s, ${RATE_SECONDS}s per proxy in alternating ${RATE_SLICE}s slices"
  echo
  echo "$TABLE"
  if [[ -n "$SOAK_SUMMARY" ]]; then echo; echo "$SOAK_SUMMARY"; fi
  if [[ -n "$PROFILE_TEXT" ]]; then echo; echo "### CPU profiles (self time)"; echo "$PROFILE_TEXT"; fi
} >"$RESULTS"
cat "$RESULTS"
log "written $RESULTS (raw: $RAW)"
