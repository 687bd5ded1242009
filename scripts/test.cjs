#!/usr/bin/env node
// The one test command (`npm test`). Runs every *.spec.ts with node:test through swc (decorator
// metadata and tsconfig paths intact) and ends with "N passed, N failed".
//
// Integration and end-to-end tests need a real Postgres and a real Kafka broker. They are found
// through SLUICE_TEST_DATABASE_URL and SLUICE_TEST_KAFKA_BROKERS; when those are unset this script
// starts both itself (scripts/services/*.sh, loopback only) and stops them afterwards. A service that
// cannot be had fails the run: nothing is skipped for want of it.
//
//   npm test                 everything
//   npm test -- --unit       only the unit tests (no services)
//   npm test -- path/a.spec.ts path/b.spec.ts
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const explicit = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name.endsWith('.spec.ts')) out.push(path.relative(root, full));
  }
  return out;
}

const isIntegration = (f) => /\.(int|e2e)\.spec\.ts$/.test(f);
let files =
  explicit.length > 0
    ? explicit
    : ['apps', 'libs', 'test']
        .filter((d) => fs.existsSync(path.join(root, d)))
        .flatMap((d) => walk(path.join(root, d), []));
if (unitOnly) files = files.filter((f) => !isIntegration(f));
files.sort();

const env = { ...process.env };
const started = [];
function service(name, verb) {
  const res = spawnSync('bash', [path.join(root, 'scripts/services', `${name}.sh`), verb], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (res.status !== 0) {
    console.error(`${name}: '${verb}' failed (exit ${res.status}); integration tests cannot run without it`);
    process.exit(1);
  }
  return res.stdout;
}
function envLines(text) {
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
}

const needsServices = files.some(isIntegration);
if (needsServices) {
  if (!env.SLUICE_TEST_DATABASE_URL) {
    const out = service('postgres', 'start');
    started.push('postgres');
    envLines(out);
    env.SLUICE_TEST_DATABASE_URL = env.DATABASE_URL;
  }
  if (!env.SLUICE_TEST_KAFKA_BROKERS) {
    const out = service('kafka', 'start');
    started.push('kafka');
    envLines(out);
    env.SLUICE_TEST_KAFKA_BROKERS = env.KAFKA_BROKERS;
  }
  delete env.DATABASE_URL;
  delete env.KAFKA_BROKERS;
}

const nodeArgs = [
  '--require',
  '@swc-node/register',
  '--test',
  `--test-concurrency=${env.SLUICE_TEST_CONCURRENCY || '3'}`,
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  `--test-reporter=${path.join(root, 'scripts/summary-reporter.mjs')}`,
  '--test-reporter-destination=stdout',
  ...files,
];
env.NODE_ENV = 'test';
env.SWC_NODE_PROJECT = path.join(root, 'tsconfig.json');
const child = spawn(process.execPath, nodeArgs, { cwd: root, env, stdio: 'inherit' });
let stopping = false;
function stopServices() {
  if (stopping) return;
  stopping = true;
  for (const name of started.reverse()) service(name, 'stop');
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  stopServices();
  process.exit(code ?? (signal ? 1 : 0));
});
