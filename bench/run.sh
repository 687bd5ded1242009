#!/usr/bin/env bash
# Sluice benchmark (issue 7): the gateway and a bare Fastify proxy (the yardstick) in the same run,
# against an nginx mock upstream serving fixed bodies, loaded by wrk.
#
#   bash bench/run.sh [--duration S] [--connections N] [--rate R] [--rate-seconds S]
#                     [--soak [MINUTES]] [--no-profile] [--dist DIR] [--firewall MODE]
#
#   --duration S        seconds per throughput run (default 15, after a 3 s warm-up)
#   --connections N     wrk connections (default 100)
#   --rate R            fixed-rate run: requests/s (default 200) for --rate-seconds (default 20)
#   --soak [MINUTES]    also a soak on the gateway, all four scenarios at once (default 10 minutes)
#   --no-profile        skip the CPU profiles (node --cpu-prof, one per scenario)
#   --dist DIR          use an existing build (DIR/apps/gateway/src/main.js); default: build the
#                       committed HEAD (git archive) into .cache/bench/, so others' uncommitted
#                       work is not measured and the shared dist/ is not touched
#   --firewall MODE     SLUICE_FIREWALL_MODE of the gateway (default redact)
#
# Layout on this 2-core machine: the proxy under test (gateway or yardstick) on core 1
# (taskset -c 1); wrk, nginx, Postgres and Kafka on core 0. The gateway runs in distributed mode
# (its own process, as deployed, with Postgres and Kafka from scripts/services/ on private ports
# and a temp state dir), so the ledger's work does not share its core as it would in standalone.
# Everything listens on 127.0.0.1 only; everything started here is stopped by pid on exit.
# Results: a table on stdout and in bench/results/run-<UTC time>.md (raw outputs in .raw files).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BENCH="$REPO/bench"
DURATION=15
WARMUP=3
CONNECTIONS=100
THREADS=2
RATE=200
RATE_SECONDS=20
SOAK_MINUTES=0
PROFILE=1
DIST=""
FIREWALL_MODE=redact
PORT_BASE="${BENCH_PORT_BASE:-18300}"
MAX_SECONDS="${BENCH_MAX_SECONDS:-3600}"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --rate-seconds) RATE_SECONDS="$2"; shift 2 ;;
    --soak)
      if [[ "${2:-}" =~ ^[0-9]+$ ]]; then SOAK_MINUTES="$2"; shift 2; else SOAK_MINUTES=10; shift; fi ;;
    --no-profile) PROFILE=0; shift ;;
    --dist) DIST="$(cd "$2" && pwd -P)"; shift 2 ;;
    --firewall) FIREWALL_MODE="$2"; shift 2 ;;
    -h | --help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
if ((SOAK_MINUTES > 0)); then MAX_SECONDS=$((MAX_SECONDS + SOAK_MINUTES * 60)); fi

MOCK_PORT=$PORT_BASE
YARDSTICK_PORT=$((PORT_BASE + 1))
GATEWAY_PORT=$((PORT_BASE + 2))
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
for p in "$MOCK_PORT" "$YARDSTICK_PORT" "$GATEWAY_PORT" "$SLUICE_PG_PORT" "$SLUICE_KAFKA_PORT" "$SLUICE_KAFKA_CONTROLLER_PORT"; do
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
  for ((i = 0; i < 150; i++)); do
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
  rm -rf "$BUILD"
  mkdir -p "$BUILD"
  COMMIT="$(git -C "$REPO" rev-parse --short HEAD)"
  log "building HEAD ($COMMIT) into $BUILD"
  git -C "$REPO" archive HEAD apps libs migrations tsconfig.json tsconfig.build.json package.json | tar -x -C "$BUILD"
  # Paths and node_modules resolve upwards to the repository's node_modules.
  (cd "$BUILD" && node "$REPO/node_modules/typescript/bin/tsc" -p tsconfig.build.json --outDir "$BUILD/dist" \
    --rootDir "$BUILD" >"$STATE/build.log" 2>&1) ||
    { tail -20 "$STATE/build.log" >&2; die "build failed"; }
  (cd "$BUILD" && node "$REPO/node_modules/tsc-alias/dist/bin/index.js" -p tsconfig.build.json --outDir "$BUILD/dist" \
    >>"$STATE/build.log" 2>&1) || { tail -20 "$STATE/build.log" >&2; die "tsc-alias failed"; }
  DIST="$BUILD/dist"
  MIGRATIONS="$BUILD/migrations"
else
  COMMIT="$(git -C "$REPO" rev-parse --short HEAD) (prebuilt $DIST)"
  MIGRATIONS="$REPO/migrations"
fi
GATEWAY_MAIN="$DIST/apps/gateway/src/main.js"
[[ -f "$GATEWAY_MAIN" ]] || die "no $GATEWAY_MAIN"

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

# --- yardstick -----------------------------------------------------------------------------------
# Compiled to plain JavaScript like the gateway (under .cache so node_modules resolve), so that
# neither process carries a TypeScript transpiler in its memory.
YS_OUT="$REPO/.cache/bench/yardstick"
rm -rf "$YS_OUT"
node "$REPO/node_modules/typescript/bin/tsc" "$BENCH/yardstick/fastify-proxy.ts" --outDir "$YS_OUT" --module commonjs \
  --target es2022 --moduleResolution node --esModuleInterop --skipLibCheck --types node >"$STATE/yardstick-build.log" 2>&1 ||
  { cat "$STATE/yardstick-build.log" >&2; die "yardstick build failed"; }
(UPSTREAM_URL="$MOCK" PORT="$YARDSTICK_PORT" exec taskset -c 1 node "$YS_OUT/fastify-proxy.js") >"$STATE/yardstick.log" 2>&1 &
YARDSTICK_PID=$!
PIDS+=("$YARDSTICK_PID")
YARDSTICK="http://127.0.0.1:$YARDSTICK_PORT"
for ((i = 0; i < 300; i++)); do grep -q YARDSTICK_URL "$STATE/yardstick.log" 2>/dev/null && break; sleep 0.1; done
grep -q YARDSTICK_URL "$STATE/yardstick.log" || { cat "$STATE/yardstick.log" >&2; die "yardstick did not start"; }
log "yardstick (Fastify + undici) on $YARDSTICK (pid $YARDSTICK_PID)"

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
GATEWAY="http://127.0.0.1:$GATEWAY_PORT"
start_gateway() { # $1: extra node flags (e.g. --cpu-prof ...)
  (cd "$STATE" && exec env SLUICE_HOST=127.0.0.1 SLUICE_GATEWAY_PORT="$GATEWAY_PORT" SLUICE_MASTER_KEY="$MASTER_KEY" \
    DATABASE_URL="$DATABASE_URL" KAFKA_BROKERS="$KAFKA_BROKERS" SLUICE_CONFIG="$STATE/sluice.yaml" \
    SLUICE_MIGRATIONS_DIR="$MIGRATIONS" SLUICE_FIREWALL_MODE="$FIREWALL_MODE" NODE_ENV=production \
    taskset -c 1 node $1 "$GATEWAY_MAIN") >>"$STATE/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  PIDS+=("$GATEWAY_PID")
  wait_http "$GATEWAY/ready" gateway
}
stop_gateway() {
  stop_pid "$GATEWAY_PID"
  wait "$GATEWAY_PID" 2>/dev/null || true
}
start_gateway ""
log "gateway (distributed, firewall $FIREWALL_MODE) on $GATEWAY (pid $GATEWAY_PID)"
TEAM_ID="$(curl -fsS -X POST "$GATEWAY/api/v1/admin/teams" -H "authorization: Bearer $MASTER_KEY" \
  -H 'content-type: application/json' -d '{"name":"bench"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).id))')"
API_KEY="$(curl -fsS -X POST "$GATEWAY/api/v1/admin/teams/$TEAM_ID/keys" -H "authorization: Bearer $MASTER_KEY" \
  -H 'content-type: application/json' -d '{"name":"bench"}' | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).key))')"
[[ "$API_KEY" == tok_* ]] || die "could not create a team key"

# --- scenarios -----------------------------------------------------------------------------------
# name | gateway path | request body | expected in the answer | yardstick path (the same upstream
# bytes, passed through) | expected from the yardstick
SCENARIOS=(
  "chat-json|/v1/chat/completions|chat.json|\"choices\"|/json/v1/chat/completions|\"choices\""
  "chat-sse|/v1/chat/completions|chat-stream.json|[DONE]|/sse/v1/chat/completions|[DONE]"
  "anthropic-from-openai-sse|/v1/messages|anthropic-stream.json|message_stop|/sse/v1/chat/completions|[DONE]"
  "responses-from-anthropic-sse|/v1/responses|responses-stream.json|response.completed|/sse/v1/messages|message_stop"
)
HEADERS_GW="authorization: Bearer $API_KEY|anthropic-version: 2023-06-01"

check_answer() { # url body expected
  local out
  out="$(curl -sS -X POST "$1" -H "authorization: Bearer $API_KEY" -H 'anthropic-version: 2023-06-01' \
    -H 'content-type: application/json' --data-binary "@$BENCH/requests/$2" -w '\nHTTP_STATUS=%{http_code}')"
  [[ "$out" == *"HTTP_STATUS=200"* && "$out" == *"$3"* ]] || { printf '%s\n' "$out" | tail -5 >&2; die "bad answer from $1"; }
}
for s in "${SCENARIOS[@]}"; do
  IFS='|' read -r name path body expect ypath yexpect <<<"$s"
  check_answer "$GATEWAY$path" "$body" "$expect"
  check_answer "$YARDSTICK$ypath" "$body" "$yexpect"
done
log "every scenario answers correctly through both proxies"

TSV="$STATE/results.tsv"
printf 'scenario\tproxy\trps\tp50\tp95\tp99\terrors\tcpuProxy\tcpuMock\trssMb\tload\n' >"$TSV"

# One wrk run: $1 scenario, $2 proxy label, $3 url, $4 body, $5 headers, $6 pid of the proxy.
run_wrk() {
  local scenario="$1" label="$2" url="$3" body="$4" headers="$5" pid="$6" t0 t1 c0 c1 m0 m1 out line
  BENCH_BODY_FILE="$BENCH/requests/$body" BENCH_HEADERS="$headers" taskset -c 0 wrk -t"$THREADS" -c"$CONNECTIONS" \
    -d"${WARMUP}s" --timeout 10s -s "$BENCH/wrk/post.lua" "$url" >/dev/null
  c0=$(cpu_ticks "$pid"); m0=$(cpu_ticks_tree "$MOCK_PID"); t0=$(date +%s%N)
  out="$(BENCH_BODY_FILE="$BENCH/requests/$body" BENCH_HEADERS="$headers" taskset -c 0 wrk -t"$THREADS" \
    -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s "$BENCH/wrk/post.lua" "$url")"
  t1=$(date +%s%N); c1=$(cpu_ticks "$pid"); m1=$(cpu_ticks_tree "$MOCK_PID")
  printf '### %s %s %s\n%s\n' "$scenario" "$label" "$url" "$out" >>"$RAW"
  line="$(printf '%s\n' "$out" | sed -n 's/^BENCH_RESULT //p')"
  [[ -n "$line" ]] || die "wrk printed no result for $scenario/$label"
  node -e '
    const [line, scenario, label, c0, c1, m0, m1, t0, t1, tck, rss, load] = process.argv.slice(1);
    const r = JSON.parse(line);
    const s = (Number(t1) - Number(t0)) / 1e9;
    const cpu = (a, b) => ((100 * (Number(b) - Number(a))) / Number(tck) / s).toFixed(0);
    const errors = r.errorsStatus + r.errorsConnect + r.errorsRead + r.errorsWrite + r.errorsTimeout;
    process.stdout.write([scenario, label, r.rps.toFixed(0), r.p50Ms.toFixed(2), r.p95Ms.toFixed(2),
      r.p99Ms.toFixed(2), errors, cpu(c0, c1), cpu(m0, m1), rss, load.replace(/ /g, "/")].join("\t") + "\n");
  ' "$line" "$scenario" "$label" "$c0" "$c1" "$m0" "$m1" "$t0" "$t1" "$CLK_TCK" "$(rss_mb "$pid")" "$(loadavg)" >>"$TSV"
  tail -1 "$TSV" | awk -F'\t' '{ printf "  %-30s %-9s %7s req/s  p50 %6s  p95 %6s  p99 %7s ms  errors %s  cpu %s%% (mock %s%%)  rss %s MB  load %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' >&2
}

log "throughput: wrk -t$THREADS -c$CONNECTIONS, ${WARMUP}s warm-up + ${DURATION}s per run"
for s in "${SCENARIOS[@]}"; do
  IFS='|' read -r name path body expect ypath _ <<<"$s"
  run_wrk "$name" yardstick "$YARDSTICK$ypath" "$body" "" "$YARDSTICK_PID"
  run_wrk "$name" sluice "$GATEWAY$path" "$body" "$HEADERS_GW" "$GATEWAY_PID"
done

# --- fixed rate: added latency ---------------------------------------------------------------------
RATE_TSV="$STATE/rate.tsv"
printf 'scenario\tproxy\trps\tp50\tp95\tp99\terrors\tload\n' >"$RATE_TSV"
run_rate() { # scenario label url body pid [headers...]
  local scenario="$1" label="$2" url="$3" body="$4" out line
  shift 4
  local hargs=()
  for h in "$@"; do hargs+=(--header "$h"); done
  out="$(cd "$REPO" && taskset -c 0 node -r @swc-node/register bench/fixed-rate.ts --url "$url" \
    --body "$BENCH/requests/$body" --rate "$RATE" --seconds "$RATE_SECONDS" "${hargs[@]}")"
  printf '### rate %s %s\n%s\n' "$scenario" "$label" "$out" >>"$RAW"
  line="$(printf '%s\n' "$out" | sed -n 's/^BENCH_RESULT //p')"
  node -e '
    const [line, scenario, label, load] = process.argv.slice(1);
    const r = JSON.parse(line);
    process.stdout.write([scenario, label, r.rps.toFixed(0), r.p50Ms.toFixed(3), r.p95Ms.toFixed(3),
      r.p99Ms.toFixed(3), r.errors, load.replace(/ /g, "/")].join("\t") + "\n");
  ' "$line" "$scenario" "$label" "$(loadavg)" >>"$RATE_TSV"
  tail -1 "$RATE_TSV" | awk -F'\t' '{ printf "  %-30s %-9s %5s req/s  p50 %7s  p95 %7s  p99 %7s ms  errors %s  load %s\n", $1, $2, $3, $4, $5, $6, $7, $8 }' >&2
}
log "fixed rate: $RATE requests/s for ${RATE_SECONDS}s (after 3 s) per run, open loop"
for s in "${SCENARIOS[@]}"; do
  IFS='|' read -r name path body expect ypath _ <<<"$s"
  run_rate "$name" yardstick "$YARDSTICK$ypath" "$body"
  run_rate "$name" sluice "$GATEWAY$path" "$body" "authorization: Bearer $API_KEY" "anthropic-version: 2023-06-01"
done

# --- soak ----------------------------------------------------------------------------------------
SOAK_SUMMARY=""
if ((SOAK_MINUTES > 0)); then
  log "soak: ${SOAK_MINUTES} min, the four scenarios at once ($((CONNECTIONS / 4)) connections each), RSS every 10 s"
  SOAK_RSS="$STATE/soak-rss.tsv"
  : >"$SOAK_RSS"
  soak_pids=()
  for s in "${SCENARIOS[@]}"; do
    IFS='|' read -r name path body expect ypath _ <<<"$s"
    BENCH_BODY_FILE="$BENCH/requests/$body" BENCH_HEADERS="$HEADERS_GW" taskset -c 0 wrk -t1 -c$((CONNECTIONS / 4)) \
      -d"$((SOAK_MINUTES * 60))s" --timeout 10s -s "$BENCH/wrk/post.lua" "$GATEWAY$path" >"$STATE/soak-$name.out" 2>&1 &
    soak_pids+=($!)
    PIDS+=($!)
  done
  end=$((SECONDS + SOAK_MINUTES * 60))
  while ((SECONDS < end)); do
    printf '%s\t%s\t%s\n' "$((SECONDS))" "$(rss_mb "$GATEWAY_PID")" "$(loadavg)" >>"$SOAK_RSS"
    sleep 10
  done
  for p in "${soak_pids[@]}"; do wait "$p" || true; done
  cat "$STATE"/soak-*.out >>"$RAW"
  cat "$SOAK_RSS" >>"$RAW"
  SOAK_SUMMARY="$(node -e '
    const fs = require("fs");
    const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split("\t"));
    const rss = rows.map((r) => Number(r[1]));
    // The first minute is warm-up (JIT, pools, caches); growth is measured from there.
    const base = rss[Math.min(6, rss.length - 1)];
    const last = rss[rss.length - 1];
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
      `max ${Math.max(...rss)} MB, at the end ${last} MB (growth ${growth}% from the 1-minute mark); samples: ${rss.join(" ")}`);
  ' "$SOAK_RSS" "$STATE"/soak-*.out)"
  log "$SOAK_SUMMARY"
fi

# --- CPU profiles ----------------------------------------------------------------------------------
PROFILE_TEXT=""
if ((PROFILE)); then
  log "CPU profiles: the gateway restarted with --cpu-prof, one scenario each, ${DURATION}s of wrk"
  for s in "${SCENARIOS[@]}"; do
    IFS='|' read -r name path body expect ypath _ <<<"$s"
    stop_gateway
    mkdir -p "$STATE/prof-$name"
    start_gateway "--cpu-prof --cpu-prof-dir=$STATE/prof-$name"
    BENCH_BODY_FILE="$BENCH/requests/$body" BENCH_HEADERS="$HEADERS_GW" taskset -c 0 wrk -t"$THREADS" \
      -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$BENCH/wrk/post.lua" "$GATEWAY$path" >>"$RAW"
    stop_gateway
    prof="$(ls "$STATE/prof-$name"/*.cpuprofile 2>/dev/null | head -1 || true)"
    if [[ -n "$prof" ]]; then
      cp "$prof" "$BENCH/results/run-$STAMP-$name.cpuprofile.raw"
      PROFILE_TEXT+="$(printf '\n#### %s\n\n```\n%s\n```\n' "$name" \
        "$(cd "$REPO" && node -r @swc-node/register bench/profile-summary.ts "$prof" --top 20)")"
    else
      PROFILE_TEXT+=$'\n'"#### $name: no profile written"$'\n'
    fi
  done
  start_gateway ""
fi

# --- report --------------------------------------------------------------------------------------
TABLE="$(node -e '
  const fs = require("fs");
  const rows = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const rate = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").slice(1).map((l) => l.split("\t"));
  const out = [];
  out.push("| scenario | proxy | req/s | ratio to yardstick | p50 ms | p95 ms | p99 ms | errors | proxy CPU | mock CPU | proxy RSS MB | load avg |");
  out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const r of rows) {
    const y = rows.find((x) => x[0] === r[0] && x[1] === "yardstick");
    const ratio = r[1] === "yardstick" ? "1" : (Number(r[2]) / Number(y[2])).toFixed(2);
    out.push(`| ${r[0]} | ${r[1]} | ${r[2]} | ${ratio} | ${r[3]} | ${r[4]} | ${r[5]} | ${r[6]} | ${r[7]}% | ${r[8]}% | ${r[9]} | ${r[10]} |`);
  }
  out.push("");
  out.push("| scenario (fixed rate) | proxy | req/s | p50 ms | p95 ms | p99 ms | added p50 ms | added p99 ms | errors | load avg |");
  out.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
  for (const r of rate) {
    const y = rate.find((x) => x[0] === r[0] && x[1] === "yardstick");
    const add = (i) => (r[1] === "yardstick" ? "" : (Number(r[i]) - Number(y[i])).toFixed(3));
    out.push(`| ${r[0]} | ${r[1]} | ${r[2]} | ${r[3]} | ${r[4]} | ${r[5]} | ${add(3)} | ${add(5)} | ${r[6]} | ${r[7]} |`);
  }
  process.stdout.write(out.join("\n") + "\n");
' "$TSV" "$RATE_TSV")"

{
  echo "# Sluice benchmark run $STAMP"
  echo
  echo "- commit: $COMMIT; gateway: distributed mode (Postgres + Kafka on core 0), firewall $FIREWALL_MODE, budgets: not implemented yet"
  echo "- machine: $CORES cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1), $(uname -r), node $(node --version), $(nginx -v 2>&1 | sed 's/.*: //'), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "- proxies on core 1 (taskset -c 1); wrk, nginx, Postgres, Kafka on core 0; wrk -t$THREADS -c$CONNECTIONS, ${WARMUP}s warm-up + ${DURATION}s per run; fixed rate $RATE req/s for ${RATE_SECONDS}s"
  echo
  echo "$TABLE"
  if [[ -n "$SOAK_SUMMARY" ]]; then echo; echo "$SOAK_SUMMARY"; fi
  if [[ -n "$PROFILE_TEXT" ]]; then echo; echo "### CPU profiles (self time)"; echo "$PROFILE_TEXT"; fi
} >"$RESULTS"
cat "$RESULTS"
log "written $RESULTS (raw: $RAW)"
