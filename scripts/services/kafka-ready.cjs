#!/usr/bin/env node
// Readiness probe for scripts/services/kafka.sh: a broker is ready when it answers a Kafka
// Metadata request (v1) that lists at least one broker and a controller. An open TCP port alone is
// not enough: the socket server accepts before the broker has joined the KRaft quorum.
// Dependency-free (plain `net`) so it works before `npm ci`.
//
//   node kafka-ready.cjs HOST:PORT TIMEOUT_MS [PID]
// exits 0 when ready; 1 on timeout; 2 when PID (the broker process) is gone.
'use strict';
const fs = require('node:fs');
const net = require('node:net');

const [target, timeoutArg, pidArg] = process.argv.slice(2);
if (!target || !timeoutArg) {
  console.error('usage: kafka-ready.cjs HOST:PORT TIMEOUT_MS [PID]');
  process.exit(64);
}
const sep = target.lastIndexOf(':');
const host = target.slice(0, sep);
const port = Number(target.slice(sep + 1));
const deadline = Date.now() + Number(timeoutArg);
const pid = pidArg ? Number(pidArg) : undefined;

function metadataRequest() {
  const clientId = Buffer.from('sluice-ready');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length + 4);
  let o = 0;
  o = body.writeInt16BE(3, o); // api key: Metadata
  o = body.writeInt16BE(1, o); // api version 1: has controller_id
  o = body.writeInt32BE(1, o); // correlation id
  o = body.writeInt16BE(clientId.length, o);
  o += clientId.copy(body, o);
  body.writeInt32BE(0, o); // topics: empty array (v1: none, we only want brokers)
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

// Parses a Metadata v1 response: correlation_id, brokers[node_id, host, port, rack], controller_id.
function parse(buf) {
  let o = 4; // size
  o += 4; // correlation id
  const brokers = buf.readInt32BE(o);
  o += 4;
  for (let i = 0; i < brokers; i++) {
    o += 4; // node id
    o += 2 + buf.readInt16BE(o); // host
    o += 4; // port
    const rackLen = buf.readInt16BE(o);
    o += 2 + Math.max(rackLen, 0);
  }
  const controllerId = buf.readInt32BE(o);
  return { brokers, controllerId };
}

function probe() {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let data = Buffer.alloc(0);
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write(metadataRequest()));
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length < 4 || data.length < 4 + data.readInt32BE(0)) return;
      try {
        const { brokers, controllerId } = parse(data);
        done(brokers > 0 && controllerId >= 0);
      } catch {
        done(false);
      }
    });
  });
}

function alive() {
  if (pid === undefined) return true;
  try {
    // a broker that died as our parent's unreaped child is a zombie: state Z after "(comm)"
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

(async () => {
  for (;;) {
    if (await probe()) process.exit(0);
    if (!alive()) process.exit(2);
    if (Date.now() > deadline) process.exit(1);
    await new Promise((r) => setTimeout(r, 200));
  }
})();
