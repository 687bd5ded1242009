#!/usr/bin/env bash
# One Kafka broker for integration tests and CI, run as a plain JVM process (no Docker here):
# KRaft mode, combined broker+controller, node id 1, loopback only.
#
#   scripts/services/kafka.sh fetch     resolve the broker jars from Maven Central (kafka/pom.xml)
#                                        into $SLUICE_SERVICES_DIR/kafka/libs; skipped when present
#   scripts/services/kafka.sh prepare   fetch, write server.properties + log4j.properties into the
#                                        instance dir, format its storage on first use; prints
#                                        KAFKA_CLASSPATH=, KAFKA_CONFIG=, KAFKA_LOG4J= (for code that
#                                        spawns the JVM itself: libs/testing's KafkaBroker)
#   scripts/services/kafka.sh start     prepare, start in the background (pid file), wait until it
#                                        answers a metadata request, print KAFKA_BROKERS=... (stdout)
#   scripts/services/kafka.sh stop      SIGTERM the pid, wait for exit (SIGKILL after 30 s)
#   scripts/services/kafka.sh status    print KAFKA_BROKERS=... and exit 0 if running, else exit 3
#
# Environment:
#   SLUICE_SERVICES_DIR            state root (default <repo>/.cache)
#   SLUICE_KAFKA_PORT              client listener on 127.0.0.1 (default 59092)
#   SLUICE_KAFKA_CONTROLLER_PORT   KRaft controller listener on 127.0.0.1 (default client port + 1)
#   SLUICE_KAFKA_DIR               instance dir (default $SLUICE_SERVICES_DIR/kafka/data-<port>):
#                                  config, pid file, server.log, and the log segments in logs/
#   SLUICE_KAFKA_HEAP              -Xmx (default 512m)
#   SLUICE_KAFKA_HEARTBEAT_MS, SLUICE_KAFKA_SESSION_TIMEOUT_MS
#                                  broker heartbeat / session timeout (Kafka's defaults: 2000 / 9000)
#
# Start takes ~3 s on a warm machine (JVM + KRaft bootstrap); the first `fetch` ~5-30 s.
set -euo pipefail

SERVICE_NAME=kafka
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SCRIPT_DIR="$SLUICE_REPO_ROOT/scripts/services"
KAFKA_PORT="${SLUICE_KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${SLUICE_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_HOME="$SLUICE_SERVICES_DIR/kafka"
KAFKA_LIBS="$KAFKA_HOME/libs"
KAFKA_DIR="${SLUICE_KAFKA_DIR:-$KAFKA_HOME/data-$KAFKA_PORT}"
KAFKA_HEAP="${SLUICE_KAFKA_HEAP:-512m}"
POM="$SCRIPT_DIR/kafka/pom.xml"
PID_FILE="$KAFKA_DIR/kafka.pid"
READY_TIMEOUT_S=90

# The libs dir is stamped with the pom's hash, so a version bump in the pom refetches.
pom_stamp() { md5sum "$POM" | cut -c1-32; }

cmd_fetch() {
  local stamp
  stamp="$(pom_stamp)"
  if [[ -f "$KAFKA_LIBS/.stamp" && "$(cat "$KAFKA_LIBS/.stamp")" == "$stamp" ]]; then
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found (install maven)"
  command -v java >/dev/null 2>&1 || die "java not found (install a JDK 17+)"
  mkdir -p "$KAFKA_HOME"
  # Parallel test files may all ask at once: one fetches, the others wait for it.
  exec 9>"$KAFKA_HOME/.fetch.lock"
  flock 9
  if [[ -f "$KAFKA_LIBS/.stamp" && "$(cat "$KAFKA_LIBS/.stamp")" == "$stamp" ]]; then
    exec 9>&-
    return 0
  fi
  local t0 tmp
  t0="$(now_ms)"
  tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"
  log "fetching broker jars with Maven into $KAFKA_LIBS"
  # -B: no colours or progress bars in CI logs; Maven's stdout is not ours to print.
  if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    die "Maven could not resolve the broker jars (see above)"
  fi
  ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "Maven ran but no kafka_2.13 jar in $tmp"
  echo "$stamp" >"$tmp/.stamp"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  exec 9>&-
  log "fetched $(ls "$KAFKA_LIBS" | wc -l) jars in $(($(now_ms) - t0)) ms"
}

write_config() {
  mkdir -p "$KAFKA_DIR/logs"
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Written by scripts/services/kafka.sh on every start; edits here are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DIR/logs
auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
min.insync.replicas=1
# Tests join consumer groups constantly: do not wait 3 s for more members before the first rebalance.
group.initial.rebalance.delay.ms=0
# After a SIGKILL the restarted broker cannot register until the controller expires the dead
# incarnation's session; libs/testing's KafkaBroker shortens this so crash tests restart in seconds.
broker.heartbeat.interval.ms=${SLUICE_KAFKA_HEARTBEAT_MS:-2000}
broker.session.timeout.ms=${SLUICE_KAFKA_SESSION_TIMEOUT_MS:-9000}
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.segment.bytes=16777216
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<EOF
# The broker logs to server.log in its instance dir, never to stdout.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$KAFKA_DIR/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=2
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
EOF
}

# A KRaft cluster id is a 16-byte UUID in unpadded base64url; no JVM needed to make one.
# One in 64 such ids starts with '-', which kafka-storage's argument parser takes for an option
# ("argument --cluster-id/-t: expected one argument"); Kafka's own Uuid.randomUuid() draws again
# in that case, and so does this.
new_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && break
  done
  echo "$id"
}

cmd_prepare() {
  cmd_fetch
  write_config
  if [[ ! -f "$KAFKA_DIR/logs/meta.properties" ]]; then
    local id
    id="$(new_cluster_id)"
    log "formatting $KAFKA_DIR/logs (cluster id $id)"
    java -cp "$KAFKA_LIBS/*" -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
      kafka.tools.StorageTool format -t "$id" -c "$KAFKA_DIR/server.properties" >&2 ||
      die "could not format $KAFKA_DIR/logs"
  fi
}

running_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 0
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  # the pid must still be our broker, not a recycled number
  if pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "kafka.Kafka $KAFKA_DIR/server.properties"; then
    echo "$pid"
  fi
}

wait_ready() {
  local pid="$1" rc=0
  node "$SCRIPT_DIR/kafka-ready.cjs" "127.0.0.1:$KAFKA_PORT" $((READY_TIMEOUT_S * 1000)) "$pid" || rc=$?
  case $rc in
    0) return 0 ;;
    2)
      tail -n 40 "$KAFKA_DIR/server.log" "$KAFKA_DIR/stdout.log" >&2 2>/dev/null || true
      die "the broker exited during start-up (logs: $KAFKA_DIR/server.log, $KAFKA_DIR/stdout.log)"
      ;;
    *)
      tail -n 40 "$KAFKA_DIR/server.log" >&2 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      die "not ready after ${READY_TIMEOUT_S} s; killed pid $pid (log: $KAFKA_DIR/server.log)"
      ;;
  esac
}

cmd_start() {
  command -v node >/dev/null 2>&1 || die "node not found (needed for the readiness probe)"
  local t0 pid
  t0="$(now_ms)"
  pid="$(running_pid)"
  if [[ -n "$pid" ]]; then
    log "already running (pid $pid)"
    wait_ready "$pid"
  else
    for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
      if port_open "$p"; then
        die "127.0.0.1:$p is already taken by another process (set SLUICE_KAFKA_PORT / SLUICE_KAFKA_CONTROLLER_PORT)"
      fi
    done
    cmd_prepare
    local t1
    t1="$(now_ms)"
    # stdout/stderr to a file: whoever captures our stdout must not wait on the JVM's copy of it.
    nohup java "-Xmx$KAFKA_HEAP" "-Xms$KAFKA_HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
      -Djava.awt.headless=true -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" \
      -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
      </dev/null >"$KAFKA_DIR/stdout.log" 2>&1 &
    pid=$!
    echo "$pid" >"$PID_FILE"
    log "started pid $pid; waiting for it to answer a metadata request"
    wait_ready "$pid"
    log "JVM start to ready: $(($(now_ms) - t1)) ms"
  fi
  log "ready on 127.0.0.1:$KAFKA_PORT (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT) in $(($(now_ms) - t0)) ms"
  echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
}

cmd_stop() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    log "not running"
    rm -f "$PID_FILE"
    return 0
  fi
  local t0
  t0="$(now_ms)"
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_exit "$pid" 30; then
    log "pid $pid ignored SIGTERM for 30 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_exit "$pid" 10 || die "pid $pid does not exit"
  fi
  rm -f "$PID_FILE"
  log "stopped in $(($(now_ms) - t0)) ms"
}

cmd_status() {
  local pid
  pid="$(running_pid)"
  if [[ -z "$pid" ]]; then
    log "not running"
    return 3
  fi
  log "running (pid $pid, dir $KAFKA_DIR)"
  echo "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  prepare)
    cmd_prepare
    echo "KAFKA_CLASSPATH=$KAFKA_LIBS/*"
    echo "KAFKA_CONFIG=$KAFKA_DIR/server.properties"
    echo "KAFKA_LOG4J=$KAFKA_DIR/log4j.properties"
    ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  cluster-id)
    # prints N fresh cluster ids (default 1); the tests check their shape
    for ((i = 0; i < ${2:-1}; i++)); do new_cluster_id; done
    ;;
  *)
    echo "usage: $0 fetch|prepare|start|stop|status|cluster-id [N]" >&2
    exit 2
    ;;
esac
