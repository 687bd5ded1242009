import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Client } from 'pg';
import { migrate, openDatabase, type Db, type SqlExecutor } from '@sluice/database';
import { EventStore, ProjectionRunner, type Projector, type StoredEvent } from '@sluice/event-store';
import type { DeliveredEvent, EventEnvelope, NormalizedUsage } from '@sluice/events';
import { createMetricsRegistry } from '@sluice/observability';
import { createTestDatabase, requireTestDatabaseUrl, type TestDatabase } from '@sluice/testing';
import {
  ACCOUNTING_EVENT_TYPES,
  AccountingProjector,
} from '../../apps/ledger/src/accounting/accounting.projector';
import { publishDefaultPrices } from '../../apps/ledger/src/accounting/accounting.service';
import {
  correctionEvent,
  eventId,
  expiryEvent,
  holdCancelledEvent,
  holdDeliveredEvent,
  holdPlacedEvent,
  topUpEvent,
  usageData,
  usageEvent,
} from '../../apps/ledger/src/accounting/domain/accounting.fixtures';
import { sweepExpiredHolds } from '../../apps/ledger/src/accounting/hold-expiry';
import { rebuildAndDiff } from '../../apps/ledger/src/accounting/ledger-verifier';
import { UsageIngestService } from '../../apps/ledger/src/ingest/usage-ingest.service';
import type { LedgerRuntime } from '../../apps/ledger/src/ledger.runtime';
import { MIGRATIONS_DIR } from './helpers';
import { projectAll } from './project-all';

// Property tests of the write side on the real Postgres: the ingest service (what the Kafka consumer calls) and
// the accounting projector (ProjectionRunner + AccountingProjector) driven by generated event sequences that
// arrive as Kafka delivers them: per-partition order only, in batches, with the failures at-least-once delivery
// brings. After every step the books must balance, no hard-limited account may be below zero, every balance must
// equal its journal, and a rebuild from the event store must equal the live books. fast-check prints the seed
// and the shrunk counterexample of a failure; SLUICE_PROPERTY_SEED=<seed> replays it, SLUICE_PROPERTY_RUNS sets
// the number of runs (default 20: about 20 seconds).

const SCHEMA = 'ledger';
const PARTITIONS = 3;
const START_MS = Date.parse('2026-11-01T00:00:00Z');
const at = (minutes: number): string => new Date(START_MS + minutes * 60_000).toISOString();
const TEAMS = ['t1', 't2', 't3'] as const;
const MODELS = [
  ['openai', 'gpt-4o'],
  ['anthropic', 'claude-haiku-4-5-20251001'],
  ['gemini', 'gemini-2.5-flash'],
] as const;

type Intent =
  | { kind: 'topup'; team: number; amount: number }
  | { kind: 'usage'; team: number; model: number; usage: NormalizedUsage }
  | { kind: 'hold'; team: number; max: number; timeoutMinutes: number }
  | { kind: 'deliver'; ref: number; actualPct: number; feePct: number }
  | { kind: 'cancel'; ref: number }
  | { kind: 'creditExpiry'; team: number; amount: number }
  | { kind: 'correct'; ref: number; usage: NormalizedUsage | null };

/** What the consumer and the projector do next. */
type Step =
  | {
      kind: 'deliver';
      partition: number;
      size: number;
      /** ok: commit then ack; redeliver: the process dies after the DB commit, before the offset commit;
       * abort: the transaction fails after `failAfter` statements. */
      mode: 'ok' | 'redeliver' | 'abort';
      failAfter: number;
    }
  | { kind: 'project'; batches: number; crash: boolean }
  | { kind: 'sweep'; minute: number };

const usage = fc.record({
  inputUncachedTokens: fc.integer({ min: 0, max: 200_000 }),
  cacheReadTokens: fc.integer({ min: 0, max: 5_000 }),
  cacheWriteTokens: fc.integer({ min: 0, max: 2_000 }),
  outputTokens: fc.integer({ min: 0, max: 4_000 }),
  reasoningTokens: fc.constant(0),
});
const team = fc.integer({ min: 0, max: TEAMS.length - 1 });
const intent: fc.Arbitrary<Intent> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('topup' as const),
      team,
      amount: fc.integer({ min: 1, max: 2e9 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('usage' as const),
      team,
      model: fc.integer({ min: 0, max: 2 }),
      usage,
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('hold' as const),
      team,
      max: fc.integer({ min: 1, max: 5e8 }),
      timeoutMinutes: fc.integer({ min: 1, max: 20 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      ref: fc.nat(),
      actualPct: fc.integer({ min: 0, max: 130 }),
      feePct: fc.integer({ min: 0, max: 30 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), ref: fc.nat() }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant('creditExpiry' as const),
      team,
      amount: fc.integer({ min: 1, max: 1e9 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('correct' as const),
      ref: fc.nat(),
      usage: fc.option(usage, { nil: null }),
    }),
    weight: 1,
  },
);
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      partition: fc.nat({ max: PARTITIONS - 1 }),
      size: fc.integer({ min: 1, max: 8 }),
      mode: fc.constantFrom('ok' as const, 'ok' as const, 'redeliver' as const, 'abort' as const),
      failAfter: fc.integer({ min: 0, max: 3 }),
    }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('project' as const),
      batches: fc.integer({ min: 1, max: 3 }),
      crash: fc.boolean(),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('sweep' as const), minute: fc.integer({ min: 0, max: 60 }) }),
    weight: 1,
  },
);

/** Intents as events one minute apart (intent i at minute i), references resolved to earlier events. */
function toEvents(intents: Intent[]): EventEnvelope[] {
  const events: EventEnvelope[] = [];
  const holds: Array<{ id: string; max: number }> = [];
  const usages: string[] = [];
  intents.forEach((x, i) => {
    const id = eventId(i + 1);
    const when = at(i);
    switch (x.kind) {
      case 'topup':
        events.push(
          topUpEvent(id, when, {
            teamId: TEAMS[x.team]!,
            amountNanoUsd: String(x.amount),
            source: 'manual',
            reference: null,
          }),
        );
        break;
      case 'usage': {
        const [provider, model] = MODELS[x.model]!;
        events.push(
          usageEvent(
            id,
            when,
            usageData({
              teamId: TEAMS[x.team]!,
              requestId: `r${i}`,
              provider,
              modelServed: model,
              usage: x.usage,
            }),
          ),
        );
        usages.push(id);
        break;
      }
      case 'hold':
        events.push(
          holdPlacedEvent(id, when, {
            buyerTeamId: TEAMS[x.team]!,
            sellerId: 's1',
            maxAmountNanoUsd: String(x.max),
            timeoutSeconds: x.timeoutMinutes * 60,
            requestId: null,
          }),
        );
        holds.push({ id, max: x.max });
        break;
      case 'deliver': {
        const h = holds[x.ref % Math.max(1, holds.length)];
        if (!h) break;
        const actual = Math.floor((h.max * x.actualPct) / 100);
        events.push(
          holdDeliveredEvent(id, when, {
            holdEventId: h.id,
            actualAmountNanoUsd: String(actual),
            feeNanoUsd: String(Math.floor((actual * x.feePct) / 100)),
          }),
        );
        break;
      }
      case 'cancel': {
        const h = holds[x.ref % Math.max(1, holds.length)];
        if (h) events.push(holdCancelledEvent(id, when, h.id));
        break;
      }
      case 'creditExpiry':
        events.push(
          expiryEvent(id, when, {
            teamId: TEAMS[x.team]!,
            amountNanoUsd: String(x.amount),
            grantReference: null,
          }),
        );
        break;
      case 'correct': {
        const target = usages[x.ref % Math.max(1, usages.length)];
        if (target)
          events.push(
            correctionEvent(id, when, {
              correctsEventId: target,
              reason: 'dispute',
              ...(x.usage ? { correctedUsage: x.usage } : {}),
            }),
          );
        break;
      }
    }
  });
  return events;
}

/** Kafka's partitioner, for the test: a stable hash of the key (the subject). */
const partitionOf = (subject: string): number =>
  [...subject].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % PARTITIONS;

/** A transaction that fails after `failAfter` statements: a crash in the middle of a batch. */
class FaultyDb {
  failAfter: number | null = null;
  constructor(private readonly db: Db) {}
  query<T extends object>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.db.query<T>(sql, params);
  }
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let left = this.failAfter;
    return this.db.transaction((tx) =>
      fn({
        query: <R extends object>(sql: string, params?: readonly unknown[]): Promise<R[]> => {
          if (left !== null && left-- <= 0) return Promise.reject(new Error('injected crash mid-batch'));
          return tx.query<R>(sql, params);
        },
      }),
    );
  }
}

/** The accounting projector, made to fail after it wrote its batch and before the checkpoint moved. */
class CrashingProjector implements Projector {
  readonly name: string;
  readonly types: readonly string[];
  crashNext = false;
  constructor(private readonly inner: AccountingProjector) {
    this.name = inner.name;
    this.types = inner.types;
  }
  async apply(tx: SqlExecutor, events: readonly StoredEvent[]): Promise<void> {
    await this.inner.apply(tx, events);
    if (this.crashNext) {
      this.crashNext = false;
      throw new Error('injected crash before the checkpoint');
    }
  }
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** The three checks made after every step, as a list of violations. */
async function violations(db: SqlExecutor): Promise<string[]> {
  const out: string[] = [];
  const [t] = await db.query<{ dp: string; cp: string; dq: string; cq: string }>(
    `SELECT debits_posted::text AS dp, credits_posted::text AS cp, debits_pending::text AS dq, credits_pending::text AS cq
       FROM ${SCHEMA}.ledger_totals`,
  );
  if (t?.dp !== t?.cp || t?.dq !== t?.cq) out.push(`books out of balance: ${JSON.stringify(t)}`);
  const limits = await db.query<{ id: string }>(
    `SELECT id FROM ${SCHEMA}.accounts
      WHERE (debits_must_not_exceed_credits AND debits_posted + debits_pending > credits_posted)
         OR (credits_must_not_exceed_debits AND credits_posted + credits_pending > debits_posted)`,
  );
  for (const r of limits) out.push(`${r.id} is beyond its limit`);
  const discrepancies = await db.query<{ account_id: string }>(
    `SELECT account_id FROM ${SCHEMA}.balance_discrepancies`,
  );
  for (const r of discrepancies) out.push(`${r.account_id}: balance differs from its journal`);
  return out;
}

describe(
  'the write side on Postgres under redelivery, reordering and crashes (property)',
  { timeout: 300_000 },
  () => {
    let template: TestDatabase;
    const adminUrl = (): string => requireTestDatabaseUrl();
    let coverage: Record<
      'ok' | 'redeliver' | 'abort' | 'projectorCrash' | 'sweepAppended' | 'rejected' | 'applied',
      number
    > = {
      ok: 0,
      redeliver: 0,
      abort: 0,
      projectorCrash: 0,
      sweepAppended: 0,
      rejected: 0,
      applied: 0,
    };

    before(async () => {
      // One migrated database with the default prices projected; each run starts from a copy of it.
      template = await createTestDatabase('ledger_props_tmpl');
      const db = await openDatabase({ url: template.url, applicationName: 'test-props', poolSize: 2 });
      try {
        await migrate(db, MIGRATIONS_DIR, SCHEMA);
        const store = new EventStore(SCHEMA);
        await db.transaction((tx) => publishDefaultPrices(tx, store));
        await projectAll(
          db,
          new ProjectionRunner(db, store, SCHEMA, new AccountingProjector(SCHEMA), {
            batchSize: 100,
            idleMs: 5,
          }),
        );
      } finally {
        await db.close();
      }
    });

    after(async () => {
      await template?.drop();
    });

    async function runScenario(intents: Intent[], steps: Step[], projectionBatch: number): Promise<void> {
      const events = toEvents(intents);
      const name = `${new URL(template.url).pathname.slice(1)}_r${Math.random().toString(36).slice(2, 8)}`;
      await adminQuery(
        adminUrl(),
        `CREATE DATABASE "${name}" TEMPLATE "${new URL(template.url).pathname.slice(1)}"`,
      );
      const url = new URL(template.url);
      url.pathname = `/${name}`;
      const db = await openDatabase({ url: url.toString(), applicationName: 'test-props-run', poolSize: 3 });
      try {
        const store = new EventStore(SCHEMA);
        const faulty = new FaultyDb(db);
        const rt = {
          db: faulty,
          metrics: createMetricsRegistry({ processMetrics: false }),
        } as unknown as LedgerRuntime;
        const ingest = new UsageIngestService(rt, store);
        const projector = new CrashingProjector(new AccountingProjector(SCHEMA));
        const runner = new ProjectionRunner(db, store, SCHEMA, projector, {
          batchSize: projectionBatch,
          idleMs: 5,
        });

        // The topic: each event at the next offset of its key's partition.
        const partitions = Array.from({ length: PARTITIONS }, () => ({
          log: [] as DeliveredEvent[],
          committed: 0,
        }));
        for (const e of events) {
          const p = partitions[partitionOf(e.subject)]!;
          p.log.push({
            envelope: e,
            raw: null,
            topic: 'usage',
            partition: partitionOf(e.subject),
            offset: String(p.log.length),
          });
        }

        const check = async (label: string, rebuild: boolean): Promise<void> => {
          const v = await violations(db);
          assert.deepEqual(v, [], `after ${label}`);
          if (rebuild) {
            const r = await rebuildAndDiff(db, SCHEMA, MIGRATIONS_DIR);
            assert.deepEqual(r.differences, [], `rebuild differs after ${label}`);
          }
        };

        for (const [i, s] of steps.entries()) {
          if (s.kind === 'deliver') {
            const p = partitions[s.partition]!;
            const batch = p.log.slice(p.committed, p.committed + s.size);
            if (batch.length === 0) continue;
            if (s.mode === 'abort') {
              // Fails at the statement chosen, if the batch gets that far (a batch of duplicates stops early):
              // either way nothing is acknowledged.
              faulty.failAfter = s.failAfter;
              try {
                await ingest.handle(batch);
              } catch (err) {
                assert.match(String(err), /injected crash/);
                coverage.abort++;
              } finally {
                faulty.failAfter = null;
              }
            } else {
              coverage[s.mode]++;
              await ingest.handle(batch);
              // The offset commit: skipped when the process dies right after the database commit.
              if (s.mode === 'ok') p.committed += batch.length;
            }
          } else if (s.kind === 'project') {
            for (let b = 0; b < s.batches; b++) {
              projector.crashNext = s.crash && b === 0;
              try {
                await runner.runOnce();
              } catch (err) {
                assert.match(String(err), /injected crash/);
                coverage.projectorCrash++;
              } finally {
                projector.crashNext = false;
              }
            }
          } else {
            coverage.sweepAppended += (
              await db.transaction((tx) => sweepExpiredHolds(tx, store, SCHEMA, new Date(at(s.minute))))
            ).appended;
          }
          await check(`step ${i} ${JSON.stringify(s)}`, true);
        }

        // Then everything is delivered and projected, late holds swept, and the books compared once more.
        for (const p of partitions) {
          while (p.committed < p.log.length) {
            const batch = p.log.slice(p.committed, p.committed + 8);
            await ingest.handle(batch);
            p.committed += batch.length;
          }
        }
        await projectAll(db, runner);
        coverage.sweepAppended += (
          await db.transaction((tx) =>
            sweepExpiredHolds(tx, store, SCHEMA, new Date(at(intents.length + 60))),
          )
        ).appended;
        await projectAll(db, runner);
        await check('the end', true);

        // Every event stored once, handled once; no hold left open past its timeout.
        const stored = await db.query<{ event_id: string }>(
          `SELECT event_id::text AS event_id FROM ${SCHEMA}.events WHERE type = ANY($1::text[]) AND producer = 'test'`,
          [ACCOUNTING_EVENT_TYPES],
        );
        assert.deepEqual(stored.map((r) => r.event_id).sort(), events.map((e) => e.id).sort());
        const [inbox] = await db.query<{ n: string; applied: string }>(
          `SELECT count(*)::text AS n, count(*) FILTER (WHERE status = 'applied')::text AS applied FROM ${SCHEMA}.accounting_inbox`,
        );
        assert.equal(Number(inbox?.n), await store.count(db), 'the inbox holds every stored event once');
        coverage.applied += Number(inbox?.applied);
        coverage.rejected += Number(inbox?.n) - Number(inbox?.applied);
        const open = await db.query(
          `SELECT t.id FROM ${SCHEMA}.transfers t WHERE t.kind = 'pending'
            AND NOT EXISTS (SELECT 1 FROM ${SCHEMA}.transfers r WHERE r.pending_id = t.id)`,
        );
        assert.deepEqual(open, [], 'every hold resolved or expired by the sweep');
      } finally {
        await db.close();
        await adminQuery(adminUrl(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }
    }

    it('the database refuses a transfer naming an account that does not exist (one check per statement)', async () => {
      const db = await openDatabase({ url: template.url, applicationName: 'test-props-fk', poolSize: 1 });
      const rolledBack = new Error('rolled back on purpose');
      // Each attempt in a transaction that never commits: the template must stay as it is.
      const attempt = (debit: string) =>
        db.transaction(async (tx) => {
          await tx.query(
            `INSERT INTO ${SCHEMA}.accounts (id, uuid, kind, normal_side, ledger, debits_must_not_exceed_credits, credits_must_not_exceed_debits)
           VALUES ('cash:x', gen_random_uuid(), 'cash', 'debit', 'usd-nano', false, false),
                  ('provider:x', gen_random_uuid(), 'provider', 'credit', 'usd-nano', false, false)`,
          );
          await tx.query(
            `INSERT INTO ${SCHEMA}.transfers (id, body_hash, kind, debit_account_id, credit_account_id, amount_nano_usd, ledger, code, event_id, leg, booked_at)
           VALUES (gen_random_uuid(), 'x', 'single', $1, 'provider:x', 1, 'usd-nano', 'top_up', gen_random_uuid(), 'l', now())`,
            [debit],
          );
          throw rolledBack;
        });
      try {
        await assert.rejects(attempt('team:ghost'), /account team:ghost, which does not exist/);
        await assert.rejects(attempt('cash:x'), (err) => err === rolledBack, 'a known account passes');
      } finally {
        await db.close();
      }
    });

    it('keeps the books balanced, within limits, equal to their journal and to a rebuild', async () => {
      coverage = {
        ok: 0,
        redeliver: 0,
        abort: 0,
        projectorCrash: 0,
        sweepAppended: 0,
        rejected: 0,
        applied: 0,
      };
      const seed = process.env['SLUICE_PROPERTY_SEED'];
      await fc.assert(
        fc.asyncProperty(
          fc.array(intent, { minLength: 5, maxLength: 30 }),
          fc.array(step, { minLength: 5, maxLength: 25 }),
          fc.constantFrom(2, 5, 100),
          (intents, steps, batch) => runScenario(intents, steps, batch),
        ),
        {
          numRuns: Number(process.env['SLUICE_PROPERTY_RUNS'] ?? 20),
          ...(seed ? { seed: Number(seed) } : {}),
          endOnFailure: true,
        },
      );
      // The generator must reach every path, or the property proves little.
      for (const [path, n] of Object.entries(coverage)) assert.ok(n > 0, `no run exercised ${path}`);
    });
  },
);
