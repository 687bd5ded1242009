import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate, openDatabase, type Db } from '@sluice/database';
import { EventStore, ProjectionRunner, type NewEvent } from '@sluice/event-store';
import { createTestDatabase, type TestDatabase } from '@sluice/testing';
import { AccountingProjector } from '../../apps/ledger/src/accounting/accounting.projector';
import { AccountingRepository } from '../../apps/ledger/src/accounting/accounting.repository';
import { commandEventId, publishDefaultPrices } from '../../apps/ledger/src/accounting/accounting.service';
import {
  CREDIT_TOPPED_UP_V1,
  LEDGER_CORRECTION_V1,
} from '../../apps/ledger/src/accounting/domain/ledger-events';
import { rebuildAndDiff } from '../../apps/ledger/src/accounting/ledger-verifier';
import {
  READ_MODEL_EVENT_TYPES,
  ReadModelsProjector,
} from '../../apps/ledger/src/read-models/read-models.projector';
import { ReadModelsRepository } from '../../apps/ledger/src/read-models/read-models.repository';
import { expectedChargeNanoUsd, MIGRATIONS_DIR, pricedUsageEvent } from './helpers';
import { projectAll } from './project-all';

// Corrections in usage per hour: the accounting and read-model projectors on the real Postgres (no Kafka
// needed: events are appended to the store as the ledger's correction mutation does), checked against hand
// prices, against the books (the team's balance, the provider's payable) and against a rebuild.

const SCHEMA = 'ledger';
const HOUR = '2026-11-01T12:00:00.000Z';

const command = (type: string, subject: string, key: string, data: unknown, at: string): NewEvent => ({
  eventId: commandEventId(type, subject, key),
  type,
  subject,
  occurredAt: at,
  producer: 'test',
  correlationId: null,
  data,
});

const correction = (team: string, key: string, data: Record<string, unknown>): NewEvent =>
  command(
    LEDGER_CORRECTION_V1,
    team,
    key,
    { reason: 'provider re-reported', ...data },
    '2026-11-05T09:30:00.000Z',
  );

type HourRow = {
  hour: Date;
  key_id: string;
  model: string;
  requests: string;
  input_uncached_tokens: string;
  output_tokens: string;
  cost_nano_usd: string;
  provider_cost_nano_usd: string;
};

describe('corrections in usage per hour', { timeout: 120_000 }, () => {
  let tdb: TestDatabase;
  let db: Db;
  const store = new EventStore(SCHEMA);
  let books: ProjectionRunner;
  let readModels: ProjectionRunner;
  let repo: AccountingRepository;
  const tokens = (input: number, output: number) => ({ input, output, cacheRead: 0, cacheWrite: 0 });
  const at = new Date(HOUR.replace('12:00:00', '12:10:00'));
  const u1 = pricedUsageEvent(1, 'acme', 'openai', 'gpt-4o', tokens(1000, 1000), at);
  const u2 = pricedUsageEvent(2, 'acme', 'anthropic', 'claude-sonnet-4-5', tokens(2000, 500), at);
  const u3 = pricedUsageEvent(3, 'acme', 'openai', 'gpt-4o-mini', tokens(4000, 300), at);
  const toNew = (e: typeof u1): NewEvent => ({
    eventId: e.id,
    type: e.type,
    subject: e.subject,
    occurredAt: e.occurredAt,
    producer: e.producer,
    correlationId: e.correlationId,
    data: e.data,
  });
  const charge = {
    u1: expectedChargeNanoUsd('openai', 'gpt-4o', tokens(1000, 1000)),
    u1fixed: expectedChargeNanoUsd('openai', 'gpt-4o', tokens(500, 200)),
    u2: expectedChargeNanoUsd('anthropic', 'claude-sonnet-4-5', tokens(2000, 500)),
    u3: expectedChargeNanoUsd('openai', 'gpt-4o-mini', tokens(4000, 300)),
  };

  const append = (events: NewEvent[]): Promise<string[]> =>
    db.transaction(async (tx) => {
      const out: string[] = [];
      for (const e of events) out.push(...(await store.append(tx, `payer-${e.subject}`, [e], 'any')));
      return out;
    });

  /** Both projectors until the store holds nothing they have not seen (other files share the cluster). */
  async function project(): Promise<void> {
    await projectAll(db, books);
    const deadline = Date.now() + 60_000;
    for (;;) {
      await readModels.catchUp();
      const [r] = await db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ledger.events e, ledger.checkpoints c
          WHERE c.name = 'read_models' AND e.type = ANY($1::text[])
            AND (e.tx_id, e.position) > (c.tx_id, c.position)`,
        [READ_MODEL_EVENT_TYPES],
      );
      if (r?.n === '0') return;
      if (Date.now() > deadline) throw new Error(`${r?.n} events not in the read models`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function rows(): Promise<Map<string, HourRow>> {
    const out = await db.query<HourRow>(
      `SELECT hour, key_id, model, requests::text AS requests, input_uncached_tokens::text AS input_uncached_tokens,
              output_tokens::text AS output_tokens, cost_nano_usd::text AS cost_nano_usd,
              provider_cost_nano_usd::text AS provider_cost_nano_usd
         FROM ledger.usage_hourly WHERE team_id = 'acme'`,
    );
    return new Map(out.map((r) => [r.model, r]));
  }

  const balance = async (account: string): Promise<bigint> =>
    (await repo.balances(account))[0]?.balanceNanoUsd ?? 0n;

  /** Usage per hour against the books: what acme paid (top-up minus balance) and what each provider is owed. */
  async function agreesWithBooks(): Promise<void> {
    const [sum] = await db.query<{ cost: string; openai: string; anthropic: string }>(
      `SELECT sum(cost_nano_usd)::text AS cost,
              sum(provider_cost_nano_usd) FILTER (WHERE provider = 'openai')::text AS openai,
              sum(provider_cost_nano_usd) FILTER (WHERE provider = 'anthropic')::text AS anthropic
         FROM ledger.usage_hourly WHERE team_id = 'acme'`,
    );
    assert.equal(BigInt(sum!.cost), 10_000_000_000n - (await balance('team:acme')), 'team cost = books');
    assert.equal(BigInt(sum!.openai), await balance('provider:openai'), 'openai cost = books');
    assert.equal(BigInt(sum!.anthropic), await balance('provider:anthropic'), 'anthropic cost = books');
  }

  before(async () => {
    tdb = await createTestDatabase('usage_corrections');
    db = await openDatabase({ url: tdb.url, applicationName: 'test-usage-corrections', poolSize: 4 });
    await migrate(db, MIGRATIONS_DIR, SCHEMA);
    await db.transaction((tx) => publishDefaultPrices(tx, store));
    books = new ProjectionRunner(db, store, SCHEMA, new AccountingProjector(SCHEMA), {
      batchSize: 100,
      idleMs: 50,
    });
    readModels = new ProjectionRunner(db, store, SCHEMA, new ReadModelsProjector(SCHEMA), {
      batchSize: 100,
      idleMs: 50,
    });
    repo = new AccountingRepository(db, SCHEMA);
    await append([
      command(
        CREDIT_TOPPED_UP_V1,
        'acme',
        'seed',
        { teamId: 'acme', amountNanoUsd: '10000000000', source: 'manual', reference: null },
        '2026-10-01T00:00:00.000Z',
      ),
      toNew(u1),
      toNew(u2),
      toNew(u3),
    ]);
    await project();
  });

  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  it('counts requests at their hand prices before any correction', async () => {
    const r = await rows();
    assert.equal(r.get('gpt-4o')?.cost_nano_usd, charge.u1.toString());
    assert.equal(r.get('claude-sonnet-4-5')?.cost_nano_usd, charge.u2.toString());
    assert.equal(r.get('gpt-4o-mini')?.cost_nano_usd, charge.u3.toString());
    await agreesWithBooks();
  });

  it('a correction with new token counts reprices the request in its own hour', async () => {
    const fix = correction('acme', 'fix-u1', {
      correctsEventId: u1.id,
      correctedUsage: {
        inputUncachedTokens: 500,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 200,
        reasoningTokens: 0,
      },
    });
    await append([fix]);
    await project();
    const r = await rows();
    const row = r.get('gpt-4o');
    assert.equal(row?.hour.toISOString(), HOUR, 'the hour of the request, not of the correction');
    assert.equal(row?.cost_nano_usd, charge.u1fixed.toString());
    assert.equal(row?.requests, '1', 'still one request');
    assert.equal(row?.input_uncached_tokens, '500');
    assert.equal(row?.output_tokens, '200');
    const [later] = await db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ledger.usage_hourly WHERE hour >= '2026-11-02'`,
    );
    assert.equal(later?.n, '0', 'nothing in the hour of the correction');
    await agreesWithBooks();

    // Usage reports read it too.
    const report = await new ReadModelsRepository(db, SCHEMA).usage({
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-11-02T00:00:00Z'),
      bucket: 'day',
      groupBy: ['model'],
      teamId: 'acme',
    });
    assert.equal(report.find((x) => x.model === 'gpt-4o')?.costNanoUsd, charge.u1fixed);
  });

  it('the same correction twice changes usage once', async () => {
    const before = await rows();
    // The same command again: the same event id, which the store keeps once.
    const again = correction('acme', 'fix-u1', {
      correctsEventId: u1.id,
      correctedUsage: {
        inputUncachedTokens: 500,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 200,
        reasoningTokens: 0,
      },
    });
    assert.deepEqual(await append([again]), []);
    // The projector handed the same event again (a redelivery, a replay behind a lost checkpoint).
    const [stored] = (await store.readAll(db, { txId: '0', position: '0' }, 10_000)).filter(
      (e) => e.eventId === again.eventId,
    );
    assert.ok(stored);
    await db.transaction((tx) => new ReadModelsProjector(SCHEMA).apply(tx, [stored]));
    // Another correction of the same request (another key): the books refuse a second reversal.
    await append([correction('acme', 'fix-u1-again', { correctsEventId: u1.id })]);
    await project();
    const [refused] = await db.query<{ status: string }>(
      `SELECT status FROM ledger.accounting_inbox WHERE event_id = $1::uuid`,
      [commandEventId(LEDGER_CORRECTION_V1, 'acme', 'fix-u1-again')],
    );
    assert.equal(refused?.status, 'rejected');
    assert.deepEqual(await rows(), before);
    await agreesWithBooks();
  });

  it('a refund takes the charge back and keeps the tokens; correcting a correction restores the request', async () => {
    await append([correction('acme', 'refund-u2', { correctsEventId: u2.id })]);
    await project();
    let r = await rows();
    assert.equal(r.get('claude-sonnet-4-5')?.cost_nano_usd, '0');
    assert.equal(r.get('claude-sonnet-4-5')?.provider_cost_nano_usd, '0');
    assert.equal(r.get('claude-sonnet-4-5')?.input_uncached_tokens, '2000');
    await agreesWithBooks();

    // Undo the repricing of u1: back to its original charge and tokens.
    await append([
      correction('acme', 'undo-fix-u1', {
        correctsEventId: commandEventId(LEDGER_CORRECTION_V1, 'acme', 'fix-u1'),
      }),
    ]);
    await project();
    r = await rows();
    assert.equal(r.get('gpt-4o')?.cost_nano_usd, charge.u1.toString());
    assert.equal(r.get('gpt-4o')?.input_uncached_tokens, '1000');
    assert.equal(r.get('gpt-4o')?.output_tokens, '1000');
    await agreesWithBooks();

    // A correction of a top-up is not usage.
    await append([
      command(
        CREDIT_TOPPED_UP_V1,
        'other',
        'seed-other',
        { teamId: 'other', amountNanoUsd: '1000', source: 'manual', reference: null },
        '2026-11-01T00:00:00.000Z',
      ),
    ]);
    await append([
      correction('other', 'undo-topup', {
        correctsEventId: commandEventId(CREDIT_TOPPED_UP_V1, 'other', 'seed-other'),
      }),
    ]);
    await project();
    const [undone] = await db.query<{ status: string }>(
      `SELECT status FROM ledger.accounting_inbox WHERE event_id = $1::uuid`,
      [commandEventId(LEDGER_CORRECTION_V1, 'other', 'undo-topup')],
    );
    assert.equal(undone?.status, 'applied');
    assert.deepEqual(await rows(), r);
    const [n] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ledger.usage_corrections`);
    assert.equal(n?.n, '3', 'fix-u1, refund-u2, undo-fix-u1');
  });

  it('a rebuild from the store equals the live read models', async () => {
    const report = await rebuildAndDiff(db, SCHEMA, MIGRATIONS_DIR);
    assert.deepEqual(report.differences, []);
    assert.ok((report.readModels?.events ?? 0) >= 10);

    // And a row changed behind the projector is reported.
    await db.query(
      `UPDATE ledger.usage_corrections SET cost_nano_usd = cost_nano_usd + 1 WHERE team_id = 'acme'`,
    );
    const tampered = await rebuildAndDiff(db, SCHEMA, MIGRATIONS_DIR);
    assert.ok(tampered.differences.some((d) => d.table === 'usage_corrections'));
  });
});
