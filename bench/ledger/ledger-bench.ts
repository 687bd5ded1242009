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
// BENCH_LEDGER_NODE_OPTIONS sets NODE_OPTIONS for the ledger process only (e.g. --max-semi-space-size=64);
// SLUICE_PROJECTION_BATCH is passed on to it (default 1000).
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
import { ReadModelsRepository } from '../../apps/ledger/src/read-models/read-models.repository';
import { READ_MODELS_PROJECTOR } from '../../apps/ledger/src/read-models/read-models.projector';
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
): Promise<{ pid: number; url: string; stop: () => Promise<void> }> {
  const args = cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`] : [];
  const child = spawn(process.execPath, [...args, join(ROOT, 'scripts/start.cjs'), 'ledger'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  const tail: string[] = [];
  let url = '';
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`ledger did not start:\n${tail.join('')}`)), 120_000);
    const onData = (b: Buffer): void => {
      const text = b.toString('utf8');
      tail.push(text);
      if (tail.length > 50) tail.shift();
      if (process.env['BENCH_LEDGER_LOG']) process.stderr.write(text);
      if (text.includes('ledger listening')) {
        url = /"url":"(http:[^"]+)"/.exec(text)?.[1] ?? '';
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
    url,
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
  warmupMs: number;
  storedMs: number;
  accountingMs: number;
  auditMs: number;
  chainMs: number;
  eventsPerSecond: number;
  /** CPU time per event (user + system), measured from /proc, so independent of what else ran. */
  ledgerCpuUsPerEvent: number;
  postgresCpuUsPerEvent: number;
};

/** The ledger's `sluice_ledger_events_ingested_total` (events appended to the store), from its /metrics. */
async function ingestedCount(baseUrl: string): Promise<number> {
  const res = await fetch(`${baseUrl}/metrics`);
  const text = await res.text();
  const m = /^sluice_ledger_events_ingested_total(?:\{[^}]*\})? (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

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
  process.stderr.write(`produced ${o.events} events in ${produceMs.toFixed(0)} ms\n`);
  // Warm the broker's read path once: a broker started for this run has a cold JVM, and its JIT compiling
  // the fetch path took CPU from the two cores the ledger and Postgres share (runs on a fresh broker were
  // 10-20% slower than on one that had served before). A deployed broker has been running for days.
  const w0 = performance.now();
  let seen = 0;
  const warm = await producer.subscribe({
    groupId: `${topic}-warmup`,
    topic,
    handler: (batch) => {
      seen += batch.length;
      return Promise.resolve();
    },
  });
  const warmDeadline = performance.now() + 60_000;
  while (seen < o.events && performance.now() < warmDeadline) await new Promise((r) => setTimeout(r, 50));
  await warm.stop();
  await producer.close();
  const warmupMs = performance.now() - w0;
  process.stderr.write(`broker warmed up: ${seen} events read back in ${warmupMs.toFixed(0)} ms\n`);

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
  // Node flags for the ledger process alone (e.g. --max-semi-space-size=64), recorded with the results.
  if (process.env['BENCH_LEDGER_NODE_OPTIONS'])
    env['NODE_OPTIONS'] = process.env['BENCH_LEDGER_NODE_OPTIONS'];
  for (const name of ['SLUICE_PROJECTION_BATCH', 'SLUICE_PROJECTION_THREADS'])
    if (process.env[name]) env[name] = process.env[name];
  const ledger = await startLedger(env, o.cpuProf);
  try {
    return await withClient(dbUrl, async (c) => {
      let start = 0;
      const done = { stored: 0, accounting: 0, audit: 0, chain: 0 };
      const ledgerCpuBefore = processCpuMs(ledger.pid);
      const pgCpuBefore = await backendCpuMs(c);
      const deadline = performance.now() + 600_000;
      // The probe must cost next to nothing, or it slows what it measures: counting rows of growing tables
      // every 50 ms took ~2.6 s of Postgres time in a 50,000-event run (a quarter of its work). So: stored =
      // the ledger's own ingest counter (its /metrics); then the last event's place in the global order, read
      // once through the index; a projection is caught up when its checkpoint (a three-row table) reaches it.
      let last: { tx: bigint; pos: bigint } | null = null;
      const names = { accounting: 'accounting', audit: READ_MODELS_PROJECTOR, chain: 'event_chain' } as const;
      for (;;) {
        const now = performance.now();
        if (now > deadline) throw new Error('ingest did not finish within 10 minutes');
        const stored = await ingestedCount(ledger.url);
        if (stored > 0 && start === 0) start = now;
        if (stored >= o.events && done.stored === 0) {
          done.stored = now;
          const [row] = (
            await c.query<{ tx: string; pos: string }>(
              `SELECT tx_id::text AS tx, position::text AS pos FROM ledger.events ORDER BY tx_id DESC, position DESC LIMIT 1`,
            )
          ).rows;
          if (!row) throw new Error('no event stored');
          last = { tx: BigInt(row.tx), pos: BigInt(row.pos) };
        }
        if (last) {
          const cps = await c.query<{ name: string; tx: string; pos: string }>(
            `SELECT name, tx_id::text AS tx, position::text AS pos FROM ledger.checkpoints`,
          );
          const reached = (name: string): boolean =>
            cps.rows.some(
              (r) =>
                r.name === name &&
                (BigInt(r.tx) > last!.tx || (BigInt(r.tx) === last!.tx && BigInt(r.pos) >= last!.pos)),
            );
          for (const k of ['accounting', 'audit', 'chain'] as const)
            if (done[k] === 0 && reached(names[k])) done[k] = now;
        }
        if (done.stored && done.accounting && done.audit && done.chain) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      // What the probe no longer counts on the way is checked once at the end.
      const booked = await count(
        c,
        `SELECT count(*)::text AS n FROM ledger.accounting_inbox WHERE type = '${USAGE_RECORDED_V1}'`,
      );
      const audited = await count(c, `SELECT count(*)::text AS n FROM ledger.request_audit`);
      const sealed = await count(
        c,
        `SELECT coalesce(sum(event_count), 0)::text AS n FROM ledger.event_chain_blocks`,
      );
      const total = await count(c, `SELECT count(*)::text AS n FROM ledger.events`);
      if (booked < o.events || audited < o.events || sealed < total)
        throw new Error(
          `caught up but incomplete: booked ${booked}, audited ${audited}, chained ${sealed}/${total}`,
        );
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
        warmupMs,
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

type ReadResult = {
  requests: number;
  fillMs: number;
  hourlyRows: number;
  auditById: {
    samples: number;
    graphqlP50Ms: number;
    graphqlP99Ms: number;
    sqlP50Ms: number;
    sqlP99Ms: number;
    /** The resolver's one query: the row with its transfer ids and corrections (was three queries). */
    sqlLinkedP50Ms: number;
    sqlLinkedP99Ms: number;
  };
  monthByModel: {
    samples: number;
    groups: number;
    graphqlP50Ms: number;
    graphqlMaxMs: number;
    sqlHourlyP50Ms: number;
    /** The same answer computed from request_audit directly (what the hourly table saves). */
    sqlRawAuditP50Ms: number;
  };
};

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 100) / 100;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function gql(url: string, query: string, variables: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/**
 * The read side over a month of a million requests. The tables are filled by SQL in the shape the read-model
 * projector writes (request_audit rows, and usage_hourly as their per-hour sums), because projecting a million
 * events would take minutes of the ingest path measured above; the queries measured are the ledger's own
 * (GraphQL `auditRecord` and `usageReport`, and their SQL alone).
 */
async function readSide(s: Services, o: Options): Promise<ReadResult> {
  const stamp = Date.now().toString(36);
  const name = `bench_ledger_read_${stamp}`;
  const dbUrl = await freshDatabase(s.databaseUrl, name);
  const env: Record<string, string> = {
    DATABASE_URL: dbUrl,
    KAFKA_BROKERS: s.brokers.join(','),
    SLUICE_MASTER_KEY: MASTER_KEY,
    SLUICE_USAGE_TOPIC: `bench-read-${stamp}`,
    SLUICE_LEDGER_GROUP: `bench-read-${stamp}-ledger`,
    SLUICE_LEDGER_PORT: '0',
    SLUICE_LOG_LEVEL: 'info',
  };
  // Started once first so that its migrations create the tables; then filled, then queried through it.
  let ledger = await startLedger(env, null);
  await ledger.stop();
  try {
    return await withClient(dbUrl, async (c) => {
      const t0 = performance.now();
      const models = MODELS.map(([, m]) => `'${m}'`).join(', ');
      const providers = MODELS.map(([p]) => `'${p}'`).join(', ');
      await c.query(`
        INSERT INTO ledger.request_audit (request_id, event_id, team_id, key_id, endpoint, model_requested, model_served,
          provider, provider_request_id, stream, status, error_code, input_uncached_tokens, cache_read_tokens,
          cache_write_tokens, output_tokens, reasoning_tokens, raw_usage, latency_ms, ttfb_ms, received_at, event_position,
          occurred_at, firewall, cost_status, list_price_version, price_basis, price_tier, charge_nano_usd,
          provider_cost_nano_usd, margin_nano_usd, subsidy_nano_usd, rounding_nano_usd, team_exact_femto_usd,
          provider_exact_femto_usd)
        SELECT 'bench-' || g, gen_random_uuid(), 'team-' || (g % 50), 'key-' || (g % 50) || '-' || (g % 3),
               'openai.chat_completions', (ARRAY[${models}])[1 + g % 6], (ARRAY[${models}])[1 + g % 6],
               (ARRAY[${providers}])[1 + g % 6], 'prov-' || g, g % 2 = 0, CASE WHEN g % 97 = 0 THEN 500 ELSE 200 END,
               NULL, 100 + (g * 7919) % 5000, CASE WHEN g % 4 = 0 THEN (g * 31) % 3000 ELSE 0 END, 0,
               5 + (g * 104729) % 2000, 0, NULL, 120 + g % 50, 30 + g % 20, ts, g, ts, '[]', 'priced', 1, 'list',
               'standard', cost + 1, cost, 0, 0, 1, cost::numeric * 1000000, cost::numeric * 1000000
          FROM generate_series(1::bigint, ${o.requests}) AS g,
               LATERAL (SELECT timestamptz '2026-11-01T00:00:00Z' + ((g - 1) * interval '2592 seconds') / ${o.requests / 1000} AS ts,
                               ((100 + (g * 7919) % 5000) * 2500 + (5 + (g * 104729) % 2000) * 10000)::bigint AS cost) x`);
      await c.query(`
        INSERT INTO ledger.usage_hourly (hour, team_id, key_id, model, provider, requests, errors, input_uncached_tokens,
          cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_nano_usd, provider_cost_nano_usd,
          unpriced_requests)
        SELECT date_trunc('hour', received_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', team_id, coalesce(key_id, ''),
               coalesce(model_served, ''), coalesce(provider, ''), count(*), count(*) FILTER (WHERE status >= 400),
               sum(input_uncached_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(output_tokens),
               sum(reasoning_tokens), sum(charge_nano_usd), sum(provider_cost_nano_usd), 0
          FROM ledger.request_audit GROUP BY 1, 2, 3, 4, 5`);
      await c.query('VACUUM ANALYZE ledger.request_audit');
      await c.query('VACUUM ANALYZE ledger.usage_hourly');
      const fillMs = performance.now() - t0;
      const hourlyRows = await count(c, `SELECT count(*)::text AS n FROM ledger.usage_hourly`);
      process.stderr.write(
        `filled ${o.requests} requests (${hourlyRows} hourly rows) in ${fillMs.toFixed(0)} ms\n`,
      );

      ledger = await startLedger(env, null);
      const url = ledger.url;
      const ids = Array.from({ length: 2_000 }, (_, k) => `bench-${1 + ((k * 7_919_993) % o.requests)}`);
      const AUDIT = `query ($id: ID!) { auditRecord(id: $id) { id team modelServed tokens { input output } cost { status chargeNanoUsd } transferIds } }`;
      // Warm-up: a ledger just started is still compiling its GraphQL and HTTP paths (the first hundreds of
      // requests are slower); a deployed one has served for hours.
      // Other ids than the measured ones, so that none of those is in Postgres's cache from the warm-up.
      const measured = new Set(ids);
      for (let k = 0, n = 0; n < 1_000; k++) {
        const id = `bench-${1 + ((k * 3_331_333 + 17) % o.requests)}`;
        if (measured.has(id)) continue;
        await gql(url, AUDIT, { id });
        n++;
      }
      const gqlAudit: number[] = [];
      for (const id of ids) gqlAudit.push(await timed(() => gql(url, AUDIT, { id })));
      const sqlAudit: number[] = [];
      for (const id of ids)
        sqlAudit.push(
          await timed(() => c.query(`SELECT * FROM ledger.request_audit WHERE request_id = $1`, [id])),
        );
      const linked = new ReadModelsRepository(
        {
          query: async <T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> =>
            (await c.query(sql, params ? [...params] : undefined)).rows as T[],
        },
        'ledger',
      );
      const sqlLinked: number[] = [];
      for (const id of ids) sqlLinked.push(await timed(() => linked.auditWithLinks(id)));

      const MONTH = `query ($from: DateTime!, $to: DateTime!) { usageReport(from: $from, to: $to, bucket: MONTH, groupBy: [MODEL]) { model requests inputTokens outputTokens costNanoUsd } }`;
      const month = { from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' };
      let groups = 0;
      const gqlMonth: number[] = [];
      for (let k = 0; k < 21; k++) {
        const ms = await timed(async () => {
          const d = (await gql(url, MONTH, month)) as { usageReport: Array<{ requests: number }> };
          groups = d.usageReport.length;
          const total = d.usageReport.reduce((a, r) => a + r.requests, 0);
          if (total !== o.requests) throw new Error(`month report counts ${total} requests`);
        });
        if (k > 0) gqlMonth.push(ms);
      }
      const sqlHourly: number[] = [];
      const sqlRaw: number[] = [];
      for (let k = 0; k < 6; k++) {
        const h = await timed(() =>
          c.query(
            `SELECT model, sum(requests), sum(output_tokens), sum(cost_nano_usd) FROM ledger.usage_hourly
              WHERE hour >= $1 AND hour < $2 GROUP BY model`,
            [month.from, month.to],
          ),
        );
        const r = await timed(() =>
          c.query(
            `SELECT model_served, count(*), sum(output_tokens), sum(charge_nano_usd) FROM ledger.request_audit
              WHERE received_at >= $1 AND received_at < $2 GROUP BY model_served`,
            [month.from, month.to],
          ),
        );
        if (k > 0) {
          sqlHourly.push(h);
          sqlRaw.push(r);
        }
      }
      return {
        requests: o.requests,
        fillMs: Math.round(fillMs),
        hourlyRows,
        auditById: {
          samples: ids.length,
          graphqlP50Ms: quantile(gqlAudit, 0.5),
          graphqlP99Ms: quantile(gqlAudit, 0.99),
          sqlP50Ms: quantile(sqlAudit, 0.5),
          sqlP99Ms: quantile(sqlAudit, 0.99),
          sqlLinkedP50Ms: quantile(sqlLinked, 0.5),
          sqlLinkedP99Ms: quantile(sqlLinked, 0.99),
        },
        monthByModel: {
          samples: gqlMonth.length,
          groups,
          graphqlP50Ms: quantile(gqlMonth, 0.5),
          graphqlMaxMs: quantile(gqlMonth, 1),
          sqlHourlyP50Ms: quantile(sqlHourly, 0.5),
          sqlRawAuditP50Ms: quantile(sqlRaw, 0.5),
        },
      };
    });
  } finally {
    await ledger.stop();
    await withClient(s.databaseUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
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
  const out: Record<string, unknown> = {
    machine,
    ledgerNodeOptions: process.env['BENCH_LEDGER_NODE_OPTIONS'] ?? null,
    projectionBatch: process.env['SLUICE_PROJECTION_BATCH'] ?? null,
    loadBefore: loadavg(),
  };
  try {
    if (o.only !== 'read') {
      out['ingest'] = await ingest(s, o);
      process.stderr.write(`ingest: ${JSON.stringify(out['ingest'])}\n`);
    }
    if (o.only !== 'ingest') out['read'] = await readSide(s, o);
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
