// Ledger benchmark (issue 6): write-side ingest rate, and the read side over a million requests.
//
//   node -r @swc-node/register bench/ledger/ledger-bench.ts [options]
//
//   --events N         usage events produced to Kafka for the ingest run (default 50000)
//   --teams N          payer teams the events are spread over (default 50)
//   --partitions N     partitions of the usage topic (default 3)
//   --requests N       rows of request_audit for the read-side run (default 1000000)
//   --only WHAT        ingest | read (default both)
//   --cpu-prof DIR     run the ledger process with --cpu-prof, profiles written to DIR
//
// Services: with BENCH_DATABASE_URL and BENCH_KAFKA_BROKERS set, those are used (a fresh database and
// topic each run); otherwise the script starts its own Postgres and Kafka with scripts/services/*.sh on
// private ports (18410, 18420) under a temporary SLUICE_SERVICES_DIR, and stops them at the end.
//
// Ingest: N usage.recorded.v1 events (several teams, models and providers, all priced) are produced to a
// fresh topic first; then the ledger starts as its own process (`scripts/start.cjs ledger`, distributed
// mode, exactly as deployed) and consumes the backlog: Kafka consumer -> event store -> accounting,
// request audit and event chain projections. The rate is N over the time from the first event stored to
// the last projection caught up (polled every 50 ms), so Kafka group join and process start are excluded.
// Method and results: docs/benchmarks.md, section "Ledger".
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { KafkaTransport, makeEnvelope, USAGE_RECORDED_V1, type EventEnvelope } from '@sluice/events';
import { backendCpuMs, cpuDeltaMs, processCpuMs } from './proc-cpu';

const ROOT = resolve(__dirname, '../..');
const MASTER_KEY = 'bench-master-key-0123456789abcdef';

type Options = {
  events: number;
  teams: number;
  partitions: number;
  requests: number;
  only: 'ingest' | 'read' | null;
  cpuProf: string | null;
};

function parseOptions(argv: string[]): Options {
  const o: Options = {
    events: 50_000,
    teams: 50,
    partitions: 3,
    requests: 1_000_000,
    only: null,
    cpuProf: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1] ?? '';
    if (a === '--events') o.events = Number(v);
    else if (a === '--teams') o.teams = Number(v);
    else if (a === '--partitions') o.partitions = Number(v);
    else if (a === '--requests') o.requests = Number(v);
    else if (a === '--only') o.only = v === 'ingest' || v === 'read' ? v : null;
    else if (a === '--cpu-prof') o.cpuProf = resolve(v);
    else throw new Error(`unknown option ${a ?? ''}`);
    i++;
  }
  return o;
}

type Services = { databaseUrl: string; brokers: string[]; stop: () => void };

function serviceScript(name: 'postgres' | 'kafka', verb: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync('bash', [join(ROOT, 'scripts/services', `${name}.sh`), verb], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${name}.sh ${verb} failed (${String(r.status)})`);
  return r.stdout;
}

function services(): Services {
  const url = process.env['BENCH_DATABASE_URL'];
  const brokers = process.env['BENCH_KAFKA_BROKERS'];
  if (url && brokers) return { databaseUrl: url, brokers: brokers.split(','), stop: () => undefined };
  const env = {
    ...process.env,
    SLUICE_SERVICES_DIR: mkdtempSync(join(tmpdir(), 'sluice-ledger-bench-')),
    SLUICE_PG_PORT: '18410',
    SLUICE_KAFKA_PORT: '18420',
  };
  const pg = /DATABASE_URL=(\S+)/.exec(serviceScript('postgres', 'start', env))?.[1];
  const kafka = /KAFKA_BROKERS=(\S+)/.exec(serviceScript('kafka', 'start', env))?.[1];
  if (!pg || !kafka) throw new Error('services did not print their URLs');
  return {
    databaseUrl: pg,
    brokers: kafka.split(','),
    stop: () => {
      serviceScript('kafka', 'stop', env);
      serviceScript('postgres', 'stop', env);
    },
  };
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

const MODELS: Array<[provider: string, model: string]> = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['openai', 'gpt-4.1'],
  ['anthropic', 'claude-sonnet-4-5'],
  ['anthropic', 'claude-haiku-4-5'],
  ['gemini', 'gemini-2.5-flash'],
];

/** A gateway-shaped usage event for request i (deterministic token counts, varied models and teams). */
export function benchUsageEvent(i: number, teams: number, at: Date): EventEnvelope {
  const [provider, model] = MODELS[i % MODELS.length]!;
  const teamId = `team-${i % teams}`;
  const requestId = `bench-${i}-${at.getTime().toString(36)}`;
  return makeEnvelope({
    type: USAGE_RECORDED_V1,
    subject: teamId,
    producer: 'bench',
    correlationId: requestId,
    occurredAt: at,
    data: {
      requestId,
      teamId,
      keyId: `key-${i % 7}`,
      endpoint: 'openai.chat_completions',
      modelRequested: model,
      modelServed: model,
      provider,
      providerRequestId: `prov-${i}`,
      stream: i % 2 === 0,
      status: 200,
      errorCode: null,
      usage: {
        inputUncachedTokens: 100 + ((i * 7919) % 5000),
        cacheReadTokens: i % 4 === 0 ? (i * 31) % 3000 : 0,
        cacheWriteTokens: provider === 'anthropic' && i % 5 === 0 ? (i * 13) % 1000 : 0,
        outputTokens: 5 + ((i * 104729) % 2000),
        reasoningTokens: 0,
      },
      rawUsage: { prompt_tokens: 100, completion_tokens: 5 },
      receivedAt: at.toISOString(),
      latencyMs: 120 + (i % 50),
      ttfbMs: 30 + (i % 20),
      firewall: [],
    },
  });
}

/** The ledger as its own process (`scripts/start.cjs ledger`), optionally under --cpu-prof. */
async function startLedger(
  env: Record<string, string>,
  cpuProf: string | null,
): Promise<{ pid: number; stop: () => Promise<void> }> {
  const args = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [];
  const child = spawn(process.execPath, [...args, join(ROOT, 'scripts/start.cjs'), 'ledger'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const tail: string[] = [];
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`ledger did not start:\n${tail.join('')}`)), 120_000);
    const onData = (b: Buffer): void => {
      const text = b.toString('utf8');
      tail.push(text);
      if (tail.length > 50) tail.shift();
      if (process.env['BENCH_LEDGER_LOG']) process.stderr.write(text);
      if (text.includes('ledger listening')) {
        clearTimeout(timer);
        res();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => rej(new Error(`ledger exited before it was ready:\n${tail.join('')}`)));
  });
  return {
    pid: child.pid ?? -1,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

type IngestResult = {
  events: number;
  produceMs: number;
  storedMs: number;
  accountingMs: number;
  auditMs: number;
  chainMs: number;
  eventsPerSecond: number;
  /** CPU time per event (user + system), measured from /proc, so independent of what else ran. */
  ledgerCpuUsPerEvent: number;
  postgresCpuUsPerEvent: number;
};

async function count(c: Client, sql: string): Promise<number> {
  return Number((await c.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
}

async function ingest(s: Services, o: Options): Promise<IngestResult> {
  const stamp = Date.now().toString(36);
  const dbUrl = await freshDatabase(s.databaseUrl, `bench_ledger_ingest_${stamp}`);
  const topic = `bench-usage-${stamp}`;
  const producer = new KafkaTransport({ brokers: s.brokers, clientId: 'bench', partitions: o.partitions });
  const t0 = performance.now();
  const at = new Date('2026-11-01T12:00:00Z');
  const chunk = 2_000;
  for (let i = 0; i < o.events; i += chunk) {
    const n = Math.min(chunk, o.events - i);
    const events = Array.from({ length: n }, (_, k) => benchUsageEvent(i + k, o.teams, at));
    await producer.publish(topic, events);
  }
  const produceMs = performance.now() - t0;
  await producer.close();
  process.stderr.write(`produced ${o.events} events in ${produceMs.toFixed(0)} ms\n`);

  const env: Record<string, string> = {
    DATABASE_URL: dbUrl,
    KAFKA_BROKERS: s.brokers.join(','),
    SLUICE_MASTER_KEY: MASTER_KEY,
    SLUICE_USAGE_TOPIC: topic,
    SLUICE_LEDGER_GROUP: `${topic}-ledger`,
    SLUICE_LEDGER_PORT: '0',
    SLUICE_KAFKA_PARTITIONS: String(o.partitions),
    SLUICE_LOG_LEVEL: 'info',
  };
  const ledger = await startLedger(env, o.cpuProf);
  try {
    return await withClient(dbUrl, async (c) => {
      let start = 0;
      const done = { stored: 0, accounting: 0, audit: 0, chain: 0 };
      const ledgerCpuBefore = processCpuMs(ledger.pid);
      const pgCpuBefore = await backendCpuMs(c);
      const deadline = performance.now() + 600_000;
      for (;;) {
        const now = performance.now();
        if (now > deadline) throw new Error('ingest did not finish within 10 minutes');
        const stored = await count(
          c,
          `SELECT count(*)::text AS n FROM ledger.events WHERE type = '${USAGE_RECORDED_V1}'`,
        );
        if (stored > 0 && start === 0) start = now;
        if (stored >= o.events && done.stored === 0) done.stored = now;
        if (done.accounting === 0) {
          const booked = await count(
            c,
            `SELECT count(*)::text AS n FROM ledger.accounting_inbox WHERE type = '${USAGE_RECORDED_V1}'`,
          );
          if (booked >= o.events) done.accounting = now;
        }
        if (
          done.audit === 0 &&
          (await count(c, `SELECT count(*)::text AS n FROM ledger.request_audit`)) >= o.events
        )
          done.audit = now;
        if (done.chain === 0 && done.stored > 0) {
          const sealed = await count(
            c,
            `SELECT coalesce(sum(event_count), 0)::text AS n FROM ledger.event_chain_blocks`,
          );
          const total = await count(c, `SELECT count(*)::text AS n FROM ledger.events`);
          if (sealed >= total) done.chain = now;
        }
        if (done.stored && done.accounting && done.audit && done.chain) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const end = Math.max(done.accounting, done.audit, done.chain);
      const ledgerCpuMs = processCpuMs(ledger.pid) - ledgerCpuBefore;
      const pgCpuMs = cpuDeltaMs(pgCpuBefore, await backendCpuMs(c));
      const books = await c.query<{ dp: string; cp: string }>(
        `SELECT debits_posted::text AS dp, credits_posted::text AS cp FROM ledger.ledger_totals`,
      );
      const rejected = await count(
        c,
        `SELECT count(*)::text AS n FROM ledger.accounting_inbox WHERE status <> 'applied'`,
      );
      if (books.rows[0]?.dp !== books.rows[0]?.cp) throw new Error('books out of balance after the run');
      if (rejected > 0) throw new Error(`${rejected} events were not applied`);
      return {
        events: o.events,
        produceMs,
        storedMs: done.stored - start,
        accountingMs: done.accounting - start,
        auditMs: done.audit - start,
        chainMs: done.chain - start,
        eventsPerSecond: Math.round((o.events * 1000) / (end - start)),
        ledgerCpuUsPerEvent: Math.round((ledgerCpuMs * 1000) / o.events),
        postgresCpuUsPerEvent: Math.round((pgCpuMs * 1000) / o.events),
      };
    });
  } finally {
    await ledger.stop();
    await withClient(s.databaseUrl, (c) =>
      c.query(`DROP DATABASE IF EXISTS "bench_ledger_ingest_${stamp}" WITH (FORCE)`),
    );
  }
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version };
  process.stderr.write(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
  );
  const s = services();
  const out: Record<string, unknown> = { machine, loadBefore: loadavg() };
  try {
    if (o.only !== 'read') out['ingest'] = await ingest(s, o);
  } finally {
    s.stop();
  }
  out['loadAfter'] = loadavg();
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(
      `ledger bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
}
