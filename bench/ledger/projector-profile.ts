// Where the accounting projector's time goes, statement by statement (development aid, not the benchmark).
//   BENCH_DATABASE_URL=postgres://... node -r @swc-node/register bench/ledger/projector-profile.ts [events] [batch]
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import { migrate, openDatabase, type SqlExecutor } from '@sluice/database';
import {
  EventStore,
  ProjectionRunner,
  type NewEvent,
  type Projector,
  type StoredEvent,
} from '@sluice/event-store';
import { AccountingProjector } from '../../apps/ledger/src/accounting/accounting.projector';
import { publishDefaultPrices } from '../../apps/ledger/src/accounting/accounting.service';
import { benchUsageEvent } from './ledger-bench';
import { backendCpuMs, cpuDeltaMs } from './proc-cpu';

const timings = new Map<string, { n: number; ms: number }>();
class Timed implements SqlExecutor {
  constructor(private readonly inner: SqlExecutor) {}
  async query<T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    const key = sql.replace(/\s+/g, ' ').trim().slice(0, 70);
    const t = performance.now();
    try {
      return await this.inner.query<T>(sql, params);
    } finally {
      const e = timings.get(key) ?? { n: 0, ms: 0 };
      e.n++;
      e.ms += performance.now() - t;
      timings.set(key, e);
    }
  }
}
class TimedProjector implements Projector {
  readonly name: string;
  readonly types?: readonly string[];
  applyMs = 0;
  constructor(private readonly inner: Projector) {
    this.name = inner.name;
    this.types = inner.types;
  }
  async apply(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    const t = performance.now();
    await this.inner.apply(new Timed(tx), events);
    this.applyMs += performance.now() - t;
  }
}

async function main(): Promise<void> {
  const admin = process.env['BENCH_DATABASE_URL']!;
  const n = Number(process.argv[2] ?? 20000);
  const batch = Number(process.argv[3] ?? 1000);
  const name = `bench_proj_${Date.now().toString(36)}`;
  const c = new Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const db = await openDatabase({ url: u.toString(), applicationName: 'bench', poolSize: 4 });
  try {
    await migrate(db, join(__dirname, '../../migrations'), 'ledger');
    if (process.env['BENCH_EXTRA_SQL']) await db.query(process.env['BENCH_EXTRA_SQL']);
    const store = new EventStore('ledger');
    await db.transaction((tx) => publishDefaultPrices(tx, store));
    const at = new Date('2026-11-01T12:00:00Z');
    for (let i = 0; i < n; i += 2000) {
      const evs: NewEvent[] = Array.from({ length: Math.min(2000, n - i) }, (_, k) => {
        const e = benchUsageEvent(i + k, 50, at);
        return {
          eventId: e.id,
          type: e.type,
          subject: e.subject,
          occurredAt: e.occurredAt,
          producer: e.producer,
          correlationId: e.correlationId,
          data: e.data,
        };
      });
      await db.transaction(async (tx) => {
        for (const e of evs) await store.append(tx, `payer-${e.subject}`, [e]);
      });
    }
    const p = new TimedProjector(new AccountingProjector('ledger'));
    const runner = new ProjectionRunner(db, store, 'ledger', p, { batchSize: batch, idleMs: 50 });
    await runner.runOnce(); // prices
    timings.clear();
    p.applyMs = 0;
    const session = new Session();
    if (process.env['BENCH_PROFILE']) {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    }
    const probe = new Client({ connectionString: u.toString() });
    await probe.connect();
    const pgBefore = await backendCpuMs(probe);
    const cpuBefore = process.cpuUsage();
    const t = performance.now();
    const done = await runner.catchUp();
    const ms = performance.now() - t;
    const cpu = process.cpuUsage(cpuBefore);
    const pgMs = cpuDeltaMs(pgBefore, await backendCpuMs(probe));
    await probe.end();
    const nodeMs = (cpu.user + cpu.system) / 1000;
    console.log(
      `CPU per event: node ${((nodeMs * 1000) / done).toFixed(0)} µs, postgres ${((pgMs * 1000) / done).toFixed(0)} µs`,
    );
    if (process.env['BENCH_PROFILE']) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(process.env['BENCH_PROFILE'], JSON.stringify(profile));
    }
    console.log(
      `${done} events in ${ms.toFixed(0)} ms: ${Math.round((done * 1000) / ms)}/s; apply ${p.applyMs.toFixed(0)} ms`,
    );
    const rows = [...timings.entries()].sort((a, b) => b[1].ms - a[1].ms);
    console.log(await db.query(`SELECT count(*) AS transfers FROM ledger.transfers`));
    for (const [k, v] of rows)
      console.log(`${v.ms.toFixed(0).padStart(7)} ms ${String(v.n).padStart(5)}x  ${k}`);
  } finally {
    await db.close();
    if (process.env['BENCH_KEEP']) console.log(`kept ${name}`);
    else await c.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await c.end();
  }
}
main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
